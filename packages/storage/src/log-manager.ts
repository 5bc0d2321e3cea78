/**
 * Owns every partition log of a broker across one or more log directories.
 *
 * On open it scans each log dir for `<topic>-<partition>` directories (the
 * partition number is after the last '-', since topic names may contain
 * '-'), opens each (running recovery where the partition has no
 * clean-shutdown marker) and removes `*-delete` directories left by an
 * interrupted partition deletion. New partitions go to the log dir holding
 * the fewest partitions, as Kafka does.
 *
 * Background tasks (unref'ed timers, so they never keep the process alive):
 * retention every `retentionCheckIntervalMs` (log.retention.check.interval.ms,
 * default 300000), a flush.ms check every `flushCheckIntervalMs`
 * (default 1000) and producer-id expiry every
 * `producerIdExpirationCheckIntervalMs` (default 600000), and the log
 * cleaner for compacted topics (compaction/cleaner-manager.ts), unless
 * `cleaner.enabled` is false (log.cleaner.enable). A failing partition is
 * logged and skipped; the others go on.
 *
 * Each log dir has one {@link LogDirHealth}, shared by its partitions. A
 * fault that takes a dir offline (log-dir-health.ts: a failed fsync, an I/O
 * error) is logged once at error level with the dir and the failing file;
 * from then on its partitions answer KAFKA_STORAGE_ERROR, background tasks
 * skip them, new partitions go to the other dirs, and the other dirs keep
 * serving. It stays offline until restart.
 */
import { join } from 'node:path';
import { systemClock, type Clock } from './clock.js';
import { CleanerManager } from './compaction/cleaner-manager.js';
import type { CleanResult } from './compaction/log-cleaner.js';
import { StorageError } from './errors.js';
import { FileHandleCache, type FileHandleCacheStats } from './file-handle-cache.js';
import { nodeFs, type Fs } from './fs.js';
import { openFileSoftLimit, resolveMaxOpenFiles } from './open-file-limit.js';
import type { LogConfig } from './log-config.js';
import { classifyStorageFault, LogDirHealth, type LogDirFailure } from './log-dir-health.js';
import { ErrorCode } from '@samsa/protocol';
import { parsePartitionDirName, PartitionLog, partitionDirName } from './partition-log.js';

/** Severity of a storage log line: failures are `warn` or `error`, never `info`. */
export type StorageLogLevel = 'info' | 'warn' | 'error';

/** Structured log sink; `level` is `info` when absent. */
export type StorageLogger = (msg: string, fields?: Record<string, unknown>, level?: StorageLogLevel) => void;

/** Options of {@link LogManager.open}. */
export interface LogManagerOptions {
  logDirs: string[];
  defaultConfig: LogConfig;
  /** Per-topic overrides applied over defaultConfig when opening existing partitions. */
  topicConfigs?: (topic: string) => Partial<LogConfig>;
  fs?: Fs;
  clock?: Clock;
  log?: StorageLogger;
  /** log.retention.check.interval.ms (default 300000). */
  retentionCheckIntervalMs?: number;
  /** How often flush.ms is checked (default 1000). */
  flushCheckIntervalMs?: number;
  /** producer.id.expiration.ms, read at each check (it is a dynamic config; default 86400000). */
  producerIdExpirationMs?: () => number;
  /** producer.id.expiration.check.interval.ms (default 600000). */
  producerIdExpirationCheckIntervalMs?: number;
  /** The log cleaner of compacted topics (Kafka's log.cleaner.* broker configs); enabled by default. */
  cleaner?: LogCleanerSettings;
  /**
   * log.max.open.files: at most this many segment descriptors open at once
   * (file-handle-cache.ts). Unset or <= 0: half the process's open-file soft
   * limit (open-file-limit.ts).
   */
  maxOpenFiles?: number;
}

