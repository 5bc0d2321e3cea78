// Consumer-group admin through third-party admin tools against the real broker process (issue 3,
// acceptance "Admin: list/describe/delete groups and offsets via confluent AdminClient, kafkajs
// admin, and `samsa group`"):
//
//  1. confluent-kafka-python 1.7 + librdkafka 2.0.2: the binding's only group call
//     (AdminClient.list_groups) and librdkafka's C group admin API, which the 1.7 binding does not
//     wrap, called through ctypes (tests/clients/librdkafka_group_admin.py): ListConsumerGroups
//     (with a state filter), DescribeConsumerGroups, DeleteGroups, ListConsumerGroupOffsets,
//     AlterConsumerGroupOffsets, DeleteConsumerGroupOffsets. A two-member librdkafka group is
//     listed with its state, described with members and assignments, its offsets read back after
//     the members' commits; deleting it, altering or deleting its offsets is refused while it has
//     members; once Empty, altered offsets (and a `samsa group reset-offsets`) are where a new
//     consumer starts; deleted groups are gone. `samsa group describe` agrees with librdkafka.
//  2. kafkajs admin: setOffsets, resetOffsets (earliest, latest) and fetchOffsets (resolveOffsets)
//     on a group, seen by librdkafka and by a kafkajs consumer; setOffsets is refused while the
//     group runs. (listGroups, describeGroups, fetchOffsets and deleteGroups are in groups.test.ts;
//     the `samsa group` command's own suite is packages/cli/test/group.test.ts.)
//  3. OffsetCommit v2/v3 RetentionTimeMs sent by kafka-python: an offset committed with a short
//     retention expires (the broker's own retention is 7 days), offsets committed with a long
//     retention or -1 stay, also across a kill -9 and restart.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { kafkajs, kafkajsProduce } from '../support/kafkajs-driver.js';
import { repoRoot } from '../support/paths.js';
import { b64, uniqueTopic, unb64, type WireRecord } from '../support/records.js';
import { runProcess } from '../support/run-process.js';
import { runPython, startPython, type StreamingPython } from '../support/run-python.js';
import { logOnFailure, needsSamsa, startTarget, withTarget, type Target } from '../support/target.js';
import { waitFor, withTimeout } from '../support/wait-for.js';

/** A partition as the confluent driver reports it (offset -1001 = librdkafka's "invalid": no commit). */
interface RdPartition {
  topic: string;
  partition: number;
  offset: number;
  error_name: string | null;
}

interface RdOutcome {
  error_code: number;
  error_name: string | null;
  message?: string;
}

interface RdGroupResult extends RdOutcome {
  group: string;
  partitions: RdPartition[];
}

interface BindingGroup {
  group: string;
  error_name: string | null;
  state: string;
  protocol_type: string;
  protocol: string;
  members: Array<{ id: string; client_id: string; client_host: string; subscription: string[] | null; assignment: Array<[string, number]> }>;
}

interface RdDescription extends RdOutcome {
  group: string;
  state: string;
  is_simple: boolean;
  partition_assignor: string;
  coordinator: { id: number; host: string; port: number } | null;
  members: Array<{ consumer_id: string; group_instance_id: string | null; client_id: string; host: string; assignment: RdPartition[] }>;
}

/** One result of confluent_group_admin.py, by op. */
type RdResult = RdOutcome & {
  op: string;
  groups?: Array<BindingGroup | RdDescription | RdGroupResult | { group: string; is_simple: boolean; state: string }>;
  errors?: RdOutcome[];
};

type Op =
  | { op: 'list_groups'; group?: string }
  | { op: 'list_consumer_groups'; states?: string[] }
  | { op: 'describe_consumer_groups'; groups: string[] }
  | { op: 'delete_groups'; groups: string[] }
  | { op: 'list_offsets'; group: string; partitions?: Array<[string, number]> }
  | { op: 'alter_offsets'; group: string; offsets: Array<[string, number, number]> }
  | { op: 'delete_offsets'; group: string; partitions: Array<[string, number]> };

/** Runs the ops in one confluent_group_admin.py process; each result must not be a whole-call failure. */
async function rdAdmin(bootstrap: string, ops: Op[]): Promise<RdResult[]> {
  const { results } = await runPython<{ results: RdResult[] }>('confluent_group_admin', { bootstrap, ops, timeout_s: 20 }, 90_000);
  assert.equal(results.length, ops.length);
  results.forEach((r, i) => assert.equal(r.error_code, 0, `${ops[i].op}: ${r.error_name} ${r.message ?? ''}`));
  return results;
}

