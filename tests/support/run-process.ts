import { spawn } from 'node:child_process';
import { trackChild } from './cleanup.js';

/** Output of a finished child process. */
export interface ProcessResult {
  stdout: Buffer;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Options of {@link runProcess}. */
export interface RunProcessOptions {
  /** Written to stdin, which is then closed. */
  input?: Buffer | string;
  /** Hard bound: SIGKILL after this long, and the promise rejects. */
  timeoutMs: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs a command to completion with a hard timeout. Resolves with its output whatever the exit
 * code (callers decide); rejects only on spawn failure or timeout, with stderr in the message.
 */
export function runProcess(command: string, args: string[], options: RunProcessOptions): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    trackChild(child);
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `${command} ${args.join(' ')}: timed out after ${options.timeoutMs} ms\n--- stderr ---\n${stderr.slice(-4000)}` +
            `\n--- stdout ---\n${Buffer.concat(out).toString().slice(-2000)}`,
        ),
      );
    }, options.timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out), stderr, code, signal });
    });
    child.stdin.on('error', () => {
      // the child may exit before reading all of its input; its exit status tells
    });
    child.stdin.end(options.input ?? '');
  });
}
