// Produce v0-v2 and Fetch v0-v3 at the protocol level (issue 10, item 3): magic 0/1 message
// sets are up-converted to magic-2 batches on append and stored batches down-converted on
// fetch, with Kafka's errors. The real old clients are in tests/compat/legacy-*.test.ts; the
// converters' unit tests in packages/protocol/test/records/legacy-conversion.test.ts.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import { startBroker } from '@samsa/broker';
import { Admin, Connection, Kafka } from '@samsa/client';
import {
  CompressionCodec,
  ErrorCode,
  FetchApi,
  ListOffsetsApi,
  OffsetCommitApi,
  OffsetFetchApi,
  ProduceApi,
  TimestampType,
  ZERO_UUID,
  decodeLegacyMessageSet,
  decodeRecordBatches,
  encodeLegacyMessageSet,
  encodeRecordBatchSync,
  type FetchRequest,
  type FetchResponse,
  type LegacyMessageInput,
  type ProduceRequest,
} from '@samsa/protocol';

type Setup = { conn: Connection; bootstrap: string; admin: Admin };

async function setup(t: TestContext, topics: Array<{ name: string; configs?: Record<string, string> }>): Promise<Setup> {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const admin = await Admin.connect(broker.bootstrap);
  t.after(() => admin.close());
  await admin.createTopics(topics.map((x) => ({ name: x.name, numPartitions: 1, configs: x.configs ?? {} })));
  const conn = await Connection.open('127.0.0.1', broker.port);
  t.after(() => conn.close());
  return { conn, bootstrap: broker.bootstrap, admin };
}

function produceRequest(topic: string, records: Buffer): ProduceRequest {
  return { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, topicId: ZERO_UUID, partitionData: [{ index: 0, records }] }] };
}

function fetchRequest(topic: string, fetchOffset: number, partitionMaxBytes = 1 << 20, maxBytes = 1 << 20): FetchRequest {
  return {
    clusterId: null,
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1 },
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        topicId: ZERO_UUID,
        partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes, replicaDirectoryId: ZERO_UUID, highWatermark: 0n }],
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  };
}

const partitionOf = (r: FetchResponse): FetchResponse['responses'][number]['partitions'][number] => r.responses[0].partitions[0];

function msgs(n: number, from = 0, timestamp = Date.now()): LegacyMessageInput[] {
  return Array.from({ length: n }, (_, i) => ({ offset: i, timestamp: timestamp + i, key: Buffer.from(`k${from + i}`), value: Buffer.from(`v${from + i}`) }));
}

async function legacySet(magic: 0 | 1, n: number, compression = CompressionCodec.None, from = 0, timestamp?: number): Promise<Buffer> {
  return encodeLegacyMessageSet({ magic, compression, timestampType: TimestampType.CreateTime, messages: msgs(n, from, timestamp) });
}

