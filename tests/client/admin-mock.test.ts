// Our Admin (the class `kafka.admin()` returns) against librdkafka's mock cluster with 3
// brokers, hosted by kcat: a broker implementation nobody here wrote. What the mock of
// librdkafka 2.0.2 serves is asserted first, from its ApiVersions answer: Produce, Fetch,
// ListOffsets v0-5, Metadata v0-2, OffsetCommit v0-7, OffsetFetch v0-5, FindCoordinator v0-2,
// the group membership APIs, InitProducerId and the transaction APIs; no topic, config,
// group-listing, record-deletion or transaction-view admin API, no DescribeCluster.
//
// So against it: listTopics/describeTopics and describeCluster (its Metadata fallback) are
// compared with `kcat -L`; listOffsets with what kcat wrote and with `kcat -Q`, over
// partitions led by different brokers; commitOffsets/fetchOffsets with a kcat group
// consumer in both directions (it resumes where our admin committed, and our admin reads
// what it committed). Every other operation must fail at once with KafkaError
// UNSUPPORTED_VERSION naming the API, and leave the admin client usable.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Admin, Connection, KafkaError, parseHostPort } from '@samsa/client';
import { ApiVersionsApi, apiByKey } from '@samsa/protocol';
import { startMockCluster, type MockCluster } from '../support/mock-cluster.js';
import { b64, uniqueTopic, type WireRecord } from '../support/records.js';
import { kcatProduce, runKcat } from '../support/run-kcat.js';
import { withTimeout } from '../support/wait-for.js';

/** The mock auto-creates topics with this many partitions (librdkafka 2.0.2). */
const MOCK_PARTITIONS = 4;

/** librdkafka 2.0.2's mock cluster, as its ApiVersions answer lists it (name: versions). */
const MOCK_APIS: Record<string, string> = {
  Produce: '0-7',
  Fetch: '0-11',
  ListOffsets: '0-5',
  Metadata: '0-2',
  OffsetCommit: '0-7',
  OffsetFetch: '0-5',
  FindCoordinator: '0-2',
  JoinGroup: '0-5',
  Heartbeat: '0-3',
  LeaveGroup: '0-1',
  SyncGroup: '0-3',
  ApiVersions: '0-2',
  InitProducerId: '0-4',
  AddPartitionsToTxn: '0-1',
  AddOffsetsToTxn: '0-1',
  EndTxn: '0-1',
  TxnOffsetCommit: '0-2',
};

/** `kcat -L -J` of the whole cluster. */
interface KcatClusterMetadata {
  controllerid: number;
  brokers: Array<{ id: number; name: string }>;
  topics: Array<{ topic: string; error?: string; partitions: Array<{ partition: number; leader: number; replicas: Array<{ id: number }>; isrs: Array<{ id: number }> }> }>;
}

async function kcatList(bootstrap: string): Promise<KcatClusterMetadata> {
  const { stdout } = await runKcat(['-L', '-J', '-b', bootstrap, '-m', '10'], { timeoutMs: 20_000 });
  return JSON.parse(stdout.toString()) as KcatClusterMetadata;
}

/** `count[p]` keyless records `p-i` for each partition p, written by kcat (the mock creates the topic). */
async function kcatWrite(bootstrap: string, topic: string, count: number[]): Promise<void> {
  const records: WireRecord[] = count.flatMap((n, partition) => Array.from({ length: n }, (_, i) => ({ key: null, value: b64(`${partition}-${i}`), headers: [], timestamp: null, partition })));
  await kcatProduce(bootstrap, topic, records, { timeoutMs: 30_000 });
}

/** `kcat -Q` (librdkafka's own ListOffsets) for one partition and a logical offset (-1 end, -2 start). */
async function kcatQuery(bootstrap: string, topic: string, partition: number, at: -1 | -2): Promise<number> {
  const { stdout } = await runKcat(['-Q', '-b', bootstrap, '-t', `${topic}:${partition}:${at}`, '-m', '10'], { timeoutMs: 20_000 });
  const m = new RegExp(`\\[${partition}\\] offset (-?\\d+)`).exec(stdout.toString());
  if (m === null) throw new Error(`kcat -Q: unexpected output ${stdout.toString()}`);
  return Number(m[1]);
}

