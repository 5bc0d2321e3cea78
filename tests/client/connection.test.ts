// The client connection against a real broker: pipelined requests answered in
// order, and responses spanning many socket chunks reassembled intact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '@samsa/broker';
import { Admin, Connection } from '@samsa/client';
import { FetchApi, MetadataApi, ProduceApi, ZERO_UUID, decodeRecordBatches, encodeRecordBatchSync } from '@samsa/protocol';

test('a 4 MiB fetch response and pipelined metadata requests come back whole and in order', { timeout: 60_000 }, async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const admin = await Admin.connect(broker.bootstrap);
  t.after(() => admin.close());
  await admin.createTopics([{ name: 'big', numPartitions: 1, configs: { 'max.message.bytes': String(2 << 20) } }]);
  const conn = await Connection.open('127.0.0.1', broker.port);
  t.after(() => conn.close());

  const values = [0, 1, 2, 3].map((i) => Buffer.alloc(1 << 20, i + 1));
  for (const value of values) {
    const records = encodeRecordBatchSync({ baseTimestamp: Date.now(), records: [{ key: null, value, headers: [] }] });
    const res = await conn.send(ProduceApi, 9, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 5000,
      topicData: [{ name: 'big', topicId: ZERO_UUID, partitionData: [{ index: 0, records }] }],
    });
    assert.equal(res.responses[0].partitionResponses[0].errorCode, 0);
  }

  const metadata = () =>
    conn.send(MetadataApi, 12, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  const [before, fetched, after] = await Promise.all([
    metadata(),
    conn.send(FetchApi, 12, {
      clusterId: null,
      replicaId: -1,
      replicaState: { replicaId: -1, replicaEpoch: -1 },
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: 16 << 20,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic: 'big',
          topicId: ZERO_UUID,
          partitions: [
            { partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 16 << 20, replicaDirectoryId: ZERO_UUID, highWatermark: 9223372036854775807n },
          ],
        },
      ],
      forgottenTopicsData: [],
      rackId: '',
    }),
    metadata(),
  ]);
  assert.deepEqual(before.topics.map((x) => x.name), ['big']);
  assert.deepEqual(after.topics.map((x) => x.name), ['big']);
  const batches = await decodeRecordBatches(fetched.responses[0].partitions[0].records ?? Buffer.alloc(0));
  const got = batches.flatMap((b) => b.records.map((r) => r.value));
  assert.equal(got.length, 4);
  got.forEach((v, i) => assert.ok(v?.equals(values[i]), `record ${i} intact`));
});
