// Issue 14, exactly_once_v2 across a kill -9: a word count instance (its own process) is killed with
// SIGKILL while confluent-kafka-python keeps feeding it lines; a new instance takes over. In the
// read_committed output, every word's counts are exactly 1, 2, ..., n: no duplicate from the
// batches that were being processed at the kill, no gap, and the aggregates continue from the
// state restored from the changelog (which the aborted transaction never reached).
import { test } from 'node:test';
import { Kafka, silentLogger } from '@samsa/client';
import { exited } from '../support/cleanup.js';
import { uniqueTopic } from '../support/records.js';
import { startSamsa } from '../support/samsa-process.js';
import { waitFor } from '../support/wait-for.js';
import { assertExactCounts, produceLines, reachedTotals, readWordCounts, startWordCountApp, wordLines, wordTotals } from './word-count-harness.js';

test('exactly_once_v2: kill -9 of an instance mid-stream, then a new instance: read_committed counts are exactly 1..n per word', { timeout: 300_000 }, async (t) => {
  const samsa = await startSamsa();
  t.after(() => samsa.stop());
  const admin = new Kafka({ brokers: samsa.bootstrap, logger: silentLogger }).admin();
  await admin.connect();
  t.after(() => admin.disconnect());
  const input = uniqueTopic('eos-kill-input');
  const output = uniqueTopic('eos-kill-output');
  const applicationId = uniqueTopic('eos-kill');
  await admin.createTopics([
    { name: input, numPartitions: 3, replicationFactor: 1 },
    { name: output, numPartitions: 3, replicationFactor: 1 },
  ]);
  const spec = { bootstrap: samsa.bootstrap, applicationId, input, output, guarantee: 'exactly_once_v2' };
  const first = wordLines(7, 400);
  const second = wordLines(11, 400);
  await produceLines(samsa.bootstrap, input, first, 0);
  const victim = startWordCountApp(spec);
  t.after(() => victim.child.kill('SIGKILL'));
  let seen = new Map<string, number[]>();
  await waitFor(
    async () => {
      seen = await readWordCounts(samsa.bootstrap, output);
      return [...seen.values()].reduce((n, s) => n + s.length, 0) >= 150;
    },
    { timeoutMs: 90_000, intervalMs: 200, message: `the first instance commits some output (states ${JSON.stringify(victim.states)})` },
  );
  const feeding = produceLines(samsa.bootstrap, input, second, first.length); // input keeps arriving around the kill
  victim.child.kill('SIGKILL');
  await exited(victim.child);
  await feeding;

  const successor = startWordCountApp(spec);
  t.after(async () => {
    successor.child.kill('SIGTERM');
    await exited(successor.child);
  });
  const totals = wordTotals([...first, ...second]);
  await waitFor(
    async () => {
      seen = await readWordCounts(samsa.bootstrap, output);
      return reachedTotals(seen, totals);
    },
    {
      timeoutMs: 150_000,
      intervalMs: 500,
      message: `final counts after the takeover (states ${JSON.stringify(successor.states)}; last read ${JSON.stringify([...seen].map(([w, s]) => [w, s.length, s.at(-1)]))})`,
    },
  );
  assertExactCounts(seen, totals);
});
