// Fetch behaviour that third-party clients here don't exercise: topic ids (v13+),
// long polls woken by appends, and the first-batch-always-whole rule (KIP-74).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '@samsa/broker';
import { Admin, Connection } from '@samsa/client';
import {
  ErrorCode,
  ZERO_UUID,
  FetchApi,
  ProduceApi,
  decodeRecordBatches,
  encodeRecordBatchSync,
  type FetchRequest,
  type ProduceRequest,
} from '@samsa/protocol';


function produceRequest(topic: string, values: string[], partition = 0): ProduceRequest {
  const records = encodeRecordBatchSync({
    baseTimestamp: Date.now(),
    records: values.map((v) => ({ key: null, value: Buffer.from(v), headers: [] })),
  });
  return {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, topicId: ZERO_UUID, partitionData: [{ index: partition, records }] }],
  };
}

function fetchRequest(
  topic: { name: string; id: string },
  fetchOffset: number,
  opts: Partial<FetchRequest> & { partitionMaxBytes?: number; partitions?: number[] } = {},
): FetchRequest {
  return {
    clusterId: null,
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1 },
    maxWaitMs: opts.maxWaitMs ?? 0,
    minBytes: opts.minBytes ?? 1,
    maxBytes: opts.maxBytes ?? 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic: topic.name,
        topicId: topic.id,
        partitions: (opts.partitions ?? [0]).map((partition) => ({
          partition,
          currentLeaderEpoch: -1,
          fetchOffset,
          lastFetchedEpoch: -1,
          logStartOffset: -1,
          partitionMaxBytes: opts.partitionMaxBytes ?? 1 << 20,
          replicaDirectoryId: ZERO_UUID,
          highWatermark: 9223372036854775807n,
        })),
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  };
}

async function values(records: Buffer | null): Promise<string[]> {
  if (!records) return [];
  const batches = await decodeRecordBatches(records);
  return batches.flatMap((b) => b.records.map((r) => r.value?.toString() ?? 'null'));
}

test('fetch by topic id (v13+) and by name (v12) return the same records', { timeout: 30_000 }, async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const admin = await Admin.connect(broker.bootstrap);
  t.after(() => admin.close());
  await admin.createTopics([{ name: 'ids', numPartitions: 1 }]);
  const [desc] = await admin.describeTopics(['ids']);
  const conn = await Connection.open('127.0.0.1', broker.port);
  t.after(() => conn.close());

  const produced = await conn.send(ProduceApi, 9, produceRequest('ids', ['a', 'b', 'c']));
  assert.equal(produced.responses[0].partitionResponses[0].errorCode, ErrorCode.NONE);

  const byId = await conn.send(FetchApi, 16, fetchRequest({ name: '', id: desc.topicId }, 0));
  assert.equal(byId.responses[0].topicId, desc.topicId);
  assert.deepEqual(await values(byId.responses[0].partitions[0].records), ['a', 'b', 'c']);
  assert.equal(byId.responses[0].partitions[0].highWatermark, 3);

  const byName = await conn.send(FetchApi, 12, fetchRequest({ name: 'ids', id: ZERO_UUID }, 1));
  assert.deepEqual(await values(byName.responses[0].partitions[0].records), ['a', 'b', 'c'], 'the whole batch containing offset 1 is served');

  const unknownId = await conn.send(FetchApi, 16, fetchRequest({ name: '', id: '0123456789abcdef0123456789abcdef' }, 0));
  assert.equal(unknownId.responses[0].partitions[0].errorCode, ErrorCode.UNKNOWN_TOPIC_ID);

  const outOfRange = await conn.send(FetchApi, 12, fetchRequest({ name: 'ids', id: ZERO_UUID }, 99));
  assert.equal(outOfRange.responses[0].partitions[0].errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
});

test('a long poll is woken by an append, not by its max wait', { timeout: 30_000 }, async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const admin = await Admin.connect(broker.bootstrap);
  t.after(() => admin.close());
  await admin.createTopics([{ name: 'poll', numPartitions: 1 }]);
  const consumer = await Connection.open('127.0.0.1', broker.port);
  const producer = await Connection.open('127.0.0.1', broker.port);
  t.after(() => {
    consumer.close();
    producer.close();
  });
  // maxWaitMs far beyond the test's timeout: only the append can end this wait in time.
  const pending = consumer.send(FetchApi, 12, fetchRequest({ name: 'poll', id: ZERO_UUID }, 0, { maxWaitMs: 120_000 }));
  await producer.send(ProduceApi, 9, produceRequest('poll', ['woken']));
  const res = await pending;
  assert.deepEqual(await values(res.responses[0].partitions[0].records), ['woken']);
});

