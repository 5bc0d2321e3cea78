// Admin against scripted brokers (real TCP listeners on 127.0.0.1) that serve only the API
// versions a test lists and answer from a script: version negotiation refusals, the two forms
// of OffsetFetch, ListOffsets routed to each partition's leader with its answer checked, and
// operations run again (fresh lookup, new connection) after a routing error or a lost connection.
// The admin client against real brokers: tests/client/admin.test.ts (Samsa) and
// tests/client/admin-mock.test.ts (librdkafka's mock cluster).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import {
  DescribeConfigsApi,
  DescribeGroupsApi,
  ErrorCode,
  FindCoordinatorApi,
  ListGroupsApi,
  ListOffsetsApi,
  OffsetFetchApi,
  type AnyApiDescriptor,
  type DescribeGroupsResponse,
  type FindCoordinatorResponse,
  type ListGroupsResponse,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
  type OffsetFetchRequest,
  type OffsetFetchResponse,
} from '@samsa/protocol';
import { Admin } from '../src/admin.js';
import { KafkaError } from '../src/kafka-error.js';
import { scriptedCluster } from '../test-support/scripted-cluster.js';

async function connected(t: TestContext, bootstrap: string): Promise<Admin> {
  const admin = await Admin.connect(bootstrap, { timeoutMs: 5_000 });
  t.after(() => admin.close());
  return admin;
}

function coordinator(node: number, port: number): FindCoordinatorResponse {
  return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId: node, host: '127.0.0.1', port, coordinators: [] };
}

function unsupported(apiName: string, message: RegExp): (err: unknown) => true {
  return (err) => {
    assert.ok(err instanceof KafkaError, `a KafkaError, got ${String(err)}`);
    assert.equal(err.type, 'UNSUPPORTED_VERSION');
    assert.equal(err.apiName, apiName);
    assert.equal(err.retriable, false);
    assert.match(err.message, message);
    return true;
  };
}

test('an API the broker does not list, or serves at no common version, is UNSUPPORTED_VERSION before anything is sent', async (t) => {
  const cluster = await scriptedCluster(t, [[DescribeConfigsApi as AnyApiDescriptor, 90, 91]], [0], () => assert.fail('nothing but ApiVersions and Metadata may be sent'), 1);
  const admin = await connected(t, cluster.bootstrap);
  await assert.rejects(admin.listGroups(), unsupported('ListGroups', new RegExp(`^UNSUPPORTED_VERSION: broker ${cluster.bootstrap} does not serve ListGroups \\(API key ${ListGroupsApi.apiKey} is not in its ApiVersions answer\\)$`)));
  await assert.rejects(admin.describeTopicConfigs('t'), unsupported('DescribeConfigs', /^UNSUPPORTED_VERSION: broker 127\.0\.0\.1:\d+: no common version of DescribeConfigs: broker 90-91, client 0-\d+$/));
  assert.deepEqual(cluster.calls(), []);
  assert.deepEqual(await admin.listTopics(), ['t'], 'the connection is still usable');
});

test('fetchOffsets on a broker with OffsetFetch v0-1: named topics by partition; every topic refused (needs v2+)', async (t) => {
  let port = 0;
  const cluster = await scriptedCluster(
    t,
    [
      [FindCoordinatorApi as AnyApiDescriptor, 0, 0],
      [OffsetFetchApi as AnyApiDescriptor, 0, 1],
    ],
    [0, 0, 0],
    (c): FindCoordinatorResponse | OffsetFetchResponse => {
      if (c.api === 'FindCoordinator') return coordinator(0, port);
      const req = c.req as OffsetFetchRequest;
      return {
        throttleTimeMs: 0,
        errorCode: 0,
        groups: [],
        topics: (req.topics ?? []).map((topic) => ({
          name: topic.name,
          partitions: topic.partitionIndexes.map((partitionIndex) => ({
            partitionIndex,
            committedOffset: partitionIndex === 1 ? -1 : 10 + partitionIndex,
            committedLeaderEpoch: -1,
            metadata: partitionIndex === 0 ? 'm' : null,
            errorCode: 0,
          })),
        })),
      };
    },
    1,
  );
  port = Number(cluster.bootstrap.split(':')[1]);
  const admin = await connected(t, cluster.bootstrap);
  assert.deepEqual(await admin.fetchOffsets('g', ['t', 'missing']), [
    { topic: 't', partition: 0, offset: 10, leaderEpoch: -1, metadata: 'm' },
    { topic: 't', partition: 2, offset: 12, leaderEpoch: -1, metadata: null },
  ]);
  const sent = cluster.received.find((c) => c.api === 'OffsetFetch');
  assert.deepEqual((sent?.req as OffsetFetchRequest).topics?.map((x) => [x.name, x.partitionIndexes]), [['t', [0, 1, 2]]], 'the known topic, every partition');
  assert.deepEqual(await admin.fetchOffsets('g', ['missing']), [], 'nothing to ask for');
  assert.deepEqual(await admin.fetchOffsets('g', []), []);
  await assert.rejects(admin.fetchOffsets('g'), unsupported('OffsetFetch', /serves OffsetFetch up to v1; fetching every offset of group g \(name its topics instead\) needs v2\+$/));
  assert.deepEqual(cluster.calls(), ['FindCoordinator v0 @0', 'OffsetFetch v1 @0', 'FindCoordinator v0 @0'], 'the refused form was not sent');
});

