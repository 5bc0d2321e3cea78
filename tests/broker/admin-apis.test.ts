// Admin APIs that the third-party clients installed here cannot send
// (IncrementalAlterConfigs, DescribeLogDirs, DescribeCluster, broker
// DescribeConfigs), driven at the protocol level; DeleteRecords also through kafkajs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker } from '@samsa/broker';
import { Admin, Connection } from '@samsa/client';
import {
  CreatePartitionsApi,
  DescribeClusterApi,
  DescribeConfigsApi,
  DescribeLogDirsApi,
  ErrorCode,
  IncrementalAlterConfigsApi,
  ListOffsetsApi,
  type IncrementalAlterConfigsRequest,
} from '@samsa/protocol';

const TOPIC = 2;
const BROKER = 4;

function alter(resourceType: number, resourceName: string, configs: Array<[string, number, string | null]>, validateOnly = false): IncrementalAlterConfigsRequest {
  return {
    resources: [{ resourceType, resourceName, configs: configs.map(([name, configOperation, value]) => ({ name, configOperation, value })) }],
    validateOnly,
  };
}

test('IncrementalAlterConfigs SET, DELETE, APPEND, SUBTRACT and validation on topics', { timeout: 30_000 }, async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const admin = await Admin.connect(broker.bootstrap);
  t.after(() => admin.close());
  await admin.createTopics([{ name: 'cfg', numPartitions: 1 }]);
  const conn = await Connection.open('127.0.0.1', broker.port);
  t.after(() => conn.close());
  const overrides = async (): Promise<Record<string, string | null>> =>
    Object.fromEntries((await admin.describeTopicConfigs('cfg')).filter((c) => c.source === 1).map((c) => [c.name, c.value]));
  const run = async (req: IncrementalAlterConfigsRequest): Promise<number> => (await conn.send(IncrementalAlterConfigsApi, 1, req)).responses[0].errorCode;

  assert.equal(await run(alter(TOPIC, 'cfg', [['retention.ms', 0, '1000'], ['segment.bytes', 0, '1048576']])), ErrorCode.NONE);
  assert.deepEqual(await overrides(), { 'retention.ms': '1000', 'segment.bytes': '1048576' });
  assert.equal(await run(alter(TOPIC, 'cfg', [['cleanup.policy', 2, 'compact']])), ErrorCode.NONE);
  assert.equal((await overrides())['cleanup.policy'], 'delete,compact');
  assert.equal(await run(alter(TOPIC, 'cfg', [['cleanup.policy', 3, 'delete'], ['retention.ms', 1, null]])), ErrorCode.NONE);
  assert.deepEqual(await overrides(), { 'segment.bytes': '1048576', 'cleanup.policy': 'compact' });
  assert.equal(await run(alter(TOPIC, 'cfg', [['retention.ms', 2, '5']])), ErrorCode.INVALID_CONFIG, 'APPEND on a non-list');
  assert.equal(await run(alter(TOPIC, 'cfg', [['retention.ms', 0, 'abc']])), ErrorCode.INVALID_CONFIG);
  assert.equal(await run(alter(TOPIC, 'cfg', [['no.such.config', 0, '1']])), ErrorCode.INVALID_CONFIG);
  assert.equal(await run(alter(TOPIC, 'cfg', [['segment.bytes', 0, '2000000']], true)), ErrorCode.NONE);
  assert.equal((await overrides())['segment.bytes'], '1048576', 'validateOnly changes nothing');
  assert.equal(await run(alter(TOPIC, 'nope', [['retention.ms', 0, '1']])), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
});

