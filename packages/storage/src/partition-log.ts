/**
 * The log of one topic partition: an ordered list of segments, the last of
 * which (the active segment) takes appends.
 *
 * Directory `<logDir>/<topic>-<partition>/` holds
 *
 *   <20-digit base offset>.log / .index / .timeindex   segments (segment.ts)
 *   log-start-offset      "0\n<offset>\n": version, then the log start
 *                         offset set by DeleteRecords (written atomically,
 *                         fsynced). On open the log start offset is the max
 *                         of this and the first segment's base offset.
 *   .samsa_cleanshutdown  empty; written (fsynced) by close() after all data
 *                         is flushed, removed by open(). Its absence on open
 *                         means the previous owner died: recovery runs.
 *
 * Offsets: logStartOffset <= highWatermark <= logEndOffset, asserted after
 * every mutation. In single-node mode the high watermark follows the log end
 * offset on append; replication will drive it through setHighWatermark.
 *
 * The log is split along its seams: opening and recovery (log-open.ts), the
 * append planner (append-planner.ts), reads and timestamp lookups
 * (log-reads.ts), retention and truncation (log-truncation.ts), all working
 * on one LogState (log-state.ts). This class owns the mutation queue that
 * serializes them, and the flush policy.
 *
 * Ordering: every mutation (append, roll, flush, retention, DeleteRecords,
 * truncate, close) runs through one promise queue, so they apply in call
 * order and never interleave; reads bypass the queue and see a consistent
 * prefix (see segment.ts). Appends called back to back with nothing else
 * queued between them share one queue entry: offsets are assigned in call
 * order and the ones that fit the active segment go to the file as one
 * gathered write (pwritev, at most 1 MiB unless one append is larger), then
 * are acknowledged in call order. A roll still happens between appends and
 * only after the pending write has completed.
 *
 * Durability: append resolves once its bytes are in the kernel (write(2) has
 * returned), not on disk. That survives the process being killed (kill -9,
 * crash, OOM): the page cache still holds the data and recovery finds it.
 * It does not survive an OS crash or power loss, which can lose the tail
 * written since the last fdatasync. flush.messages=N fdatasyncs before
 * resolving the append that brings the unflushed count to N (N=1: every
 * acknowledged append is on stable storage); flush.ms does the same by age,
 * and LogManager also checks it periodically. Rolled segments are always
 * fdatasynced when they stop being active.
 */
import { join } from 'node:path';
import { encodeControlRecordBatch, ErrorCode } from '@samsa/protocol';
import {
  duplicateResult,
  planAppendRun,
  type AppendOrigin,
  type AppendResult,
  type PendingAppend,
  type PlannedAppend,
  type TxnMarker,
} from './append-planner.js';
import { systemClock, type Clock } from './clock.js';
import { OffsetOutOfRangeError, StorageError } from './errors.js';
import { nodeFs, type Fs } from './fs.js';
import { assert } from './invariant.js';
import { classifyStorageFault, LogDirHealth } from './log-dir-health.js';
import { maxSegmentMs, type LogConfig } from './log-config.js';
import { CLEAN_SHUTDOWN_FILE, openLogState, type OpenInfo } from './log-open.js';
import { offsetForTimestamp, offsetOfMaxTimestamp, readLog, type ReadResult } from './log-reads.js';
import {
  activeSegment,
  checkInvariants,
  logEndOffset,
  rollSegment,
  writeLogStartOffset,
  writeProducerSnapshot,
  type LogState,
} from './log-state.js';
import { applyRetention, truncateLog } from './log-truncation.js';
import type { ProducerAppendSession, ProducerStateManager } from './producer-state.js';
import type { AppendBatchInfo, LogSegment } from './segment.js';
import { TxnIndex, type AbortedTxn } from './txn-index.js';

export { CLEAN_SHUTDOWN_FILE, partitionDirName, parsePartitionDirName, type OpenInfo } from './log-open.js';
export { LOG_START_OFFSET_FILE } from './log-state.js';
export type { AppendOrigin, AppendResult, TxnMarker } from './append-planner.js';
export type { ReadResult } from './log-reads.js';

