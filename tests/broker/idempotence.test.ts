// Idempotent produce at the protocol level: InitProducerId, duplicates answered with their
// original offsets, and each refusal with Kafka's error code, also after a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '@samsa/broker';
import { Admin, Connection } from '@samsa/client';
import {
  DescribeProducersApi,
  ErrorCode,
  InitProducerIdApi,
  ProduceApi,
  ZERO_UUID,
  encodeRecordBatchSync,
  type ProduceResponse,
} from '@samsa/protocol';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type PartitionResult = ProduceResponse['responses'][number]['partitionResponses'][number];

function batch(producerId: number, producerEpoch: number, baseSequence: number, count: number, opts: { transactional?: boolean; control?: boolean } = {}): Buffer {
  const records = [];
  for (let i = 0; i < count; i++) records.push({ key: null, value: Buffer.from(`s${baseSequence + i}`), headers: [] });
  return encodeRecordBatchSync({ baseTimestamp: Date.now(), producerId, producerEpoch, baseSequence, isTransactional: opts.transactional, isControl: opts.control, records });
}

async function produce(conn: Connection, topic: string, records: Buffer): Promise<PartitionResult> {
  const res = await conn.send(ProduceApi, 9, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, topicId: ZERO_UUID, partitionData: [{ index: 0, records }] }],
  });
  return res.responses[0].partitionResponses[0];
}

async function initProducerId(conn: Connection, version = 4): Promise<{ producerId: number; producerEpoch: number; errorCode: number }> {
  return conn.send(InitProducerIdApi, version, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1, enable2Pc: false, keepPreparedTxn: false });
}

test('idempotent produce: duplicates keep their offsets, gaps and stale epochs are refused, state survives a restart', { timeout: 60_000 }, async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'samsa-idem-'));
  let broker = await startBroker({ dataDir });
  t.after(async () => {
    await broker.stop();
    await rm(dataDir, { recursive: true, force: true });
  });
  const admin = await Admin.connect(broker.bootstrap);
  await admin.createTopics([{ name: 'idem', numPartitions: 1 }]);
  await admin.close();
  let conn = await Connection.open('127.0.0.1', broker.port);

  const a = await initProducerId(conn);
  const b = await initProducerId(conn, 0);
  assert.equal(a.errorCode, ErrorCode.NONE);
  assert.equal(a.producerEpoch, 0);
  assert.notEqual(a.producerId, b.producerId, 'every InitProducerId gets a new id');
  const pid = a.producerId;

  assert.deepEqual([(await produce(conn, 'idem', batch(pid, 0, 0, 3))).baseOffset], [0]);
  assert.deepEqual([(await produce(conn, 'idem', batch(pid, 0, 3, 2))).baseOffset], [3]);
  const dup = await produce(conn, 'idem', batch(pid, 0, 0, 3));
  assert.deepEqual([dup.errorCode, dup.baseOffset], [ErrorCode.NONE, 0], 'a retry is answered with the original offset');
  assert.equal((await produce(conn, 'idem', batch(pid, 0, 9, 1))).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assert.equal((await produce(conn, 'idem', batch(b.producerId, 0, 4, 1))).errorCode, ErrorCode.UNKNOWN_PRODUCER_ID);
  assert.equal((await produce(conn, 'idem', batch(pid, 1, 0, 1))).baseOffset, 5, 'a new epoch starts at sequence 0');
  assert.equal((await produce(conn, 'idem', batch(pid, 0, 5, 1))).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
  assert.equal((await produce(conn, 'idem', batch(pid, 1, 0, 1, { control: true }))).errorCode, ErrorCode.INVALID_RECORD);
  assert.equal((await produce(conn, 'idem', batch(-1, -1, -1, 1, { transactional: true }))).errorCode, ErrorCode.INVALID_RECORD);

  const described = await conn.send(DescribeProducersApi, 0, { topics: [{ name: 'idem', partitionIndexes: [0, 3] }] });
  const [p0, p3] = described.topics[0].partitions;
  assert.equal(p3.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.deepEqual(p0.activeProducers.map((p) => [p.producerId, p.producerEpoch, p.lastSequence]), [[pid, 1, 0]]);

  // Clean restart: the producer state comes back from the snapshot, ids are never reused.
  conn.close();
  await broker.stop();
  broker = await startBroker({ dataDir });
  conn = await Connection.open('127.0.0.1', broker.port);
  const again = await produce(conn, 'idem', batch(pid, 1, 0, 1));
  assert.deepEqual([again.errorCode, again.baseOffset], [ErrorCode.NONE, 5]);
  assert.equal((await produce(conn, 'idem', batch(pid, 1, 1, 1))).baseOffset, 6);
  const c = await initProducerId(conn);
  assert.ok(c.producerId > Math.max(a.producerId, b.producerId), `producer id ${c.producerId} after a restart is new`);
  conn.close();
});
