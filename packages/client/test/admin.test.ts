// Admin against scripted brokers (real TCP listeners on 127.0.0.1) that serve only the API
// versions a test lists and answer from a script: version negotiation refusals, the two forms
// of OffsetFetch, and ListOffsets routed to each partition's leader with its answer checked.
// The admin client against real brokers: tests/client/admin.test.ts (Samsa) and
// tests/client/admin-mock.test.ts (librdkafka's mock cluster).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import {
  ApiVersionsApi,
  DescribeConfigsApi,
  ErrorCode,
  FindCoordinatorApi,
  ListGroupsApi,
  ListOffsetsApi,
  MetadataApi,
  OffsetFetchApi,
  Reader,
  Writer,
  ZERO_UUID,
  apiByKey,
  decodeRequestHeader,
  encodeResponseHeader,
  type AnyApiDescriptor,
  type FindCoordinatorResponse,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
  type MetadataRequest,
  type MetadataResponse,
  type OffsetFetchRequest,
  type OffsetFetchResponse,
} from '@samsa/protocol';
import { Admin } from '../src/admin.js';
import { KafkaError } from '../src/kafka-error.js';

/** One request a scripted broker received. */
interface Received {
  node: number;
  api: string;
  version: number;
  req: unknown;
}

/** What a script answers: a response object for the API, or 'close' to drop the connection. */
type Script = (r: Received) => unknown;

interface ScriptedCluster {
  bootstrap: string;
  received: Received[];
  /** Requests other than ApiVersions and Metadata, as `api vN @node`. */
  calls(): string[];
}

/**
 * `nodes` brokers sharing `apiKeys` and one topic layout (`leaders[p]` leads partition p of
 * topic `t`). ApiVersions and Metadata are answered here, everything else by `script`.
 */
async function scriptedCluster(t: TestContext, apiKeys: Array<[AnyApiDescriptor, number, number]>, leaders: number[], script: Script, nodes = 2): Promise<ScriptedCluster> {
  const received: Received[] = [];
  const ports: number[] = [];
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const versions = [[ApiVersionsApi as AnyApiDescriptor, 0, 3] as const, [MetadataApi as AnyApiDescriptor, 1, 12] as const, ...apiKeys].map(([api, minVersion, maxVersion]) => ({ apiKey: api.apiKey, minVersion, maxVersion }));
  const metadata = (req: MetadataRequest): MetadataResponse => ({
    throttleTimeMs: 0,
    brokers: ports.map((port, nodeId) => ({ nodeId, host: '127.0.0.1', port, rack: null })),
    clusterId: 'scripted',
    controllerId: 0,
    clusterAuthorizedOperations: -2147483648,
    errorCode: 0,
    topics: (req.topics ?? [{ name: 't' }]).map(({ name }) => ({
      errorCode: name === 't' ? 0 : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      name,
      topicId: ZERO_UUID,
      isInternal: false,
      topicAuthorizedOperations: -2147483648,
      partitions: (name === 't' ? leaders : []).map((leaderId, partitionIndex) => ({ errorCode: 0, partitionIndex, leaderId, leaderEpoch: 0, replicaNodes: [leaderId], isrNodes: [leaderId], offlineReplicas: [] })),
    })),
  });
  const onFrame = (node: number, socket: Socket, frame: Buffer): void => {
    const peek = new Reader(frame);
    const apiKey = peek.readInt16();
    const version = peek.readInt16();
    const api = apiByKey.get(apiKey) as AnyApiDescriptor;
    const r = new Reader(frame);
    const header = decodeRequestHeader(r, api.requestHeaderVersion(version));
    const req = api.decodeRequest(r, version);
    const call: Received = { node, api: api.name, version, req };
    received.push(call);
    let res: unknown;
    if (apiKey === ApiVersionsApi.apiKey) {
      res = { errorCode: 0, apiKeys: versions, throttleTimeMs: 0, supportedFeatures: [], finalizedFeaturesEpoch: -1, finalizedFeatures: [], zkMigrationReady: false };
    } else if (apiKey === MetadataApi.apiKey) {
      res = metadata(req as MetadataRequest);
    } else {
      res = script(call);
    }
    if (res === 'close') {
      socket.destroy();
      return;
    }
    const w = new Writer();
    encodeResponseHeader(w, { correlationId: header.correlationId }, api.responseHeaderVersion(version));
    api.encodeResponse(w, res, version);
    const size = Buffer.alloc(4);
    size.writeInt32BE(w.length);
    socket.write(Buffer.concat([size, ...w.toBuffers()]));
  };
  for (let node = 0; node < nodes; node++) {
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
      let buf = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
          const frame = buf.subarray(4, 4 + buf.readInt32BE(0));
          buf = buf.subarray(4 + frame.length);
          if (!socket.destroyed) onFrame(node, socket, frame);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    ports.push((server.address() as { port: number }).port);
  }
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });
  return {
    bootstrap: `127.0.0.1:${ports[0]}`,
    received,
    calls: () => received.filter((c) => c.api !== 'ApiVersions' && c.api !== 'Metadata').map((c) => `${c.api} v${c.version} @${c.node}`),
  };
}

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
