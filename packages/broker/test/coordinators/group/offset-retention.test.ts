// Offset retention (offsets.retention.minutes, checked every offsets.retention.check.interval.ms)
// under the manual clock: only Empty groups lose offsets (Kafka >= 2.1, KIP-211); a group that
// was used by members expires retention after it became Empty, a simple-consumer group expires
// each offset retention after its commit; expired offsets (and the group) are tombstoned in the
// log so a restart does not bring them back.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode } from '@samsa/protocol';
import { GroupCoordinator, type GroupCoordinatorConfig, type JoinRequest } from '../../../src/coordinators/group/group-coordinator.js';
import { decodeOffsetsTopicKey } from '../../../src/coordinators/group/offsets-topic-records.js';
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

/** One member joins and syncs group `g`; resolves with its JoinGroup answer. */
async function oneMemberGroup(s: ReturnType<typeof setup>): Promise<JoinResult> {
  const join = s.coordinator.joinGroup(joinReq());
  s.timers.advance(200);
  const r = await join;
  assert.equal(r.errorCode, ErrorCode.NONE);
  const sync = await s.coordinator.syncGroup({
    groupId: 'g',
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

const offsetOf = (c: GroupCoordinator, groupId: string, partition: number): number =>
  c.fetchOffsets(groupId, [{ topic: 't1', partitions: [partition] }]).topics[0].partitions[0].offset;

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
});