test("listOffsets asks each partition's leader at v3 at most; answers for partitions not asked about are errors", async (t) => {
  let misbehave = false;
  const cluster = await scriptedCluster(t, [[ListOffsetsApi as AnyApiDescriptor, 0, 7]], [0, 1, 1], (c): ListOffsetsResponse => {
    const req = c.req as ListOffsetsRequest;
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitions.map((p) => ({
          partitionIndex: misbehave && c.node === 1 && p.partitionIndex === 2 ? 7 : p.partitionIndex,
          errorCode: 0,
          oldStyleOffsets: [],
          timestamp: p.timestamp >= 0 ? p.timestamp + 5 : -1,
          offset: p.timestamp === -2 ? 0 : p.timestamp === -1 ? 100 * (c.node + 1) + p.partitionIndex : 42,
          leaderEpoch: 0,
        })),
      })),
    };
  });
  const admin = await connected(t, cluster.bootstrap);
  assert.deepEqual(await admin.listOffsets('t', 'latest'), [
    { partition: 0, offset: 100, timestamp: -1 },
    { partition: 1, offset: 201, timestamp: -1 },
    { partition: 2, offset: 202, timestamp: -1 },
  ]);
  assert.deepEqual(cluster.calls(), ['ListOffsets v3 @0', 'ListOffsets v3 @1']);
  const asked = cluster.received.filter((c) => c.api === 'ListOffsets').map((c) => [c.node, (c.req as ListOffsetsRequest).topics[0].partitions.map((p) => p.partitionIndex)]);
  assert.deepEqual(asked, [
    [0, [0]],
    [1, [1, 2]],
  ]);
  assert.deepEqual(await admin.listOffsets('t', 1_000), [0, 1, 2].map((partition) => ({ partition, offset: 42, timestamp: 1_005 })));
  await assert.rejects(admin.listOffsets('t', -5), RangeError);

  misbehave = true;
  await assert.rejects(admin.listOffsets('t', 'earliest'), (err: unknown) => {
    assert.ok(err instanceof AggregateError, String(err));
    assert.deepEqual(
      err.errors.map((e: KafkaError) => [e.type, e.topic, e.partition, e.message]),
      [
        ['UNKNOWN_SERVER_ERROR', 't', 7, 't-7: UNKNOWN_SERVER_ERROR: broker 1 answered ListOffsets v3 for a partition it was not asked about'],
        ['UNKNOWN_SERVER_ERROR', 't', 2, 't-2: UNKNOWN_SERVER_ERROR: broker 1 left it out of its ListOffsets answer'],
      ],
    );
    return true;
  });
});

function describedGroup(groupId: string): DescribeGroupsResponse {
  return {
    throttleTimeMs: 0,
    groups: [{ errorCode: 0, errorMessage: null, groupId, groupState: 'Empty', protocolType: 'consumer', protocolData: '', members: [], authorizedOperations: -2147483648 }],
  };
}

