import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode, Writer, encodeConsumerProtocolSubscription } from '@samsa/protocol';
import {
  GroupCoordinator,
  type GroupCoordinatorConfig,
  type JoinRequest,
  type SyncRequest,
} from '../../../src/coordinators/group/group-coordinator.js';
import type { JoinResult, SyncResult } from '../../../src/coordinators/group/group-member.js';
import { ManualTimers } from './manual-timers.js';
import { MemoryGroupLog } from './memory-group-log.js';

const config: GroupCoordinatorConfig = {
  initialRebalanceDelayMs: 100,
  minSessionTimeoutMs: 1000,
  maxSessionTimeoutMs: 60_000,
  maxGroupSize: 100,
  offsetMetadataMaxBytes: 4096,
};

function setup(overrides: Partial<GroupCoordinatorConfig> = {}) {
  const timers = new ManualTimers();
  const log = new MemoryGroupLog();
  let n = 0;
  const make = (): GroupCoordinator =>
    new GroupCoordinator({
      timers,
      log,
      config: { ...config, ...overrides },
      partitionExists: (topic, partition) => topic.startsWith('t') && partition >= 0 && partition < 4,
      newMemberId: (prefix) => `${prefix}-${++n}`,
    });
  return { timers, log, coordinator: make(), make };
}

/** Lets promise callbacks (log appends, their continuations) run. */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function subscription(topics: string[]): Buffer {
  const w = new Writer();
  w.writeInt16(0);
  encodeConsumerProtocolSubscription(w, { topics, userData: null, ownedPartitions: [], generationId: -1, rackId: null }, 0);
  return w.toBuffer();
}

function joinReq(over: Partial<JoinRequest> = {}): JoinRequest {
  return {
    groupId: 'g',
    memberId: '',
    groupInstanceId: null,
    clientId: 'c',
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription(['t1']) }],
    requireKnownMemberId: false,
    ...over,
  };
}

/** Tracks a pending promise's settlement without awaiting it. */
function track<T>(p: Promise<T>): { value: T | undefined; done: () => boolean } {
  const box: { value: T | undefined; settled: boolean } = { value: undefined, settled: false };
  void p.then((v) => {
    box.value = v;
    box.settled = true;
  });
  return {
    get value() {
      return box.value;
    },
    done: () => box.settled,
  };
}

/**
 * KIP-134: the initial delay is extended once more whenever a member joined during it, so a
 * batch of joins needs two delays.
 */
async function passInitialDelay(s: ReturnType<typeof setup>): Promise<void> {
  s.timers.advance(2 * config.initialRebalanceDelayMs);
  await flush();
}

/** Joins `count` dynamic members, lets the initial delay pass, syncs them with the leader assigning `a-<memberId>`. */
async function stableGroup(s: ReturnType<typeof setup>, count: number, over: Partial<JoinRequest> = {}) {
  const joins = Array.from({ length: count }, (_, i) => track(s.coordinator.joinGroup(joinReq({ clientId: `c${i}`, ...over }))));
  await passInitialDelay(s);
  assert.ok(joins.every((j) => j.done()), 'every JoinGroup answered after the initial delay');
  const results = joins.map((j) => j.value as JoinResult);
  const leader = results.find((r) => r.memberId === r.leader);
  assert.ok(leader);
  const syncs = results.map((r) =>
    track(
      s.coordinator.syncGroup({
        groupId: 'g',
        generationId: r.generationId,
        memberId: r.memberId,
        groupInstanceId: over.groupInstanceId ?? null,
        protocolType: null,
        protocolName: null,
        assignments: r === leader ? results.map((m) => ({ memberId: m.memberId, assignment: Buffer.from(`a-${m.memberId}`) })) : [],
      }),
    ),
  );
  await flush();
  assert.ok(syncs.every((x) => x.done()), 'every SyncGroup answered after the leader synced');
  return { results, leader, syncs: syncs.map((x) => x.value as SyncResult) };
}