const listings = (r: RdResult) => (r.groups ?? []) as Array<{ group: string; is_simple: boolean; state: string }>;
const bindingGroups = (r: RdResult) => (r.groups ?? []) as BindingGroup[];
const descriptions = (r: RdResult) => (r.groups ?? []) as RdDescription[];
const groupResults = (r: RdResult) => (r.groups ?? []) as RdGroupResult[];

/** "partition=offset" of the one group of a ListConsumerGroupOffsets result. */
function offsetList(r: RdResult): string[] {
  const [g] = groupResults(r);
  assert.equal(g.error_code, 0, `${g.group}: ${g.error_name}`);
  return g.partitions.map((p) => {
    assert.equal(p.error_name, null, `partition ${p.partition}: ${p.error_name}`);
    return `${p.partition}=${p.offset}`;
  });
}

/** Records `<tag>-<i>` spread round-robin over `partitions` partitions. */
function numbered(tag: string, count: number, partitions: number): WireRecord[] {
  return Array.from({ length: count }, (_, i) => ({ key: b64(`k${i}`), value: b64(`${tag}-${i}`), headers: [], timestamp: null, partition: i % partitions }));
}

/** `samsa group ...` against `bootstrap`; the environment's SAMSA_BOOTSTRAP is ignored. */
async function samsaGroup(bootstrap: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = await runProcess(process.execPath, [join(repoRoot, 'packages', 'cli', 'bin', 'samsa.mjs'), 'group', ...args, '--bootstrap-server', bootstrap], {
    timeoutMs: 60_000,
    env: { ...process.env, SAMSA_BOOTSTRAP: '' },
  });
  return { code: r.code, stdout: r.stdout.toString(), stderr: r.stderr };
}

/** Rows of the first table of `samsa group` output (up to the first blank line), header dropped. */
function rows(stdout: string): string[][] {
  return stdout
    .split('\n\n')[0]
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/));
}

interface MemberLine {
  event: 'assigned' | 'revoked' | 'record' | 'error' | 'closed';
  partitions?: number[];
  partition?: number;
  offset?: number;
  error?: string;
}

/** A confluent-kafka group member (tests/clients/group_confluent_member.py): commits each record synchronously. */
class Member {
  readonly clientId: string;
  readonly proc: StreamingPython;

  constructor(clientId: string, bootstrap: string, topic: string, group: string) {
    this.clientId = clientId;
    this.proc = startPython('group_confluent_member', { bootstrap, topic, group, config: { 'client.id': clientId } });
  }

  get lines(): MemberLine[] {
    return this.proc.lines as MemberLine[];
  }

  /** Partitions of the latest assignment (empty after a revocation). */
  get assignment(): number[] {
    for (let i = this.lines.length - 1; i >= 0; i--) {
      const l = this.lines[i];
      if (l.event === 'assigned') return l.partitions ?? [];
      if (l.event === 'revoked') return [];
    }
    return [];
  }

  get recordCount(): number {
    return this.lines.filter((l) => l.event === 'record').length;
  }

  get errors(): string[] {
    return this.lines.filter((l) => l.event === 'error').map((l) => l.error ?? '');
  }

  async close(): Promise<void> {
    this.proc.child.stdin.write('close\n');
    const code = await withTimeout(this.proc.exit, 30_000, `${this.clientId} exits after close`);
    assert.equal(code, 0, `${this.clientId} exited with ${code}: ${this.proc.stderr().slice(-2000)}`);
  }

  kill(): void {
    if (this.proc.child.exitCode === null) this.proc.child.kill('SIGKILL');
  }
}

interface GroupConsumeResult {
  records: Array<{ partition: number; offset: number; value: string | null }>;
  errors: string[];
  timed_out: boolean;
}

/** Offsets read per partition, as "p:o,o,...", for exact comparisons. */
function offsetsByPartition(records: Array<{ partition: number; offset: number }>): string[] {
  const by = new Map<number, number[]>();
  for (const r of records) by.set(r.partition, [...(by.get(r.partition) ?? []), r.offset]);
  return [...by.entries()].sort((a, b) => a[0] - b[0]).map(([p, os]) => `${p}:${os.sort((a, b) => a - b).join(',')}`);
}

