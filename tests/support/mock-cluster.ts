import { spawn } from 'node:child_process';
import { exited, trackChild } from './cleanup.js';
import { LogBuffer } from './log-buffer.js';
import { waitFor, withTimeout } from './wait-for.js';

/** librdkafka's in-memory mock cluster, hosted by an idle `kcat -P` process. */
export interface MockCluster {
  /** `127.0.0.1:<port>` of the first mock broker. */
  readonly bootstrap: string;
  /** Everything kcat logged. */
  logs(): string;
  logTail(chars?: number): string;
  /** Closes kcat's stdin (it then exits) and kills it if it has not exited within 5 s. */
  stop(): Promise<void>;
}

/**
 * Starts `kcat -X test.mock.num.brokers=N -b ignored -P -t <topic>` with stdin held open. At
 * startup librdkafka logs (level 5, so no debug flag is needed)
 * `Mock cluster enabled: original bootstrap.servers ... replaced with 127.0.0.1:PORT`; that is
 * the bootstrap address. The mock auto-creates topics (4 partitions in librdkafka 2.0.2) and
 * supports produce, fetch, groups, idempotence and transactions, but no CreateTopics, configs,
 * retention or compaction, and ApiVersions only up to v2.
 */
export async function startMockCluster(brokers = 1, timeoutMs = 10_000): Promise<MockCluster> {
  const log = new LogBuffer();
  const proc = spawn('kcat', ['-X', `test.mock.num.brokers=${brokers}`, '-b', 'ignored', '-P', '-t', '__mock_idle'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  trackChild(proc);
  proc.stdout.on('data', (c: Buffer) => log.append(c));
  proc.stderr.on('data', (c: Buffer) => log.append(c));
  let bootstrap = '';
  try {
    await waitFor(
      () => {
        if (proc.exitCode !== null || proc.signalCode !== null) throw new Error('kcat mock exited during startup');
        const m = /replaced with (127\.0\.0\.1:\d+)/.exec(log.text());
        if (m === null) return false;
        bootstrap = m[1];
        return true;
      },
      { timeoutMs, intervalMs: 20, message: 'kcat mock cluster bootstrap address in its log' },
    );
  } catch (err) {
    proc.kill('SIGKILL');
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${log.tail()}`, { cause: err });
  }
  let stopped = false;
  return {
    bootstrap,
    logs: () => log.text(),
    logTail: (chars?: number) => log.tail(chars),
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      proc.stdin.end();
      try {
        await withTimeout(exited(proc), 5_000, 'kcat mock exit after stdin EOF');
      } catch {
        proc.kill('SIGKILL');
        await exited(proc);
      }
    },
  };
}
