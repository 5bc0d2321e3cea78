/**
 * Runs the log cleaner in the background for every compacted partition of a
 * LogManager (Kafka's LogCleanerManager and its cleaner thread, as one loop
 * on the event loop).
 *
 * Loop: pick the partition most in need of cleaning (cleaning-decision.ts:
 * overdue by max.compaction.lag.ms or dirtier than min.cleanable.dirty.ratio,
 * dirtiest first; else one whose kept tombstones or transaction markers
 * reached their delete horizon), clean it (log-cleaner.ts), and look again at once; when there is
 * nothing to clean, wait log.cleaner.backoff.ms. One partition is cleaned at
 * a time (log.cleaner.threads has no effect).
 *
 * Failures stay with their partition: an error is logged and the partition
 * is skipped for FAILED_PARTITION_RETRY_MS, the others go on, and nothing is
 * thrown to the broker. A failure in the middle of a swap (the files on disk
 * may no longer match the segments in memory) makes the partition
 * uncleanable until the next start, whose recovery finishes or drops the
 * swap (Kafka marks such a partition uncleanable too). The exception is a
 * broken invariant (InvariantError): a bug, which like everywhere in storage
 * is never caught.
 *
 * Per-partition state lives here, keyed by the PartitionLog object (a
 * deleted and recreated partition starts afresh): the cleaner checkpoint
 * (read from its file once), the earliest delete horizon of the tombstones
 * and markers the last clean kept, and the failure marks. The horizon is
 * only known in memory: after a restart, tombstones and markers already
 * stamped go at the next clean the dirty ratio triggers rather than at their
 * horizon.
 */
import type { Clock } from '../clock.js';
import type { Fs } from '../fs.js';
import { InvariantError } from '../invariant.js';
import { compactionSettings, hasCompactPolicy } from '../log-config.js';
import type { PartitionLog } from '../partition-log.js';
import { cleanableRange, compareCandidates, decideCleaning, type CleanableRange, type CleaningReason } from './cleaning-decision.js';
import { readCleanerCheckpoint } from './cleaner-checkpoint.js';
import { LogCleaner, SwapFailedError, type CleanResult } from './log-cleaner.js';
import type { SwapProbe } from './segment-swap.js';

/** How long a partition whose clean failed is left alone. */
export const FAILED_PARTITION_RETRY_MS = 300_000;

/** Structured log sink (LogManager's StorageLogger); `level` is `info` when absent. */
type Logger = (msg: string, fields?: Record<string, unknown>, level?: 'info' | 'warn' | 'error') => void;

/** Options of {@link CleanerManager}. */
export interface CleanerManagerOptions {
  fs: Fs;
  clock: Clock;
  log?: Logger;
  /** log.cleaner.backoff.ms (default 15000), read after each idle pass. */
  backoffMs?: () => number;
  /** log.cleaner.dedupe.buffer.size (default 128 MiB). */
  dedupeBufferBytes?: () => number;
  /** log.cleaner.io.buffer.load.factor (default 0.9), read at each clean. */
  loadFactor?: () => number;
  /** log.cleaner.io.max.bytes.per.second (default unlimited). */
  ioMaxBytesPerSecond?: () => number;
  /** Swap fault points (tests). */
  probe?: SwapProbe;
}

interface PartitionCleanState {
  /** undefined until read from the file. */
  checkpoint?: number | null;
  earliestTombstoneHorizon: number;
  retryAfterMs: number;
  uncleanable: boolean;
}

/** A partition chosen for cleaning. */
export interface CleaningCandidate {
  log: PartitionLog;
  range: CleanableRange;
  reason: CleaningReason;
}

/** The background cleaner of a set of partition logs. */
export class CleanerManager {
  #cleaner: LogCleaner;
  #fs: Fs;
  #clock: Clock;
  #log: Logger;
  #backoffMs: () => number;
  #state = new WeakMap<PartitionLog, PartitionCleanState>();
  #running: { log: PartitionLog; abort: boolean; done: Promise<unknown> } | null = null;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  #partitions: (() => PartitionLog[]) | null = null;

  constructor(o: CleanerManagerOptions) {
    this.#fs = o.fs;
    this.#clock = o.clock;
    this.#log = o.log ?? (() => undefined);
    this.#backoffMs = o.backoffMs ?? (() => 15_000);
    this.#cleaner = new LogCleaner({ fs: o.fs, clock: o.clock, dedupeBufferBytes: o.dedupeBufferBytes, loadFactor: o.loadFactor, ioMaxBytesPerSecond: o.ioMaxBytesPerSecond, probe: o.probe });
  }