/** Broker-level settings of the log cleaner; functions are read at each use (dynamic configs). */
export interface LogCleanerSettings {
  /** log.cleaner.enable (default true). */
  enabled?: boolean;
  /** log.cleaner.backoff.ms (default 15000). */
  backoffMs?: () => number;
  /** log.cleaner.dedupe.buffer.size (default 134217728). */
  dedupeBufferBytes?: () => number;
  /** log.cleaner.io.buffer.load.factor (default 0.9), read at each clean. */
  loadFactor?: () => number;
  /** log.cleaner.io.max.bytes.per.second (default unlimited). */
  ioMaxBytesPerSecond?: () => number;
}

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** Partition logs opened or closed at once at start and shutdown. */
const PARALLEL_LOG_OPS = 16;

/** Runs `fn` over `items` with at most `limit` calls in flight; rejects with the first failure after all started calls settle. */
async function forEachBounded<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (failure === null && next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== null) throw (failure as { err: unknown }).err;
}

/** All partition logs of this broker. */
export class LogManager {
  #logs = new Map<string, { log: PartitionLog; logDir: string }>();
  #creating = new Map<string, Promise<PartitionLog>>();
  #opts: LogManagerOptions;
  #fs: Fs;
  #clock: Clock;
  #log: StorageLogger;
  #timers: NodeJS.Timeout[] = [];
  #closed = false;
  #cleaner: CleanerManager | null;
  #health = new Map<string, LogDirHealth>();
  #files: FileHandleCache;

