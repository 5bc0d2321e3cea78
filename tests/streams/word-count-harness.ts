// Shared by the multi-process Streams tests: deterministic input lines, the word count app as a
// child process (apps/word-count-app.ts), and the output as confluent-kafka reads it.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { PythonConsumeResult } from '../support/clients.js';
import { trackChild } from '../support/cleanup.js';
import { repoRoot } from '../support/paths.js';
import { b64, unb64 } from '../support/records.js';
import { runPython } from '../support/run-python.js';

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima'];

/** Deterministic lines of 1 to 6 words (a seeded linear congruential generator). */
export function wordLines(seed: number, count: number): string[] {
  let x = seed;
  const next = (): number => (x = (x * 1103515245 + 12345) % 2 ** 31);
  return Array.from({ length: count }, () => Array.from({ length: 1 + (next() % 6) }, () => WORDS[next() % WORDS.length]).join(' '));
}

/** Occurrences of each word. */
export function wordTotals(lines: string[]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const line of lines) for (const w of line.split(' ')) totals.set(w, (totals.get(w) ?? 0) + 1);
  return totals;
}

/** A word count instance running in its own process. */
export interface AppProcess {
  child: ChildProcess;
  /** Every state it reported, in order. */
  states: string[];
}

export function startWordCountApp(spec: { bootstrap: string; applicationId: string; input: string; output: string; guarantee: string }): AppProcess {
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

/** Writes `lines` with confluent-kafka, keyed `line-<offset + i>`. */
export async function produceLines(bootstrap: string, topic: string, lines: string[], offset: number): Promise<void> {
  const records = lines.map((line, i) => ({ key: b64(`line-${offset + i}`), value: b64(line), headers: [], timestamp: null }));
  const r = await runPython<{ delivered: Array<{ error: string | null }> }>('confluent_produce', { bootstrap, topic, records }, 60_000);
  assert.ok(r.delivered.every((d) => d.error === null), 'confluent-kafka delivered every line');
}

/** The output as confluent-kafka reads it with read_committed: per word, its counts in offset order. */
export async function readWordCounts(bootstrap: string, topic: string): Promise<Map<string, number[]>> {
  const read = await runPython<PythonConsumeResult>('confluent_consume', { bootstrap, topic, timeout_s: 15, config: { 'isolation.level': 'read_committed' } }, 40_000);
  assert.deepEqual(read.errors, []);
  const out = new Map<string, number[]>();
  for (const r of [...read.records].sort((a, b) => a.partition - b.partition || a.offset - b.offset)) {
    const word = unb64(r.key ?? '').toString();
    out.set(word, [...(out.get(word) ?? []), Number(unb64(r.value ?? '').readBigInt64BE(0))]);
  }
  return out;
}

/** Whether every word's last count is its total. */
export function reachedTotals(seen: Map<string, number[]>, totals: Map<string, number>): boolean {
  return [...totals].every(([w, n]) => (seen.get(w) ?? []).at(-1) === n);
}

/** Asserts each word's counts are exactly 1..n. */
export function assertExactCounts(seen: Map<string, number[]>, totals: Map<string, number>): void {
  for (const [word, n] of totals) assert.deepEqual(seen.get(word), Array.from({ length: n }, (_, i) => i + 1), `counts of ${word}: exactly 1..${n}`);
  assert.deepEqual([...seen.keys()].sort(), [...totals.keys()].sort());
}
