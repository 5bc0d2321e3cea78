// Admin additions of issue 5 against a real broker: describeCluster,
// listTransactions, describeTransactions, describeProducers and deleteRecords,
// with transactions written by confluent-kafka-python (committed and aborted)
// and at the protocol level (one left open), and Kafka's error codes
// surfacing as KafkaError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '@samsa/broker';
import { Admin, ClientError, Connection, KafkaError } from '@samsa/client';
import { AddPartitionsToTxnApi, ErrorCode, InitProducerIdApi, ProduceApi, ZERO_UUID, encodeRecordBatchSync } from '@samsa/protocol';
import { runPython } from '../support/run-python.js';
import { samsaProduce } from '../support/samsa-client-driver.js';

interface TxnResult {
  committed: string[];
  aborted: string[];
  error?: string;
}

/** Opens a transaction of `transactionalId` with one record in each of `partitions`, and leaves it open. */
async function openTransaction(conn: Connection, transactionalId: string, topic: string, partitions: number[]): Promise<{ producerId: number; producerEpoch: number }> {
  const init = await conn.send(InitProducerIdApi, 4, { transactionalId, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1, enable2Pc: false, keepPreparedTxn: false });
  assert.equal(init.errorCode, ErrorCode.NONE);
  const { producerId, producerEpoch } = init;
  const added = await conn.send(AddPartitionsToTxnApi, 3, {
    transactions: [],
    v3AndBelowTransactionalId: transactionalId,
    v3AndBelowProducerId: producerId,
    v3AndBelowProducerEpoch: producerEpoch,
    v3AndBelowTopics: [{ name: topic, partitions }],
  });
  assert.deepEqual(added.resultsByTopicV3AndBelow[0].resultsByPartition.map((r) => r.partitionErrorCode), partitions.map(() => ErrorCode.NONE));
  for (const index of partitions) {
    const records = encodeRecordBatchSync({ baseTimestamp: Date.now(), producerId, producerEpoch, baseSequence: 0, isTransactional: true, records: [{ key: null, value: Buffer.from('open'), headers: [] }] });
    const res = await conn.send(ProduceApi, 9, { transactionalId, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, topicId: ZERO_UUID, partitionData: [{ index, records }] }] });
    assert.equal(res.responses[0].partitionResponses[0].errorCode, ErrorCode.NONE);
  }
  return { producerId, producerEpoch };
}

function assertKafkaError(err: unknown, type: string, fields: Partial<KafkaError> = {}): true {
  assert.ok(err instanceof KafkaError, `a KafkaError, got ${String(err)}`);
  assert.equal(err.type, type, err.message);
  for (const [k, v] of Object.entries(fields)) assert.equal(err[k as keyof KafkaError], v, `${k} of ${err.message}`);
  return true;
}

test('Admin.describeCluster names the cluster, its controller and brokers', { timeout: 60_000 }, async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const admin = await Admin.connect(broker.bootstrap, { timeoutMs: 10_000 });
  t.after(() => admin.close());
  const cluster = await admin.describeCluster();
  assert.match(cluster.clusterId ?? '', /^[A-Za-z0-9_-]{22}$/, 'a base64url cluster id');
  assert.deepEqual(cluster.brokers, [{ nodeId: cluster.controllerId, host: '127.0.0.1', port: broker.port, rack: null }]);
  assert.equal((await admin.describeCluster()).clusterId, cluster.clusterId, 'stable');
});