describe('GroupCoordinator membership', () => {
  test('KIP-394: a v4+ first join gets MEMBER_ID_REQUIRED with an id, then joins with it', async () => {
    const s = setup();
    const first = await s.coordinator.joinGroup(joinReq({ requireKnownMemberId: true }));
    assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
    assert.equal(first.memberId, 'c-1');
    const second = track(s.coordinator.joinGroup(joinReq({ requireKnownMemberId: true, memberId: first.memberId })));
    await flush();
    assert.equal(second.done(), false, 'held for the initial rebalance delay');
    assert.equal(s.coordinator.group('g')?.state, 'PreparingRebalance');
    s.timers.advance(100);
    await flush();
    assert.equal(second.value?.errorCode, ErrorCode.NONE);
    assert.equal(second.value?.generationId, 1);
    assert.equal(second.value?.leader, first.memberId);
    assert.equal(second.value?.protocolName, 'range');
    assert.equal(second.value?.members.length, 1);
    assert.equal(s.coordinator.group('g')?.state, 'CompletingRebalance');
  });

  test('a pending member id outlives a join that completes without it: its holder joins the next generation', async () => {
    const s = setup();
    const a = await s.coordinator.joinGroup(joinReq({ requireKnownMemberId: true }));
    const b = await s.coordinator.joinGroup(joinReq({ requireKnownMemberId: true, clientId: 'd' }));
    const aJoin = track(s.coordinator.joinGroup(joinReq({ requireKnownMemberId: true, memberId: a.memberId })));
    // b is slow to come back: the initial delay (extended once, KIP-134) completes the join without it.
    for (let i = 0; i < 5 && !aJoin.done(); i++) {
      s.timers.advance(100);
      await flush();
    }
    assert.equal(aJoin.value?.errorCode, ErrorCode.NONE);
    assert.equal(aJoin.value?.generationId, 1);
    const bJoin = track(s.coordinator.joinGroup(joinReq({ requireKnownMemberId: true, clientId: 'd', memberId: b.memberId })));
    await flush();
    assert.equal(bJoin.done(), false, 'b is a member now and waits for the rebalance it started');
    assert.equal(s.coordinator.group('g')?.state, 'PreparingRebalance');
    assert.ok(s.coordinator.group('g')?.members.has(b.memberId));
  });

  test('a pending member id that never comes back is forgotten after the session timeout', async () => {
    const s = setup();
    const first = await s.coordinator.joinGroup(joinReq({ requireKnownMemberId: true }));
    s.timers.advance(10_000);
    const late = await s.coordinator.joinGroup(joinReq({ requireKnownMemberId: true, memberId: first.memberId }));
    assert.equal(late.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  });

  test('two members: leader gets the metadata, SyncGroup hands out assignments, group is Stable and stored', async () => {
    const s = setup();
    const { results, leader, syncs } = await stableGroup(s, 2);
    assert.equal(leader?.members.length, 2);
    const follower = results.find((r) => r !== leader);
    assert.deepEqual(follower?.members, [], 'followers get no member list');
    for (let i = 0; i < 2; i++) {
      assert.equal(syncs[i].errorCode, ErrorCode.NONE);
      assert.equal(syncs[i].assignment.toString(), `a-${results[i].memberId}`);
    }
    assert.equal(s.coordinator.group('g')?.state, 'Stable');
    assert.equal(s.log.records.length, 1, 'one GroupMetadata record');
    assert.equal(s.log.records[0].key.readInt16BE(0), 2);
  });

  test('heartbeat outcomes: NONE, ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID', async () => {
    const s = setup();
    const { results } = await stableGroup(s, 1);
    const r = results[0];
    const hb = (over: Partial<{ groupId: string; generationId: number; memberId: string }>) =>
      s.coordinator.heartbeat({ groupId: 'g', generationId: r.generationId, memberId: r.memberId, groupInstanceId: null, ...over });
    assert.equal(hb({}), ErrorCode.NONE);
    assert.equal(hb({ generationId: r.generationId + 1 }), ErrorCode.ILLEGAL_GENERATION);
    assert.equal(hb({ memberId: 'bogus' }), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(hb({ groupId: 'other' }), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(hb({ groupId: '' }), ErrorCode.INVALID_GROUP_ID);
  });

  test('a member that stops heartbeating is removed after its session timeout and the group rebalances', async () => {
    const s = setup();
    const { results } = await stableGroup(s, 2);
    const [a, b] = results;
    // a heartbeats every 3 s, b never does.
    for (let t = 0; t < 3; t++) {
      s.timers.advance(3000);
      assert.equal(s.coordinator.heartbeat({ groupId: 'g', generationId: a.generationId, memberId: a.memberId, groupInstanceId: null }), ErrorCode.NONE);
    }
    s.timers.advance(3000);
    assert.equal(s.coordinator.group('g')?.members.has(b.memberId), false, 'b expired');
    assert.equal(s.coordinator.group('g')?.state, 'PreparingRebalance');
    assert.equal(
      s.coordinator.heartbeat({ groupId: 'g', generationId: a.generationId, memberId: a.memberId, groupInstanceId: null }),
      ErrorCode.REBALANCE_IN_PROGRESS,
    );
    const rejoin = await s.coordinator.joinGroup(joinReq({ memberId: a.memberId, clientId: 'c0' }));
    assert.equal(rejoin.errorCode, ErrorCode.NONE, 'completes at once: every remaining member rejoined');
    assert.equal(rejoin.generationId, a.generationId + 1);
    assert.equal(rejoin.members.length, 1);
  });

  test('members that do not rejoin within the rebalance timeout are dropped', async () => {
    const s = setup();
    const { results } = await stableGroup(s, 2, { rebalanceTimeoutMs: 5000 });
    const [a, b] = results;
    // a rejoins with new metadata (a rebalance); b keeps heartbeating but never rejoins.
    const rejoin = track(s.coordinator.joinGroup(joinReq({ memberId: a.memberId, rebalanceTimeoutMs: 5000, protocols: [{ name: 'range', metadata: subscription(['t1', 't2']) }] })));
    for (let i = 0; i < 4; i++) {
      s.timers.advance(1000);
      assert.equal(s.coordinator.heartbeat({ groupId: 'g', generationId: b.generationId, memberId: b.memberId, groupInstanceId: null }), ErrorCode.REBALANCE_IN_PROGRESS);
    }
    await flush();
    assert.equal(rejoin.done(), false);
    s.timers.advance(1000);
    await flush();
    assert.equal(rejoin.value?.errorCode, ErrorCode.NONE);
    assert.deepEqual(rejoin.value?.members.map((m) => m.memberId), [a.memberId]);
    assert.equal(s.coordinator.heartbeat({ groupId: 'g', generationId: b.generationId, memberId: b.memberId, groupInstanceId: null }), ErrorCode.UNKNOWN_MEMBER_ID);
  });

  test('a follower that never sends SyncGroup is removed after the rebalance timeout', async () => {
    const s = setup();
    const joins = [0, 1].map((i) => track(s.coordinator.joinGroup(joinReq({ clientId: `c${i}`, rebalanceTimeoutMs: 5000 }))));
    await passInitialDelay(s);
    const results = joins.map((j) => j.value as JoinResult);
    const leader = results.find((r) => r.memberId === r.leader) as JoinResult;
    const follower = results.find((r) => r !== leader) as JoinResult;
    const sync: SyncRequest = { groupId: 'g', generationId: leader.generationId, memberId: leader.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] };
    assert.equal((await s.coordinator.syncGroup(sync)).errorCode, ErrorCode.NONE);
    s.timers.advance(5000);
    assert.equal(s.coordinator.group('g')?.members.has(follower.memberId), false);
    assert.equal(s.coordinator.group('g')?.state, 'PreparingRebalance');
  });

  test('SyncGroup errors: wrong generation, unknown member, protocol mismatch (v5), rebalance in progress', async () => {
    const s = setup();
    const { results } = await stableGroup(s, 2);
    const r = results[0];
    const sync = (over: Partial<SyncRequest>) =>
      s.coordinator.syncGroup({ groupId: 'g', generationId: r.generationId, memberId: r.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [], ...over });
    assert.equal((await sync({ generationId: 99 })).errorCode, ErrorCode.ILLEGAL_GENERATION);
    assert.equal((await sync({ memberId: 'nobody' })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal((await sync({ protocolType: 'connect' })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    assert.equal((await sync({ protocolName: 'roundrobin' })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const stable = await sync({ protocolType: 'consumer', protocolName: 'range' });
    assert.equal(stable.errorCode, ErrorCode.NONE);
    assert.equal(stable.assignment.toString(), `a-${r.memberId}`, 'Stable answers with the current assignment');
    void s.coordinator.joinGroup(joinReq({ memberId: r.memberId, clientId: 'c0' })); // a rejoin: rebalance, waiting for the other member
    assert.equal((await sync({})).errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
  });

  test('join validation: session timeout bounds, protocol type and protocols, empty group id', async () => {
    const s = setup();
    assert.equal((await s.coordinator.joinGroup(joinReq({ sessionTimeoutMs: 10 }))).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
    assert.equal((await s.coordinator.joinGroup(joinReq({ sessionTimeoutMs: 10_000_000 }))).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
    assert.equal((await s.coordinator.joinGroup(joinReq({ groupId: '' }))).errorCode, ErrorCode.INVALID_GROUP_ID);
    assert.equal((await s.coordinator.joinGroup(joinReq({ protocolType: '' }))).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    assert.equal((await s.coordinator.joinGroup(joinReq({ protocols: [] }))).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    assert.equal((await s.coordinator.joinGroup(joinReq({ memberId: 'bogus' }))).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(s.coordinator.group('g'), undefined, 'rejected joins leave no group behind');
    await stableGroup(s, 1);
    assert.equal((await s.coordinator.joinGroup(joinReq({ protocolType: 'connect' }))).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    assert.equal(
      (await s.coordinator.joinGroup(joinReq({ protocols: [{ name: 'roundrobin', metadata: Buffer.alloc(0) }] }))).errorCode,
      ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    );
    assert.equal(s.coordinator.group('g')?.state, 'Stable', 'bad joins do not disturb the group');
  });

  test('protocol selection: the protocol every member supports with the most first-choice votes', async () => {
    const s = setup();
    const p = (name: string) => ({ name, metadata: Buffer.from(name) });
    const joins = [
      [p('sticky'), p('range')],
      [p('range'), p('sticky')],
      [p('range'), p('roundrobin'), p('sticky')],
    ].map((protocols, i) => track(s.coordinator.joinGroup(joinReq({ clientId: `c${i}`, protocols }))));
    await passInitialDelay(s);
    for (const j of joins) assert.equal(j.value?.protocolName, 'range');
    const leader = joins.map((j) => j.value as JoinResult).find((r) => r.leader === r.memberId);
    assert.deepEqual(leader?.members.map((m) => m.metadata.toString()), ['range', 'range', 'range']);
  });

  test('group.max.size: a new member beyond the cap gets GROUP_MAX_SIZE_REACHED; other groups unaffected', async () => {
    const s = setup({ maxGroupSize: 2 });
    await stableGroup(s, 2);
    assert.equal((await s.coordinator.joinGroup(joinReq({ clientId: 'c9' }))).errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);
    assert.equal(s.coordinator.group('g')?.state, 'Stable');
    const other = track(s.coordinator.joinGroup(joinReq({ groupId: 'other' })));
    await passInitialDelay(s);
    assert.equal(other.value?.errorCode, ErrorCode.NONE);
  });

  test('LeaveGroup: batched, unknown members reported per member, the group rebalances', async () => {
    const s = setup();
    const { results } = await stableGroup(s, 2);
    const r = s.coordinator.leaveGroup('g', [
      { memberId: results[1].memberId, groupInstanceId: null },
      { memberId: 'bogus', groupInstanceId: null },
    ]);
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.deepEqual(r.members.map((m) => m.errorCode), [ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID]);
    assert.equal(s.coordinator.group('g')?.state, 'PreparingRebalance');
    const last = s.coordinator.leaveGroup('g', [{ memberId: results[0].memberId, groupInstanceId: null }]);
    assert.equal(last.members[0].errorCode, ErrorCode.NONE);
    await flush();
    assert.equal(s.coordinator.group('g')?.state, 'Empty', 'the last member leaving completes the rebalance with nobody');
    assert.deepEqual(s.coordinator.leaveGroup('missing', [{ memberId: 'x', groupInstanceId: null }]).members[0].errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  });

  test('static membership: a restarted member takes over without a rebalance and fences the old id', async () => {
    const s = setup();
    const { results } = await stableGroup(s, 1, { groupInstanceId: 'i1' });
    const old = results[0];
    const generation = old.generationId;
    const again = await s.coordinator.joinGroup(joinReq({ groupInstanceId: 'i1', requireKnownMemberId: true }));
    assert.equal(again.errorCode, ErrorCode.NONE, 'static members get no MEMBER_ID_REQUIRED');
    assert.notEqual(again.memberId, old.memberId);
    assert.equal(again.generationId, generation, 'no new generation');
    assert.equal(again.skipAssignment, true, 'the rejoining leader must not assign (KIP-814)');
    assert.equal(s.coordinator.group('g')?.state, 'Stable');
    const sync = await s.coordinator.syncGroup({ groupId: 'g', generationId: generation, memberId: again.memberId, groupInstanceId: 'i1', protocolType: null, protocolName: null, assignments: [] });
    assert.equal(sync.assignment.toString(), `a-${old.memberId}`, 'keeps the old assignment');
    assert.equal(s.coordinator.heartbeat({ groupId: 'g', generationId: generation, memberId: old.memberId, groupInstanceId: 'i1' }), ErrorCode.FENCED_INSTANCE_ID);
    assert.equal((await s.coordinator.joinGroup(joinReq({ memberId: old.memberId, groupInstanceId: 'i1' }))).errorCode, ErrorCode.FENCED_INSTANCE_ID);
  });

  test('static membership: changed metadata on rejoin triggers a rebalance', async () => {
    const s = setup();
    await stableGroup(s, 1, { groupInstanceId: 'i1' });
    const again = track(s.coordinator.joinGroup(joinReq({ groupInstanceId: 'i1', protocols: [{ name: 'range', metadata: subscription(['t1', 't2']) }] })));
    await flush();
    // The only member rejoined, so the rebalance completes at once with a new generation.
    assert.equal(again.value?.errorCode, ErrorCode.NONE);
    assert.equal(again.value?.generationId, 2);
    assert.equal(s.coordinator.group('g')?.state, 'CompletingRebalance');
  });
});

describe('GroupCoordinator offsets', () => {
  test('simple commits (generation -1) to a missing or Empty group, fetch, unknown partitions -> -1', async () => {
    const s = setup();
    const codes = await s.coordinator.commitOffsets({
      groupId: 'simple',
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      offsets: [
        { topic: 't1', partition: 0, offset: 42, leaderEpoch: 3, metadata: 'm', commitTimestamp: -1 },
        { topic: 'nope', partition: 0, offset: 1, leaderEpoch: -1, metadata: null, commitTimestamp: -1 },
        { topic: 't1', partition: 1, offset: 1, leaderEpoch: -1, metadata: 'x'.repeat(5000), commitTimestamp: -1 },
      ],
    });
    assert.deepEqual(codes, [ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.OFFSET_METADATA_TOO_LARGE]);
    const f = s.coordinator.fetchOffsets('simple', [{ topic: 't1', partitions: [0, 1] }]);
    assert.deepEqual(f.topics[0].partitions, [
      { partition: 0, offset: 42, leaderEpoch: 3, metadata: 'm', errorCode: ErrorCode.NONE },
      { partition: 1, offset: -1, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE },
    ]);
    assert.deepEqual(s.coordinator.fetchOffsets('simple', null).topics.map((t) => t.topic), ['t1']);
    assert.deepEqual(s.coordinator.fetchOffsets('unknown', null).topics, []);
    assert.equal(s.coordinator.listGroups().find((g) => g.groupId === 'simple')?.state, 'Empty');
  });

  test('member commits: generation and member checks', async () => {
    const s = setup();
    const { results } = await stableGroup(s, 1);
    const r = results[0];
    const commit = (over: { generationId?: number; memberId?: string; groupId?: string }) =>
      s.coordinator.commitOffsets({
        groupId: over.groupId ?? 'g',
        generationId: over.generationId ?? r.generationId,
        memberId: over.memberId ?? r.memberId,
        groupInstanceId: null,
        offsets: [{ topic: 't1', partition: 0, offset: 7, leaderEpoch: -1, metadata: '', commitTimestamp: -1 }],
      });
    assert.deepEqual(await commit({}), [ErrorCode.NONE]);
    assert.deepEqual(await commit({ generationId: 0 }), [ErrorCode.ILLEGAL_GENERATION]);
    assert.deepEqual(await commit({ memberId: 'bogus' }), [ErrorCode.UNKNOWN_MEMBER_ID]);
    assert.deepEqual(await commit({ generationId: -1, memberId: '' }), [ErrorCode.UNKNOWN_MEMBER_ID], 'simple commits only to Empty groups');
    assert.deepEqual(await commit({ groupId: 'missing', generationId: 3 }), [ErrorCode.ILLEGAL_GENERATION]);
    assert.equal(s.coordinator.fetchOffsets('g', null).topics[0].partitions[0].offset, 7);
  });

  test('a failed append answers COORDINATOR_NOT_AVAILABLE and keeps the old offset', async () => {
    const s = setup();
    const commit = (offset: number) =>
      s.coordinator.commitOffsets({ groupId: 's', generationId: -1, memberId: '', groupInstanceId: null, offsets: [{ topic: 't1', partition: 0, offset, leaderEpoch: -1, metadata: '', commitTimestamp: -1 }] });
    await commit(1);
    s.log.failWith = new Error('disk on fire');
    assert.deepEqual(await commit(2), [ErrorCode.COORDINATOR_NOT_AVAILABLE]);
    assert.equal(s.coordinator.fetchOffsets('s', null).topics[0].partitions[0].offset, 1);
  });

  test('state is rebuilt from the log: offsets, members, generation, assignments; tombstones remove', async () => {
    const s = setup();
    const { results } = await stableGroup(s, 2);
    await s.coordinator.commitOffsets({
      groupId: 'g',
      generationId: results[0].generationId,
      memberId: results[0].memberId,
      groupInstanceId: null,
      offsets: [{ topic: 't1', partition: 2, offset: 99, leaderEpoch: 1, metadata: 'meta', commitTimestamp: -1 }],
    });
    await s.coordinator.commitOffsets({ groupId: 'gone', generationId: -1, memberId: '', groupInstanceId: null, offsets: [{ topic: 't1', partition: 0, offset: 5, leaderEpoch: -1, metadata: '', commitTimestamp: -1 }] });
    assert.deepEqual(await s.coordinator.deleteGroups(['gone']), [{ groupId: 'gone', errorCode: ErrorCode.NONE }]);

    const restarted = s.make();
    for (const r of s.log.records) restarted.replay(r);
    restarted.finishLoading();
    assert.deepEqual(restarted.fetchOffsets('g', null).topics[0].partitions[0], { partition: 2, offset: 99, leaderEpoch: 1, metadata: 'meta', errorCode: ErrorCode.NONE });
    assert.equal(restarted.group('gone'), undefined);
    const g = restarted.group('g');
    assert.equal(g?.state, 'Stable');
    assert.equal(g?.generationId, results[0].generationId);
    assert.equal(
      restarted.heartbeat({ groupId: 'g', generationId: results[0].generationId, memberId: results[0].memberId, groupInstanceId: null }),
      ErrorCode.NONE,
      'members keep their generation across a restart',
    );
    const sync = await restarted.syncGroup({ groupId: 'g', generationId: results[1].generationId, memberId: results[1].memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    assert.equal(sync.assignment.toString(), `a-${results[1].memberId}`);
    restarted.shutdown();
  });

  test('DeleteGroups and OffsetDelete', async () => {
    const s = setup();
    const { results } = await stableGroup(s, 1);
    const r = results[0];
    await s.coordinator.commitOffsets({
      groupId: 'g',
      generationId: r.generationId,
      memberId: r.memberId,
      groupInstanceId: null,
      offsets: [
        { topic: 't1', partition: 0, offset: 1, leaderEpoch: -1, metadata: '', commitTimestamp: -1 },
        { topic: 't2', partition: 0, offset: 2, leaderEpoch: -1, metadata: '', commitTimestamp: -1 },
      ],
    });
    assert.deepEqual(await s.coordinator.deleteGroups(['g', 'missing', '']), [
      { groupId: 'g', errorCode: ErrorCode.NON_EMPTY_GROUP },
      { groupId: 'missing', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
      { groupId: '', errorCode: ErrorCode.INVALID_GROUP_ID },
    ]);
    const del = await s.coordinator.deleteOffsets('g', [
      { topic: 't1', partitions: [0] },
      { topic: 't2', partitions: [0] },
    ]);
    assert.equal(del.errorCode, ErrorCode.NONE);
    assert.deepEqual(del.topics.map((t) => t.partitions[0].errorCode), [ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, ErrorCode.NONE]);
    assert.deepEqual(s.coordinator.fetchOffsets('g', null).topics.map((t) => t.topic), ['t1']);
    assert.equal((await s.coordinator.deleteOffsets('missing', [])).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
    s.coordinator.leaveGroup('g', [{ memberId: r.memberId, groupInstanceId: null }]);
    assert.deepEqual(await s.coordinator.deleteGroups(['g']), [{ groupId: 'g', errorCode: ErrorCode.NONE }]);
    assert.equal(s.coordinator.describeGroup('g').state, 'Dead');
    assert.deepEqual(s.coordinator.fetchOffsets('g', null).topics, []);
  });

  test('OffsetDelete reads any subscription version by its v0 prefix (a version newer than the codec knows)', async () => {
    const s = setup();
    // Version 9 does not exist yet: topics and user data (the v0 fields) and then fields nobody knows.
    const w = new Writer();
    w.writeInt16(9);
    encodeConsumerProtocolSubscription(w, { topics: ['t1'], userData: null, ownedPartitions: [], generationId: -1, rackId: null }, 0);
    w.writeInt32(12345);
    const { results } = await stableGroup(s, 1, { protocols: [{ name: 'range', metadata: w.toBuffer() }] });
    const r = results[0];
    await s.coordinator.commitOffsets({
      groupId: 'g',
      generationId: r.generationId,
      memberId: r.memberId,
      groupInstanceId: null,
      offsets: [
        { topic: 't1', partition: 0, offset: 1, leaderEpoch: -1, metadata: '', commitTimestamp: -1 },
        { topic: 't2', partition: 0, offset: 2, leaderEpoch: -1, metadata: '', commitTimestamp: -1 },
      ],
    });
    const del = await s.coordinator.deleteOffsets('g', [
      { topic: 't1', partitions: [0] },
      { topic: 't2', partitions: [0] },
    ]);
    assert.deepEqual(del.topics.map((t) => t.partitions[0].errorCode), [ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, ErrorCode.NONE]);
    s.coordinator.shutdown();
  });

  test('ListGroups and DescribeGroups views', async () => {
    const s = setup();
    const { results } = await stableGroup(s, 2);
    assert.deepEqual(s.coordinator.listGroups(), [{ groupId: 'g', protocolType: 'consumer', state: 'Stable' }]);
    const d = s.coordinator.describeGroup('g');
    assert.equal(d.protocolData, 'range');
    assert.deepEqual(d.members.map((m) => m.assignment.toString()).sort(), results.map((r) => `a-${r.memberId}`).sort());
    assert.equal(d.members[0].clientHost, '/127.0.0.1');
  });

  test('shutdown answers parked joins and clears every timer', async () => {
    const s = setup();
    const j = track(s.coordinator.joinGroup(joinReq()));
    s.coordinator.shutdown();
    await flush();
    assert.equal(j.value?.errorCode, ErrorCode.NOT_COORDINATOR);
    assert.equal(s.timers.pendingCount, 0);
  });
});