test('the first batch is returned whole even when larger than the byte limits (KIP-74)', { timeout: 30_000 }, async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const admin = await Admin.connect(broker.bootstrap);
  t.after(() => admin.close());
  await admin.createTopics([{ name: 'big', numPartitions: 1 }]);
  const conn = await Connection.open('127.0.0.1', broker.port);
  t.after(() => conn.close());
  await conn.send(ProduceApi, 9, produceRequest('big', ['x'.repeat(10_000)]));
  await conn.send(ProduceApi, 9, produceRequest('big', ['y'.repeat(10_000)]));
  const res = await conn.send(FetchApi, 12, fetchRequest({ name: 'big', id: ZERO_UUID }, 0, { maxBytes: 100, partitionMaxBytes: 100 }));
  assert.deepEqual((await values(res.responses[0].partitions[0].records)).map((v) => v[0]), ['x']);
});

test('MaxBytes bounds the whole response: later partitions get only what is left, and no oversized batch (KIP-74)', { timeout: 30_000 }, async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const admin = await Admin.connect(broker.bootstrap);
  t.after(() => admin.close());
  await admin.createTopics([{ name: 'budget', numPartitions: 3 }]);
  const conn = await Connection.open('127.0.0.1', broker.port);
  t.after(() => conn.close());
  for (const partition of [0, 1, 2]) {
    for (const v of ['a', 'b', 'c']) await conn.send(ProduceApi, 9, produceRequest('budget', [v.repeat(10_000)], partition));
  }
  const topic = { name: 'budget', id: ZERO_UUID };
  const sizes = (res: { responses: Array<{ partitions: Array<{ records: Buffer | null }> }> }): number[] =>
    res.responses[0].partitions.map((p) => p.records?.length ?? 0);

  // Partition limits far above MaxBytes (librdkafka's fetch.max.bytes < max.partition.fetch.bytes).
  const res = await conn.send(FetchApi, 12, fetchRequest(topic, 0, { maxBytes: 25_000, partitionMaxBytes: 20_000_000, partitions: [0, 1, 2] }));
  const got = sizes(res);
  assert.ok(got.reduce((a, b) => a + b, 0) <= 25_000, `response holds ${got.join('+')} bytes, above MaxBytes 25000`);
  assert.deepEqual((await values(res.responses[0].partitions[0].records)).map((v) => v[0]), ['a', 'b'], 'two whole batches fit');
  assert.equal(got[1], 0, 'a batch that does not fit what is left is not served');

  // The first batch of the response may exceed MaxBytes; nothing after it may.
  const small = await conn.send(FetchApi, 12, fetchRequest(topic, 0, { maxBytes: 5_000, partitionMaxBytes: 20_000_000, partitions: [0, 1, 2] }));
  const smallSizes = sizes(small);
  assert.deepEqual((await values(small.responses[0].partitions[0].records)).map((v) => v[0]), ['a']);
  assert.deepEqual(smallSizes.slice(1), [0, 0]);

  // A partition with nothing to read does not use up the first-batch exception.
  const later = await conn.send(FetchApi, 12, fetchRequest(topic, 3, { maxBytes: 5_000, partitionMaxBytes: 20_000_000, partitions: [0] }));
  assert.equal(later.responses[0].partitions[0].records?.length ?? 0, 0);
});

test('beyond the waiter bound a fetch answers at once and the broker keeps answering others', { timeout: 30_000 }, async (t) => {
  const broker = await startBroker({ fetchWaiterLimit: 3 });
  t.after(() => broker.stop());
  const admin = await Admin.connect(broker.bootstrap);
  t.after(() => admin.close());
  await admin.createTopics([{ name: 'bound', numPartitions: 1 }]);
  const topic = { name: 'bound', id: ZERO_UUID };
  const waiters = await Promise.all([0, 1, 2].map(() => Connection.open('127.0.0.1', broker.port)));
  const other = await Connection.open('127.0.0.1', broker.port);
  t.after(() => {
    for (const c of [...waiters, other]) c.close();
  });
  let answered = 0;
  const pending = waiters.map((c) =>
    c.send(FetchApi, 12, fetchRequest(topic, 0, { maxWaitMs: 600_000 })).then((r) => {
      answered++;
      return r;
    }),
  );
  const registered = Date.now();
  while (broker.broker.fetchWaiters < 3) {
    if (Date.now() - registered > 20_000) assert.fail(`only ${broker.broker.fetchWaiters} of 3 long polls registered within 20 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const t0 = Date.now();
  const beyond = await other.send(FetchApi, 12, fetchRequest(topic, 0, { maxWaitMs: 600_000 }));
  assert.ok(Date.now() - t0 < 5_000, 'a fetch beyond the bound answers at once');
  assert.equal(beyond.responses[0].partitions[0].records?.length ?? 0, 0);
  assert.equal(answered, 0, 'the waiting fetches still wait');
  await other.send(ProduceApi, 9, produceRequest('bound', ['wake']));
  for (const res of await Promise.all(pending)) assert.deepEqual(await values(res.responses[0].partitions[0].records), ['wake']);
});
