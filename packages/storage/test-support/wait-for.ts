// Bounded polling for conditions the test cannot be notified about (child processes).
import { setImmediate as tick } from 'node:timers/promises';

/** Resolves once `cond()` is true; rejects with `message` after `timeoutMs` of wall time. */
export async function waitFor(cond: () => boolean, opts: { timeoutMs: number; message: string }): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`waitFor timed out after ${opts.timeoutMs} ms: ${opts.message}`);
    await new Promise((r) => setTimeout(r, 5));
    await tick();
  }
}
