// Issue 14, exactly_once_v2 across a kill -9: a word count instance (its own process) is killed with
// SIGKILL while confluent-kafka-python keeps feeding it lines; a new instance takes over. In the
// read_committed output, every word's counts are exactly 1, 2, ..., n: no duplicate from the
// batches that were being processed at the kill, no gap, and the aggregates continue from the
// state restored from the changelog (which the aborted transaction never reached).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { Kafka, silentLogger } from '@samsa/client';
import type { PythonConsumeResult } from '../support/clients.js';
import { exited, trackChild } from '../support/cleanup.js';
import { repoRoot } from '../support/paths.js';
import { b64, uniqueTopic, unb64 } from '../support/records.js';
import { runPython } from '../support/run-python.js';
import { startSamsa } from '../support/samsa-process.js';
import { waitFor } from '../support/wait-for.js';

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima'];

/** Deterministic lines (a linear congruential generator, seeded). */
function lines(seed: number, count: number): string[] {
  let x = seed;
  const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31);
  return Array.from({ length: count }, () => Array.from({ length: 1 + (next() % 6) }, () => WORDS[next() % WORDS.length]).join(' '));
}

interface AppProcess {
  child: ChildProcess;
  states: string[];
}

function startApp(spec: object): AppProcess {
  const script = join(repoRoot, 'tests', 'dist', 'streams', 'apps', 'word-count-app.js');
  const child = spawn(process.execPath, [script, JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  const states: string[] = [];
  let partial = '';
  child.stdout?.on('data', (c: Buffer) => {
    partial += c.toString();
    for (let nl = partial.indexOf('\n'); nl >= 0; nl = partial.indexOf('\n')) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      if (line.trim() !== '') states.push((JSON.parse(line) as { state: string }).state);
    }
  });
  child.stderr?.on('data', (c: Buffer) => process.stderr.write(c));
  return { child, states };
}

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
  const produce = async (batch: string[], offset: number) => {
    const records = batch.map((line, i) => ({ key: b64(`line-${offset + i}`), value: b64(line), headers: [], timestamp: null }));
    const r = await runPython<{ delivered: Array<{ error: string | null }> }>('confluent_produce', { bootstrap: samsa.bootstrap, topic: input, records }, 60_000);
    assert.ok(r.delivered.every((d) => d.error === null));
  };
  let seen = new Map<string, number[]>();
  const readOutput = async () => {
    const read = await runPython<PythonConsumeResult>('confluent_consume', { bootstrap: samsa.bootstrap, topic: output, timeout_s: 15, config: { 'isolation.level': 'read_committed' } }, 40_000);
    assert.deepEqual(read.errors, []);
    seen = new Map();
    for (const r of [...read.records].sort((a, b) => a.partition - b.partition || a.offset - b.offset)) {
      const word = unb64(r.key ?? '').toString();
      seen.set(word, [...(seen.get(word) ?? []), Number(unb64(r.value ?? '').readBigInt64BE(0))]);
    }
    return seen;
  };
  const spec = { bootstrap: samsa.bootstrap, applicationId, input, output, guarantee: 'exactly_once_v2' };

  const first = lines(7, 400);
  const second = lines(11, 400);
  await produce(first, 0);
  const victim = startApp(spec);
  t.after(() => victim.child.kill('SIGKILL'));
  await waitFor(async () => [...(await readOutput()).values()].reduce((n, s) => n + s.length, 0) >= 150, {
    timeoutMs: 90_000,
    intervalMs: 200,
    message: `the first instance commits some output (states ${JSON.stringify(victim.states)})`,
  });
  const feeding = produce(second, first.length); // input keeps arriving around the kill
  victim.child.kill('SIGKILL');
  await exited(victim.child);
  await feeding;

  const successor = startApp(spec);
  t.after(async () => {
    successor.child.kill('SIGTERM');
    await exited(successor.child);
  });
  const totals = new Map<string, number>();
  for (const line of [...first, ...second]) for (const w of line.split(' ')) totals.set(w, (totals.get(w) ?? 0) + 1);
  await waitFor(async () => {
    const s = await readOutput();
    return [...totals].every(([w, n]) => (s.get(w) ?? []).at(-1) === n);
  }, {
    timeoutMs: 150_000,
    intervalMs: 500,
    message: `final counts after the takeover (states ${JSON.stringify(successor.states)}; last read ${JSON.stringify([...seen].map(([w, s]) => [w, s.length, s.at(-1)]))})`,
  });
  await readOutput();
  for (const [word, n] of totals) {
    assert.deepEqual(seen.get(word), Array.from({ length: n }, (_, i) => i + 1), `counts of ${word}: exactly 1..${n}`);
  }
  assert.deepEqual([...seen.keys()].sort(), [...totals.keys()].sort());
});
