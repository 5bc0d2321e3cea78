/**
 * Placeholder for `samsa perf consume`, written by another session (it
 * replaces this file); it exists so perf.ts builds in the meantime.
 */
export async function runPerfConsume(_argv: string[]): Promise<number> {
  process.stderr.write('samsa perf consume: not available yet\n');
  return 1;
}
