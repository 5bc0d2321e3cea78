import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

// Last-resort cleanup: tests stop what they start in t.after, but a test that times out or
// an uncaught error may skip that. On process exit every child still alive gets SIGKILL
// and every registered temporary directory is removed (both synchronously, as 'exit'
// handlers must be).
const children = new Set<ChildProcess>();
const dirs = new Set<string>();
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          child.kill('SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
}

/** Kills `child` with SIGKILL when this process exits, unless it has exited by then. */
export function trackChild(child: ChildProcess): void {
  install();
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** Removes `dir` when this process exits (idempotent with an earlier removal). */
export function trackDir(dir: string): void {
  install();
  dirs.add(dir);
}

/** Removes `dir` now and forgets it. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

/** Resolves when `child` has exited (immediately if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}