/** Options of {@link PartitionLog.open}. */
export interface PartitionLogOptions {
  /** The log directory; the partition lives in `<dir>/<topic>-<partition>`. */
  dir: string;
  topic: string;
  partition: number;
  config: LogConfig;
  fs?: Fs;
  clock?: Clock;
  /** Single-node default true: the high watermark moves to the log end offset on every append. */
  highWatermarkFollowsLogEnd?: boolean;
  /**
   * The health of the log directory `dir`, shared by all its partitions
   * (LogManager passes one per log.dirs entry). Default: one of this log's
   * own, so a failed fsync still takes this log offline.
   */
  logDirHealth?: LogDirHealth;
}

/** The log of one partition. */
export class PartitionLog {
  readonly topic: string;
  readonly partition: number;
  /** The partition directory. */
  readonly dir: string;
  /** What open() found. */
  readonly openInfo: OpenInfo;
  #s: LogState;
  #health: LogDirHealth;
  #hwFollowsLeo: boolean;
  #queue: Promise<unknown> = Promise.resolve();
  /** The appends of the last queue entry, while more may join it (see append). */
  #openGroup: PendingAppend[] | null = null;
  #unflushedMessages = 0;
  #lastFlushMs: number;
  #closed = false;

  private constructor(state: LogState, health: LogDirHealth, hwFollowsLeo: boolean, info: OpenInfo) {
    this.topic = state.topic;
    this.partition = state.partition;
    this.dir = state.dir;
    this.#s = state;
    this.#health = health;
    this.#hwFollowsLeo = hwFollowsLeo;
    this.#lastFlushMs = state.clock.nowMs();
    this.openInfo = info;
    checkInvariants(state);
  }

  /**
   * Opens (creating if needed) the partition's log. Without a clean-shutdown
   * marker the active segment is validated and truncated at the first torn
   * or corrupt batch; any segment with missing or implausible index files is
   * rebuilt (see log-open.ts and recovery.ts for the full table).
   */
  static async open(opts: PartitionLogOptions): Promise<PartitionLog> {
    const health = opts.logDirHealth ?? new LogDirHealth(opts.dir);
    health.ensureOnline(`${opts.topic}-${opts.partition}`);
    const opened = openLogState({
      logDir: opts.dir,
      topic: opts.topic,
      partition: opts.partition,
      config: opts.config,
      fs: opts.fs ?? nodeFs,
      clock: opts.clock ?? systemClock,
    });
    const { state, info } = await opened.catch((err: unknown) => {
      health.report(err, `${opts.topic}-${opts.partition}`);
      throw err;
    });
    return new PartitionLog(state, health, opts.highWatermarkFollowsLogEnd ?? true, info);
  }

  /**
   * False once a fault took this log's directory offline (log-dir-health.ts):
   * every operation then fails with KAFKA_STORAGE_ERROR until restart.
   */
  get online(): boolean {
    return this.#health.online;
  }

  /** The health of the log directory holding this log. */
  get logDirHealth(): LogDirHealth {
    return this.#health;
  }

