// Transactions at the protocol level: each refusal with Kafka's error code (unknown producer,
// partitions not in the transaction, fenced producers, wrong state, bad timeouts), the
// admin views (ListTransactions, DescribeTransactions), and a timed-out transaction aborted
// and its producer fenced by the coordinator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '@samsa/broker';
import { Admin, Connection } from '@samsa/client';
import {
  AddOffsetsToTxnApi,
  AddPartitionsToTxnApi,
  DescribeTransactionsApi,
  EndTxnApi,
  ErrorCode,
  FetchApi,
  FindCoordinatorApi,
  InitProducerIdApi,
  ListTransactionsApi,
  ProduceApi,
  ZERO_UUID,
  encodeRecordBatchSync,
} from '@samsa/protocol';
import { waitFor } from '../support/wait-for.js';

function txnBatch(producerId: number, producerEpoch: number, baseSequence: number): Buffer {
  return encodeRecordBatchSync({ baseTimestamp: Date.now(), producerId, producerEpoch, baseSequence, isTransactional: true, records: [{ key: null, value: Buffer.from(`s${baseSequence}`), headers: [] }] });
}

async function setup(t: import('node:test').TestContext, config: Record<string, string> = {}): Promise<Connection> {
  const broker = await startBroker({ config });
  t.after(() => broker.stop());
  const admin = await Admin.connect(broker.bootstrap);
  await admin.createTopics([{ name: 'tx', numPartitions: 2 }]);
  await admin.close();
  const conn = await Connection.open('127.0.0.1', broker.port);
  t.after(() => conn.close());
  return conn;
}

const init = (conn: Connection, transactionalId: string, transactionTimeoutMs = 60_000, version = 4) =>
  conn.send(InitProducerIdApi, version, { transactionalId, transactionTimeoutMs, producerId: -1, producerEpoch: -1, enable2Pc: false, keepPreparedTxn: false });

const addPartitions = async (conn: Connection, transactionalId: string, producerId: number, producerEpoch: number, partitions: number[], topic = 'tx', version = 3): Promise<number[]> => {
  const res = await conn.send(AddPartitionsToTxnApi, version, {
    transactions: [],
    v3AndBelowTransactionalId: transactionalId,
    v3AndBelowProducerId: producerId,
    v3AndBelowProducerEpoch: producerEpoch,
    v3AndBelowTopics: [{ name: topic, partitions }],
  });
  return res.resultsByTopicV3AndBelow[0].resultsByPartition.map((r) => r.partitionErrorCode);
};

const endTxn = async (conn: Connection, transactionalId: string, producerId: number, producerEpoch: number, committed: boolean, version = 3): Promise<number> =>
  (await conn.send(EndTxnApi, version, { transactionalId, producerId, producerEpoch, committed })).errorCode;

const produce = async (conn: Connection, transactionalId: string | null, records: Buffer, partition = 0): Promise<number> =>
  (await conn.send(ProduceApi, 9, { transactionalId, acks: -1, timeoutMs: 5000, topicData: [{ name: 'tx', topicId: ZERO_UUID, partitionData: [{ index: partition, records }] }] })).responses[0].partitionResponses[0].errorCode;