test('a group request answered NOT_COORDINATOR runs again after a new FindCoordinator, at the new coordinator', async (t) => {
  let ports: number[] = [];
  let coordinatorNode = 0;
  const cluster = await scriptedCluster(
    t,
    [
      [FindCoordinatorApi as AnyApiDescriptor, 0, 3],
      [DescribeGroupsApi as AnyApiDescriptor, 0, 5],
    ],
    [0],
    (c): FindCoordinatorResponse | DescribeGroupsResponse => {
      if (c.api === 'FindCoordinator') return coordinator(coordinatorNode, ports[coordinatorNode]);
      if (c.node !== 1) {
        // The group moved to node 1: the next lookup names it.
        coordinatorNode = 1;
        const res = describedGroup('g');
        res.groups[0].errorCode = ErrorCode.NOT_COORDINATOR;
        return res;
      }
      return describedGroup('g');
    },
  );
  ports = cluster.ports;
  const admin = await Admin.connect(cluster.bootstrap, { timeoutMs: 5_000, retry: { initialRetryTimeMs: 10 } });
  t.after(() => admin.close());
  const [g] = await admin.describeGroups(['g']);
  assert.equal(g.groupState, 'Empty');
  assert.equal(g.coordinator.nodeId, 1);
  assert.deepEqual(cluster.calls(), ['FindCoordinator v3 @0', 'DescribeGroups v5 @0', 'FindCoordinator v3 @0', 'DescribeGroups v5 @1']);
});

test('a connection lost mid-request is retried on a new connection; errors that say no are not retried', async (t) => {
  let drop = 1;
  let offsetsAsked = 0;
  const cluster = await scriptedCluster(t, [[ListOffsetsApi as AnyApiDescriptor, 0, 7]], [0], (c): ListOffsetsResponse | 'close' => {
    const req = c.req as ListOffsetsRequest;
    offsetsAsked++;
    if (drop-- > 0) return 'close';
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE, oldStyleOffsets: [], timestamp: -1, offset: 7, leaderEpoch: 0 })),
      })),
    };
  }, 1);
  const admin = await Admin.connect(cluster.bootstrap, { timeoutMs: 5_000, retry: { initialRetryTimeMs: 10 } });
  t.after(() => admin.close());
  assert.deepEqual(await admin.listOffsets('t', 'latest'), [{ partition: 0, offset: 7, timestamp: -1 }]);
  assert.equal(offsetsAsked, 2, 'asked once more after the connection dropped');
  // UNKNOWN_TOPIC_OR_PARTITION is retriable in Kafka's table, but an admin asking about a topic
  // that does not exist wants to hear so at once.
  const before = cluster.received.length;
  await assert.rejects(admin.listOffsets('missing', 'latest'), (err: unknown) => err instanceof KafkaError && err.type === 'UNKNOWN_TOPIC_OR_PARTITION');
  assert.equal(cluster.received.slice(before).filter((c) => c.api === 'Metadata').length, 1, 'one Metadata request, no retries');

  // Retries are bounded by the policy: a broker that always drops the connection fails the call.
  drop = Infinity;
  const limited = await Admin.connect(cluster.bootstrap, { timeoutMs: 5_000, retry: { retries: 2, initialRetryTimeMs: 10 } });
  t.after(() => limited.close());
  offsetsAsked = 0;
  await assert.rejects(limited.listOffsets('t', 'latest'), (err: unknown) => err instanceof Error && err.name === 'ConnectionError');
  assert.equal(offsetsAsked, 3, 'the first attempt and 2 retries');
});

test('listGroups asks every broker and merges their answers', async (t) => {
  const cluster = await scriptedCluster(t, [[ListGroupsApi as AnyApiDescriptor, 0, 4]], [0], (c): ListGroupsResponse => ({
    throttleTimeMs: 0,
    errorCode: 0,
    groups: [{ groupId: `g-of-${c.node}`, protocolType: 'consumer', groupState: c.node === 0 ? 'Stable' : 'Empty', groupType: 'classic' }],
  }), 3);
  const admin = await connected(t, cluster.bootstrap);
  assert.deepEqual(
    (await admin.listGroups()).map((g) => g.groupId),
    ['g-of-0', 'g-of-1', 'g-of-2'],
  );
  assert.deepEqual((await admin.listGroups(['stable'])).map((g) => g.groupId), ['g-of-0']);
});