test('broker configs: describe with synonyms, dynamic update persisted across restart, read-only rejected', { timeout: 60_000 }, async (t) => {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dataDir = await mkdtemp(join(tmpdir(), 'samsa-brokercfg-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  let broker = await startBroker({ dataDir, config: { 'log.retention.hours': '24' } });
  let conn = await Connection.open('127.0.0.1', broker.port);
  const describe = async (c: Connection, name: string) => {
    const res = await c.send(DescribeConfigsApi, 4, {
      resources: [{ resourceType: BROKER, resourceName: '0', configurationKeys: [name] }],
      includeSynonyms: true,
      includeDocumentation: true,
    });
    assert.equal(res.results[0].errorCode, ErrorCode.NONE, res.results[0].errorMessage ?? '');
    return res.results[0].configs[0];
  };
  const retention = await describe(conn, 'log.retention.ms');
  assert.equal(retention.value, String(24 * 3600 * 1000));
  assert.ok(retention.synonyms.some((syn) => syn.name === 'log.retention.hours' && syn.value === '24'));

  const readOnly = await conn.send(IncrementalAlterConfigsApi, 1, alter(BROKER, '0', [['listeners', 0, 'PLAINTEXT://127.0.0.1:1']]));
  assert.equal(readOnly.responses[0].errorCode, ErrorCode.INVALID_REQUEST);
  const dynamic = await conn.send(IncrementalAlterConfigsApi, 1, alter(BROKER, '0', [['log.retention.ms', 0, '7200000']]));
  assert.equal(dynamic.responses[0].errorCode, ErrorCode.NONE, dynamic.responses[0].errorMessage ?? '');
  assert.equal((await describe(conn, 'log.retention.ms')).value, '7200000');
  conn.close();
  await broker.stop();

  broker = await startBroker({ dataDir, port: 0 });
  t.after(() => broker.stop());
  conn = await Connection.open('127.0.0.1', broker.port);
  t.after(() => conn.close());
  assert.equal((await describe(conn, 'log.retention.ms')).value, '7200000', 'dynamic config survives restart');
});

test('DeleteRecords through kafkajs moves the log start offset; DescribeLogDirs and DescribeCluster answer', { timeout: 30_000 }, async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  const kadmin = kafka.admin();
  await Promise.all([producer.connect(), kadmin.connect()]);
  t.after(() => Promise.all([producer.disconnect(), kadmin.disconnect()]));
  await kadmin.createTopics({ topics: [{ topic: 'dr', numPartitions: 1 }] });
  for (let i = 0; i < 5; i++) await producer.send({ topic: 'dr', messages: [{ value: `v${i}` }] });
  // kafkajs looks up the leader in its metadata cache before loading it; fetching offsets first loads it.
  await kadmin.fetchTopicOffsets('dr');
  await kadmin.deleteTopicRecords({ topic: 'dr', partitions: [{ partition: 0, offset: '3' }] });
  const offsets = await kadmin.fetchTopicOffsets('dr');
  assert.equal(offsets[0].low, '3');
  assert.equal(offsets[0].high, '5');
  await assert.rejects(kadmin.deleteTopicRecords({ topic: 'dr', partitions: [{ partition: 0, offset: '99' }] }));

  const conn = await Connection.open('127.0.0.1', broker.port);
  t.after(() => conn.close());
  const earliest = await conn.send(ListOffsetsApi, 7, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: 'dr', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2, maxNumOffsets: 1 }] }],
    timeoutMs: 0,
  });
  assert.equal(earliest.topics[0].partitions[0].offset, 3);

  const dirs = await conn.send(DescribeLogDirsApi, 4, { topics: null });
  assert.equal(dirs.results.length, 1);
  const dr = dirs.results[0].topics.find((x) => x.name === 'dr');
  assert.ok(dr && dr.partitions[0].partitionSize > 0);
  assert.ok(dirs.results[0].totalBytes > 0);

  const cluster = await conn.send(DescribeClusterApi, 1, { includeClusterAuthorizedOperations: false, endpointType: 1, includeFencedBrokers: false });
  assert.equal(cluster.errorCode, ErrorCode.NONE);
  assert.equal(cluster.brokers[0].port, broker.port);
  assert.equal(cluster.controllerId, 0);
});

test('the partition count of __consumer_offsets cannot be changed', { timeout: 30_000 }, async (t) => {
  const broker = await startBroker({ config: { 'offsets.topic.num.partitions': '3' } });
  t.after(() => broker.stop());
  const admin = await Admin.connect(broker.bootstrap);
  t.after(() => admin.close());
  await admin.createTopics([{ name: 'src', numPartitions: 1 }]);
  // A commit creates the offsets topic.
  await admin.commitOffsets('g', [{ topic: 'src', partition: 0, offset: 0 }]);
  const conn = await Connection.open('127.0.0.1', broker.port);
  t.after(() => conn.close());
  const res = await conn.send(CreatePartitionsApi, 3, { topics: [{ name: '__consumer_offsets', count: 10, assignments: null }], timeoutMs: 5000, validateOnly: false });
  assert.equal(res.results[0].errorCode, ErrorCode.INVALID_PARTITIONS);
  const [offsets] = await admin.describeTopics(['__consumer_offsets']);
  assert.equal(offsets.partitions.length, 3);
});