test('transaction requests are refused with Kafka\'s error codes', { timeout: 60_000 }, async (t) => {
  const conn = await setup(t);
  const found = await conn.send(FindCoordinatorApi, 4, { key: '', keyType: 1, coordinatorKeys: ['a'] });
  assert.equal(found.coordinators[0].errorCode, ErrorCode.NONE, 'this node coordinates transactions');

  assert.equal((await init(conn, 'a', 10 * 60 * 60 * 1000)).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT);
  assert.deepEqual(await addPartitions(conn, 'nobody', 5, 0, [0]), [ErrorCode.INVALID_PRODUCER_ID_MAPPING]);

  const a = await init(conn, 'a');
  assert.equal(a.errorCode, ErrorCode.NONE);
  assert.equal(await endTxn(conn, 'a', a.producerId, a.producerEpoch, true), ErrorCode.INVALID_TXN_STATE, 'nothing to end');
  assert.deepEqual(await addPartitions(conn, 'a', a.producerId, a.producerEpoch, [0, 7]), [ErrorCode.OPERATION_NOT_ATTEMPTED, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
  assert.deepEqual(await addPartitions(conn, 'a', a.producerId, a.producerEpoch, [0]), [ErrorCode.NONE]);
  assert.equal(await produce(conn, 'a', txnBatch(a.producerId, a.producerEpoch, 0)), ErrorCode.NONE);
  assert.equal(await produce(conn, 'a', txnBatch(a.producerId, a.producerEpoch, 0), 1), ErrorCode.INVALID_TXN_STATE, 'partition 1 was not added');
  assert.equal(await produce(conn, null, txnBatch(a.producerId, a.producerEpoch, 1)), ErrorCode.INVALID_TXN_STATE, 'no transactional id');

  // A second InitProducerId for the same id fences the first producer and aborts its transaction.
  const a2 = await init(conn, 'a');
  assert.equal(a2.producerId, a.producerId);
  assert.ok(a2.producerEpoch > a.producerEpoch);
  assert.equal(await endTxn(conn, 'a', a.producerId, a.producerEpoch, true), ErrorCode.PRODUCER_FENCED);
  assert.equal(await endTxn(conn, 'a', a.producerId, a.producerEpoch, true, 1), ErrorCode.INVALID_PRODUCER_EPOCH, 'v0-1 predate PRODUCER_FENCED');
  assert.equal(await produce(conn, 'a', txnBatch(a.producerId, a.producerEpoch, 1)), ErrorCode.INVALID_PRODUCER_EPOCH);
  assert.equal((await conn.send(AddOffsetsToTxnApi, 3, { transactionalId: 'a', producerId: a.producerId, producerEpoch: a.producerEpoch, groupId: 'g' })).errorCode, ErrorCode.PRODUCER_FENCED);

  // The fenced transaction's record is aborted: read_committed sees nothing, the log end moved past its marker.
  const fetched = await conn.send(FetchApi, 12, {
    clusterId: null, replicaId: -1, replicaState: { replicaId: -1, replicaEpoch: -1 }, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 1, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic: 'tx', topicId: ZERO_UUID, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20, replicaDirectoryId: ZERO_UUID, highWatermark: -1n }] }],
    forgottenTopicsData: [], rackId: '',
  });
  const p0 = fetched.responses[0].partitions[0];
  assert.equal(p0.highWatermark, 2, 'the record and the abort marker');
  assert.equal(p0.lastStableOffset, 2);
  assert.deepEqual(p0.abortedTransactions?.map((x) => [x.producerId, x.firstOffset]), [[a.producerId, 0]]);

  // Commit a transaction and look at the admin views.
  assert.deepEqual(await addPartitions(conn, 'a', a2.producerId, a2.producerEpoch, [1]), [ErrorCode.NONE]);
  const described = await conn.send(DescribeTransactionsApi, 0, { transactionalIds: ['a', 'missing'] });
  assert.equal(described.transactionStates[0].transactionState, 'Ongoing');
  assert.deepEqual(described.transactionStates[0].topics.map((x) => [x.topic, x.partitions]), [['tx', [1]]]);
  assert.equal(described.transactionStates[1].errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
  const listed = await conn.send(ListTransactionsApi, 1, { stateFilters: ['Ongoing', 'Bogus'], producerIdFilters: [], durationFilter: -1, transactionalIdPattern: null });
  assert.deepEqual(listed.transactionStates.map((s) => [s.transactionalId, s.transactionState]), [['a', 'Ongoing']]);
  assert.deepEqual(listed.unknownStateFilters, ['Bogus']);
  assert.equal(await endTxn(conn, 'a', a2.producerId, a2.producerEpoch, true), ErrorCode.NONE);
  assert.equal(await endTxn(conn, 'a', a2.producerId, a2.producerEpoch, true), ErrorCode.NONE, 'a retried commit');
  assert.equal(await endTxn(conn, 'a', a2.producerId, a2.producerEpoch, false), ErrorCode.INVALID_TXN_STATE, 'abort after commit');
});

test('a transaction past its timeout is aborted and its producer fenced', { timeout: 60_000 }, async (t) => {
  const conn = await setup(t, { 'transaction.abort.timed.out.transaction.cleanup.interval.ms': '100' });
  const p = await init(conn, 'slow', 300);
  assert.deepEqual(await addPartitions(conn, 'slow', p.producerId, p.producerEpoch, [0]), [ErrorCode.NONE]);
  assert.equal(await produce(conn, 'slow', txnBatch(p.producerId, p.producerEpoch, 0)), ErrorCode.NONE);
  await waitFor(async () => (await conn.send(DescribeTransactionsApi, 0, { transactionalIds: ['slow'] })).transactionStates[0].transactionState === 'CompleteAbort', {
    timeoutMs: 20_000,
    message: 'the coordinator aborts the timed-out transaction',
  });
  assert.equal(await endTxn(conn, 'slow', p.producerId, p.producerEpoch, true), ErrorCode.PRODUCER_FENCED);
});
