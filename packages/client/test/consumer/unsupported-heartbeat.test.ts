// A group coordinator that serves JoinGroup and SyncGroup but no Heartbeat version this client
// speaks: the member stops with KafkaError UNSUPPORTED_VERSION (CRASH) instead of logging a
// failed heartbeat every retry interval while its session quietly runs out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ErrorCode,
  FindCoordinatorApi,
  JoinGroupApi,
  OffsetFetchApi,
  SyncGroupApi,
  type AnyApiDescriptor,
  type FindCoordinatorResponse,
  type JoinGroupRequest,
  type JoinGroupResponse,
  type OffsetFetchResponse,
  type SyncGroupRequest,
  type SyncGroupResponse,
} from '@samsa/protocol';
import { Kafka } from '../../src/kafka.js';
import { KafkaError } from '../../src/kafka-error.js';
import { silentLogger } from '../../src/logger.js';
import { scriptedCluster } from '../../test-support/scripted-cluster.js';

const MEMBER = 'member-1';

test('a coordinator without Heartbeat crashes the group member with UNSUPPORTED_VERSION', { timeout: 30_000 }, async (t) => {
  let port = 0;
  const cluster = await scriptedCluster(
    t,
    [
      [FindCoordinatorApi as AnyApiDescriptor, 0, 3],
      [JoinGroupApi as AnyApiDescriptor, 0, 5],
      [SyncGroupApi as AnyApiDescriptor, 0, 3],
      [OffsetFetchApi as AnyApiDescriptor, 2, 7],
    ],
    [0],
    (c): FindCoordinatorResponse | JoinGroupResponse | SyncGroupResponse | OffsetFetchResponse => {
      switch (c.api) {
        case 'FindCoordinator':
          return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId: 0, host: '127.0.0.1', port, coordinators: [] };
        case 'JoinGroup': {
          // One member, the leader: its own subscription comes back for the assignor.
          const req = c.req as JoinGroupRequest;
          const protocol = req.protocols[0];
          return {
            throttleTimeMs: 0,
            errorCode: 0,
            generationId: 1,
            protocolType: null,
            protocolName: protocol.name,
            leader: MEMBER,
            skipAssignment: false,
            memberId: MEMBER,
            members: [{ memberId: MEMBER, groupInstanceId: null, metadata: protocol.metadata }],
          };
        }
        case 'SyncGroup': {
          const req = c.req as SyncGroupRequest;
          const mine = req.assignments.find((a) => a.memberId === MEMBER);
          return { throttleTimeMs: 0, errorCode: 0, protocolType: null, protocolName: null, assignment: mine?.assignment ?? Buffer.alloc(0) };
        }
        case 'OffsetFetch':
          // Keeps the member from fetching (it retries this with backoff) while heartbeats are due.
          return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, topics: [], groups: [] };
        default:
          throw new Error(`unexpected ${c.api}`);
      }
    },
    1,
  );
  port = cluster.ports[0];
  const consumer = new Kafka({ brokers: cluster.bootstrap, logger: silentLogger }).consumer({ groupId: 'g', heartbeatIntervalMs: 100, sessionTimeoutMs: 10_000 });
  t.after(() => consumer.disconnect());
  const crashed = new Promise<unknown>((resolve) => consumer.on(consumer.events.CRASH, (e) => resolve(e.payload.error)));
  await consumer.connect();
  await consumer.subscribe({ topics: ['t'] });
  void consumer.run({ eachMessage: async () => assert.fail('no message can arrive') }).catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const error = await Promise.race([
    crashed,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error('the member did not report UNSUPPORTED_VERSION within 10 s')), 10_000);
    }),
  ]).finally(() => clearTimeout(timer));
  assert.ok(error instanceof KafkaError, String(error));
  assert.equal(error.type, 'UNSUPPORTED_VERSION', error.message);
  assert.equal(error.apiName, 'Heartbeat');
  assert.equal(error.retriable, false);
  assert.ok(cluster.calls().includes('SyncGroup v3 @0'), 'the member had joined');
});
