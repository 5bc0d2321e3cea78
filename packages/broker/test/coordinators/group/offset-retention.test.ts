// Offset retention (offsets.retention.minutes, checked every offsets.retention.check.interval.ms)
// under the manual clock (Kafka >= 2.1: KIP-211 and KIP-496): an Empty group that was used by
// members expires retention after it became Empty, a simple-consumer group expires each offset
// retention after its commit, a Stable consumer group expires offsets of topics no member
// subscribes to retention after their commit, a rebalancing group expires nothing; an explicit
// OffsetCommit v2-4 RetentionTimeMs replaces the retention of its offsets. Expired offsets (and
// the group) are tombstoned in the log so a restart does not bring them back.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode, Writer, encodeConsumerProtocolSubscription } from '@samsa/protocol';
import { GroupCoordinator, type GroupCoordinatorConfig, type JoinRequest } from '../../../src/coordinators/group/group-coordinator.js';
import { decodeOffsetCommitValue, decodeOffsetsTopicKey } from '../../../src/coordinators/group/offsets-topic-records.js';
import type { JoinResult } from '../../../src/coordinators/group/group-member.js';
import { ManualTimers } from './manual-timers.js';
import { MemoryGroupLog } from './memory-group-log.js';

const RETENTION = 60_000;
const CHECK = 10_000;

const config: GroupCoordinatorConfig = {
  initialRebalanceDelayMs: 100,
  minSessionTimeoutMs: 1000,
  maxSessionTimeoutMs: 600_000,
  maxGroupSize: 100,
  offsetMetadataMaxBytes: 4096,
  offsetsRetentionMs: RETENTION,
  offsetsRetentionCheckIntervalMs: CHECK,
};

function setup() {
  const timers = new ManualTimers();
  const log = new MemoryGroupLog();
  let n = 0;
  const make = (): GroupCoordinator =>
    new GroupCoordinator({
      timers,
      log,
      config,
      partitionExists: (topic, partition) => topic.startsWith('t') && partition >= 0 && partition < 4,
      newMemberId: (prefix) => `${prefix}-${++n}`,
    });
  const coordinator = make();
  coordinator.finishLoading();
  return { timers, log, coordinator, make };
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Moves the clock in check-interval steps, letting each expiry's appends complete. */
async function advance(s: ReturnType<typeof setup>, ms: number): Promise<void> {
  for (let left = ms; left > 0; left -= Math.min(left, 1000)) {
    s.timers.advance(Math.min(left, 1000));
    await flush();
  }
}

function joinReq(over: Partial<JoinRequest> = {}): JoinRequest {
  return {
    groupId: 'g',
    memberId: '',
    groupInstanceId: null,
    clientId: 'c',
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: 600_000,
    rebalanceTimeoutMs: 30_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from('sub') }],
    requireKnownMemberId: false,
    ...over,
  };
}

/** A consumer-protocol subscription (v1, as librdkafka sends it) to `topics`. */
function subscription(topics: string[]): Buffer {
  const w = new Writer();
  w.writeInt16(1);
  encodeConsumerProtocolSubscription(w, { topics, userData: null, ownedPartitions: [], generationId: -1, rackId: null }, 1);
  return w.toBuffer();
}

/** The consumer protocol `range` with a subscription to `topics`. */
const subscribing = (topics: string[]): JoinRequest['protocols'] => [{ name: 'range', metadata: subscription(topics) }];

/** One member joins and syncs group `g` (or `over.groupId`); resolves with its JoinGroup answer. */
async function oneMemberGroup(s: ReturnType<typeof setup>, over: Partial<JoinRequest> = {}): Promise<JoinResult> {
  const join = s.coordinator.joinGroup(joinReq(over));
  s.timers.advance(200);
  const r = await join;
  assert.equal(r.errorCode, ErrorCode.NONE);
  const sync = await s.coordinator.syncGroup({
    groupId: over.groupId ?? 'g',
    generationId: r.generationId,
    memberId: r.memberId,
    groupInstanceId: null,
    protocolType: null,
    protocolName: null,
    assignments: [{ memberId: r.memberId, assignment: Buffer.from('a') }],
  });
  assert.equal(sync.errorCode, ErrorCode.NONE);
  return r;
}

const commit = (s: ReturnType<typeof setup>, groupId: string, generationId: number, memberId: string, partition: number, offset: number) =>
  s.coordinator.commitOffsets({
    groupId,
    generationId,
    memberId,
    groupInstanceId: null,
    offsets: [{ topic: 't1', partition, offset, leaderEpoch: -1, metadata: '', commitTimestamp: -1 }],
  });

