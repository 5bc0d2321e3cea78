import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { trackChild } from './cleanup.js';
import { clientsDir, systemPython } from './paths.js';
import { runProcess } from './run-process.js';

/**
 * Runs `/usr/bin/python3 tests/clients/<script>.py` with the JSON spec on stdin (specs with
 * 1 MiB records exceed the argv limit) and a hard timeout, and
 * parses the JSON the script prints on stdout. Rejects with stderr on a non-zero exit, a
 * timeout or unparsable output.
 */
export async function runPython<T>(script: string, spec: unknown, timeoutMs: number): Promise<T> {
  const args = [join(clientsDir, `${script}.py`)];
  const result = await runProcess(systemPython, args, { timeoutMs, input: JSON.stringify(spec) });
  const stdout = result.stdout.toString();
  if (result.code !== 0) {
    throw new Error(`${script}.py exited with ${result.code ?? result.signal}\n--- stderr ---\n${result.stderr.slice(-4000)}\n--- stdout ---\n${stdout.slice(-2000)}`);
  }
  try {
    return JSON.parse(stdout) as T;
  } catch (err) {
    throw new Error(`${script}.py printed no JSON: ${stdout.slice(0, 2000)}\n--- stderr ---\n${result.stderr.slice(-4000)}`, { cause: err });
  }
}

/** A python driver that reports as it goes: one JSON object per stdout line. */
export interface StreamingPython {
  readonly child: ChildProcessWithoutNullStreams;
  /** Parsed lines so far. */
  readonly lines: unknown[];
  stderr(): string;
  /** Resolves with the exit code when the script exits. */
  readonly exit: Promise<number | null>;
}

/**
 * Starts a python driver whose stdout is JSON lines (e.g. one per acknowledged record). The
 * spec goes in argv (keep it small): stdin stays open for the script's own use.
 */
export function startPython(script: string, spec: unknown): StreamingPython {
  const child = spawn(systemPython, [join(clientsDir, `${script}.py`), JSON.stringify(spec)], { stdio: ['pipe', 'pipe', 'pipe'] });
  trackChild(child);
  const lines: unknown[] = [];
  let partial = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    partial += c.toString();
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl).trim();
      partial = partial.slice(nl + 1);
      if (line !== '') lines.push(JSON.parse(line));
    }
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
    if (stderr.length > 400_000) stderr = stderr.slice(-200_000);
  });
  const exit = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, lines, stderr: () => stderr, exit };
}