  /** First offset that may be read. */
  get logStartOffset(): number {
    return this.#s.logStartOffset;
  }
  /** Offset the next appended record gets. */
  get logEndOffset(): number {
    return logEndOffset(this.#s);
  }
  /** Offsets below this are committed (readable by consumers). */
  get highWatermark(): number {
    return this.#s.highWatermark;
  }
  /** Bytes in all segments. */
  get sizeInBytes(): number {
    let n = 0;
    for (const s of this.#s.segments) n += s.size;
    return n;
  }
  get config(): LogConfig {
    return this.#s.config;
  }
  /** Number of segments. */
  get segmentCount(): number {
    return this.#s.segments.length;
  }
  /** Base offsets of the segments, oldest first. */
  segmentBaseOffsets(): number[] {
    return this.#s.segments.map((s) => s.baseOffset);
  }

  /**
   * Offsets below this are committed and not part of an open transaction:
   * the high watermark, or the first offset of the oldest open transaction
   * if that is lower. read_committed consumers read up to here.
   */
  get lastStableOffset(): number {
    const firstUnstable = this.#s.producers.firstUnstableOffset();
    const hw = this.#s.highWatermark;
    return firstUnstable >= 0 && firstUnstable < hw ? firstUnstable : hw;
  }

  /** Aborted transactions overlapping [fromOffset, upperBoundOffset), for read_committed fetches. */
  abortedTransactions(fromOffset: number, upperBoundOffset: number): AbortedTxn[] {
    return this.#s.txnIndex.collect(fromOffset, upperBoundOffset);
  }

  /** The idempotent/transactional producers of this partition (read-only view). */
  get producerState(): ProducerStateManager {
    return this.#s.producers;
  }

  /**
   * Forgets producers with no append for `expirationMs`
   * (producer.id.expiration.ms) and no open transaction. Returns the count.
   */
  removeExpiredProducers(expirationMs: number): number {
    return this.#s.producers.removeExpired(this.#s.clock.nowMs(), expirationMs);
  }

  /** Replaces the config; index sizes apply to segments created from now on. */
  updateConfig(c: LogConfig): void {
    this.#s.config = c;
  }

  /** Sets the high watermark (replication); must stay within [logStartOffset, logEndOffset]. */
  setHighWatermark(offset: number): void {
    const s = this.#s;
    assert(offset >= s.logStartOffset && offset <= logEndOffset(s), () =>
      `high watermark ${offset} outside [${s.logStartOffset}, ${logEndOffset(s)}]`);
    s.highWatermark = offset;
  }

  /**
   * Appends one or more validated magic-2 batches (the caller ran
   * validateBatches). Assigns offsets from the log end offset by patching
   * each baseOffset in `batches` in place, stamps partitionLeaderEpoch
   * (`leaderEpoch`, default 0) and, for LogAppendTime, the timestamp. All
   * batches of one call go to the same segment (rolling first if needed).
   * Concurrent calls are applied in call order.
   *
   * A batch with a producer id (idempotent or transactional producer) is
   * checked against the partition's producer state (producer-state.ts): a
   * repeat of one of the producer's last five batches resolves with the
   * original offsets and `duplicate: true` without writing; a sequence gap,
   * stale epoch or unknown producer rejects with a StorageError carrying the
   * Kafka error code. At most one such batch per call.
   */
  append(batches: Buffer, opts?: { leaderEpoch?: number; origin?: AppendOrigin }): Promise<AppendResult> {
    return new Promise<AppendResult>((resolve, reject) => {
      const p: PendingAppend = { buf: batches, leaderEpoch: opts?.leaderEpoch ?? 0, origin: opts?.origin ?? 'client', resolve, reject };
      // Appends called back to back (nothing else queued in between) share
      // one queue entry, so they reach the file in one gathered write.
      const group = this.#openGroup;
      if (group !== null) {
        group.push(p);
        return;
      }
      const g: PendingAppend[] = [p];
      this.#openGroup = g;
      const run = this.#queue.then(() => this.#appendGroup(g));
      this.#queue = run.catch(() => undefined);
    });
  }

  /**
   * Writes a transaction marker (a control batch, origin coordinator) that
   * closes the producer's open transaction on this partition, if any; an
   * ABORT adds the transaction to the aborted-transaction index before the
   * returned promise resolves. Rejects with INVALID_PRODUCER_EPOCH or
   * TRANSACTION_COORDINATOR_FENCED when the marker is stale.
   */
  appendMarker(marker: TxnMarker, opts?: { leaderEpoch?: number }): Promise<AppendResult> {
    const batch = encodeControlRecordBatch({
      type: marker.aborted ? 'ABORT' : 'COMMIT',
      producerId: marker.producerId,
      producerEpoch: marker.producerEpoch,
      coordinatorEpoch: marker.coordinatorEpoch,
      timestamp: marker.timestampMs,
    });
    return this.append(batch, { leaderEpoch: opts?.leaderEpoch, origin: 'coordinator' });
  }

  /**
   * Reads whole batches starting with the one containing `offset`. Throws
   * {@link OffsetOutOfRangeError} unless logStartOffset <= offset <=
   * logEndOffset; `offset === logEndOffset` gives an empty result. Batches
   * whose baseOffset >= `maxOffset` (e.g. the high watermark) are not
   * returned. Reads only one segment per call (the caller fetches again).
   */
  async read(offset: number, maxBytes: number, opts?: { maxOffset?: number }): Promise<ReadResult> {
    this.#ensureOpen();
    return readLog(this.#s, offset, maxBytes, opts?.maxOffset ?? Number.MAX_SAFE_INTEGER).catch(this.#failed);
  }

  /**
   * ListOffsets by timestamp: the first record at or after the log start
   * offset whose timestamp >= `timestamp`, or null (see log-reads.ts).
   */
  async offsetForTimestamp(timestamp: number): Promise<{ offset: number; timestamp: number } | null> {
    this.#ensureOpen();
    return offsetForTimestamp(this.#s, timestamp).catch(this.#failed);
  }

  /**
   * ListOffsets -3 (KIP-734): the record with the largest timestamp (the
   * earliest such record on ties), or null for an empty log.
   */
  async offsetOfMaxTimestamp(): Promise<{ offset: number; timestamp: number } | null> {
    this.#ensureOpen();
    return offsetOfMaxTimestamp(this.#s).catch(this.#failed);
  }

  /**
   * DeleteRecords: moves the log start offset to `offset` (<= high
   * watermark, else OffsetOutOfRangeError), persists it, and deletes the
   * segments that lie entirely below it. Returns the new log start offset.
   */
  deleteRecordsBefore(offset: number): Promise<number> {
    return this.#enqueue(async () => {
      this.#ensureOpen();
      const s = this.#s;
      if (!Number.isSafeInteger(offset) || offset < 0 || offset > s.highWatermark) {
        throw new OffsetOutOfRangeError(offset, s.logStartOffset, s.highWatermark, `DeleteRecords on ${this.topic}-${this.partition}`);
      }
      if (offset <= s.logStartOffset) return s.logStartOffset;
      s.logStartOffset = offset;
      await writeLogStartOffset(s.fs, s.dir, offset);
      await applyRetention(s, false);
      checkInvariants(s);
      return s.logStartOffset;
    });
  }

  /**
   * Deletes whole segments by the log start offset, retention.ms and
   * retention.bytes (see retention.ts), rolling the active segment first if
   * it is expired too. Returns the number of segments deleted.
   */
  applyRetention(): Promise<number> {
    return this.#enqueue(() => (this.#closed || !this.#health.online ? Promise.resolve(0) : applyRetention(this.#s, true)));
  }

  /** Rolls the active segment if segment.ms has passed (by the clock). True if it rolled. */
  maybeRoll(): Promise<boolean> {
    return this.#enqueue(async () => {
      this.#ensureOpen();
      const s = this.#s;
      const now = s.clock.nowMs();
      const c = s.config;
      if (!activeSegment(s).shouldRoll({ segmentBytes: c.segmentBytes, segmentMs: maxSegmentMs(c), appendBytes: 0, lastOffset: logEndOffset(s), maxTimestamp: now, nowMs: now })) return false;
      await rollSegment(s);
      return true;
    });
  }

  /** Rolls the active segment now (no-op when it is empty). */
  roll(): Promise<void> {
    return this.#enqueue(async () => {
      this.#ensureOpen();
      await rollSegment(this.#s);
    });
  }