const offsetOf = (c: GroupCoordinator, groupId: string, partition: number, topic = 't1'): number =>
  c.fetchOffsets(groupId, [{ topic, partitions: [partition] }]).topics[0].partitions[0].offset;

/** Commits `offsets` ([topic, partition, offset]) in one request, as `member` or (null) as a simple consumer. */
async function commitMany(
  s: ReturnType<typeof setup>,
  groupId: string,
  member: JoinResult | null,
  offsets: Array<[string, number, number]>,
  retentionTimeMs = -1,
): Promise<void> {
  const codes = await s.coordinator.commitOffsets({
    groupId,
    generationId: member?.generationId ?? -1,
    memberId: member?.memberId ?? '',
    groupInstanceId: null,
    retentionTimeMs,
    offsets: offsets.map(([topic, partition, offset]) => ({ topic, partition, offset, leaderEpoch: -1, metadata: '', commitTimestamp: -1 })),
  });
  assert.deepEqual(codes, offsets.map(() => ErrorCode.NONE), `commit ${JSON.stringify(offsets)} to ${groupId}`);
}

/** Every offset of `groupId`, as "<topic>/<partition>=<offset>", sorted. */
function offsetsOf(c: GroupCoordinator, groupId: string): string[] {
  return c
    .fetchOffsets(groupId, null)
    .topics.flatMap((t) => t.partitions.map((p) => `${t.topic}/${p.partition}=${p.offset}`))
    .sort();
}

/** SyncGroup for every joined member, the leader assigning nothing in particular; the group is then Stable. */
async function syncAll(s: ReturnType<typeof setup>, joined: JoinResult[]): Promise<void> {
  const syncs = joined.map((r) =>
    s.coordinator.syncGroup({
      groupId: 'g',
      generationId: r.generationId,
      memberId: r.memberId,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: r.memberId === r.leader ? joined.map((m) => ({ memberId: m.memberId, assignment: Buffer.from('a') })) : [],
    }),
  );
  for (const sync of await Promise.all(syncs)) assert.equal(sync.errorCode, ErrorCode.NONE);
  assert.equal(s.coordinator.group('g')?.state, 'Stable');
}

/** Restarts the coordinator from the log (the old one is shut down first). */
function restart(s: ReturnType<typeof setup>): GroupCoordinator {
  s.coordinator.shutdown();
  const restarted = s.make();
  for (const rec of s.log.records) restarted.replay(rec);
  restarted.finishLoading();
  return restarted;
}

/** Keys of tombstones in the log, as "offset:<group>/<topic>/<partition>" or "group:<group>". */
function tombstones(log: MemoryGroupLog): string[] {
  return log.records
    .filter((r) => r.value === null)
    .map((r) => {
      const k = decodeOffsetsTopicKey(r.key);
      return k.type === 'offset' ? `offset:${k.group}/${k.topic}/${k.partition}` : k.type === 'group' ? `group:${k.group}` : 'other';
    });
}