test('Admin transaction views: listTransactions, describeTransactions, describeProducers', { timeout: 180_000 }, async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const admin = await Admin.connect(broker.bootstrap, { timeoutMs: 10_000 });
  t.after(() => admin.close());
  await admin.createTopics([{ name: 'tx', numPartitions: 2 }]);
  const node = (await admin.describeCluster()).controllerId;

  // librdkafka: a committed transaction, then an aborted one, 2 records each over both partitions.
  const produced = await runPython<TxnResult>(
    'confluent_transactions',
    { bootstrap: broker.bootstrap, topic: 'tx', partitions: 2, transactional_id: 'rdkafka', transactions: [{ commit: true, count: 2 }, { commit: false, count: 2 }] },
    90_000,
  );
  assert.equal(produced.error, undefined, `confluent-kafka: ${produced.error}`);
  // Each partition now holds: committed record, COMMIT marker, aborted record, ABORT marker (offsets 0-3).
  const conn = await Connection.open('127.0.0.1', broker.port);
  t.after(() => conn.close());
  const open = await openTransaction(conn, 'open', 'tx', [1]);

  const listed = await admin.listTransactions();
  assert.deepEqual(
    listed.map((x) => [x.transactionalId, x.transactionState, x.coordinatorId]),
    [
      ['open', 'Ongoing', node],
      ['rdkafka', 'CompleteAbort', node],
    ],
  );
  const rdkafka = listed[1];
  assert.deepEqual((await admin.listTransactions({ states: ['Ongoing'] })).map((x) => x.transactionalId), ['open']);
  assert.deepEqual((await admin.listTransactions({ states: ['CompleteAbort', 'CompleteCommit'] })).map((x) => x.transactionalId), ['rdkafka']);
  assert.deepEqual((await admin.listTransactions({ producerIds: [rdkafka.producerId] })).map((x) => x.transactionalId), ['rdkafka']);
  assert.deepEqual(await admin.listTransactions({ producerIds: [999_999] }), []);
  assert.deepEqual((await admin.listTransactions({ minDurationMs: 0 })).map((x) => x.transactionalId), ['open'], 'a duration filter lists running transactions');
  assert.deepEqual(await admin.listTransactions({ minDurationMs: 3_600_000 }), []);
  await assert.rejects(admin.listTransactions({ states: ['Sleeping'] }), (err: unknown) => err instanceof ClientError && err.code === 'SAMSA_ERR_INVALID_CONFIG' && /Sleeping/.test(err.message));
  await assert.rejects(admin.listTransactions({ minDurationMs: -5 }), ClientError);

  const [openDesc, rdkafkaDesc] = await admin.describeTransactions(['open', 'rdkafka']);
  assert.deepEqual({ ...openDesc, transactionStartTimeMs: null }, {
    transactionalId: 'open',
    coordinatorId: node,
    transactionState: 'Ongoing',
    producerId: open.producerId,
    producerEpoch: open.producerEpoch,
    transactionTimeoutMs: 60_000,
    transactionStartTimeMs: null,
    topicPartitions: [{ topic: 'tx', partition: 1 }],
  });
  assert.ok(openDesc.transactionStartTimeMs !== null && openDesc.transactionStartTimeMs <= Date.now(), 'an ongoing transaction has a start time');
  assert.equal(rdkafkaDesc.transactionState, 'CompleteAbort');
  assert.equal(rdkafkaDesc.producerId, rdkafka.producerId);
  assert.deepEqual(rdkafkaDesc.topicPartitions, [], 'no partitions once complete');
  await assert.rejects(admin.describeTransactions(['nope']), (err) => assertKafkaError(err, 'TRANSACTIONAL_ID_NOT_FOUND', { code: 105, apiName: 'DescribeTransactions', resource: 'transactional id nope' }));
  await assert.rejects(admin.describeTransactions(['open', 'nope', 'nope2']), (err: unknown) => {
    assert.ok(err instanceof AggregateError);
    assert.deepEqual(err.errors.map((e: KafkaError) => [e.type, e.resource]), [
      ['TRANSACTIONAL_ID_NOT_FOUND', 'transactional id nope'],
      ['TRANSACTIONAL_ID_NOT_FOUND', 'transactional id nope2'],
    ]);
    return true;
  });

  const producers = await admin.describeProducers([
    { topic: 'tx', partition: 1 },
    { topic: 'tx', partition: 0 },
  ]);
  assert.deepEqual(producers.map((p) => [p.topic, p.partition, p.activeProducers.map((a) => a.producerId)]), [
    ['tx', 0, [rdkafka.producerId]],
    ['tx', 1, [rdkafka.producerId, open.producerId].sort((a, b) => a - b)],
  ]);
  const p1 = producers[1].activeProducers;
  const openState = p1.find((a) => a.producerId === open.producerId);
  assert.deepEqual({ ...openState, lastTimestamp: null }, {
    producerId: open.producerId,
    producerEpoch: open.producerEpoch,
    lastSequence: 0,
    lastTimestamp: null,
    coordinatorEpoch: null,
    currentTxnStartOffset: 4,
  });
  assert.ok((openState?.lastTimestamp ?? 0) > 0);
  const rdkafkaState = p1.find((a) => a.producerId === rdkafka.producerId);
  assert.equal(rdkafkaState?.currentTxnStartOffset, null, 'its transactions are complete');
  assert.equal(rdkafkaState?.lastSequence, 1, 'two batches of one record in partition 1 (sequences 0 and 1)');
  assert.equal(rdkafkaState?.coordinatorEpoch, 0, 'markers were written by coordinator epoch 0');
  await assert.rejects(admin.describeProducers([{ topic: 'tx', partition: 7 }]), (err) => assertKafkaError(err, 'UNKNOWN_TOPIC_OR_PARTITION', { topic: 'tx', partition: 7 }));
  await assert.rejects(admin.describeProducers([{ topic: 'ghost', partition: 0 }]), (err) => assertKafkaError(err, 'UNKNOWN_TOPIC_OR_PARTITION', { topic: 'ghost', apiName: 'DescribeProducers' }));
  assert.deepEqual(await admin.describeProducers([]), []);
});