function assertUnsupported(err: unknown, apiName: string): true {
  assert.ok(err instanceof KafkaError, `a KafkaError, got ${String(err)}`);
  assert.equal(err.type, 'UNSUPPORTED_VERSION', err.message);
  assert.equal(err.apiName, apiName, err.message);
  assert.equal(err.retriable, false, `${err.message}: asking again will not help`);
  return true;
}

describe('admin client against the librdkafka mock cluster', { timeout: 240_000 }, () => {
  let mock: MockCluster | undefined;
  let admin: Admin | undefined;
  before(async () => {
    mock = await startMockCluster(3);
    admin = await Admin.connect(mock.bootstrap, { clientId: 'samsa-tests', timeoutMs: 10_000, connectTimeoutMs: 5_000 });
  });
  after(async () => {
    admin?.close();
    await mock?.stop();
  });
  const bootstrap = (): string => {
    if (mock === undefined) throw new Error('mock did not start');
    return mock.bootstrap;
  };
  const client = (): Admin => {
    if (admin === undefined) throw new Error('admin did not connect');
    return admin;
  };

  test('the mock serves the APIs this file assumes, and no others', { timeout: 30_000 }, async () => {
    const { host, port } = parseHostPort(bootstrap());
    const conn = await Connection.open(host, port, { timeoutMs: 5_000 });
    try {
      const res = await conn.send(ApiVersionsApi, 2, { clientSoftwareName: 'samsa-tests', clientSoftwareVersion: '0', clusterId: null, nodeId: -1 });
      assert.equal(res.errorCode, 0);
      const served = Object.fromEntries(res.apiKeys.map((k) => [apiByKey.get(k.apiKey)?.name ?? `key ${k.apiKey}`, `${k.minVersion}-${k.maxVersion}`]));
      assert.deepEqual(served, MOCK_APIS);
    } finally {
      conn.close();
    }
  });

  test('listTopics, describeTopics and describeCluster agree with kcat -L', { timeout: 60_000 }, async () => {
    const topics = [uniqueTopic('mock-admin-a'), uniqueTopic('mock-admin-b')];
    for (const topic of topics) await kcatWrite(bootstrap(), topic, [1, 1, 1, 1]);
    const listed = await kcatList(bootstrap());

    assert.deepEqual(await client().listTopics(), listed.topics.map((t) => t.topic).sort((a, b) => a.localeCompare(b)));
    for (const t of topics) assert.ok(listed.topics.some((x) => x.topic === t), `kcat lists ${t}`);
    const described = await client().describeTopics(topics);
    assert.deepEqual(
      described.map((d) => ({ name: d.name, partitions: d.partitions.map((p) => ({ partition: p.partition, leader: p.leader, replicas: p.replicas, isr: p.isr })) })),
      topics
        .sort((a, b) => a.localeCompare(b))
        .map((name) => {
          const k = listed.topics.find((x) => x.topic === name);
          assert.ok(k !== undefined && k.error === undefined, `kcat -L has ${name} without error`);
          return {
            name,
            partitions: k.partitions
              .map((p) => ({ partition: p.partition, leader: p.leader, replicas: p.replicas.map((r) => r.id), isr: p.isrs.map((r) => r.id) }))
              .sort((a, b) => a.partition - b.partition),
          };
        }),
    );
    for (const d of described) assert.equal(d.partitions.length, MOCK_PARTITIONS);

    // No DescribeCluster on the mock: the admin falls back to Metadata (v2, with the cluster id).
    const cluster = await client().describeCluster();
    assert.match(cluster.clusterId ?? '', /^mockCluster[0-9a-f]+$/);
    assert.equal(cluster.controllerId, listed.controllerid);
    assert.deepEqual(
      cluster.brokers.map((b) => ({ id: b.nodeId, name: `${b.host}:${b.port}`, rack: b.rack })),
      listed.brokers.map((b) => ({ id: b.id, name: b.name, rack: null })).sort((a, b) => a.id - b.id),
    );
    assert.equal(cluster.brokers.length, 3);
    assert.equal(`${cluster.brokers[0].host}:${cluster.brokers[0].port}`, bootstrap(), 'the bootstrap address is broker 1');

    // Metadata v0-3 have no allowAutoTopicCreation flag: describing a topic creates it here,
    // as on any broker with auto.create.topics.enable that serves no Metadata v4+.
    const created = uniqueTopic('mock-admin-described');
    const [fresh] = await client().describeTopics([created]);
    assert.equal(fresh.partitions.length, MOCK_PARTITIONS);
    assert.ok((await client().listTopics()).includes(created));
  });

  test('listOffsets asks each partition leader: earliest and latest are what kcat wrote and what kcat -Q reads', { timeout: 90_000 }, async (t) => {
    // Partitions get random leaders among the 3 brokers; take a topic whose partitions are
    // led by at least two of them, so the answers come from several brokers.
    const counts = [3, 5, 2, 7];
    let topic = '';
    for (let attempt = 0; attempt < 5 && topic === ''; attempt++) {
      const candidate = uniqueTopic('mock-admin-offsets');
      await kcatWrite(bootstrap(), candidate, counts);
      const [d] = await client().describeTopics([candidate]);
      if (new Set(d.partitions.map((p) => p.leader)).size >= 2) topic = candidate;
      else t.diagnostic(`${candidate}: every partition led by broker ${d.partitions[0].leader}; trying another topic`);
    }
    assert.notEqual(topic, '', 'a topic with partitions led by two brokers within 5 tries');

    const earliest = await client().listOffsets(topic, 'earliest');
    const latest = await client().listOffsets(topic, 'latest');
    assert.deepEqual(
      earliest.map((p) => [p.partition, p.offset]),
      counts.map((_, p) => [p, 0]),
    );
    assert.deepEqual(
      latest.map((p) => [p.partition, p.offset]),
      counts.map((n, p) => [p, n]),
    );
    for (let p = 0; p < MOCK_PARTITIONS; p++) {
      assert.equal(await kcatQuery(bootstrap(), topic, p, -1), latest[p].offset, `kcat -Q end of partition ${p}`);
      assert.equal(await kcatQuery(bootstrap(), topic, p, -2), earliest[p].offset, `kcat -Q start of partition ${p}`);
    }
    // The mock does not look offsets up by time (it answers -1 without an error, a FIXME in
    // librdkafka's mock): the admin reports that as "no record at or after it".
    const byTime = await client().listOffsets(topic, Date.now() - 60_000);
    assert.deepEqual(
      byTime.map((p) => [p.partition, p.offset]),
      counts.map((_, p) => [p, -1]),
    );
  });

  test('commitOffsets and fetchOffsets: kcat resumes where our admin committed, our admin reads what kcat committed', { timeout: 90_000 }, async () => {
    const counts = [4, 6, 3, 5];
    const topic = uniqueTopic('mock-admin-commits');
    await kcatWrite(bootstrap(), topic, counts);
    const group = uniqueTopic('mock-admin-group');

    assert.deepEqual(await client().fetchOffsets(group, [topic]), [], 'nothing committed yet');
    await client().commitOffsets(group, [
      { topic, partition: 0, offset: 2, metadata: 'from samsa admin' },
      { topic, partition: 1, offset: 5 },
      { topic, partition: 3, offset: 1 },
    ]);
    assert.deepEqual(await client().fetchOffsets(group, [topic, uniqueTopic('mock-admin-other')]), [
      { topic, partition: 0, offset: 2, leaderEpoch: -1, metadata: 'from samsa admin' },
      { topic, partition: 1, offset: 5, leaderEpoch: -1, metadata: '' },
      { topic, partition: 3, offset: 1, leaderEpoch: -1, metadata: '' },
    ]);

    // librdkafka's group consumer starts from those commits (partition 2 has none: earliest),
    // then commits its position when it closes.
    const { stdout } = await runKcat(['-C', '-G', group, '-b', bootstrap(), '-X', 'auto.offset.reset=earliest', '-e', '-q', '-f', '%p %o\\n', '-m', '10', topic], { timeoutMs: 60_000 });
    const read = stdout
      .toString()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.split(' ').map(Number))
      .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const from = [2, 5, 0, 1];
    assert.deepEqual(
      read,
      counts.flatMap((n, p) => Array.from({ length: n - from[p] }, (_, i) => [p, from[p] + i])),
      'kcat read exactly the records after the committed offsets',
    );
    assert.deepEqual(
      (await client().fetchOffsets(group, [topic])).map((o) => [o.partition, o.offset]),
      counts.map((n, p) => [p, n]),
      'kcat committed the end of every partition',
    );
  });

  test('operations the mock does not serve fail at once with KafkaError UNSUPPORTED_VERSION; the admin stays usable', { timeout: 60_000 }, async () => {
    const topic = uniqueTopic('mock-admin-unserved');
    await kcatWrite(bootstrap(), topic, [1, 1, 1, 1]);
    const a = client();
    const unserved: Array<[string, string, () => Promise<unknown>]> = [
      ['createTopics', 'CreateTopics', () => a.createTopics([{ name: uniqueTopic('mock-admin-create'), numPartitions: 2 }])],
      ['deleteTopics', 'DeleteTopics', () => a.deleteTopics([topic])],
      ['describeTopicConfigs', 'DescribeConfigs', () => a.describeTopicConfigs(topic)],
      ['alterTopicConfigs', 'IncrementalAlterConfigs', () => a.alterTopicConfigs(topic, { 'retention.ms': '60000' })],
      ['deleteRecords', 'DeleteRecords', () => a.deleteRecords(topic, [{ partition: 0, offset: 1 }])],
      ['listGroups', 'ListGroups', () => a.listGroups()],
      ['describeGroups', 'DescribeGroups', () => a.describeGroups(['g'])],
      ['deleteGroups', 'DeleteGroups', () => a.deleteGroups(['g'])],
      ['deleteOffsets', 'OffsetDelete', () => a.deleteOffsets('g', topic, [0])],
      ['listTransactions', 'ListTransactions', () => a.listTransactions()],
      ['describeTransactions', 'DescribeTransactions', () => a.describeTransactions(['tx'])],
      ['describeProducers', 'DescribeProducers', () => a.describeProducers([{ topic, partition: 0 }])],
    ];
    for (const [method, apiName, call] of unserved) {
      await assert.rejects(withTimeout(call(), 5_000, `${method} settles`), (err: unknown) => {
        assertUnsupported(err, apiName);
        assert.match((err as Error).message, new RegExp(`^UNSUPPORTED_VERSION: broker 127\\.0\\.0\\.1:\\d+ does not serve ${apiName} \\(API key \\d+ is not in its ApiVersions answer\\)$`));
        return true;
      }, method);
    }

    // OffsetFetch is served, but not its "every topic of the group" form (null topics, v2+):
    // the mock echoes the null back, which does not decode. Named topics work (above).
    await assert.rejects(withTimeout(a.fetchOffsets('g'), 5_000, 'fetchOffsets settles'), (err: unknown) => {
      assertUnsupported(err, 'OffsetFetch');
      assert.match((err as Error).message, /^group g: UNSUPPORTED_VERSION: broker 127\.0\.0\.1:\d+ answered OffsetFetch v5 for every topic of the group with a response that does not decode .*name the topics$/);
      return true;
    });

    // Every refusal left the connections as they were.
    assert.ok((await a.listTopics()).includes(topic));
    assert.equal((await a.listOffsets(topic, 'latest')).length, MOCK_PARTITIONS);
  });
});