describe('offset retention', () => {
  test('an Empty consumer group loses its offsets retention after it became Empty, tombstoned; a restart does not resurrect them', async () => {
    const s = setup();
    const r = await oneMemberGroup(s);
    assert.deepEqual(await commit(s, 'g', r.generationId, r.memberId, 0, 42), [ErrorCode.NONE]);
    // Members keep their offsets however old the commits are.
    await advance(s, 3 * RETENTION);
    assert.equal(s.coordinator.heartbeat({ groupId: 'g', generationId: r.generationId, memberId: r.memberId, groupInstanceId: null }), ErrorCode.NONE);
    assert.equal(offsetOf(s.coordinator, 'g', 0), 42, 'a group with members keeps its offsets');

    s.coordinator.leaveGroup('g', [{ memberId: r.memberId, groupInstanceId: null }]);
    await flush();
    assert.equal(s.coordinator.group('g')?.state, 'Empty');
    await advance(s, RETENTION - CHECK);
    assert.equal(offsetOf(s.coordinator, 'g', 0), 42, 'not yet: retention counts from the moment the group became Empty');
    assert.deepEqual(tombstones(s.log), []);
    await advance(s, 2 * CHECK);
    assert.equal(offsetOf(s.coordinator, 'g', 0), -1, 'expired');
    assert.equal(s.coordinator.group('g'), undefined, 'the group without offsets is gone');
    assert.deepEqual(s.coordinator.listGroups(), []);
    assert.deepEqual(tombstones(s.log), ['offset:g/t1/0', 'group:g']);

    const restarted = s.make();
    for (const rec of s.log.records) restarted.replay(rec);
    restarted.finishLoading();
    assert.equal(offsetOf(restarted, 'g', 0), -1, 'the restart does not resurrect the offset');
    assert.equal(restarted.group('g'), undefined);
    restarted.shutdown();
    s.coordinator.shutdown();
  });

  test('a simple-consumer group (generation -1 commits) expires each offset retention after its commit', async () => {
    const s = setup();
    assert.deepEqual(await commit(s, 'simple', -1, '', 0, 5), [ErrorCode.NONE]);
    await advance(s, 40_000);
    assert.deepEqual(await commit(s, 'simple', -1, '', 1, 7), [ErrorCode.NONE]);
    await advance(s, 30_000); // t = 70 s: partition 0 (committed at 0) expired, partition 1 (at 40 s) not
    assert.equal(offsetOf(s.coordinator, 'simple', 0), -1);
    assert.equal(offsetOf(s.coordinator, 'simple', 1), 7);
    assert.equal(s.coordinator.group('simple')?.state, 'Empty');
    assert.deepEqual(tombstones(s.log), ['offset:simple/t1/0']);
    await advance(s, 40_000); // t = 110 s
    assert.equal(offsetOf(s.coordinator, 'simple', 1), -1);
    assert.equal(s.coordinator.group('simple'), undefined);
    assert.deepEqual(tombstones(s.log), ['offset:simple/t1/0', 'offset:simple/t1/1'], 'no group record to tombstone (it never had a generation)');
    s.coordinator.shutdown();
  });

  test('a commit while an expiry is due keeps the group; a commit in flight is never tombstoned behind its back', async () => {
    const s = setup();
    assert.deepEqual(await commit(s, 'simple', -1, '', 0, 5), [ErrorCode.NONE]);
    await advance(s, RETENTION - 2000);
    // Hold the next append: the commit is in flight when the check runs.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const original = s.log.append.bind(s.log);
    s.log.append = async (groupId, records) => {
      await held;
      return original(groupId, records);
    };
    const inflight = commit(s, 'simple', -1, '', 0, 6);
    await advance(s, 5000);
    assert.deepEqual(tombstones(s.log), [], 'the group is skipped while its commit is in flight');
    release();
    assert.deepEqual(await inflight, [ErrorCode.NONE]);
    s.log.append = original;
    assert.equal(offsetOf(s.coordinator, 'simple', 0), 6);
    await advance(s, RETENTION - 10_000);
    assert.equal(offsetOf(s.coordinator, 'simple', 0), 6, 'retention restarts from the new commit');
    await advance(s, 2 * CHECK);
    assert.equal(offsetOf(s.coordinator, 'simple', 0), -1);
    s.coordinator.shutdown();
  });

  test('the check runs every offsets.retention.check.interval.ms and stops at shutdown', async () => {
    const s = setup();
    await advance(s, 5000);
    assert.deepEqual(await commit(s, 'simple', -1, '', 0, 5), [ErrorCode.NONE]);
    await advance(s, RETENTION + 1); // t = 65 s: due, but the checks run at 60 s and 70 s
    assert.equal(offsetOf(s.coordinator, 'simple', 0), 5, 'nothing happens between two checks');
    await advance(s, CHECK);
    assert.equal(offsetOf(s.coordinator, 'simple', 0), -1);
    s.coordinator.shutdown();
    assert.equal(s.timers.pendingCount, 0, 'no timer left after shutdown');
    assert.equal(await s.coordinator.expireOffsets(), 0);
  });

  test('KIP-496: a Stable consumer group loses offsets of topics no member subscribes to, retention after each commit', async () => {
    const s = setup();
    const r = await oneMemberGroup(s, { protocols: subscribing(['t1']) }); // t = 0.2 s
    await commitMany(s, 'g', r, [
      ['t1', 0, 10],
      ['t2', 0, 20],
    ]);
    await advance(s, 30_000); // t = 30.2 s
    await commitMany(s, 'g', r, [['t3', 0, 30]]);
    await advance(s, 40_000); // t = 70.2 s: checks at 40..70 s; t2 (committed at 0.2 s) is due at 60.2 s
    assert.deepEqual(offsetsOf(s.coordinator, 'g'), ['t1/0=10', 't3/0=30'], 't2 expired, t3 (committed at 30.2 s) not yet');
    assert.deepEqual(tombstones(s.log), ['offset:g/t2/0']);
    assert.equal(s.coordinator.group('g')?.state, 'Stable', 'the group itself is untouched');
    await advance(s, 30_000); // t = 100.2 s
    assert.deepEqual(offsetsOf(s.coordinator, 'g'), ['t1/0=10'], 'the subscribed topic keeps its 100 s old offset');
    assert.deepEqual(tombstones(s.log), ['offset:g/t2/0', 'offset:g/t3/0'], 'no GroupMetadata tombstone for a group with members');
    assert.equal(s.coordinator.heartbeat({ groupId: 'g', generationId: r.generationId, memberId: r.memberId, groupInstanceId: null }), ErrorCode.NONE);

    const restarted = restart(s);
    assert.deepEqual(offsetsOf(restarted, 'g'), ['t1/0=10'], 'a restart does not resurrect expired offsets');
    assert.equal(restarted.group('g')?.state, 'Stable');
    restarted.shutdown();
  });

  test('nothing expires while the group rebalances; every member\'s subscription keeps its topics', async () => {
    const s = setup();
    const a = await oneMemberGroup(s, { clientId: 'a', protocols: subscribing(['t1']) }); // t = 0.2 s
    await commitMany(s, 'g', a, [['t2', 0, 5]]); // due at 60.2 s
    await advance(s, 40_000); // t = 40.2 s
    // b joins (subscribing to t1 and t2) with a long rebalance timeout: the group waits for a to rejoin.
    const bJoin = s.coordinator.joinGroup(joinReq({ clientId: 'b', protocols: subscribing(['t1', 't2']), rebalanceTimeoutMs: 300_000 }));
    await flush();
    assert.equal(s.coordinator.group('g')?.state, 'PreparingRebalance');
    await advance(s, 40_000); // t = 80.2 s: t2 is past its time
    assert.deepEqual(offsetsOf(s.coordinator, 'g'), ['t2/0=5'], 'a rebalancing group loses nothing');
    const aJoin = s.coordinator.joinGroup(joinReq({ memberId: a.memberId, clientId: 'a', protocols: subscribing(['t1']) }));
    const joined = await Promise.all([aJoin, bJoin]);
    assert.deepEqual(joined.map((j) => j.errorCode), [ErrorCode.NONE, ErrorCode.NONE]);
    await syncAll(s, joined);
    await advance(s, 2 * CHECK); // t = 100.2 s
    assert.deepEqual(offsetsOf(s.coordinator, 'g'), ['t2/0=5'], 'b subscribes to t2');

    // b leaves; once a alone is Stable again, nobody subscribes to t2 any more.
    s.coordinator.leaveGroup('g', [{ memberId: joined[1].memberId, groupInstanceId: null }]);
    const again = await s.coordinator.joinGroup(joinReq({ memberId: a.memberId, clientId: 'a', protocols: subscribing(['t1']) }));
    assert.equal(again.errorCode, ErrorCode.NONE);
    await syncAll(s, [again]);
    assert.deepEqual(offsetsOf(s.coordinator, 'g'), ['t2/0=5']);
    await advance(s, CHECK);
    assert.deepEqual(offsetsOf(s.coordinator, 'g'), [], 'expired at the first check after the group was Stable without a subscriber');
    assert.equal(s.coordinator.group('g')?.state, 'Stable');
    s.coordinator.shutdown();
  });

  test('groups of another protocol type, or whose subscriptions do not decode, keep every offset while they have members', async () => {
    const s = setup();
    const connect = await oneMemberGroup(s, { groupId: 'connect', protocolType: 'connect', protocols: [{ name: 'sessioned', metadata: Buffer.from('worker') }] });
    await commitMany(s, 'connect', connect, [['t2', 0, 1]]);
    const garbled = await oneMemberGroup(s, { groupId: 'garbled', protocols: [{ name: 'range', metadata: Buffer.from([0, 0, 0, 0, 0, 9]) }] });
    await commitMany(s, 'garbled', garbled, [['t2', 0, 2]]);
    await advance(s, 3 * RETENTION);
    assert.deepEqual(offsetsOf(s.coordinator, 'connect'), ['t2/0=1']);
    assert.deepEqual(offsetsOf(s.coordinator, 'garbled'), ['t2/0=2']);
    assert.deepEqual(tombstones(s.log), []);
    s.coordinator.shutdown();
  });

  test('OffsetCommit v2-4 RetentionTimeMs: the offset expires that long after the commit (value v1), also after a restart', async () => {
    const s = setup();
    const t0 = s.timers.nowMs();
    await commitMany(s, 'simple', null, [['t1', 0, 5]], 15_000);
    await commitMany(s, 'simple', null, [['t1', 1, 7]]);
    const values = s.log.records.filter((r) => r.value !== null).map((r) => r.value as Buffer);
    assert.deepEqual(
      values.map((v) => v.readInt16BE(0)),
      [1, 3],
      'an explicit retention is stored as OffsetCommitValue v1 (the version with an expire timestamp), the default as v3',
    );
    assert.deepEqual(decodeOffsetCommitValue(values[0]), { offset: 5, leaderEpoch: -1, metadata: '', commitTimestamp: t0, expireTimestamp: t0 + 15_000 });

    const restarted = restart(s);
    assert.equal(restarted.group('simple')?.committed('t1', 0)?.expireTimestamp, t0 + 15_000, 'loaded with its expire timestamp');
    await advance(s, 10_000);
    assert.deepEqual(offsetsOf(restarted, 'simple'), ['t1/0=5', 't1/1=7'], 'not yet at 10 s');
    await advance(s, 10_000);
    assert.deepEqual(offsetsOf(restarted, 'simple'), ['t1/1=7'], 'partition 0 expired at the check after 15 s, long before offsets.retention.minutes');
    await advance(s, RETENTION - 20_000);
    assert.deepEqual(offsetsOf(restarted, 'simple'), [], 'partition 1 under offsets.retention.minutes');
    restarted.shutdown();
  });

  test('an explicit retention replaces offsets.retention.minutes, not the rule of which offsets may expire', async () => {
    const s = setup();
    const r = await oneMemberGroup(s, { protocols: subscribing(['t1']) }); // t = 0.2 s
    await commitMany(
      s,
      'g',
      r,
      [
        ['t1', 0, 1],
        ['t2', 0, 2],
      ],
      5_000,
    );
    await commitMany(s, 'g', r, [['t2', 1, 3]], 3 * RETENTION); // due at 180.2 s
    await advance(s, 2 * CHECK); // t = 20.2 s
    assert.deepEqual(offsetsOf(s.coordinator, 'g'), ['t1/0=1', 't2/1=3'], 't2/0 expired at its expire timestamp; t1 is subscribed, so it stays');
    s.coordinator.leaveGroup('g', [{ memberId: r.memberId, groupInstanceId: null }]);
    await flush();
    assert.equal(s.coordinator.group('g')?.state, 'Empty');
    await advance(s, CHECK); // t = 30.2 s
    assert.deepEqual(offsetsOf(s.coordinator, 'g'), ['t2/1=3'], 'Empty: t1/0 may expire now, and its expire timestamp has passed');
    await advance(s, 100_000); // t = 130.2 s: Empty for 110 s, past offsets.retention.minutes
    assert.deepEqual(offsetsOf(s.coordinator, 'g'), ['t2/1=3'], 'an explicit expire timestamp wins over the Empty-since rule');
    await advance(s, 60_000); // t = 190.2 s
    assert.deepEqual(offsetsOf(s.coordinator, 'g'), []);
    assert.equal(s.coordinator.group('g'), undefined, 'the Empty group without offsets is gone');
    s.coordinator.shutdown();
  });

  test('a zero or negative retention expires at the next check; a huge one is clamped and kept', async () => {
    const s = setup();
    const t0 = s.timers.nowMs();
    await commitMany(s, 'simple', null, [['t1', 0, 1]], 0);
    await commitMany(s, 'simple', null, [['t1', 1, 2]], -5);
    await commitMany(s, 'simple', null, [['t1', 2, 3]], -t0 * 2);
    await commitMany(s, 'simple', null, [['t1', 3, 4]], Number.MAX_SAFE_INTEGER - 1);
    const g = s.coordinator.group('simple');
    assert.deepEqual(
      [0, 1, 2, 3].map((p) => g?.committed('t1', p)?.expireTimestamp),
      [t0, t0 - 5, 0, Number.MAX_SAFE_INTEGER],
      'now + retention, clamped to [0, MAX_SAFE_INTEGER] (-1 would mean "none")',
    );
    await advance(s, CHECK);
    assert.deepEqual(offsetsOf(s.coordinator, 'simple'), ['t1/3=4']);
    await advance(s, 2 * RETENTION);
    assert.deepEqual(offsetsOf(s.coordinator, 'simple'), ['t1/3=4']);
    s.coordinator.shutdown();
  });
});
