/**
 * Runs the built `samsa` command (bin/samsa.mjs) as a child process with a
 * hard timeout, and kcat for reading topics back.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';

export const samsaBin = fileURLToPath(new URL('../../bin/samsa.mjs', import.meta.url));

export interface RunResult {
  /** Exit code; null when killed (by the timeout or a signal). */
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout as bytes, for binary output. */
  stdoutBytes: Buffer;
  timedOut: boolean;
}

export interface RunOptions {
  /** Written to stdin, which is then closed (stdin is empty otherwise). */
  input?: Buffer | string;
  /** Added to the environment; SAMSA_BOOTSTRAP is cleared unless given here. */
  env?: Record<string, string>;
  /** Kill after this long [60 s]. */
  timeoutMs?: number;
}

/** Runs `command args` and collects its output; never rejects for a non-zero exit. */
export function run(command: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, SAMSA_BOOTSTRAP: '', ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 60_000);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolve({ code, stdout: stdoutBytes.toString(), stderr: Buffer.concat(err).toString(), stdoutBytes, timedOut });
    });
    child.stdin.on('error', () => {
      // the command may exit before reading its input
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Runs `samsa args` with node. */
export function samsa(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return run(process.execPath, [samsaBin, ...args], opts);
}

/** A 127.0.0.1 port where nothing listens (it was free a moment ago). */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A TCP server on 127.0.0.1 that accepts connections and never answers (not a Kafka broker). */
export async function silentServer(): Promise<{ port: number; server: Server; close(): Promise<void> }> {
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  return {
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The rows of the first table in `out` (up to the first blank line), split on runs of spaces, header dropped. */
export function rows(out: string): string[][] {
  const block = out.split('\n\n')[0].trim().split('\n');
  return block.slice(1).map((l) => l.trim().split(/\s+/));
}
