// Consumer groups and committed offsets against the real broker process (issue 3):
//
//  1. kafkajs: a consumer group reads everything a producer wrote.
//  2. librdkafka (confluent-kafka): 3 members over 6 partitions own 2 each; one leaves and the
//     other two cover all 6; every record is read exactly once across the group (members commit
//     synchronously after each record, and records are produced only while the group is stable).
//  3. Commit and resume: a group member commits and closes; the next member of the group starts
//     exactly at the committed offset, also after the broker was killed with SIGKILL and restarted.
//  4. A second group reads the same topic independently and gets every record.
//  5. kafka-python: a group consumer reads, commits and resumes.
//  6. Bad input (hand-made requests): bogus member ids, wrong generations, unknown protocol
//     types, huge metadata get error codes; the broker keeps serving and other groups are fine.
//  7. ApiVersions advertises exactly the group API versions implemented.
//  8. kafkajs admin: list, describe (members and assignments while Stable) and delete groups
//     (refused while not Empty). kafkajs has no OffsetDelete; that one is unit-tested.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  HeartbeatApi,
  JoinGroupApi,
  OffsetCommitApi,
  Reader,
  SyncGroupApi,
  Writer,
  type AnyApiDescriptor,
  type JoinGroupResponse,
} from '@samsa/protocol';
import { kafkajs, kafkajsConsume, kafkajsProduce } from '../support/kafkajs-driver.js';
import { RawConnection, apiVersionsWorks, requestFrame } from '../support/raw-kafka.js';
import { b64, uniqueTopic, unb64, type WireRecord } from '../support/records.js';
import { runPython, startPython, type StreamingPython } from '../support/run-python.js';
import { logOnFailure, needsSamsa, startTarget, type Target } from '../support/target.js';
import { waitFor, withTimeout } from '../support/wait-for.js';

interface GroupConsumeResult {
  records: Array<{ partition: number; offset: number; value: string | null }>;
  errors: string[];
  timed_out: boolean;
  committed?: Array<[number, number]>;
}

interface MemberLine {
  event: 'assigned' | 'revoked' | 'record' | 'error' | 'closed';
  partitions?: number[];
  partition?: number;
  offset?: number;
  value?: string;
  error?: string;
}

/** Records `<tag>-<i>` spread round-robin over `partitions` partitions. */
function numbered(tag: string, count: number, partitions: number): WireRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    key: b64(`k${i}`),
    value: b64(`${tag}-${i}`),
    headers: [],
    timestamp: null,
    partition: i % partitions,
  }));
}

const text = (v: string | null | undefined): string => (v === null || v === undefined ? '<null>' : unb64(v).toString());

/** A confluent-kafka group member running in its own python process. */
class Member {
  readonly name: string;
  readonly proc: StreamingPython;

  constructor(name: string, bootstrap: string, topic: string, group: string) {
    this.name = name;
    this.proc = startPython('group_confluent_member', { bootstrap, topic, group });
  }

  get lines(): MemberLine[] {
    return this.proc.lines as MemberLine[];
  }

  /** Partitions from the latest assignment (empty after a revocation). */
  get assignment(): number[] {
    for (let i = this.lines.length - 1; i >= 0; i--) {
      const l = this.lines[i];
      if (l.event === 'assigned') return l.partitions ?? [];
      if (l.event === 'revoked') return [];
    }
    return [];
  }

  get values(): string[] {
    return this.lines.filter((l) => l.event === 'record').map((l) => text(l.value));
  }

  get errors(): string[] {
    return this.lines.filter((l) => l.event === 'error').map((l) => l.error ?? '');
  }

  async close(): Promise<void> {
    this.proc.child.stdin.write('close\n');
    const code = await withTimeout(this.proc.exit, 30_000, `${this.name} exits after close`);
    assert.equal(code, 0, `${this.name} exited with ${code}: ${this.proc.stderr().slice(-2000)}`);
  }

  kill(): void {
    if (this.proc.child.exitCode === null) this.proc.child.kill('SIGKILL');
  }
}

let correlation = 0;