  /**
   * Removes everything at and after `offset`. The log only ends on batch
   * boundaries, so a batch containing `offset` is removed whole and the new
   * log end offset is its base offset. Truncating to or below the log start
   * offset empties the log and restarts it at `offset`.
   */
  truncateTo(offset: number): Promise<void> {
    return this.#enqueue(async () => {
      this.#ensureOpen();
      assert(Number.isSafeInteger(offset) && offset >= 0, () => `truncateTo(${offset})`);
      await truncateLog(this.#s, offset);
    });
  }

  /** fdatasyncs segments with unflushed data and persists dirty indexes. */
  flush(): Promise<void> {
    return this.#enqueue(async () => {
      this.#ensureOpen();
      await this.#flushData();
      for (const s of this.#s.segments) await s.persistIndexes();
    });
  }

  /** Flushes if flush.ms has elapsed since the last flush (for LogManager's scheduler). */
  maybeFlush(): Promise<void> {
    return this.#enqueue(async () => {
      // Never on an offline log: a failed fdatasync is not retried.
      if (this.#closed || !this.#health.online || this.#unflushedMessages === 0) return;
      if (this.#s.clock.nowMs() - this.#lastFlushMs >= this.#s.config.flushMs) await this.#flushData();
    });
  }

  /**
   * Flushes everything, closes the files and writes the clean-shutdown
   * marker. On an offline log it only closes the files: no fsync is retried
   * and no marker written, so the next open runs recovery.
   */
  close(): Promise<void> {
    return this.#enqueue(async () => {
      if (this.#closed) return;
      this.#closed = true;
      const s = this.#s;
      if (!this.#health.online) {
        for (const seg of s.segments) await seg.close().catch(() => undefined);
        return;
      }
      for (const seg of s.segments) await seg.seal();
      for (const seg of s.segments) await seg.close();
      await writeProducerSnapshot(s, logEndOffset(s));
      await s.fs.writeFileAtomic(join(this.dir, CLEAN_SHUTDOWN_FILE), Buffer.alloc(0), { sync: true });
    });
  }

  /** Closes without a marker and removes the partition directory. */
  delete(): Promise<void> {
    return this.#enqueue(async () => {
      this.#closed = true;
      for (const s of this.#s.segments) await s.close();
      await this.#s.fs.rmrf(this.dir);
    });
  }

  /**
   * Writes a group of queued appends in call order, one planned run at a
   * time (append-planner.ts). Consecutive appends that all fit the active
   * segment go out as one gathered write, and are acknowledged, in order,
   * only once that write (and so every earlier one) has completed. An append
   * that needs a roll first waits for the pending write, so rolls stay on
   * batch boundaries and see the real segment. A bad append fails alone; a
   * failed write or flush fails the appends of that write only.
   */
  async #appendGroup(items: PendingAppend[]): Promise<void> {
    if (this.#openGroup === items) this.#openGroup = null;
    let i = 0;
    try {
      while (i < items.length) {
        this.#ensureOpen();
        const s = this.#s;
        const now = s.clock.nowMs();
        const active = activeSegment(s);
        const producers = s.producers.begin();
        const plan = planAppendRun(items, i, { active, config: s.config, nowMs: now, logEndOffset: logEndOffset(s), producers });
        if (plan.kind === 'roll') {
          try {
            await rollSegment(s);
          } catch (err) {
            this.#reportFault(err);
            items[i].reject(err);
            i++;
          }
          continue;
        }
        i = plan.nextIndex;
        let writeErr: unknown = null;
        if (plan.writes > 0) {
          try {
            await this.#writeRun(plan.run, active, plan.nextOffset, now, producers);
          } catch (err) {
            this.#reportFault(err);
            writeErr = err;
          }
        }
        this.#settle(plan.run, writeErr, s.config.messageTimestampType === 'LogAppendTime' ? now : -1);
      }
    } catch (err) {
      for (; i < items.length; i++) items[i].reject(err);
    }
  }

  /**
   * Writes the prepared appends of one run to the active segment, then makes
   * their producer-state changes, aborted transactions and high watermark
   * visible, and flushes if flush.messages or flush.ms says so.
   */
  async #writeRun(run: readonly PlannedAppend[], active: LogSegment, nextOffset: number, now: number, producers: ProducerAppendSession): Promise<void> {
    const s = this.#s;
    const c = s.config;
    const firstOffset = logEndOffset(s);
    const parts: Array<{ buf: Buffer; batches: AppendBatchInfo[] }> = [];
    for (const r of run) if (r.prepared !== null && r.prepared.duplicateOf === null) parts.push({ buf: r.p.buf, batches: r.prepared.infos });
    await active.appendMany(parts, now);
    // From here the batches are in the segment and cannot be taken back: a
    // failure before their ack takes the log dir offline, even ENOSPC.
    try {
      const completed = producers.commit();
      // Aborted ranges enter the in-memory index in the same tick as the
      // LSO and high watermark move, so no read_committed fetch can see
      // an aborted record without its AbortedTransactions entry.
      const aborted: AbortedTxn[] = [];
      for (const txn of completed) {
        if (!txn.aborted) continue;
        const firstUnstable = s.producers.firstUnstableOffset();
        const lastStableOffset = firstUnstable >= 0 ? firstUnstable : txn.lastOffset + 1;
        const entry = { producerId: txn.producerId, firstOffset: txn.firstOffset, lastOffset: txn.lastOffset, lastStableOffset };
        s.txnIndex.remember(entry);
        aborted.push(entry);
      }
      if (this.#hwFollowsLeo) s.highWatermark = nextOffset;
      for (const entry of aborted) await s.txnIndex.persist(active.baseOffset, entry);
      checkInvariants(s);
      this.#unflushedMessages += nextOffset - firstOffset;
      if (this.#unflushedMessages >= c.flushMessages || now - this.#lastFlushMs >= c.flushMs) await this.#flushData();
    } catch (err) {
      const fault = classifyStorageFault(err);
      if (fault !== 'no-space' && fault !== 'no-descriptors') throw err;
      throw new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, `${this.topic}-${this.partition}: ${fault === 'no-space' ? 'out of space' : 'out of file descriptors'} after the batches were written`, { cause: err, fault: 'io-failed' });
    }
  }

  /** Resolves or rejects every append of a run, in call order. */
  #settle(run: readonly PlannedAppend[], writeErr: unknown, logAppendTimeMs: number): void {
    const logStartOffset = this.#s.logStartOffset;
    for (const { p, prepared, err } of run) {
      if (prepared === null) p.reject(err);
      else if (writeErr !== null) p.reject(writeErr);
      else if (prepared.duplicateOf !== null) p.resolve(duplicateResult(prepared.duplicateOf, logStartOffset));
      else {
        p.resolve({
          baseOffset: prepared.firstOffset,
          lastOffset: prepared.lastOffset,
          logAppendTimeMs,
          logStartOffset,
          recordCount: prepared.recordCount,
          maxTimestamp: prepared.maxTimestamp,
          duplicate: false,
        });
      }
    }
  }

  async #flushData(): Promise<void> {
    for (const s of this.#s.segments) if (s.unflushed) await s.flush();
    this.#unflushedMessages = 0;
    this.#lastFlushMs = this.#s.clock.nowMs();
  }

  #ensureOpen(): void {
    if (this.#closed) throw new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, `log ${this.topic}-${this.partition} is closed`);
    this.#health.ensureOnline(`${this.topic}-${this.partition}`);
  }

  /** Hands an error to the log dir's health, which takes the dir offline if the fault calls for it. */
  #reportFault(err: unknown): void {
    this.#health.report(err, `${this.topic}-${this.partition}`);
  }

  /** For promise chains: reports the error (see #reportFault) and rethrows it. */
  #failed = (err: unknown): never => {
    this.#reportFault(err);
    throw err;
  };

  #enqueue<T>(fn: () => Promise<T>): Promise<T> {
    // Appends called after this operation must not join a group queued before it.
    this.#openGroup = null;
    const run = this.#queue.then(fn).catch(this.#failed);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  // --- log compaction (compaction/): the cleaner reads sealed segments and swaps cleaned ones in ---

  /**
   * The segments, oldest first; the last is the active one. The array is
   * never changed in place (mutations replace it), so it is a consistent
   * snapshot. For the log cleaner, which reads only sealed segments and pins
   * each read with acquire/release as {@link read} does.
   */
  segmentsForCleaning(): readonly LogSegment[] {
    return this.#s.segments;
  }

  /**
   * Log compaction's swap (compaction/segment-swap.ts). If `sources` are
   * still consecutive sealed segments of this log, runs `install` (which
   * moves the cleaned files into place and opens the result) and puts the
   * segment it returns in their place; readers still holding a source finish
   * on its open file, which is closed when they release it. Resolves false
   * without calling `install` when retention, DeleteRecords, truncation or
   * close changed those segments meanwhile. Runs in the mutation queue.
   * The aborted-transaction index is then reloaded from the `.txnindex`
   * files: the cleaned segment's holds only the entries whose markers it
   * kept, so reads see what a restart would.
   */
  replaceSegments(sources: readonly LogSegment[], install: () => Promise<LogSegment>): Promise<boolean> {
    return this.#enqueue(async () => {
      if (this.#closed || sources.length === 0) return false;
      const s = this.#s;
      const segs = s.segments;
      const at = segs.indexOf(sources[0]);
      // A truncation into a sealed segment makes it the active one, so "not last" also means "unchanged".
      if (at < 0 || at + sources.length >= segs.length || sources.some((src, k) => segs[at + k] !== src)) return false;
      // install() renames the cleaned files over the first source's paths and
      // unlinks the others: readers still on a source must keep its descriptor.
      for (const src of sources) await src.keepOpenUntilClosed();
      let seg: LogSegment;
      try {
        seg = await install();
      } catch (err) {
        for (const src of sources) src.releaseKeepOpen();
        throw err;
      }
      assert(seg.baseOffset === sources[0].baseOffset && seg.nextOffset <= segs[at + sources.length].baseOffset, () =>
        `cleaned segment [${seg.baseOffset}, ${seg.nextOffset}) does not fit where [${sources[0].baseOffset}, ${segs[at + sources.length].baseOffset}) was`);
      s.segments = [...segs.slice(0, at), seg, ...segs.slice(at + sources.length)];
      // close(), not delete(): the first source's paths now name the cleaned files.
      for (const src of sources) await src.close();
      s.txnIndex = await TxnIndex.load(s.fs, this.dir, s.segments.map((x) => x.baseOffset));
      checkInvariants(s);
      return true;
    });
  }
}
