import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exited, removeDir, trackChild, trackDir } from './cleanup.js';
import { LogBuffer } from './log-buffer.js';
import { repoRoot } from './paths.js';
import { freePort } from './ports.js';
import { waitFor, withTimeout } from './wait-for.js';

/** Options of {@link startSamsa}. */
export interface SamsaOptions {
  /** Extra broker settings, passed as `--set key=value`. */
  settings?: Record<string, string | number | boolean>;
  /** Bound on startup (until the broker listens); 30 s by default. */
  startTimeoutMs?: number;
  /** Runs the broker with this soft and hard RLIMIT_NOFILE (`ulimit -n` in bash, then exec node). */
  openFileLimit?: number;
}

/** A Samsa broker running as a child process on 127.0.0.1. */
export interface SamsaProcess {
  /** `127.0.0.1:<port>`. */
  readonly bootstrap: string;
  readonly port: number;
  /** The broker's `log.dirs`; removed by `stop()`. */
  readonly dataDir: string;
  /** SIGKILL, then wait for the exit. The data directory is kept. */
  kill9(): Promise<void>;
  /** SIGTERM, wait for the exit (bounded; SIGKILL after 10 s), then remove the data directory. */
  stop(): Promise<void>;
  /** Starts the broker again on the same port and data directory (after kill9 or a crash). */
  restart(): Promise<void>;
  /** Whether the broker process is running (started and not exited). */
  alive(): boolean;
  /** The broker process id (of the latest start), for reading /proc. */
  pid(): number;
  /** Everything the broker wrote to stdout/stderr, across restarts. */
  logs(): string;
  /** The tail of {@link logs}, for failure messages. */
  logTail(chars?: number): string;
}

const cliBin = join(repoRoot, 'packages', 'cli', 'bin', 'samsa.mjs');

function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts `samsa server` with a fresh data directory and a port chosen now. Resolves once the
 * broker logs `listening on 127.0.0.1:<port>` or its port accepts connections; rejects (with
 * the log tail) if it exits first or does not get there within the start timeout.
 */
export async function startSamsa(options: SamsaOptions = {}): Promise<SamsaProcess> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-compat-'));
  trackDir(dataDir);
  const log = new LogBuffer();
  const settings: Record<string, string | number | boolean> = {
    listeners: `PLAINTEXT://127.0.0.1:${port}`,
    'log.dirs': dataDir,
    ...options.settings,
  };
  const args = [cliBin, 'server'];
  for (const [key, value] of Object.entries(settings)) args.push('--set', `${key}=${String(value)}`);
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  let child: ChildProcess | undefined;
  let stopped = false;

  async function launch(): Promise<void> {
    log.append(`\n=== samsa ${args.slice(1).join(' ')}\n`);
    const proc = options.openFileLimit === undefined
      ? spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('bash', ['-c', `ulimit -n ${options.openFileLimit} && exec "$0" "$@"`, process.execPath, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    trackChild(proc);
    // Only this process's output counts: after a restart the log still holds
    // the previous run's "listening" line.
    let listening = false;
    let ownOutput = '';
    const onData = (chunk: Buffer): void => {
      log.append(chunk);
      if (listening) return;
      ownOutput += chunk.toString('utf8');
      if (ownOutput.includes(`listening on 127.0.0.1:${port}`)) listening = true;
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    proc.once('exit', (code, signal) => log.append(`\n=== samsa exited code=${code} signal=${signal}\n`));
    try {
      await waitFor(
        async () => {
          if (proc.exitCode !== null || proc.signalCode !== null) {
            throw new Error(`samsa exited during startup (code ${proc.exitCode}, signal ${proc.signalCode})`);
          }
          return listening || (await portAccepts(port));
        },
        { timeoutMs: startTimeoutMs, intervalMs: 50, message: `samsa listening on 127.0.0.1:${port}` },
      );
    } catch (err) {
      proc.kill('SIGKILL');
      await exited(proc);
      const reason = err instanceof Error ? err.message : String(err);
      throw new Error(`${reason}\n--- samsa log tail ---\n${log.tail()}`, { cause: err });
    }
  }

  async function kill9(): Promise<void> {
    const proc = child;
    if (proc === undefined) return;
    proc.kill('SIGKILL');
    await withTimeout(exited(proc), 10_000, 'samsa exit after SIGKILL');
  }

  await launch();
  return {
    bootstrap: `127.0.0.1:${port}`,
    port,
    dataDir,
    kill9,
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      const proc = child;
      if (proc !== undefined && proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        try {
          await withTimeout(exited(proc), 10_000, 'samsa exit after SIGTERM');
        } catch {
          log.append('\n=== samsa did not exit within 10 s of SIGTERM; sending SIGKILL\n');
          await kill9();
        }
      }
      removeDir(dataDir);
    },
    async restart(): Promise<void> {
      if (stopped) throw new Error('samsa: restart after stop');
      const proc = child;
      if (proc !== undefined && proc.exitCode === null && proc.signalCode === null) await kill9();
      await launch();
    },
    alive: () => child !== undefined && child.exitCode === null && child.signalCode === null,
    pid: () => child?.pid ?? -1,
    logs: () => log.text(),
    logTail: (chars?: number) => log.tail(chars),
  };
}
