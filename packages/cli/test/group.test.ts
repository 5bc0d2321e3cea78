import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startBroker } from '@samsa/broker';
import { Admin } from '@samsa/client';
import { Kafka, logLevel } from 'kafkajs';

const bin = fileURLToPath(new URL('../../bin/samsa.mjs', import.meta.url));

function samsa(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { timeout: 30_000, env: { ...process.env, SAMSA_BOOTSTRAP: '' } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The rows of the first table in `out` (up to the first blank line), split on runs of spaces, header dropped. */
function rows(out: string): string[][] {
  const block = out.split('\n\n')[0].trim().split('\n');
  return block.slice(1).map((l) => l.trim().split(/\s+/));
}

/** Resolves with `p`, or rejects after `ms` naming what was awaited. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

const T0 = Date.UTC(2024, 0, 1);
const MINUTE = 60_000;

test('samsa group list, describe, reset-offsets and delete against a running broker', { timeout: 120_000 }, async (t) => {
  const broker = await startBroker({ config: { 'group.initial.rebalance.delay.ms': '0' } });
  t.after(() => broker.stop());
  const b = ['--bootstrap-server', broker.bootstrap];
  const admin = await Admin.connect(broker.bootstrap, { timeoutMs: 10_000 });
  t.after(() => admin.close());
  await admin.createTopics([{ name: 'orders', numPartitions: 2 }]);

  // 5 records in partition 0 and 3 in partition 1, one a minute from T0 in each.
  const kafka = new Kafka({ clientId: 'group-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3 } });
  const producer = kafka.producer();
  await within(producer.connect(), 15_000, 'producer connect');
  t.after(() => producer.disconnect());
  const records = (partition: number, n: number) => Array.from({ length: n }, (_, i) => ({ partition, value: `v${i}`, timestamp: String(T0 + i * MINUTE) }));
  await within(producer.send({ topic: 'orders', acks: -1, messages: [...records(0, 5), ...records(1, 3)] }), 15_000, 'produce');

  await admin.commitOffsets('g1', [
    { topic: 'orders', partition: 0, offset: 2 },
    { topic: 'orders', partition: 1, offset: 3 },
  ]);
  const committed = async (group: string): Promise<number[]> => (await admin.fetchOffsets(group)).map((o) => o.offset);

  // list
  const list = await samsa(['group', 'list', ...b]);
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual(list.stdout.trim().split('\n'), ['g1']);
  const empty = await samsa(['group', 'list', '--state', 'empty', ...b]);
  assert.equal(empty.code, 0, empty.stderr);
  assert.deepEqual(rows(empty.stdout), [['g1', 'Empty']]);
  assert.deepEqual(rows((await samsa(['group', 'list', '--state', 'Stable', ...b])).stdout), []);

  // describe: exact lag per partition, no members
  const described = await samsa(['group', 'describe', 'g1', ...b]);
  assert.equal(described.code, 0, described.stderr);
  assert.match(described.stdout, /^GROUP\s+TOPIC\s+PARTITION\s+CURRENT-OFFSET\s+LOG-END-OFFSET\s+LAG\s+CONSUMER-ID\s+HOST\s+CLIENT-ID\n/);
  assert.deepEqual(rows(described.stdout), [
    ['g1', 'orders', '0', '2', '5', '3', '-', '-', '-'],
    ['g1', 'orders', '1', '3', '3', '0', '-', '-', '-'],
  ]);
  assert.match(described.stdout, /Consumer group 'g1' has no active members\./);
  assert.match(described.stdout, /\ng1\s+127\.0\.0\.1:\d+ \(\d+\)\s+-\s+Empty\s+0\n/);
  // Columns are aligned: every line of the table has CURRENT-OFFSET at the same position.
  const lines = described.stdout.split('\n').slice(0, 3);
  const col = lines[0].indexOf('CURRENT-OFFSET');
  assert.ok(lines.every((l) => l[col - 1] === ' ' && l[col] !== ' '), described.stdout);

  const missing = await samsa(['group', 'describe', 'nope', ...b]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, "samsa: consumer group 'nope' does not exist.\n");

  // reset: a dry run changes nothing
  const dry = await samsa(['group', 'reset-offsets', 'g1', '--topic', 'orders', '--to-earliest', ...b]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.deepEqual(rows(dry.stdout), [
    ['g1', 'orders', '0', '0'],
    ['g1', 'orders', '1', '0'],
  ]);
  assert.match(dry.stderr, /--execute/);
  assert.deepEqual(await committed('g1'), [2, 3]);

  // reset --execute, each mode (offsets clamp into [earliest, latest])
  const cases: [string[], number[]][] = [
    [['--to-earliest'], [0, 0]],
    [['--to-latest'], [5, 3]],
    [['--to-offset', '4'], [4, 3]],
    [['--shift-by', '-2'], [2, 1]],
    [['--shift-by', '-5'], [0, 0]],
    [['--shift-by', '100'], [5, 3]],
    [['--to-datetime', '2024-01-01T00:02:00Z'], [2, 2]],
    [['--to-datetime', '2024-01-01T00:03:30.000Z'], [4, 3]],
  ];
  for (const [mode, expected] of cases) {
    const r = await samsa(['group', 'reset-offsets', 'g1', '--topic', 'orders', ...mode, '--execute', ...b]);
    assert.equal(r.code, 0, `${mode.join(' ')}: ${r.stderr}`);
    assert.deepEqual(rows(r.stdout).map((row) => Number(row[3])), expected, mode.join(' '));
    assert.deepEqual(await committed('g1'), expected, mode.join(' '));
  }
  const onePartition = await samsa(['group', 'reset-offsets', 'g1', '--topic', 'orders:1', '--to-offset', '1', '--execute', ...b]);
  assert.equal(onePartition.code, 0, onePartition.stderr);
  assert.deepEqual(rows(onePartition.stdout), [['g1', 'orders', '1', '1']]);
  assert.deepEqual(await committed('g1'), [4, 1]);
  const allTopics = await samsa(['group', 'reset-offsets', 'g1', '--all-topics', '--to-latest', '--execute', ...b]);
  assert.equal(allTopics.code, 0, allTopics.stderr);
  assert.deepEqual(await committed('g1'), [5, 3]);

  const badPartition = await samsa(['group', 'reset-offsets', 'g1', '--topic', 'orders:7', '--to-earliest', ...b]);
  assert.equal(badPartition.code, 1);
  assert.match(badPartition.stderr, /^samsa: topic orders has no partition 7.*\n$/);
  const unknownTopic = await samsa(['group', 'reset-offsets', 'g1', '--topic', 'ghost', '--to-earliest', ...b]);
  assert.equal(unknownTopic.code, 1);
  assert.match(unknownTopic.stderr, /^samsa: ghost: UNKNOWN_TOPIC_OR_PARTITION.*\n$/);

  // An active group: describe shows the member, reset and delete refuse.
  const consumer = kafka.consumer({ groupId: 'g2', sessionTimeout: 10_000, rebalanceTimeout: 10_000 });
  t.after(() => consumer.disconnect());
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await within(consumer.connect(), 15_000, 'consumer connect');
  await consumer.subscribe({ topic: 'orders', fromBeginning: true });
  await consumer.run({ autoCommit: false, eachMessage: async () => {} });
  await within(joined, 20_000, 'kafkajs consumer to join g2');
  const [g2] = await admin.describeGroups(['g2']);
  assert.equal(g2.groupState, 'Stable');
  const memberId = g2.members[0].memberId;

  const active = await samsa(['group', 'describe', 'g2', ...b]);
  assert.equal(active.code, 0, active.stderr);
  assert.deepEqual(rows(active.stdout), [
    ['g2', 'orders', '0', '-', '5', '-', memberId, g2.members[0].clientHost, 'group-test'],
    ['g2', 'orders', '1', '-', '3', '-', memberId, g2.members[0].clientHost, 'group-test'],
  ]);
  assert.match(active.stdout, /\sStable\s+1\n/);
  assert.ok(active.stdout.includes(`orders(0,1)`), active.stdout);
  const stableList = await samsa(['group', 'list', '--state', 'Stable,Empty', ...b]);
  assert.deepEqual(rows(stableList.stdout), [
    ['g1', 'Empty'],
    ['g2', 'Stable'],
  ]);

  const refused = await samsa(['group', 'reset-offsets', 'g2', '--topic', 'orders', '--to-earliest', '--execute', ...b]);
  assert.equal(refused.code, 1);
  assert.equal(refused.stderr, "samsa: Assignments can only be reset if the group 'g2' is inactive, but the current state is Stable.\n");
  const nonEmpty = await samsa(['group', 'delete', 'g2', ...b]);
  assert.equal(nonEmpty.code, 1);
  assert.match(nonEmpty.stderr, /^samsa: group g2: NON_EMPTY_GROUP.*\n$/);
  await within(consumer.disconnect(), 15_000, 'consumer disconnect');

  // delete-offsets, then delete
  const delOffsets = await samsa(['group', 'delete-offsets', 'g1', '--topic', 'orders:1', ...b]);
  assert.equal(delOffsets.code, 0, delOffsets.stderr);
  assert.deepEqual(
    (await admin.fetchOffsets('g1')).map((o) => [o.partition, o.offset]),
    [[0, 5]],
  );
  const deleted = await samsa(['group', 'delete', 'g1', 'g2', ...b]);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.match(deleted.stdout, /Deletion of requested consumer groups \('g1', 'g2'\) was successful\./);
  assert.equal((await samsa(['group', 'list', ...b])).stdout, '');
  const again = await samsa(['group', 'delete', 'g1', ...b]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /^samsa: group g1: GROUP_ID_NOT_FOUND.*\n$/);
});

test('samsa group: bad flags exit 2 with a one-line message, before contacting a broker', { timeout: 60_000 }, async () => {
  const b = ['--bootstrap-server', '127.0.0.1:1'];
  const cases: [string[], RegExp][] = [
    [['group', 'frobnicate'], /unknown group command 'frobnicate'.*--help/],
    [['group', 'describe', ...b], /needs a group id/],
    [['group', 'list', '--state', 'Sleeping', ...b], /unknown group state 'Sleeping': expected one of .*Stable/],
    [['group', 'reset-offsets', 'g', '--topic', 'orders', ...b], /needs one of --to-earliest/],
    [['group', 'reset-offsets', 'g', '--topic', 'orders', '--to-earliest', '--to-latest', ...b], /only one reset mode/],
    [['group', 'reset-offsets', 'g', '--to-earliest', ...b], /needs --topic/],
    [['group', 'reset-offsets', 'g', '--topic', 'orders:x', '--to-earliest', ...b], /--topic expects T or T:P,P/],
    [['group', 'reset-offsets', 'g', '--topic', 'orders', '--to-offset', 'ten', ...b], /--to-offset expects a whole number/],
    [['group', 'reset-offsets', 'g', '--topic', 'orders', '--shift-by', '1.5', ...b], /--shift-by expects a whole number/],
    [['group', 'reset-offsets', 'g', '--topic', 'orders', '--to-datetime', 'yesterday', ...b], /--to-datetime expects an ISO-8601 time/],
    [['group', 'reset-offsets', 'g', '--topic', 'orders', '--to-latest', '--execute', '--dry-run', ...b], /either --execute or --dry-run/],
    [['group', 'describe', 'g', '--to-latest', ...b], /--to-latest only applies to 'samsa group reset-offsets'/],
    [['group', 'list', '--bogus', ...b], /Unknown option '--bogus'/],
  ];
  for (const [args, message] of cases) {
    const r = await samsa(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, message);
  }
  const unreachable = await samsa(['group', 'list', ...b]);
  assert.equal(unreachable.code, 1);
  assert.match(unreachable.stderr, /^samsa: cannot connect to 127\.0\.0\.1:1.*--bootstrap-server.*\n$/);
});