/** Sends one request (non-flexible version, header v1) on a fresh connection and decodes the answer. */
async function call<Res>(bootstrap: string, api: AnyApiDescriptor, version: number, body: unknown, timeoutMs = 20_000): Promise<Res> {
  const w = new Writer();
  api.encodeRequest(w, body as never, version);
  const conn = await RawConnection.open(bootstrap);
  try {
    conn.send(requestFrame(api.apiKey, version, ++correlation, w.toBuffer()));
    const frame = await conn.next(timeoutMs);
    if (frame === 'closed') throw new Error(`${api.name} v${version}: the broker closed the connection`);
    return api.decodeResponse(new Reader(frame, 4), version) as Res;
  } finally {
    conn.destroy();
  }
}

function joinBody(over: Record<string, unknown>): Record<string, unknown> {
  return {
    groupId: 'g',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 5_000,
    memberId: '',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from('meta') }],
    reason: null,
    ...over,
  };
}

describe('consumer groups', { timeout: 600_000 }, () => {
  let target: Target | undefined;
  before(async () => {
    target = await startTarget({ settings: { 'group.initial.rebalance.delay.ms': 300, 'num.partitions': 1 } });
  });
  after(() => target?.stop());

  const tg = (): Target => {
    if (target === undefined) throw new Error('target did not start');
    return target;
  };

  test('kafkajs consumer group reads everything a producer wrote', { timeout: 90_000 }, async (t) => {
    await logOnFailure(tg(), t, async () => {
      const topic = uniqueTopic('grp-kafkajs');
      await tg().createTopic(topic, { partitions: 3 });
      const written = numbered('kjs', 90, 3);
      await kafkajsProduce(tg().bootstrap, topic, written);
      const read = await kafkajsConsume(tg().bootstrap, topic, written.length);
      assert.deepEqual(read.map((r) => text(r.value)).sort(), written.map((r) => text(r.value)).sort());
    });
  });

  test('3 librdkafka members share 6 partitions, one leaves, each record is read once', { timeout: 180_000 }, async (t) => {
    await logOnFailure(tg(), t, async () => {
      const topic = uniqueTopic('grp-share');
      const group = `g-share-${topic}`;
      await tg().createTopic(topic, { partitions: 6 });
      const members = [1, 2, 3].map((i) => new Member(`member${i}`, tg().bootstrap, topic, group));
      t.after(() => members.forEach((m) => m.kill()));
      const describeMembers = (): string => members.map((m) => `${m.name}=${JSON.stringify(m.assignment)}`).join(' ');
      const covers = (ms: Member[], each: number): boolean => {
        const all = ms.flatMap((m) => m.assignment).sort((a, b) => a - b);
        return ms.every((m) => m.assignment.length === each) && JSON.stringify(all) === JSON.stringify([0, 1, 2, 3, 4, 5]);
      };
      await waitFor(() => covers(members, 2), { timeoutMs: 60_000, message: 'three members owning 2 partitions each' }).catch((err: unknown) => {
        throw new Error(`${String(err)}; assignments ${describeMembers()}`);
      });

      const first = numbered('share-a', 60, 6);
      await kafkajsProduce(tg().bootstrap, topic, first);
      const consumedAll = (ms: Member[], n: number): boolean => ms.reduce((sum, m) => sum + m.values.length, 0) >= n;
      await waitFor(() => consumedAll(members, 60), { timeoutMs: 60_000, message: '60 records consumed across the group' });

      await members[2].close();
      const remaining = members.slice(0, 2);
      await waitFor(() => covers(remaining, 3), { timeoutMs: 60_000, message: 'two members owning 3 partitions each' }).catch((err: unknown) => {
        throw new Error(`${String(err)}; assignments ${describeMembers()}`);
      });

      const second = numbered('share-b', 60, 6);
      await kafkajsProduce(tg().bootstrap, topic, second);
      await waitFor(() => consumedAll(members, 120), { timeoutMs: 60_000, message: '120 records consumed across the group' });
      await Promise.all(remaining.map((m) => m.close()));

      const values = members.flatMap((m) => m.values).sort();
      const expected = [...first, ...second].map((r) => text(r.value)).sort();
      assert.deepEqual(values, expected, 'every record exactly once across the group');
      assert.deepEqual(members.flatMap((m) => m.errors), []);
    });
  });

  test('commit and resume, also across a broker kill -9', { timeout: 180_000 }, async (t) => {
    if (!needsSamsa(t)) return;
    await logOnFailure(tg(), t, async () => {
      const samsa = tg().samsa;
      assert.ok(samsa !== null);
      const topic = uniqueTopic('grp-resume');
      const group = `g-resume-${topic}`;
      await tg().createTopic(topic, { partitions: 1 });
      const written = numbered('resume', 30, 1);
      await kafkajsProduce(tg().bootstrap, topic, written);
      const run = (count: number): Promise<GroupConsumeResult> =>
        runPython<GroupConsumeResult>('group_confluent_consume', { bootstrap: tg().bootstrap, topic, group, count, timeout_s: 45 }, 60_000);

      const r1 = await run(10);
      assert.deepEqual(r1.errors, []);
      assert.deepEqual(r1.records.map((r) => r.offset), [...Array(10).keys()], 'a new group starts at the earliest offset');
      assert.deepEqual(r1.committed, [[0, 10]]);

      const r2 = await run(10);
      assert.deepEqual(r2.errors, []);
      assert.equal(r2.records[0]?.offset, 10, 'the next member starts at the committed offset');
      assert.deepEqual(r2.committed, [[0, 20]]);

      await samsa.kill9();
      await samsa.restart();

      const admin = kafkajs(tg().bootstrap).admin();
      await admin.connect();
      try {
        const offsets = await admin.fetchOffsets({ groupId: group, topics: [topic] });
        assert.equal(offsets[0]?.partitions[0]?.offset, '20', 'committed offset survives kill -9');
      } finally {
        await admin.disconnect();
      }
      const r3 = await run(10);
      assert.deepEqual(r3.errors, []);
      assert.deepEqual(r3.records.map((r) => r.offset), [20, 21, 22, 23, 24, 25, 26, 27, 28, 29], 'resumes at the committed offset after restart');
    });
  });

  test('a second group reads the same topic independently', { timeout: 120_000 }, async (t) => {
    await logOnFailure(tg(), t, async () => {
      const topic = uniqueTopic('grp-two');
      await tg().createTopic(topic, { partitions: 3 });
      const written = numbered('two', 45, 3);
      await kafkajsProduce(tg().bootstrap, topic, written);
      const expected = written.map((r) => text(r.value)).sort();
      const a = await runPython<GroupConsumeResult>('group_confluent_consume', { bootstrap: tg().bootstrap, topic, group: `ga-${topic}`, count: 45 }, 60_000);
      assert.deepEqual(a.errors, []);
      assert.deepEqual(a.records.map((r) => text(r.value)).sort(), expected, 'group A read everything');
      const b = await runPython<GroupConsumeResult>('group_confluent_consume', { bootstrap: tg().bootstrap, topic, group: `gb-${topic}`, count: 45 }, 60_000);
      assert.deepEqual(b.errors, []);
      assert.deepEqual(b.records.map((r) => text(r.value)).sort(), expected, 'group B read everything, unaffected by group A');
      const c = await kafkajsConsume(tg().bootstrap, topic, 45);
      assert.deepEqual(c.map((r) => text(r.value)).sort(), expected, 'a kafkajs group read everything too');
    });
  });

  test('kafka-python group consumer reads, commits and resumes', { timeout: 120_000 }, async (t) => {
    await logOnFailure(tg(), t, async () => {
      const topic = uniqueTopic('grp-kpy');
      const group = `g-kpy-${topic}`;
      await tg().createTopic(topic, { partitions: 2 });
      const first = numbered('kpy-a', 20, 2);
      await kafkajsProduce(tg().bootstrap, topic, first);
      const run = (count: number): Promise<GroupConsumeResult> =>
        runPython<GroupConsumeResult>('group_kafka_python_consume', { bootstrap: tg().bootstrap, topic, group, count }, 60_000);
      const r1 = await run(20);
      assert.deepEqual(r1.records.map((r) => text(r.value)).sort(), first.map((r) => text(r.value)).sort());
      const second = numbered('kpy-b', 10, 2);
      await kafkajsProduce(tg().bootstrap, topic, second);
      const r2 = await run(10);
      assert.deepEqual(r2.records.map((r) => text(r.value)).sort(), second.map((r) => text(r.value)).sort(), 'resumed after the committed offsets');
    });
  });

  test('bad input gets error codes; the broker and other groups are unaffected', { timeout: 120_000 }, async (t) => {
    await logOnFailure(tg(), t, async () => {
      const bs = tg().bootstrap;
      const group = `bad-${Date.now()}`;
      // A healthy one-member group, joined the KIP-394 way (v5).
      const first = await call<JoinGroupResponse>(bs, JoinGroupApi, 5, joinBody({ groupId: group }));
      assert.equal(first.errorCode, 79, 'MEMBER_ID_REQUIRED');
      const joined = await call<JoinGroupResponse>(bs, JoinGroupApi, 5, joinBody({ groupId: group, memberId: first.memberId }));
      assert.equal(joined.errorCode, 0);
      assert.equal(joined.leader, first.memberId);
      const me = { groupId: group, generationId: joined.generationId, memberId: joined.memberId, groupInstanceId: null };
      const sync = await call<{ errorCode: number; assignment: Buffer }>(bs, SyncGroupApi, 3, {
        ...me,
        protocolType: null,
        protocolName: null,
        assignments: [{ memberId: joined.memberId, assignment: Buffer.from('mine') }],
      });
      assert.equal(sync.errorCode, 0);
      assert.equal(sync.assignment.toString(), 'mine');
      const heartbeat = (over: Record<string, unknown>) => call<{ errorCode: number }>(bs, HeartbeatApi, 3, { ...me, ...over });
      assert.equal((await heartbeat({})).errorCode, 0);

      // Bogus member ids, wrong generations, protocol problems, bad timeouts.
      assert.equal((await call<JoinGroupResponse>(bs, JoinGroupApi, 5, joinBody({ groupId: group, memberId: 'bogus' }))).errorCode, 25, 'UNKNOWN_MEMBER_ID');
      assert.equal((await heartbeat({ generationId: 99 })).errorCode, 22, 'ILLEGAL_GENERATION');
      assert.equal((await heartbeat({ memberId: 'bogus' })).errorCode, 25, 'UNKNOWN_MEMBER_ID');
      assert.equal(
        (await call<{ errorCode: number }>(bs, SyncGroupApi, 3, { ...me, generationId: 42, protocolType: null, protocolName: null, assignments: [] })).errorCode,
        22,
      );
      assert.equal((await call<JoinGroupResponse>(bs, JoinGroupApi, 5, joinBody({ groupId: group, protocolType: 'not-consumer' }))).errorCode, 23, 'INCONSISTENT_GROUP_PROTOCOL');
      assert.equal((await call<JoinGroupResponse>(bs, JoinGroupApi, 5, joinBody({ groupId: `${group}-x`, protocolType: '' }))).errorCode, 23);
      assert.equal((await call<JoinGroupResponse>(bs, JoinGroupApi, 5, joinBody({ groupId: `${group}-x`, protocols: [] }))).errorCode, 23);
      assert.equal((await call<JoinGroupResponse>(bs, JoinGroupApi, 5, joinBody({ groupId: `${group}-x`, sessionTimeoutMs: 1 }))).errorCode, 26, 'INVALID_SESSION_TIMEOUT');
      assert.equal((await call<JoinGroupResponse>(bs, JoinGroupApi, 5, joinBody({ groupId: '' }))).errorCode, 24, 'INVALID_GROUP_ID');
      const commit = await call<{ topics: Array<{ partitions: Array<{ errorCode: number }> }> }>(bs, OffsetCommitApi, 2, {
        groupId: group,
        generationIdOrMemberEpoch: 77,
        memberId: joined.memberId,
        groupInstanceId: null,
        retentionTimeMs: -1,
        topics: [{ name: 'whatever', topicId: '', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }] }],
      });
      assert.equal(commit.topics[0].partitions[0].errorCode, 22, 'commit with a wrong generation');

      // Huge metadata (4 MiB, under the frame limit): the join is answered with it; the
      // group record is then too large for __consumer_offsets and SyncGroup gets an error.
      const huge = Buffer.alloc(4 * 1024 * 1024, 7);
      const hugeGroup = `${group}-huge`;
      const hugeJoin = await call<JoinGroupResponse>(bs, JoinGroupApi, 3, joinBody({ groupId: hugeGroup, protocols: [{ name: 'range', metadata: huge }] }));
      assert.equal(hugeJoin.errorCode, 0);
      assert.equal(hugeJoin.members[0]?.metadata.length, huge.length);
      const hugeSync = await call<{ errorCode: number }>(bs, SyncGroupApi, 3, {
        groupId: hugeGroup,
        generationId: hugeJoin.generationId,
        memberId: hugeJoin.memberId,
        groupInstanceId: null,
        protocolType: null,
        protocolName: null,
        assignments: [{ memberId: hugeJoin.memberId, assignment: huge }],
      });
      assert.notEqual(hugeSync.errorCode, 0, 'a group record over max.message.bytes cannot be stored');

      // The healthy group is untouched and the broker still serves.
      assert.equal((await heartbeat({})).errorCode, 0, 'the healthy group kept its member and generation');
      await apiVersionsWorks(bs);
      assert.ok(tg().samsa === null || tg().samsa?.alive());
    });
  });

  test('ApiVersions advertises exactly the group API versions implemented', { timeout: 30_000 }, async () => {
    const versions = await apiVersionsWorks(tg().bootstrap);
    const range = (key: number): string => {
      const k = versions.apiKeys.find((x) => x.apiKey === key);
      return k === undefined ? 'missing' : `${k.minVersion}-${k.maxVersion}`;
    };
    assert.deepEqual(
      { findCoordinator: range(10), joinGroup: range(11), heartbeat: range(12), leaveGroup: range(13), syncGroup: range(14) },
      { findCoordinator: '0-4', joinGroup: '0-9', heartbeat: '0-4', leaveGroup: '0-5', syncGroup: '0-5' },
    );
    assert.deepEqual(
      { offsetCommit: range(8), offsetFetch: range(9), describeGroups: range(15), listGroups: range(16), deleteGroups: range(42), offsetDelete: range(47) },
      { offsetCommit: '0-9', offsetFetch: '0-9', describeGroups: '0-5', listGroups: '0-5', deleteGroups: '0-2', offsetDelete: '0-0' },
    );
  });

  test('kafkajs admin lists, describes and deletes groups and offsets', { timeout: 120_000 }, async (t) => {
    await logOnFailure(tg(), t, async () => {
      const bs = tg().bootstrap;
      const topic = uniqueTopic('grp-admin');
      const groupId = `g-admin-${topic}`;
      await tg().createTopic(topic, { partitions: 2 });
      await kafkajsProduce(bs, topic, numbered('adm', 10, 2));
      const consumer = kafkajs(bs).consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
      const admin = kafkajs(bs).admin();
      await admin.connect();
      t.after(() => admin.disconnect());
      let seen = 0;
      await consumer.connect();
      try {
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        await consumer.run({ autoCommitInterval: 100, eachMessage: async () => void seen++ });
        await waitFor(() => seen >= 10, { timeoutMs: 60_000, message: 'kafkajs consumer read 10 records' });
        const listed = await admin.listGroups();
        assert.deepEqual(listed.groups.find((g) => g.groupId === groupId), { groupId, protocolType: 'consumer' });
        const described = await admin.describeGroups([groupId]);
        const d = described.groups[0];
        assert.equal(d.state, 'Stable');
        assert.equal(d.protocol, 'RoundRobinAssigner');
        assert.equal(d.members.length, 1);
        assert.ok(d.members[0].memberAssignment.length > 0, 'the assignment is shown while Stable');
        await assert.rejects(admin.deleteGroups([groupId]), (err: { groups?: Array<{ errorCode?: number }> }) => err.groups?.[0]?.errorCode === 68);
      } finally {
        await consumer.disconnect();
      }
      await waitFor(async () => (await admin.describeGroups([groupId])).groups[0].state === 'Empty', { timeoutMs: 20_000, message: 'group Empty after the consumer left' });
      const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
      assert.deepEqual(committed[0].partitions.map((p) => p.offset).sort(), ['5', '5']);
      await admin.deleteGroups([groupId]);
      const afterDelete = await admin.fetchOffsets({ groupId, topics: [topic] });
      assert.deepEqual(afterDelete[0].partitions.map((p) => p.offset), ['-1', '-1'], 'offsets went with the group');
      const listed = await admin.listGroups();
      assert.equal(listed.groups.find((g) => g.groupId === groupId), undefined);
    });
  });
});
