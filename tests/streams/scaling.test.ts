// Issue 14, scaling a Samsa Streams application 1 -> 3 -> 2 instances (each its own process) while
// confluent-kafka-python feeds input, with exactly_once_v2: tasks move between instances through
// rebalances, their counts-store state moves through changelog restoration, and the
// read_committed output is still exactly 1, 2, ..., n per word.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Kafka, silentLogger } from '@samsa/client';
import { exited } from '../support/cleanup.js';
import { uniqueTopic } from '../support/records.js';
import { startSamsa } from '../support/samsa-process.js';
import { waitFor } from '../support/wait-for.js';
import { assertExactCounts, produceLines, reachedTotals, readWordCounts, startWordCountApp, wordLines, wordTotals, type AppProcess } from './word-count-harness.js';

test('scaling 1 -> 3 -> 2 instances during input (exactly_once_v2): exact counts, tasks spread over the members', { timeout: 300_000 }, async (t) => {
  const samsa = await startSamsa();
  t.after(() => samsa.stop());
  const admin = new Kafka({ brokers: samsa.bootstrap, logger: silentLogger }).admin();
  await admin.connect();
  t.after(() => admin.disconnect());
  const input = uniqueTopic('scale-input');
  const output = uniqueTopic('scale-output');
  const applicationId = uniqueTopic('scale');
  await admin.createTopics([
    { name: input, numPartitions: 4, replicationFactor: 1 },
    { name: output, numPartitions: 2, replicationFactor: 1 },
  ]);
  const spec = { bootstrap: samsa.bootstrap, applicationId, input, output, guarantee: 'exactly_once_v2' };
  const apps: AppProcess[] = [];
  t.after(async () => {
    for (const a of apps) a.child.kill('SIGKILL');
  });
  const chunks = [wordLines(3, 200), wordLines(5, 200), wordLines(9, 200)];
  let offset = 0;
  const feed = async (lines: string[]) => {
    await produceLines(samsa.bootstrap, input, lines, offset);
    offset += lines.length;
  };

  apps.push(startWordCountApp(spec));
  await feed(chunks[0]);
  await waitFor(() => apps[0].states.includes('RUNNING'), { timeoutMs: 60_000, message: 'the first instance runs' });
  apps.push(startWordCountApp(spec), startWordCountApp(spec));
  await feed(chunks[1]);
  const stableWith = async (n: number) => {
    const [g] = await admin.describeGroups([applicationId]);
    return g?.groupState === 'Stable' && g.members.length === n && g.members.every((m) => m.assignment !== null);
  };
  await waitFor(() => stableWith(3), { timeoutMs: 60_000, intervalMs: 200, message: 'the group is stable with three members' });
  const [group3] = await admin.describeGroups([applicationId]);
  assert.equal(group3.protocolData, 'samsa-streams');
  // 4 input partitions and 4 repartition partitions: 8 tasks over 3 members.
  const sizes = group3.members.map((m) => (m.assignment ?? []).reduce((n, a) => n + a.partitions.length, 0)).sort();
  assert.deepEqual(sizes, [2, 3, 3], `partitions per member: ${JSON.stringify(group3.members.map((m) => m.assignment))}`);

  const leaving = apps[1];
  leaving.child.kill('SIGTERM');
  await exited(leaving.child);
  await feed(chunks[2]);
  await waitFor(() => stableWith(2), { timeoutMs: 60_000, intervalMs: 200, message: 'the group is stable with two members' });

  const totals = wordTotals(chunks.flat());
  let seen = new Map<string, number[]>();
  await waitFor(
    async () => {
      seen = await readWordCounts(samsa.bootstrap, output);
      return reachedTotals(seen, totals);
    },
    { timeoutMs: 150_000, intervalMs: 500, message: `final counts (states ${JSON.stringify(apps.map((a) => a.states))})` },
  );
  assertExactCounts(seen, totals);
  for (const a of [apps[0], apps[2]]) {
    a.child.kill('SIGTERM');
    await exited(a.child);
  }
});