  /** Starts the background loop over `partitions()` (unref'ed timers). Idempotent. */
  start(partitions: () => PartitionLog[]): void {
    if (this.#partitions !== null || this.#closed) return;
    this.#partitions = partitions;
    this.#schedule(0);
  }

  /** The partitions to clean now, best first (the decision table of cleaning-decision.ts). */
  async candidates(partitions: readonly PartitionLog[]): Promise<CleaningCandidate[]> {
    const now = this.#clock.nowMs();
    const out: CleaningCandidate[] = [];
    for (const log of partitions) {
      if (!hasCompactPolicy(log.config)) continue;
      const st = this.#stateOf(log);
      if (st.uncleanable || now < st.retryAfterMs) continue;
      if (st.checkpoint === undefined) st.checkpoint = await readCleanerCheckpoint(this.#fs, log.dir);
      const s = compactionSettings(log.config);
      const segs = log.segmentsForCleaning();
      const range = cleanableRange(
        segs.map((seg) => ({ baseOffset: seg.baseOffset, nextOffset: seg.nextOffset, size: seg.size, largestTimestamp: seg.largestTimestamp, firstBatchTimestamp: seg.firstBatchTimestamp })),
        {
          nowMs: now,
          logStartOffset: log.logStartOffset,
          logEndOffset: log.logEndOffset,
          lastStableOffset: log.lastStableOffset,
          checkpoint: st.checkpoint,
          minCompactionLagMs: s.minCompactionLagMs,
          maxCompactionLagMs: s.maxCompactionLagMs,
        },
      );
      const horizonDue = st.earliestTombstoneHorizon >= 0 && now >= st.earliestTombstoneHorizon;
      const reason = decideCleaning(true, range, s.minCleanableDirtyRatio, horizonDue);
      if (reason !== null) out.push({ log, range, reason });
    }
    return out.sort(compareCandidates);
  }

  /**
   * One pass: cleans the best candidate among `partitions`, if any. Never
   * throws for a partition's failure (it is logged and the partition
   * skipped for a while); returns the result, or null when nothing was
   * cleaned.
   */
  async runOnce(partitions: readonly PartitionLog[]): Promise<CleanResult | null> {
    if (this.#closed || this.#running !== null) return null;
    // A log whose dir is offline is not touched again until restart (log-dir-health.ts).
    const [best] = await this.candidates(partitions.filter((p) => p.online));
    if (best === undefined || this.#closed) return null;
    const { log, range, reason } = best;
    const running: { log: PartitionLog; abort: boolean; done: Promise<unknown> } = { log, abort: false, done: Promise.resolve() };
    const work = this.#cleaner.clean(log, range, reason, () => running.abort || this.#closed);
    running.done = work.catch(() => undefined);
    this.#running = running;
    const st = this.#stateOf(log);
    const where = { topic: log.topic, partition: log.partition };
    try {
      const r = await work;
      if (r.status === 'done') {
        st.checkpoint = r.endOffset;
        st.earliestTombstoneHorizon = r.earliestTombstoneHorizon;
        this.#log('cleaned partition log', { ...where, ...r });
      } else {
        this.#log('partition log clean stopped early', { ...where, reason, firstDirtyOffset: r.firstDirtyOffset });
      }
      return r;
    } catch (err) {
      // A broken invariant is a bug, not a partition's failure: it is not caught (invariant.ts).
      if (err instanceof InvariantError) throw err;
      if (err instanceof SwapFailedError) st.uncleanable = true;
      else st.retryAfterMs = this.#clock.nowMs() + FAILED_PARTITION_RETRY_MS;
      // The cleaner writes into the log dir too: an I/O fault here takes it offline like any other.
      const offline = log.logDirHealth.report(err, `${log.topic}-${log.partition}`);
      this.#log('log cleaner failed on partition', {
        ...where,
        error: String(err),
        cause: err instanceof Error && err.cause !== undefined ? String(err.cause) : undefined,
        uncleanableUntilRestart: st.uncleanable,
      }, offline ? 'error' : 'warn');
      return null;
    } finally {
      this.#running = null;
    }
  }

  /** Stops a clean of `log` in progress (before its partition is deleted or closed) and waits for it. */
  async abort(log: PartitionLog): Promise<void> {
    const r = this.#running;
    if (r === null || r.log !== log) return;
    r.abort = true;
    await r.done;
  }

  /** Stops the loop, aborts a clean in progress and waits for it. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    const r = this.#running;
    if (r !== null) {
      r.abort = true;
      await r.done;
    }
  }

  #stateOf(log: PartitionLog): PartitionCleanState {
    let st = this.#state.get(log);
    if (st === undefined) {
      st = { earliestTombstoneHorizon: -1, retryAfterMs: 0, uncleanable: false };
      this.#state.set(log, st);
    }
    return st;
  }

  #schedule(delayMs: number): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => void this.#tick(), delayMs);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    this.#timer = null;
    const partitions = this.#partitions;
    if (this.#closed || partitions === null) return;
    let again = false;
    try {
      const r = await this.runOnce(partitions());
      // Look again at once only after a clean that moved its partition's checkpoint (a bound on busy loops).
      again = r !== null && r.status === 'done' && r.endOffset > r.firstDirtyOffset;
    } catch (err) {
      if (err instanceof InvariantError) throw err;
      this.#log('log cleaner pass failed', { error: String(err) }, 'warn');
    }
    this.#schedule(again ? 0 : Math.min(Math.max(0, this.#backoffMs()), 2 ** 31 - 1));
  }
}