test('Admin.deleteRecords moves log start offsets; Kafka errors per partition', { timeout: 60_000 }, async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const admin = await Admin.connect(broker.bootstrap, { timeoutMs: 10_000 });
  t.after(() => admin.close());
  await admin.createTopics([{ name: 'del', numPartitions: 2 }]);
  const records = (partition: number, n: number) => Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`v${i}`).toString('base64'), headers: [], timestamp: null, partition }));
  await samsaProduce(broker.bootstrap, 'del', [...records(0, 5), ...records(1, 3)]);

  assert.deepEqual(await admin.deleteRecords('del', [{ partition: 0, offset: 2 }, { partition: 1, offset: -1 }]), [
    { partition: 0, lowWatermark: 2 },
    { partition: 1, lowWatermark: 3 },
  ]);
  assert.deepEqual((await admin.listOffsets('del', 'earliest')).map((p) => p.offset), [2, 3]);
  assert.deepEqual(await admin.deleteRecords('del', [{ partition: 0, offset: 1 }]), [{ partition: 0, lowWatermark: 2 }], 'never moves back');
  await assert.rejects(admin.deleteRecords('del', [{ partition: 0, offset: 6 }]), (err) => assertKafkaError(err, 'OFFSET_OUT_OF_RANGE', { topic: 'del', partition: 0, apiName: 'DeleteRecords' }));
  await assert.rejects(admin.deleteRecords('del', [{ partition: 0, offset: 3 }, { partition: 9, offset: 0 }]), (err) => assertKafkaError(err, 'UNKNOWN_TOPIC_OR_PARTITION', { partition: 9 }));
  assert.deepEqual((await admin.listOffsets('del', 'earliest')).map((p) => p.offset), [3, 3], 'the valid partition of that call was still applied');
  await assert.rejects(admin.deleteRecords('ghost', [{ partition: 0, offset: 0 }]), (err) => assertKafkaError(err, 'UNKNOWN_TOPIC_OR_PARTITION', { topic: 'ghost' }));
  await assert.rejects(admin.deleteRecords('del', [{ partition: 0, offset: -2 }]), RangeError);
});