test('Produce v0/v1/v2 append magic 0/1 sets as magic-2 batches; responses per version', { timeout: 30_000 }, async (t) => {
  const { conn } = await setup(t, [{ name: 'up' }, { name: 'lat', configs: { 'message.timestamp.type': 'LogAppendTime' } }, { name: 'lz4', configs: { 'compression.type': 'lz4' } }]);
  const r0 = await conn.send(ProduceApi, 0, produceRequest('up', await legacySet(0, 3)));
  assert.deepEqual([r0.responses[0].partitionResponses[0].errorCode, r0.responses[0].partitionResponses[0].baseOffset], [ErrorCode.NONE, 0]);
  const r1 = await conn.send(ProduceApi, 1, produceRequest('up', await legacySet(1, 2, CompressionCodec.Gzip, 3, 1_700_000_000_000)));
  assert.equal(r1.responses[0].partitionResponses[0].baseOffset, 3);
  const r2 = await conn.send(ProduceApi, 2, produceRequest('up', await legacySet(1, 1, CompressionCodec.Snappy, 5, 1_700_000_000_100)));
  assert.equal(r2.responses[0].partitionResponses[0].baseOffset, 5);
  assert.equal(r2.responses[0].partitionResponses[0].logAppendTimeMs, -1, 'CreateTime topic: no append time');
  // Kafka also takes one magic-2 batch in Produce v0-v2.
  const v2 = encodeRecordBatchSync({ baseTimestamp: 1_700_000_000_200, records: [{ key: Buffer.from('k6'), value: Buffer.from('v6') }] });
  assert.equal((await conn.send(ProduceApi, 2, produceRequest('up', v2))).responses[0].partitionResponses[0].baseOffset, 6);

  const fetched = partitionOf(await conn.send(FetchApi, 11, fetchRequest('up', 0)));
  const batches = await decodeRecordBatches(fetched.records ?? Buffer.alloc(0));
  assert.deepEqual(batches.map((b) => [b.magic, b.baseOffset, b.compression, b.producerId]), [
    [2, 0, CompressionCodec.None, -1],
    [2, 3, CompressionCodec.Gzip, -1],
    [2, 5, CompressionCodec.Snappy, -1],
    [2, 6, CompressionCodec.None, -1],
  ]);
  const records = batches.flatMap((b) => b.records);
  assert.deepEqual(records.map((r) => r.value?.toString()), ['v0', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6']);
  assert.deepEqual(records.map((r) => r.timestamp), [-1, -1, -1, 1_700_000_000_000, 1_700_000_000_001, 1_700_000_000_100, 1_700_000_000_200], 'magic 0 has no timestamp');

  const before = Date.now();
  const lat = (await conn.send(ProduceApi, 2, produceRequest('lat', await legacySet(1, 2, CompressionCodec.None, 0, 1_000)))).responses[0].partitionResponses[0];
  assert.ok(lat.logAppendTimeMs >= before, `LogAppendTime topic answers the append time (${lat.logAppendTimeMs})`);
  const [latBatch] = await decodeRecordBatches(partitionOf(await conn.send(FetchApi, 11, fetchRequest('lat', 0))).records ?? Buffer.alloc(0));
  assert.equal(latBatch.timestampType, TimestampType.LogAppendTime);
  assert.deepEqual(latBatch.records.map((r) => r.timestamp), [lat.logAppendTimeMs, lat.logAppendTimeMs]);

  await conn.send(ProduceApi, 1, produceRequest('lz4', await legacySet(0, 4, CompressionCodec.Gzip)));
  const [lz4Batch] = await decodeRecordBatches(partitionOf(await conn.send(FetchApi, 11, fetchRequest('lz4', 0))).records ?? Buffer.alloc(0));
  assert.equal(lz4Batch.compression, CompressionCodec.Lz4, "re-compressed with the topic's compression.type");
});

test('Produce v0-v2 refuse bad message sets with Kafka\'s errors and keep serving', { timeout: 30_000 }, async (t) => {
  const { conn } = await setup(t, [
    { name: 'e', configs: { 'max.message.bytes': '2000', 'message.timestamp.before.max.ms': '3600000' } },
    { name: 'c', configs: { 'cleanup.policy': 'compact' } },
  ]);
  const code = async (records: Buffer, topic = 'e', version = 2): Promise<number> => (await conn.send(ProduceApi, version, produceRequest(topic, records))).responses[0].partitionResponses[0].errorCode;
  const good = await legacySet(1, 1);
  const badCrc = Buffer.from(good);
  badCrc[badCrc.length - 1] ^= 1;
  assert.equal(await code(badCrc), ErrorCode.CORRUPT_MESSAGE);
  assert.equal(await code(Buffer.concat([good, good.subarray(0, 20)])), ErrorCode.CORRUPT_MESSAGE, 'partial trailing message');
  const nested = await encodeLegacyMessageSet({ magic: 1, compression: CompressionCodec.Gzip, timestampType: TimestampType.CreateTime, messages: [{ offset: 0, timestamp: Date.now(), key: null, value: null }] });
  const nestedWrapper = Buffer.from(nested);
  // Re-wrap a compressed wrapper inside another one: nested compression.
  const outer = await encodeLegacyMessageSet({ magic: 1, compression: CompressionCodec.None, timestampType: TimestampType.CreateTime, messages: [{ offset: 0, timestamp: Date.now(), key: null, value: zlib.gzipSync(nestedWrapper) }] });
  outer[17] = CompressionCodec.Gzip; // attributes: gzip
  const { crc32 } = await import('@node-rs/crc32');
  outer.writeUInt32BE(crc32(outer.subarray(16)) >>> 0, 12);
  assert.equal(await code(outer), ErrorCode.INVALID_RECORD);
  assert.equal(await code(await legacySet(1, 1, CompressionCodec.None, 0, Date.now() - 7_200_000)), ErrorCode.INVALID_TIMESTAMP);
  assert.equal(await code(await legacySet(0, 1, CompressionCodec.None, 0, Date.now() - 7_200_000), 'e', 0), ErrorCode.NONE, 'magic 0 has no timestamp to check');
  const big = await encodeLegacyMessageSet({ magic: 1, compression: CompressionCodec.None, timestampType: TimestampType.CreateTime, messages: [{ offset: 0, timestamp: Date.now(), key: null, value: Buffer.alloc(5000, 1) }] });
  assert.equal(await code(big), ErrorCode.MESSAGE_TOO_LARGE);
  const keyless = await encodeLegacyMessageSet({ magic: 1, compression: CompressionCodec.None, timestampType: TimestampType.CreateTime, messages: [{ offset: 0, timestamp: Date.now(), key: null, value: Buffer.from('x') }] });
  assert.equal(await code(keyless, 'c'), ErrorCode.INVALID_RECORD, 'compacted topics need keys');
  assert.equal(await code(await legacySet(1, 2), 'c'), ErrorCode.NONE);
  assert.equal(await code(good), ErrorCode.NONE, 'the connection keeps serving');
});

test('Fetch v0-v3 down-convert: magic by version, control batches skipped, aborted data kept, bounds, refusals', { timeout: 60_000 }, async (t) => {
  const { conn, bootstrap } = await setup(t, [
    { name: 'd' },
    { name: 'off', configs: { 'message.downconversion.enable': 'false' } },
    { name: 'z', configs: { 'compression.type': 'zstd' } },
  ]);
  const kafka = new Kafka({ brokers: [bootstrap] });
  const plain = kafka.producer();
  await plain.connect();
  t.after(() => plain.disconnect());
  await plain.send({ topic: 'd', messages: [{ key: 'a', value: 'A', headers: { h: 'dropped' } }, { key: 'b', value: 'B' }] });
  const txProducer = kafka.producer({ transactionalId: 'legacy-tx' });
  await txProducer.connect();
  t.after(() => txProducer.disconnect());
  const aborted = await txProducer.transaction();
  await aborted.send({ topic: 'd', messages: [{ key: 'x', value: 'aborted' }] });
  await aborted.abort();
  const committed = await txProducer.transaction();
  await committed.send({ topic: 'd', messages: [{ key: 'y', value: 'committed' }] });
  await committed.commit();

  for (const version of [0, 1, 2, 3]) {
    const p = partitionOf(await conn.send(FetchApi, version, fetchRequest('d', 0)));
    assert.equal(p.errorCode, ErrorCode.NONE);
    assert.equal(p.highWatermark, 6, 'two records, aborted + marker, committed + marker');
    const sets = await decodeLegacyMessageSet(p.records ?? Buffer.alloc(0));
    assert.ok(sets.every((b) => b.magic === (version <= 1 ? 0 : 1)), `v${version} magic`);
    const records = sets.flatMap((b) => b.records);
    // read_uncommitted (v0-v3 have no isolation level): aborted data is served, markers are not.
    assert.deepEqual(records.map((r) => [r.offset, r.value?.toString()]), [[0, 'A'], [1, 'B'], [2, 'aborted'], [4, 'committed']], `v${version}`);
    assert.ok(records.every((r) => r.headers.length === 0));
  }

  // PartitionMaxBytes bounds the conversion: the first converted batch is whole, nothing more than the limit follows.
  const small = partitionOf(await conn.send(FetchApi, 3, fetchRequest('d', 0, 10)));
  const first = await decodeLegacyMessageSet(small.records ?? Buffer.alloc(0));
  assert.deepEqual(first.flatMap((b) => b.records.map((r) => r.offset)), [0, 1], 'the first converted batch is whole although over the limit');
  const limit = (small.records?.length ?? 0) + 10;
  const bounded = partitionOf(await conn.send(FetchApi, 1, fetchRequest('d', 0, limit)));
  assert.ok((bounded.records?.length ?? 0) <= limit, `at most ${limit} bytes: ${bounded.records?.length}`);
  const boundedRecords = (await decodeLegacyMessageSet(bounded.records ?? Buffer.alloc(0))).flatMap((b) => b.records.map((r) => r.offset));
  assert.deepEqual(boundedRecords, [0, 1]);

  await plain.send({ topic: 'off', messages: [{ value: 'o' }] });
  assert.equal(partitionOf(await conn.send(FetchApi, 2, fetchRequest('off', 0))).errorCode, ErrorCode.UNSUPPORTED_VERSION);
  assert.equal(partitionOf(await conn.send(FetchApi, 4, fetchRequest('off', 0))).errorCode, ErrorCode.NONE, 'v4+ needs no conversion');
  await plain.send({ topic: 'z', messages: [{ value: 'z' }] });
  assert.equal(partitionOf(await conn.send(FetchApi, 3, fetchRequest('z', 0))).errorCode, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
});

test('old group and offset APIs: ListOffsets v0, OffsetCommit v0/v1, OffsetFetch v0/v1', { timeout: 30_000 }, async (t) => {
  const { conn } = await setup(t, [{ name: 'o' }]);
  await conn.send(ProduceApi, 1, produceRequest('o', await legacySet(0, 5)));
  const lo = await conn.send(ListOffsetsApi, 0, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: 'o', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1, maxNumOffsets: 1 }] }],
    timeoutMs: 0,
  });
  assert.deepEqual(lo.topics[0].partitions[0].oldStyleOffsets, [5]);
  for (const version of [0, 1]) {
    const group = `g${version}`;
    const commit = await conn.send(OffsetCommitApi, version, {
      groupId: group,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      retentionTimeMs: -1,
      topics: [{ name: 'o', topicId: ZERO_UUID, partitions: [{ partitionIndex: 0, committedOffset: 3 + version, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: 'm' }] }],
    });
    assert.equal(commit.topics[0].partitions[0].errorCode, ErrorCode.NONE);
    // OffsetFetch v0 read ZooKeeper in Kafka; Samsa serves it from the group coordinator like v1.
    for (const fetchVersion of [0, 1]) {
      const fetched = await conn.send(OffsetFetchApi, fetchVersion, { groupId: group, topics: [{ name: 'o', partitionIndexes: [0] }], groups: [], requireStable: false });
      assert.deepEqual([fetched.topics[0].partitions[0].committedOffset, fetched.topics[0].partitions[0].metadata], [3 + version, 'm']);
    }
  }
});