const range = (from: number, to: number): string => Array.from({ length: to - from }, (_, i) => from + i).join(',');

describe('consumer-group admin clients', { timeout: 600_000 }, () => {
  let target: Target | undefined;
  before(async () => {
    target = await startTarget({ settings: { 'group.initial.rebalance.delay.ms': 300, 'num.partitions': 1 } });
  });
  after(() => target?.stop());

  const tg = (): Target => {
    if (target === undefined) throw new Error('target did not start');
    return target;
  };

  test('confluent AdminClient (1.7 binding + librdkafka C API) and samsa group list, describe, alter and delete a group and its offsets', { timeout: 300_000 }, async (t) => {
    if (!needsSamsa(t)) return;
    await logOnFailure(tg(), t, async () => {
      const bs = tg().bootstrap;
      const topic = uniqueTopic('gadm-rd');
      const group = `g-${topic}`;
      const missing = `missing-${topic}`;
      await tg().createTopic(topic, { partitions: 4 });
      await kafkajsProduce(bs, topic, numbered('rd', 40, 4)); // 10 records per partition

      // A two-member librdkafka group reads everything, committing after each record.
      const members = ['m1', 'm2'].map((id) => new Member(id, bs, topic, group));
      t.after(() => members.forEach((m) => m.kill()));
      const describeMembers = (): string => members.map((m) => `${m.clientId}=${JSON.stringify(m.assignment)} read ${m.recordCount}`).join(' ');
      await waitFor(
        () =>
          members.every((m) => m.assignment.length === 2) &&
          JSON.stringify(members.flatMap((m) => m.assignment).sort()) === '[0,1,2,3]' &&
          members.reduce((n, m) => n + m.recordCount, 0) >= 40,
        { timeoutMs: 90_000, message: 'two librdkafka members owning 2 partitions each, 40 records read and committed' },
      ).catch((err: unknown) => {
        throw new Error(`${String(err)}; ${describeMembers()}`);
      });
      const assignmentOf = new Map(members.map((m) => [m.clientId, m.assignment]));

      const active = await rdAdmin(bs, [
        { op: 'list_groups' },
        { op: 'list_consumer_groups' },
        { op: 'list_consumer_groups', states: ['Stable'] },
        { op: 'list_consumer_groups', states: ['Empty'] },
        { op: 'describe_consumer_groups', groups: [group, missing] },
        { op: 'list_offsets', group },
        { op: 'list_offsets', group, partitions: [[topic, 1]] },
        { op: 'delete_groups', groups: [group] },
        { op: 'alter_offsets', group, offsets: [[topic, 0, 3]] },
        { op: 'delete_offsets', group, partitions: [[topic, 0]] },
        { op: 'list_offsets', group },
      ]);

      // The binding's list_groups: state, protocol, members with their subscriptions and assignments.
      const listed = bindingGroups(active[0]).find((g) => g.group === group);
      assert.ok(listed !== undefined, `list_groups shows ${group}: ${JSON.stringify(active[0].groups)}`);
      assert.deepEqual(
        { error: listed.error_name, state: listed.state, protocolType: listed.protocol_type, protocol: listed.protocol },
        { error: null, state: 'Stable', protocolType: 'consumer', protocol: 'range' },
      );
      assert.deepEqual(
        listed.members.map((m) => ({ client: m.client_id, host: m.client_host, subscription: m.subscription, assignment: m.assignment })).sort((a, b) => a.client.localeCompare(b.client)),
        members.map((m) => ({
          client: m.clientId,
          host: '/127.0.0.1',
          subscription: [topic],
          assignment: (assignmentOf.get(m.clientId) ?? []).map((p) => [topic, p]),
        })),
        'each member as librdkafka sees itself',
      );

      // ListConsumerGroups, also filtered by state.
      assert.deepEqual(listings(active[1]).find((g) => g.group === group), { group, is_simple: false, state: 'Stable' });
      assert.ok(listings(active[2]).some((g) => g.group === group), 'listed with states=[Stable]');
      assert.ok(!listings(active[3]).some((g) => g.group === group), 'not listed with states=[Empty]');
      assert.ok(listings(active[2]).every((g) => g.state === 'Stable'), JSON.stringify(active[2].groups));

      // DescribeConsumerGroups: members, assignments, coordinator; an unknown group is Dead.
      const [described, unknown] = descriptions(active[4]);
      assert.deepEqual(
        { error: described.error_name, state: described.state, simple: described.is_simple, assignor: described.partition_assignor },
        { error: null, state: 'Stable', simple: false, assignor: 'range' },
      );
      assert.deepEqual(described.coordinator, { id: 0, host: '127.0.0.1', port: tg().samsa?.port });
      assert.deepEqual(
        described.members.map((m) => ({ id: m.consumer_id, client: m.client_id, instance: m.group_instance_id, partitions: m.assignment.map((p) => p.partition) })),
        [...listed.members]
          .sort((a, b) => a.client_id.localeCompare(b.client_id))
          .map((m) => ({ id: m.id, client: m.client_id, instance: null, partitions: assignmentOf.get(m.client_id) })),
      );
      assert.deepEqual({ group: unknown.group, state: unknown.state, members: unknown.members }, { group: missing, state: 'Dead', members: [] });

      // Offsets committed by the members; refusals while the group has members.
      assert.deepEqual(offsetList(active[5]), ['0=10', '1=10', '2=10', '3=10']);
      assert.deepEqual(offsetList(active[6]), ['1=10']);
      assert.deepEqual(
        groupResults(active[7]).map((g) => [g.group, g.error_name]),
        [[group, 'NON_EMPTY_GROUP']],
      );
      assert.deepEqual(groupResults(active[8])[0].partitions.map((p) => p.error_name), ['UNKNOWN_MEMBER_ID'], 'a generation -1 commit to a group with members');
      assert.deepEqual(groupResults(active[9])[0].partitions.map((p) => p.error_name), ['GROUP_SUBSCRIBED_TO_TOPIC']);
      assert.deepEqual(offsetList(active[10]), ['0=10', '1=10', '2=10', '3=10'], 'nothing changed');

      // samsa group describe shows the same members owning the same partitions.
      const owner = new Map<number, string>();
      for (const m of described.members) for (const p of m.assignment) owner.set(p.partition, m.consumer_id);
      const cliActive = await samsaGroup(bs, ['describe', group]);
      assert.equal(cliActive.code, 0, cliActive.stderr);
      assert.deepEqual(
        rows(cliActive.stdout).map((r) => r.slice(0, 7)),
        [0, 1, 2, 3].map((p) => [group, topic, String(p), '10', '10', '0', owner.get(p)]),
      );

      await Promise.all(members.map((m) => m.close()));
      assert.deepEqual(members.flatMap((m) => m.errors), []);
      await waitFor(async () => listings((await rdAdmin(bs, [{ op: 'list_consumer_groups', states: ['Empty'] }]))[0]).some((g) => g.group === group), {
        timeoutMs: 30_000,
        intervalMs: 500,
        message: `${group} listed as Empty after its members closed`,
      });

      // Empty: alter and delete offsets work, and `samsa group reset-offsets` too.
      const empty = await rdAdmin(bs, [
        { op: 'alter_offsets', group, offsets: [[topic, 0, 3], [topic, 1, 4]] },
        { op: 'delete_offsets', group, partitions: [[topic, 3]] },
        { op: 'list_offsets', group },
        { op: 'describe_consumer_groups', groups: [group] },
      ]);
      assert.deepEqual(groupResults(empty[0])[0].partitions.map((p) => [p.partition, p.offset, p.error_name]), [[0, 3, null], [1, 4, null]]);
      assert.deepEqual(groupResults(empty[1])[0].partitions.map((p) => [p.partition, p.error_name]), [[3, null]]);
      assert.deepEqual(offsetList(empty[2]), ['0=3', '1=4', '2=10'], 'altered, and partition 3 deleted');
      assert.deepEqual({ state: descriptions(empty[3])[0].state, members: descriptions(empty[3])[0].members }, { state: 'Empty', members: [] });
      const reset = await samsaGroup(bs, ['reset-offsets', group, '--topic', `${topic}:2`, '--to-offset', '8', '--execute']);
      assert.equal(reset.code, 0, reset.stderr);
      const cliEmpty = await samsaGroup(bs, ['describe', group]);
      assert.equal(cliEmpty.code, 0, cliEmpty.stderr);
      assert.deepEqual(
        rows(cliEmpty.stdout).map((r) => r.slice(0, 4)),
        [
          [group, topic, '0', '3'],
          [group, topic, '1', '4'],
          [group, topic, '2', '8'],
        ],
      );
      assert.deepEqual(offsetList((await rdAdmin(bs, [{ op: 'list_offsets', group }]))[0]), ['0=3', '1=4', '2=8'], 'librdkafka reads what samsa group wrote');

      // A new member starts exactly there (partition 3 has no commit: auto.offset.reset=earliest).
      const resumed = await runPython<GroupConsumeResult>('group_confluent_consume', { bootstrap: bs, topic, group, count: 7 + 6 + 2 + 10, timeout_s: 60 }, 90_000);
      assert.deepEqual(resumed.errors, []);
      assert.deepEqual(offsetsByPartition(resumed.records), [`0:${range(3, 10)}`, `1:${range(4, 10)}`, '2:8,9', `3:${range(0, 10)}`]);
      assert.ok(resumed.records.every((r) => unb64(r.value ?? '').toString().startsWith('rd-')));

      // Delete: the group and its offsets are gone; an unknown group is GROUP_ID_NOT_FOUND.
      await waitFor(async () => listings((await rdAdmin(bs, [{ op: 'list_consumer_groups', states: ['Empty'] }]))[0]).some((g) => g.group === group), {
        timeoutMs: 30_000,
        intervalMs: 500,
        message: `${group} Empty again after the consumer closed`,
      });
      const deleted = await rdAdmin(bs, [
        { op: 'delete_groups', groups: [group, missing] },
        { op: 'list_consumer_groups' },
        { op: 'list_groups' },
        { op: 'list_offsets', group },
        { op: 'describe_consumer_groups', groups: [group] },
      ]);
      assert.deepEqual(
        groupResults(deleted[0]).map((g) => [g.group, g.error_name]),
        [
          [group, null],
          [missing, 'GROUP_ID_NOT_FOUND'],
        ],
      );
      assert.ok(!listings(deleted[1]).some((g) => g.group === group), 'not listed by ListConsumerGroups');
      assert.ok(!bindingGroups(deleted[2]).some((g) => g.group === group), 'not listed by the binding');
      assert.deepEqual(offsetList(deleted[3]), [], 'no offsets left');
      assert.equal(descriptions(deleted[4])[0].state, 'Dead');
      const cliGone = await samsaGroup(bs, ['describe', group]);
      assert.equal(cliGone.code, 1);
      assert.equal(cliGone.stderr, `samsa: consumer group '${group}' does not exist.\n`);
    });
  });

  test('kafkajs admin setOffsets, resetOffsets and fetchOffsets, seen by librdkafka and by a consumer', { timeout: 240_000 }, async (t) => {
    if (!needsSamsa(t)) return;
    await logOnFailure(tg(), t, async () => {
      const bs = tg().bootstrap;
      const topic = uniqueTopic('gadm-kjs');
      const groupId = `g-${topic}`;
      await tg().createTopic(topic, { partitions: 2 });
      await kafkajsProduce(bs, topic, numbered('kjs', 20, 2)); // 10 records per partition
      const admin = kafkajs(bs).admin();
      await admin.connect();
      t.after(() => admin.disconnect());
      const fetched = async (resolveOffsets = false): Promise<string[]> =>
        (await admin.fetchOffsets({ groupId, topics: [topic], resolveOffsets }))[0].partitions.map((p) => `${p.partition}=${p.offset}`).sort();

      await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '2' }, { partition: 1, offset: '7' }] });
      assert.deepEqual(await fetched(), ['0=2', '1=7']);
      assert.deepEqual(offsetList((await rdAdmin(bs, [{ op: 'list_offsets', group: groupId }]))[0]), ['0=2', '1=7'], 'librdkafka reads what kafkajs set');

      // A kafkajs consumer of the group starts at the set offsets.
      const consumer = kafkajs(bs).consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
      const read: Array<{ partition: number; offset: number }> = [];
      await consumer.connect();
      try {
        await consumer.subscribe({ topics: [topic] });
        await consumer.run({ eachMessage: async ({ partition, message }) => void read.push({ partition, offset: Number(message.offset) }) });
        await waitFor(() => read.length >= 11, { timeoutMs: 60_000, message: 'kafkajs consumer read 11 records' });
        const running = await admin.describeGroups([groupId]);
        assert.equal(running.groups[0].state, 'Stable');
        await assert.rejects(
          admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '0' }] }),
          /must have no running instances, current state: Stable/,
        );
      } finally {
        await consumer.disconnect();
      }
      assert.deepEqual(offsetsByPartition(read), [`0:${range(2, 10)}`, `1:${range(7, 10)}`]);
      await waitFor(async () => (await admin.describeGroups([groupId])).groups[0].state === 'Empty', { timeoutMs: 20_000, message: 'group Empty after the consumer left' });

      // resetOffsets commits kafkajs's "earliest"/"latest" markers; fetchOffsets(resolveOffsets) turns them into offsets and commits those.
      await admin.resetOffsets({ groupId, topic, earliest: true });
      assert.deepEqual(await fetched(true), ['0=0', '1=0']);
      assert.deepEqual(await fetched(), ['0=0', '1=0'], 'the resolved offsets were committed');
      await admin.resetOffsets({ groupId, topic, earliest: false });
      assert.deepEqual(await fetched(true), ['0=10', '1=10']);
      assert.deepEqual(offsetList((await rdAdmin(bs, [{ op: 'list_offsets', group: groupId }]))[0]), ['0=10', '1=10']);

      await admin.deleteGroups([groupId]);
      assert.deepEqual(await fetched(), ['0=-1', '1=-1'], 'offsets went with the group');
    });
  });

  test('OffsetCommit v2/v3 RetentionTimeMs from kafka-python: a short retention expires, a long one or -1 stays, also across kill -9', { timeout: 180_000 }, async (t) => {
    if (!needsSamsa(t)) return;
    // Its own broker: offsets are looked at every 200 ms; the broker's own retention stays 7 days.
    await withTarget(t, { settings: { 'offsets.retention.check.interval.ms': 200 } }, async (target) => {
      const bs = target.bootstrap;
      const topic = uniqueTopic('gadm-ret');
      const group = `g-${topic}`;
      await target.createTopic(topic, { partitions: 3 });
      type Kpy = { results: Array<{ partitions: Array<[string, number, number] | [string, number, number, number]>; error_code?: number }> };
      const kpy = (ops: unknown[]): Promise<Kpy> => runPython<Kpy>('group_admin_kafka_python', { bootstrap: bs, group, ops }, 60_000);
      const committed = await kpy([
        { op: 'commit', version: 2, retention_ms: 600_000, offsets: [[topic, 0, 5]] },
        { op: 'commit', version: 3, retention_ms: 1_000, offsets: [[topic, 1, 6]] },
        { op: 'commit', version: 2, retention_ms: -1, offsets: [[topic, 2, 7]] },
      ]);
      assert.deepEqual(
        committed.results.map((r) => r.partitions),
        [[[topic, 0, 0]], [[topic, 1, 0]], [[topic, 2, 0]]],
        'every commit accepted',
      );
      const admin = kafkajs(bs).admin();
      await admin.connect();
      t.after(() => admin.disconnect());
      const fetched = async (): Promise<string[]> =>
        (await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0].partitions.map((p) => `${p.partition}=${p.offset}`).sort();
      let last: string[] = [];
      await waitFor(
        async () => {
          last = await fetched();
          return last.includes('1=-1');
        },
        { timeoutMs: 30_000, intervalMs: 200, message: 'the offset committed with RetentionTimeMs 1000 expired' },
      ).catch((err: unknown) => {
        throw new Error(`${String(err)}; offsets ${JSON.stringify(last)}`);
      });
      assert.deepEqual(last, ['0=5', '1=-1', '2=7'], 'only the short retention expired');

      const samsa = target.samsa;
      assert.ok(samsa !== null);
      await admin.disconnect();
      await samsa.kill9();
      await samsa.restart();
      const afterRestart = await kpy([{ op: 'fetch', partitions: [[topic, 0], [topic, 1], [topic, 2]] }]);
      assert.deepEqual(afterRestart.results[0], {
        error_code: 0,
        partitions: [
          [topic, 0, 5, 0],
          [topic, 1, -1, 0],
          [topic, 2, 7, 0],
        ],
      }, 'the expiry was persisted; the offset with a 10 minute retention (an OffsetCommitValue v1) was loaded');
    });
  });
});