  private constructor(opts: LogManagerOptions) {
    this.#opts = opts;
    // Every file the logs open goes through one bounded descriptor cache.
    this.#files = new FileHandleCache(opts.fs ?? nodeFs, resolveMaxOpenFiles(opts.maxOpenFiles));
    this.#fs = this.#files.wrap();
    this.#clock = opts.clock ?? systemClock;
    this.#log = opts.log ?? (() => undefined);
    for (const logDir of opts.logDirs) {
      const health = new LogDirHealth(logDir);
      health.onOffline((f) => this.#logOffline(health, f));
      this.#health.set(logDir, health);
    }
    const c = opts.cleaner;
    this.#cleaner = c?.enabled === false
      ? null
      : new CleanerManager({ fs: this.#fs, clock: this.#clock, log: this.#log, backoffMs: c?.backoffMs, dedupeBufferBytes: c?.dedupeBufferBytes, loadFactor: c?.loadFactor, ioMaxBytesPerSecond: c?.ioMaxBytesPerSecond });
  }

  /** Opens every partition found in `logDirs` (creating the dirs if needed). */
  static async open(opts: LogManagerOptions): Promise<LogManager> {
    if (opts.logDirs.length === 0) throw new RangeError('LogManager needs at least one log dir');
    const m = new LogManager(opts);
    m.#log('log file descriptors bounded', { maxOpenFiles: m.#files.limit, openFileSoftLimit: openFileSoftLimit() });
    const found: Array<{ logDir: string; topic: string; partition: number }> = [];
    const seenIn = new Map<string, string>();
    for (const logDir of opts.logDirs) {
      await m.#fs.mkdir(logDir);
      for (const name of (await m.#fs.readdir(logDir)).sort()) {
        const path = join(logDir, name);
        if (name.endsWith('-delete')) {
          await m.#fs.rmrf(path);
          continue;
        }
        const tp = parsePartitionDirName(name);
        if (tp === null) continue;
        const st = await m.#fs.stat(path);
        if (st === null || !st.isDirectory) continue;
        const k = key(tp.topic, tp.partition);
        if (seenIn.has(k)) throw new Error(`partition ${name} exists in more than one log dir (${logDir} and ${seenIn.get(k)})`);
        seenIn.set(k, logDir);
        found.push({ logDir, ...tp });
      }
    }
    // Partitions open in parallel, a bounded number at a time: each open waits mostly on the
    // disk (reads, a directory fsync), and descriptors stay bounded by the file-handle cache.
    try {
      await forEachBounded(found, PARALLEL_LOG_OPS, async ({ logDir, topic, partition }) => {
        const config = { ...opts.defaultConfig, ...(opts.topicConfigs?.(topic) ?? {}) };
        const log = await PartitionLog.open({ dir: logDir, topic, partition, config, fs: m.#fs, clock: m.#clock, logDirHealth: m.#healthOf(logDir) });
        m.#logs.set(key(topic, partition), { log, logDir });
        if (!log.openInfo.cleanShutdown || log.openInfo.truncatedBytes > 0 || log.openInfo.rebuiltSegments > 0) {
          m.#log('recovered partition log', { topic, partition, ...log.openInfo, logEndOffset: log.logEndOffset });
        }
      });
    } catch (err) {
      // Release what did open, so a failed start holds no descriptors.
      await Promise.all(m.partitions().map((log) => log.close().catch(() => undefined)));
      throw err;
    }
    return m;
  }

  /** Descriptors the logs hold now, the bound, and how often it evicted (file-handle-cache.ts). */
  openFileStats(): FileHandleCacheStats {
    return this.#files.stats();
  }

  /** The log of a partition, if this broker has it. */
  get(topic: string, partition: number): PartitionLog | undefined {
    return this.#logs.get(key(topic, partition))?.log;
  }

  /** The existing log, or a new one created with `config`. Concurrent calls share one creation. */
  async getOrCreate(topic: string, partition: number, config: LogConfig): Promise<PartitionLog> {
    const k = key(topic, partition);
    const existing = this.#logs.get(k);
    if (existing !== undefined) return existing.log;
    const pending = this.#creating.get(k);
    if (pending !== undefined) return pending;
    const logDir = this.#leastLoadedDir();
    if (logDir === null) {
      throw new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, `cannot create ${topic}-${partition}: every log directory is offline`);
    }
    const p = PartitionLog.open({ dir: logDir, topic, partition, config, fs: this.#fs, clock: this.#clock, logDirHealth: this.#healthOf(logDir) })
      .then((log) => {
        this.#logs.set(k, { log, logDir });
        return log;
      })
      .finally(() => this.#creating.delete(k));
    this.#creating.set(k, p);
    return p;
  }

  /**
   * Deletes a partition: renames its directory to `<name>-delete` (so a crash
   * midway never resurrects it) and removes it.
   */
  async deletePartition(topic: string, partition: number): Promise<void> {
    const k = key(topic, partition);
    const entry = this.#logs.get(k);
    if (entry === undefined) return;
    this.#logs.delete(k);
    const dir = join(entry.logDir, partitionDirName(topic, partition));
    const doomed = `${dir}-delete`;
    await this.#cleaner?.abort(entry.log);
    await entry.log.close();
    await this.#fs.rename(dir, doomed);
    await this.#fs.rmrf(doomed);
  }

  /** The log dirs, each with why it is offline (null while online). */
  logDirStates(): Array<{ logDir: string; failure: LogDirFailure | null }> {
    return this.#opts.logDirs.map((logDir) => ({ logDir, failure: this.#healthOf(logDir).failure }));
  }

  /** Why `logDir` (as given in logDirs) is offline, or null while it is online or unknown. */
  logDirFailure(logDir: string): LogDirFailure | null {
    return this.#health.get(logDir)?.failure ?? null;
  }

  /** Every open partition log. */
  partitions(): PartitionLog[] {
    return [...this.#logs.values()].map((e) => e.log);
  }

  /** Starts the retention and flush.ms timers (unref'ed). Idempotent. */
  startBackgroundTasks(): void {
    if (this.#timers.length > 0 || this.#closed) return;
    const retention = setInterval(() => void this.runRetention(), this.#opts.retentionCheckIntervalMs ?? 300_000);
    const flush = setInterval(() => void this.runFlushCheck(), this.#opts.flushCheckIntervalMs ?? 1000);
    const producers = setInterval(() => this.runProducerExpiry(), this.#opts.producerIdExpirationCheckIntervalMs ?? 600_000);
    retention.unref();
    flush.unref();
    producers.unref();
    this.#timers.push(retention, flush, producers);
    this.#cleaner?.start(() => this.partitions());
  }

  /**
   * One log-cleaner pass now: cleans the compacted partition most in need of
   * it, if any (the background loop does the same every log.cleaner.backoff.ms
   * while idle). Resolves null when nothing was cleaned or the cleaner is
   * disabled; a partition's failure is logged, never thrown.
   */
  runCleaner(): Promise<CleanResult | null> {
    return this.#cleaner?.runOnce(this.partitions()) ?? Promise.resolve(null);
  }

  /** Forgets idle producers in every partition (producer.id.expiration.ms); returns how many. */
  runProducerExpiry(): number {
    const expirationMs = this.#opts.producerIdExpirationMs?.() ?? 86_400_000;
    let total = 0;
    for (const log of this.partitions()) total += log.removeExpiredProducers(expirationMs);
    if (total > 0) this.#log('expired idle producer ids', { producers: total, expirationMs });
    return total;
  }

  /** One retention pass over all partitions; returns segments deleted. */
  async runRetention(): Promise<number> {
    let total = 0;
    for (const log of this.partitions()) {
      if (!log.online) continue;
      try {
        const n = await log.applyRetention();
        if (n > 0) this.#log('retention deleted segments', { topic: log.topic, partition: log.partition, segments: n, logStartOffset: log.logStartOffset });
        total += n;
      } catch (err) {
        this.#log('retention failed', { topic: log.topic, partition: log.partition, dir: log.dir, error: String(err) }, failureLevel(err));
      }
    }
    return total;
  }

  /** One flush.ms check over all partitions. */
  async runFlushCheck(): Promise<void> {
    for (const log of this.partitions()) {
      if (!log.online) continue;
      try {
        await log.maybeFlush();
      } catch (err) {
        this.#log('flush failed', { topic: log.topic, partition: log.partition, dir: log.dir, error: String(err) }, 'error');
      }
    }
  }

  /** Stops timers and closes every log (each writes its clean-shutdown marker). */
  async close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    await this.#cleaner?.close();
    await Promise.all([...this.#creating.values()].map((p) => p.catch(() => undefined)));
    const errors: unknown[] = [];
    // In parallel, bounded: each close waits on fdatasyncs and a directory fsync, which the
    // file system commits together when several are pending.
    await forEachBounded(this.partitions(), PARALLEL_LOG_OPS, async (log) => {
      try {
        await log.close();
      } catch (err) {
        errors.push(err);
      }
    });
    if (errors.length > 0) throw new AggregateError(errors, 'closing partition logs failed');
  }

  /** The online log dir holding the fewest partitions (the first on ties), or null if all are offline. */
  #leastLoadedDir(): string | null {
    const online = this.#opts.logDirs.filter((d) => this.#healthOf(d).online);
    const counts = new Map<string, number>(online.map((d) => [d, 0]));
    for (const e of this.#logs.values()) if (counts.has(e.logDir)) counts.set(e.logDir, (counts.get(e.logDir) ?? 0) + 1);
    let best: string | null = null;
    for (const [d, n] of counts) if (best === null || n < (counts.get(best) ?? 0)) best = d;
    return best;
  }

  #healthOf(logDir: string): LogDirHealth {
    const h = this.#health.get(logDir);
    if (h === undefined) throw new RangeError(`${logDir} is not one of the log dirs`);
    return h;
  }

  #logOffline(health: LogDirHealth, f: LogDirFailure): void {
    const partitions = [...this.#logs.values()].filter((e) => e.logDir === health.path).map((e) => `${e.log.topic}-${e.log.partition}`);
    this.#log(
      'log directory offline: its partitions answer KAFKA_STORAGE_ERROR until restart',
      { logDir: health.path, fault: f.fault, partition: f.partition, error: f.error instanceof Error ? f.error.message : String(f.error), cause: causeMessage(f.error), partitions },
      'error',
    );
  }
}

/** `error` when the failure took (or found) its log dir offline, else `warn`. */
function failureLevel(err: unknown): 'warn' | 'error' {
  const fault = classifyStorageFault(err);
  return fault !== null && fault !== 'no-space' && fault !== 'no-descriptors' ? 'error' : 'warn';
}

/** The message of the innermost cause (the errno and path of the failed call). */
function causeMessage(err: unknown): string | null {
  let e = err;
  for (let depth = 0; depth < 8 && e instanceof Error && e.cause !== undefined; depth++) e = e.cause;
  return e !== err && e instanceof Error ? e.message : null;
}
