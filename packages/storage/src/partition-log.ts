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
import {
  ErrorCode,
  encodeControlRecordBatch,
  peekControlRecord,
  RECORD_BATCH_HEADER_SIZE,
  RecordBatchHeader,
  setBaseOffset,
  setLogAppendTime,
  setPartitionLeaderEpoch,
} from '@samsa/protocol';
import { systemClock, type Clock } from './clock.js';
import { OffsetOutOfRangeError, StorageError } from './errors.js';
import { nodeFs, type Fs } from './fs.js';
import { assert } from './invariant.js';
import { hasDeletePolicy, maxSegmentMs, type LogConfig } from './log-config.js';
import { completeInterruptedSwaps } from './compaction/segment-swap.js';
import { segmentsToRecover } from './recovery.js';
import {
  batchProducerInfo,
  listProducerSnapshots,
  ProducerStateManager,
  producerSnapshotFileName,
  type ProducerAppendSession,
  type ProducerBatch,
  type BatchProducerInfo,
} from './producer-state.js';
import { planRetention } from './retention.js';
import { TxnIndex, txnIndexPath, type AbortedTxn } from './txn-index.js';
import { LogSegment, parseSegmentFileName, segmentFilePath, type AppendBatchInfo } from './segment.js';

/** Name of the clean-shutdown marker in a partition directory. */
export const CLEAN_SHUTDOWN_FILE = '.samsa_cleanshutdown';
/** Name of the log-start-offset checkpoint in a partition directory. */
export const LOG_START_OFFSET_FILE = 'log-start-offset';

/** Result of {@link PartitionLog.append}. */
export interface AppendResult {
  /** Offset assigned to the first record. */
  baseOffset: number;
  lastOffset: number;
  /** The timestamp stamped on the batches, or -1 unless message.timestamp.type=LogAppendTime. */
  logAppendTimeMs: number;
  logStartOffset: number;
  recordCount: number;
  maxTimestamp: number;
  /**
   * True when the batch repeated one an idempotent producer had already
   * written: nothing was written and the offsets are the original ones.
   */
  duplicate: boolean;
}

/**
 * Who writes: a client's Produce (producer checks apply, control batches are
 * refused) or a coordinator: transaction markers (control batches) and the
 * group coordinator's transactional offset commits (checked by epoch only,
 * as they carry no sequence numbers).
 */
export type AppendOrigin = 'client' | 'coordinator';

/** A transaction marker to write with {@link PartitionLog.appendMarker}. */
export interface TxnMarker {
  producerId: number;
  producerEpoch: number;
  coordinatorEpoch: number;
  /** true = ABORT, false = COMMIT. */
  aborted: boolean;
  timestampMs: number;
}

/** An append waiting in the queue. */
interface PendingAppend {
  buf: Buffer;
  leaderEpoch: number;
  origin: AppendOrigin;
  resolve: (r: AppendResult) => void;
  reject: (err: unknown) => void;
}

/** The shape of an append, read from its headers before any check. */
interface MeasuredAppend {
  /** Offsets the append takes (sum of lastOffsetDelta + 1). */
  offsetCount: number;
  maxTimestamp: number;
  /** The one batch with a producer id, if any (position in the buffer). */
  producerBatchPosition: number;
}

/** An append whose batches are stamped with offsets, not yet written. */
interface PreparedAppend {
  firstOffset: number;
  lastOffset: number;
  infos: AppendBatchInfo[];
  maxTimestamp: number;
  recordCount: number;
  /** Set when the append repeats a batch already in the log: nothing is written. */
  duplicateOf: ProducerBatch | null;
}

/** How many producer-state snapshots a partition keeps (recovery needs the latest one at or below the log end). */
const PRODUCER_SNAPSHOTS_KEPT = 2;

/** Bounds of one coalesced write (IOV_MAX, and latency of the first append in it). */
const MAX_APPENDS_PER_WRITE = 1024;
const MAX_BYTES_PER_WRITE = 1 * 1024 * 1024;

/** Result of {@link PartitionLog.read}. */
export interface ReadResult {
  /** Zero or more whole batches; the first is whole even if larger than maxBytes (KIP-74). */
  buffers: Buffer[];
  bytes: number;
  highWatermark: number;
  logStartOffset: number;
  logEndOffset: number;
}

/** What happened when the log was opened. */
export interface OpenInfo {
  cleanShutdown: boolean;
  /** Segments scanned in full (recovered or index rebuilt). */
  rebuiltSegments: number;
  /** Bytes cut from segments by recovery. */
  truncatedBytes: number;
  /** Segments deleted because an earlier segment had to be truncated. */
  deletedSegments: number;
}

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
}

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/** Partition directory name `<topic>-<partition>`. */
export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/** Parses `<topic>-<partition>` (partition after the last '-'), or null. */
export function parsePartitionDirName(name: string): { topic: string; partition: number } | null {
  const m = /^(.+)-(\d+)$/.exec(name);
  if (m === null || !TOPIC_NAME.test(m[1]) || m[1] === '.' || m[1] === '..') return null;
  const partition = Number(m[2]);
  return Number.isSafeInteger(partition) && partition <= 0x7fffffff ? { topic: m[1], partition } : null;
}

/** The log of one partition. */
export class PartitionLog {
  readonly topic: string;
  readonly partition: number;
  /** The partition directory. */
  readonly dir: string;
  /** What open() found. */
  readonly openInfo: OpenInfo;
  #fs: Fs;
  #clock: Clock;
  #config: LogConfig;
  #segments: readonly LogSegment[];
  #logStartOffset: number;
  #highWatermark: number;
  #hwFollowsLeo: boolean;
  #queue: Promise<unknown> = Promise.resolve();
  /** The appends of the last queue entry, while more may join it (see append). */
  #openGroup: PendingAppend[] | null = null;
  #unflushedMessages = 0;
  #lastFlushMs: number;
  #closed = false;
  #producers: ProducerStateManager;
  #txnIndex: TxnIndex;

  private constructor(
    o: Required<Omit<PartitionLogOptions, 'dir'>> & { partDir: string },
    segments: LogSegment[],
    logStartOffset: number,
    producers: ProducerStateManager,
    txnIndex: TxnIndex,
    info: OpenInfo,
  ) {
    this.topic = o.topic;
    this.partition = o.partition;
    this.dir = o.partDir;
    this.#fs = o.fs;
    this.#clock = o.clock;
    this.#config = o.config;
    this.#segments = segments;
    this.#logStartOffset = logStartOffset;
    this.#highWatermark = segments[segments.length - 1].nextOffset;
    this.#hwFollowsLeo = o.highWatermarkFollowsLogEnd;
    this.#lastFlushMs = o.clock.nowMs();
    this.#producers = producers;
    this.#txnIndex = txnIndex;
    this.openInfo = info;
    this.#checkInvariants();
  }

  /**
   * Opens (creating if needed) the partition's log. Without a clean-shutdown
   * marker the active segment is validated and truncated at the first torn
   * or corrupt batch; any segment with missing or implausible index files is
   * rebuilt (see recovery.ts for the full table).
   */
  static async open(opts: PartitionLogOptions): Promise<PartitionLog> {
    const { topic, partition } = opts;
    if (!TOPIC_NAME.test(topic) || topic === '.' || topic === '..') {
      throw new StorageError(ErrorCode.INVALID_TOPIC_EXCEPTION, `invalid topic name ${JSON.stringify(topic)}`);
    }
    assert(Number.isSafeInteger(partition) && partition >= 0, () => `invalid partition ${partition}`);
    const fs = opts.fs ?? nodeFs;
    const clock = opts.clock ?? systemClock;
    const config = opts.config;
    const partDir = join(opts.dir, partitionDirName(topic, partition));
    await fs.mkdir(partDir);
    // A compaction swap interrupted by a crash is finished (or dropped) before anything looks at the segments.
    await completeInterruptedSwaps(fs, partDir);
    const names = await fs.readdir(partDir);
    const clean = names.includes(CLEAN_SHUTDOWN_FILE);
    const bases: number[] = [];
    for (const name of names) {
      const base = parseSegmentFileName(name);
      if (base !== null) bases.push(base);
      else if (name.endsWith('.tmp') || name.endsWith('.deleted')) await fs.unlink(join(partDir, name));
    }
    bases.sort((a, b) => a - b);
    const baseSet = new Set(bases);
    for (const name of names) {
      // Index files whose .log is gone (deleted by retention right before a crash).
      const m = /^(\d{20})\.(index|timeindex|txnindex)$/.exec(name);
      if (m !== null && !baseSet.has(Number(m[1]))) await fs.unlink(join(partDir, name));
    }
    const checkpoint = await readLogStartOffset(fs, join(partDir, LOG_START_OFFSET_FILE));
    const info: OpenInfo = { cleanShutdown: clean, rebuiltSegments: 0, truncatedBytes: 0, deletedSegments: 0 };
    const indexCfg = { indexIntervalBytes: config.indexIntervalBytes, segmentIndexBytes: config.segmentIndexBytes };
    const segments: LogSegment[] = [];
    const mustRecover = segmentsToRecover(bases.length, clean);
    for (let i = 0; i < bases.length; i++) {
      const last = i === bases.length - 1;
      const st = await fs.stat(segmentFilePath(partDir, bases[i], '.log'));
      const r = await LogSegment.open(fs, partDir, bases[i], indexCfg, { recover: mustRecover(i), nowMs: clock.nowMs(), mtimeMs: st?.mtimeMs });
      segments.push(r.segment);
      if (r.rebuilt) info.rebuiltSegments++;
      info.truncatedBytes += r.truncatedBytes;
      const nextBase = last ? Number.POSITIVE_INFINITY : bases[i + 1];
      if (!last && (r.truncatedBytes > 0 || r.segment.nextOffset > nextBase)) {
        // A damaged older segment: the log must stay contiguous, so every
        // later segment goes (Kafka does the same on recovery).
        for (const later of bases.slice(i + 1)) {
          await fs.unlink(segmentFilePath(partDir, later, '.log'));
          await fs.unlink(segmentFilePath(partDir, later, '.index'));
          await fs.unlink(segmentFilePath(partDir, later, '.timeindex'));
          info.deletedSegments++;
        }
        break;
      }
    }
    if (segments.length === 0) {
      segments.push(await LogSegment.create(fs, partDir, Math.max(0, checkpoint ?? 0), indexCfg, clock.nowMs()));
    }
    const leo = segments[segments.length - 1].nextOffset;
    const logStartOffset = Math.min(Math.max(checkpoint ?? 0, segments[0].baseOffset), leo);
    if (checkpoint !== null && checkpoint > leo) {
      // Recovery cut the log below the DeleteRecords point (data lost in a
      // power failure): the start moves back to the end, durably, or the old
      // value would come back once appends pass it.
      await fs.writeFileAtomic(join(partDir, LOG_START_OFFSET_FILE), Buffer.from(`0\n${logStartOffset}\n`), { sync: true });
    }
    const txnIndex = await TxnIndex.load(fs, partDir, segments.map((seg) => seg.baseOffset));
    const producers = await loadProducerState(fs, partDir, segments, txnIndex);
    if (clean) {
      await fs.unlink(join(partDir, CLEAN_SHUTDOWN_FILE));
      await fs.fsyncDir(partDir);
    }
    return new PartitionLog(
      { topic, partition, config, fs, clock, highWatermarkFollowsLogEnd: opts.highWatermarkFollowsLogEnd ?? true, partDir },
      segments,
      logStartOffset,
      producers,
      txnIndex,
      info,
    );
  }

  /** First offset that may be read. */
  get logStartOffset(): number {
    return this.#logStartOffset;
  }
  /** Offset the next appended record gets. */
  get logEndOffset(): number {
    return this.#active().nextOffset;
  }
  /** Offsets below this are committed (readable by consumers). */
  get highWatermark(): number {
    return this.#highWatermark;
  }
  /** Bytes in all segments. */
  get sizeInBytes(): number {
    let n = 0;
    for (const s of this.#segments) n += s.size;
    return n;
  }
  get config(): LogConfig {
    return this.#config;
  }
  /** Number of segments. */
  get segmentCount(): number {
    return this.#segments.length;
  }
  /** Base offsets of the segments, oldest first. */
  segmentBaseOffsets(): number[] {
    return this.#segments.map((s) => s.baseOffset);
  }

  /**
   * Offsets below this are committed and not part of an open transaction:
   * the high watermark, or the first offset of the oldest open transaction
   * if that is lower. read_committed consumers read up to here.
   */
  get lastStableOffset(): number {
    const firstUnstable = this.#producers.firstUnstableOffset();
    return firstUnstable >= 0 && firstUnstable < this.#highWatermark ? firstUnstable : this.#highWatermark;
  }

  /** Aborted transactions overlapping [fromOffset, upperBoundOffset), for read_committed fetches. */
  abortedTransactions(fromOffset: number, upperBoundOffset: number): AbortedTxn[] {
    return this.#txnIndex.collect(fromOffset, upperBoundOffset);
  }

  /** The idempotent/transactional producers of this partition (read-only view). */
  get producerState(): ProducerStateManager {
    return this.#producers;
  }

  /**
   * Forgets producers with no append for `expirationMs`
   * (producer.id.expiration.ms) and no open transaction. Returns the count.
   */
  removeExpiredProducers(expirationMs: number): number {
    return this.#producers.removeExpired(this.#clock.nowMs(), expirationMs);
  }

  /** Replaces the config; index sizes apply to segments created from now on. */
  updateConfig(c: LogConfig): void {
    this.#config = c;
  }

  /** Sets the high watermark (replication); must stay within [logStartOffset, logEndOffset]. */
  setHighWatermark(offset: number): void {
    assert(offset >= this.#logStartOffset && offset <= this.logEndOffset, () =>
      `high watermark ${offset} outside [${this.#logStartOffset}, ${this.logEndOffset}]`);
    this.#highWatermark = offset;
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
    const maxOffset = opts?.maxOffset ?? Number.MAX_SAFE_INTEGER;
    // A retention or truncation can delete the segment between choosing it
    // and pinning it; then choose again (bounded: it can only happen once
    // per concurrent mutation).
    for (let attempt = 0; attempt < 8; attempt++) {
      const logStartOffset = this.#logStartOffset;
      const logEndOffset = this.logEndOffset;
      const highWatermark = this.#highWatermark;
      if (offset < logStartOffset || offset > logEndOffset || !Number.isSafeInteger(offset)) {
        throw new OffsetOutOfRangeError(offset, logStartOffset, logEndOffset, `${this.topic}-${this.partition}`);
      }
      const result: ReadResult = { buffers: [], bytes: 0, highWatermark, logStartOffset, logEndOffset };
      if (offset === logEndOffset) return result;
      const segs = this.#segments;
      let retry = false;
      for (let i = floorSegment(segs, offset); i < segs.length; i++) {
        const seg = segs[i];
        if (!seg.acquire()) {
          retry = true;
          break;
        }
        let r;
        try {
          r = await seg.read(offset, maxBytes, maxOffset);
        } finally {
          seg.release();
        }
        if (r.found) {
          if (r.data.length > 0) {
            result.buffers.push(r.data);
            result.bytes = r.data.length;
          }
          return result;
        }
      }
      if (!retry) return result;
    }
    throw new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, `read of ${this.topic}-${this.partition} kept racing segment deletion`);
  }

  /**
   * ListOffsets by timestamp: the first record at or after the log start
   * offset whose timestamp >= `timestamp`, or null. Finds the batch through
   * the time index and batch headers, then decodes that one batch to answer
   * with the record's own offset and timestamp, as Kafka does.
   */
  async offsetForTimestamp(timestamp: number): Promise<{ offset: number; timestamp: number } | null> {
    this.#ensureOpen();
    const lso = this.#logStartOffset;
    for (const seg of this.#segments) {
      if (seg.maxTimestamp < timestamp || seg.nextOffset <= lso) continue;
      if (!seg.acquire()) continue;
      try {
        let min = lso;
        for (;;) {
          const batch = await seg.findByTimestamp(timestamp, min);
          if (batch === null) break;
          const rec = await seg.firstRecordOffset(batch.baseOffset, (t, o) => t >= timestamp && o >= lso);
          if (rec !== null) return rec;
          // Only records below the log start offset matched: keep looking.
          min = batch.lastOffset + 1;
        }
      } finally {
        seg.release();
      }
    }
    return null;
  }

  /**
   * ListOffsets -3 (KIP-734): the record with the largest timestamp (the
   * earliest such record on ties), or null for an empty log.
   */
  async offsetOfMaxTimestamp(): Promise<{ offset: number; timestamp: number } | null> {
    this.#ensureOpen();
    let best: LogSegment | null = null;
    for (const seg of this.#segments) {
      if (seg.nextOffset <= this.#logStartOffset || seg.maxTimestamp < 0) continue;
      if (best === null || seg.maxTimestamp > best.maxTimestamp) best = seg;
    }
    if (best === null || !best.acquire()) return null;
    try {
      const ts = best.maxTimestamp;
      const rec = await best.firstRecordOffset(best.offsetOfMaxTimestamp, (t) => t === ts);
      return rec ?? { offset: best.offsetOfMaxTimestamp, timestamp: ts };
    } finally {
      best.release();
    }
  }

  /**
   * DeleteRecords: moves the log start offset to `offset` (<= high
   * watermark, else OffsetOutOfRangeError), persists it, and deletes the
   * segments that lie entirely below it. Returns the new log start offset.
   */
  deleteRecordsBefore(offset: number): Promise<number> {
    return this.#enqueue(async () => {
      this.#ensureOpen();
      if (!Number.isSafeInteger(offset) || offset < 0 || offset > this.#highWatermark) {
        throw new OffsetOutOfRangeError(offset, this.#logStartOffset, this.#highWatermark, `DeleteRecords on ${this.topic}-${this.partition}`);
      }
      if (offset <= this.#logStartOffset) return this.#logStartOffset;
      this.#logStartOffset = offset;
      await this.#writeLogStartOffset();
      await this.#applyRetention(false);
      this.#checkInvariants();
      return this.#logStartOffset;
    });
  }

  /**
   * Deletes whole segments by the log start offset, retention.ms and
   * retention.bytes (see retention.ts), rolling the active segment first if
   * it is expired too. Returns the number of segments deleted.
   */
  applyRetention(): Promise<number> {
    return this.#enqueue(() => (this.#closed ? Promise.resolve(0) : this.#applyRetention(true)));
  }

  /** Rolls the active segment if segment.ms has passed (by the clock). True if it rolled. */
  maybeRoll(): Promise<boolean> {
    return this.#enqueue(async () => {
      this.#ensureOpen();
      const now = this.#clock.nowMs();
      const c = this.#config;
      if (!this.#active().shouldRoll({ segmentBytes: c.segmentBytes, segmentMs: maxSegmentMs(c), appendBytes: 0, lastOffset: this.logEndOffset, maxTimestamp: now, nowMs: now })) return false;
      await this.#roll();
      return true;
    });
  }

  /** Rolls the active segment now (no-op when it is empty). */
  roll(): Promise<void> {
    return this.#enqueue(async () => {
      this.#ensureOpen();
      await this.#roll();
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
      if (offset >= this.logEndOffset) return;
      if (offset <= this.#logStartOffset || offset <= this.#segments[0].baseOffset) {
        const old = this.#segments;
        const seg = await LogSegment.create(this.#fs, this.dir, offset, this.#indexConfig(), this.#clock.nowMs());
        this.#segments = [seg];
        for (const s of old) {
          if (s.baseOffset !== offset) await s.delete();
          else await s.close();
          await this.#fs.unlink(txnIndexPath(this.dir, s.baseOffset));
        }
        this.#logStartOffset = offset;
        await this.#writeLogStartOffset();
      } else {
        let segs = this.#segments;
        while (segs.length > 1 && segs[segs.length - 1].baseOffset >= offset) {
          const victim = segs[segs.length - 1];
          segs = segs.slice(0, -1);
          this.#segments = segs;
          await victim.delete();
          await this.#fs.unlink(txnIndexPath(this.dir, victim.baseOffset));
        }
        await segs[segs.length - 1].truncateTo(offset);
        if (this.#logStartOffset > this.logEndOffset) {
          // The batch holding the old start straddled the cut: the start
          // moves back to the new end (the checkpoint must follow, or a
          // restart would resurrect the higher value).
          this.#logStartOffset = this.logEndOffset;
          await this.#writeLogStartOffset();
        }
      }
      if (this.#highWatermark > this.logEndOffset) this.#highWatermark = this.logEndOffset;
      if (this.#highWatermark < this.#logStartOffset) this.#highWatermark = this.#logStartOffset;
      // Batches past the cut must not count as written: rebuild from the log.
      await this.#txnIndex.truncateFrom(offset, this.#segments.map((seg) => seg.baseOffset));
      this.#txnIndex.dropBelow(this.#segments[0].baseOffset);
      this.#producers = await loadProducerState(this.#fs, this.dir, this.#segments, this.#txnIndex);
      this.#checkInvariants();
    });
  }

  /** fdatasyncs segments with unflushed data and persists dirty indexes. */
  flush(): Promise<void> {
    return this.#enqueue(async () => {
      this.#ensureOpen();
      await this.#flushData();
      for (const s of this.#segments) await s.persistIndexes();
    });
  }

  /** Flushes if flush.ms has elapsed since the last flush (for LogManager's scheduler). */
  maybeFlush(): Promise<void> {
    return this.#enqueue(async () => {
      if (this.#closed || this.#unflushedMessages === 0) return;
      if (this.#clock.nowMs() - this.#lastFlushMs >= this.#config.flushMs) await this.#flushData();
    });
  }

  /** Flushes everything, closes the files and writes the clean-shutdown marker. */
  close(): Promise<void> {
    return this.#enqueue(async () => {
      if (this.#closed) return;
      this.#closed = true;
      for (const s of this.#segments) await s.seal();
      for (const s of this.#segments) await s.close();
      await this.#writeProducerSnapshot(this.logEndOffset);
      await this.#fs.writeFileAtomic(join(this.dir, CLEAN_SHUTDOWN_FILE), Buffer.alloc(0), { sync: true });
    });
  }

  /** Closes without a marker and removes the partition directory. */
  delete(): Promise<void> {
    return this.#enqueue(async () => {
      this.#closed = true;
      for (const s of this.#segments) await s.close();
      await this.#fs.rmrf(this.dir);
    });
  }

  /**
   * Writes a group of queued appends in call order. Offsets are assigned
   * append by append; consecutive appends that all fit the active segment
   * (by the roll rule, applied as if the earlier ones were already written)
   * go out as one gathered write, and are acknowledged, in order, only once
   * that write (and so every earlier one) has completed. An append that
   * needs a roll first waits for the pending write, so rolls stay on batch
   * boundaries and see the real segment. A bad append fails alone; a failed
   * write or flush fails the appends of that write only.
   */
  async #appendGroup(items: PendingAppend[]): Promise<void> {
    if (this.#openGroup === items) this.#openGroup = null;
    let i = 0;
    try {
      while (i < items.length) {
        this.#ensureOpen();
        const c = this.#config;
        const now = this.#clock.nowMs();
        const active = this.#active();
        // Producer-state changes of this write, applied only once it is on file.
        const producers = this.#producers.begin();
        // In call order; an append that fails its checks is settled in its place too.
        const run: Array<{ p: PendingAppend; prepared: PreparedAppend | null; err?: unknown }> = [];
        let first: PreparedAppend | null = null;
        let writes = 0;
        let runBytes = 0;
        let runMaxTimestamp = -1;
        let next = this.logEndOffset;
        while (i < items.length && writes < MAX_APPENDS_PER_WRITE) {
          const p = items[i];
          let measured: MeasuredAppend;
          try {
            measured = this.#measure(p.buf, p.origin);
          } catch (err) {
            run.push({ p, prepared: null, err });
            i++;
            continue;
          }
          const lastOffset = next + measured.offsetCount - 1;
          if (first !== null) {
            const maxTs = Math.max(runMaxTimestamp, measured.maxTimestamp);
            const pending = { bytes: runBytes, firstBatchTimestamp: first.infos[0].maxTimestamp };
            const roll = active.shouldRoll({ segmentBytes: c.segmentBytes, segmentMs: maxSegmentMs(c), appendBytes: p.buf.length, lastOffset, maxTimestamp: maxTs, nowMs: now, pending });
            // Write what we have first; this append is decided again against the written segment.
            if (roll || runBytes + p.buf.length > MAX_BYTES_PER_WRITE) break;
          } else if (active.shouldRoll({ segmentBytes: c.segmentBytes, segmentMs: maxSegmentMs(c), appendBytes: p.buf.length, lastOffset, maxTimestamp: measured.maxTimestamp, nowMs: now })) {
            if (run.length > 0) break; // settle the failed ones before rolling
            try {
              await this.#roll();
            } catch (err) {
              p.reject(err);
              i++;
            }
            break; // start over on the new active segment (offsets are assigned again, unchanged)
          }
          let prepared: PreparedAppend;
          try {
            prepared = this.#prepare(p, next, now, measured, producers);
          } catch (err) {
            run.push({ p, prepared: null, err });
            i++;
            continue;
          }
          run.push({ p, prepared });
          i++;
          if (prepared.duplicateOf !== null) continue;
          if (first === null) first = prepared;
          writes++;
          runBytes += p.buf.length;
          if (prepared.maxTimestamp > runMaxTimestamp) runMaxTimestamp = prepared.maxTimestamp;
          next = prepared.lastOffset + 1;
        }
        if (run.length === 0) continue;
        let writeErr: unknown = null;
        if (writes > 0) {
          const firstOffset = this.logEndOffset;
          try {
            const parts: Array<{ buf: Buffer; batches: AppendBatchInfo[] }> = [];
            for (const r of run) if (r.prepared !== null && r.prepared.duplicateOf === null) parts.push({ buf: r.p.buf, batches: r.prepared.infos });
            await active.appendMany(parts, now);
            const completed = producers.commit();
            // Aborted ranges enter the in-memory index in the same tick as the
            // LSO and high watermark move, so no read_committed fetch can see
            // an aborted record without its AbortedTransactions entry.
            const aborted: AbortedTxn[] = [];
            for (const txn of completed) {
              if (!txn.aborted) continue;
              const firstUnstable = this.#producers.firstUnstableOffset();
              const lastStableOffset = firstUnstable >= 0 ? firstUnstable : txn.lastOffset + 1;
              const entry = { producerId: txn.producerId, firstOffset: txn.firstOffset, lastOffset: txn.lastOffset, lastStableOffset };
              this.#txnIndex.remember(entry);
              aborted.push(entry);
            }
            if (this.#hwFollowsLeo) this.#highWatermark = next;
            for (const entry of aborted) await this.#txnIndex.persist(active.baseOffset, entry);
            this.#checkInvariants();
            this.#unflushedMessages += next - firstOffset;
            if (this.#unflushedMessages >= c.flushMessages || now - this.#lastFlushMs >= c.flushMs) await this.#flushData();
          } catch (err) {
            writeErr = err;
          }
        }
        const logAppendTimeMs = c.messageTimestampType === 'LogAppendTime' ? now : -1;
        for (const { p, prepared, err } of run) {
          if (prepared === null) p.reject(err);
          else if (writeErr !== null) p.reject(writeErr);
          else if (prepared.duplicateOf !== null) p.resolve(duplicateResult(prepared.duplicateOf, this.#logStartOffset));
          else {
            p.resolve({
              baseOffset: prepared.firstOffset,
              lastOffset: prepared.lastOffset,
              logAppendTimeMs,
              logStartOffset: this.#logStartOffset,
              recordCount: prepared.recordCount,
              maxTimestamp: prepared.maxTimestamp,
              duplicate: false,
            });
          }
        }
      }
    } catch (err) {
      for (; i < items.length; i++) items[i].reject(err);
    }
  }

  /**
   * Walks one append's batch headers without changing anything: the offsets
   * it takes and its max timestamp (to decide a roll before any check), and
   * the batch carrying a producer id. Throws (failing only this append) on a
   * malformed or oversized batch, or more than one batch with a producer id.
   */
  #measure(buf: Buffer, origin: AppendOrigin): MeasuredAppend {
    assert(buf.length >= RECORD_BATCH_HEADER_SIZE, 'append of less than one batch header');
    const c = this.#config;
    let offsetCount = 0;
    let maxTimestamp = -1;
    let producerBatchPosition = -1;
    for (let pos = 0; pos < buf.length; ) {
      assert(pos + RECORD_BATCH_HEADER_SIZE <= buf.length, 'truncated batch header in append');
      const h = new RecordBatchHeader(buf, pos);
      const size = h.totalSize;
      assert(h.magic === 2 && size >= RECORD_BATCH_HEADER_SIZE && pos + size <= buf.length, () => `malformed batch at ${pos} in append`);
      if (size > c.maxMessageBytes) {
        throw new StorageError(ErrorCode.MESSAGE_TOO_LARGE, `batch of ${size} bytes exceeds max.message.bytes ${c.maxMessageBytes}`);
      }
      const delta = h.lastOffsetDelta;
      assert(delta >= 0, 'negative lastOffsetDelta in append');
      if (h.isControl && origin !== 'coordinator') throw new StorageError(ErrorCode.INVALID_RECORD, 'Clients may not write control batches');
      if (h.producerId >= 0) {
        if (producerBatchPosition >= 0) {
          throw new StorageError(ErrorCode.INVALID_RECORD, 'An append may hold at most one batch with a producer id');
        }
        producerBatchPosition = pos;
      }
      if (h.maxTimestamp > maxTimestamp) maxTimestamp = h.maxTimestamp;
      offsetCount += delta + 1;
      pos += size;
    }
    return { offsetCount, maxTimestamp, producerBatchPosition };
  }

  /**
   * Checks the append's producer batch against the producer state (a
   * duplicate comes back as such, untouched), then stamps the batches for
   * offsets from `firstOffset` (baseOffset, leader epoch, LogAppendTime) and
   * records the producer batch in `producers`. Throws (failing only this
   * append) when the producer checks refuse the batch.
   */
  #prepare(p: PendingAppend, firstOffset: number, now: number, measured: MeasuredAppend, producers: ProducerAppendSession): PreparedAppend {
    const { buf, leaderEpoch } = p;
    let producer: BatchProducerInfo | null = null;
    let marker: { aborted: boolean; coordinatorEpoch: number } | null = null;
    if (measured.producerBatchPosition >= 0) {
      const at = measured.producerBatchPosition;
      const h = new RecordBatchHeader(buf, at);
      producer = batchProducerInfo(h.attributes, h.producerId, h.producerEpoch, h.baseSequence, h.lastOffsetDelta);
      if (producer.isControl) {
        const control = peekControlRecord(buf, at, at + h.totalSize);
        if (control.type !== 'ABORT' && control.type !== 'COMMIT') throw new StorageError(ErrorCode.INVALID_RECORD, `Control record type ${control.type} is not a transaction marker`);
        marker = { aborted: control.type === 'ABORT', coordinatorEpoch: control.coordinatorEpoch };
        producers.checkMarker(producer, marker.coordinatorEpoch);
      } else if (p.origin === 'coordinator') {
        // The group coordinator's transactional offset commits: no sequence numbers, epoch checked only.
        producers.checkCoordinatorWrite(producer);
      } else {
        const check = producers.check(producer);
        if (check.kind === 'duplicate') {
          return { firstOffset: check.batch.firstOffset, lastOffset: check.batch.lastOffset, infos: [], maxTimestamp: check.batch.maxTimestamp, recordCount: 0, duplicateOf: check.batch };
        }
      }
    }
    const logAppendTime = this.#config.messageTimestampType === 'LogAppendTime';
    const infos: AppendBatchInfo[] = [];
    let next = firstOffset;
    let maxTimestamp = -1;
    let recordCount = 0;
    for (let pos = 0; pos < buf.length; ) {
      const h = new RecordBatchHeader(buf, pos);
      const size = h.totalSize;
      const delta = h.lastOffsetDelta;
      setBaseOffset(buf, pos, next);
      setPartitionLeaderEpoch(buf, pos, leaderEpoch);
      if (logAppendTime) setLogAppendTime(buf, pos, now);
      const ts = h.maxTimestamp;
      infos.push({ position: pos, size, lastOffset: next + delta, maxTimestamp: ts });
      if (ts > maxTimestamp) maxTimestamp = ts;
      recordCount += h.recordCount;
      if (producer !== null && pos === measured.producerBatchPosition) {
        if (marker !== null) producers.recordMarker(producer, next, marker, now);
        else producers.record(producer, next, next + delta, ts, now);
      }
      next += delta + 1;
      pos += size;
    }
    return { firstOffset, lastOffset: next - 1, infos, maxTimestamp, recordCount, duplicateOf: null };
  }

  /** Seals the active segment and starts a new one at the log end offset. */
  async #roll(): Promise<LogSegment> {
    const active = this.#active();
    if (active.size === 0) return active;
    await active.seal();
    // The state after every batch of the sealed segment: an unclean restart
    // replays only the new active segment on top of it.
    await this.#writeProducerSnapshot(active.nextOffset);
    const seg = await LogSegment.create(this.#fs, this.dir, active.nextOffset, this.#indexConfig(), this.#clock.nowMs());
    // The new file's directory entry must be durable before data in it is
    // acknowledged as flushed (flush.messages=1 promises survival of power loss).
    await this.#fs.fsyncDir(this.dir);
    this.#segments = [...this.#segments, seg];
    return seg;
  }

  async #applyRetention(timeAndSize: boolean): Promise<number> {
    const c = this.#config;
    const plan = planRetention(
      this.#segments.map((s) => ({ baseOffset: s.baseOffset, size: s.size, largestTimestamp: s.largestTimestamp })),
      {
        nowMs: this.#clock.nowMs(),
        retentionMs: c.retentionMs,
        retentionBytes: c.retentionBytes,
        deletePolicy: timeAndSize && hasDeletePolicy(c),
        logStartOffset: this.#logStartOffset,
        highWatermark: this.#highWatermark,
        logEndOffset: this.logEndOffset,
      },
    );
    if (plan.count === 0) return 0;
    if (plan.rollActive) await this.#roll();
    const victims = this.#segments.slice(0, plan.count);
    this.#segments = this.#segments.slice(plan.count);
    const newStart = this.#segments[0].baseOffset;
    if (newStart > this.#logStartOffset) this.#logStartOffset = newStart;
    // Unlink after the in-memory switch: readers that pinned a victim
    // finish on the open fd; new readers never see it.
    for (const v of victims) {
      await v.delete();
      await this.#fs.unlink(txnIndexPath(this.dir, v.baseOffset));
    }
    this.#txnIndex.dropBelow(newStart);
    this.#checkInvariants();
    return victims.length;
  }

  async #flushData(): Promise<void> {
    for (const s of this.#segments) if (s.unflushed) await s.flush();
    this.#unflushedMessages = 0;
    this.#lastFlushMs = this.#clock.nowMs();
  }

  /** Writes the producer state as of `offset` (the log end) and drops all but the newest snapshots. */
  async #writeProducerSnapshot(offset: number): Promise<void> {
    await this.#fs.writeFileAtomic(join(this.dir, producerSnapshotFileName(offset)), this.#producers.encodeSnapshot(), { sync: true });
    const all = await listProducerSnapshots(this.#fs, this.dir);
    for (const s of all.slice(0, Math.max(0, all.length - PRODUCER_SNAPSHOTS_KEPT))) await this.#fs.unlink(s.path);
  }

  async #writeLogStartOffset(): Promise<void> {
    await this.#fs.writeFileAtomic(join(this.dir, LOG_START_OFFSET_FILE), Buffer.from(`0\n${this.#logStartOffset}\n`), { sync: true });
  }

  #indexConfig(): { indexIntervalBytes: number; segmentIndexBytes: number } {
    return { indexIntervalBytes: this.#config.indexIntervalBytes, segmentIndexBytes: this.#config.segmentIndexBytes };
  }

  #active(): LogSegment {
    return this.#segments[this.#segments.length - 1];
  }

  #ensureOpen(): void {
    if (this.#closed) throw new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, `log ${this.topic}-${this.partition} is closed`);
  }

  #enqueue<T>(fn: () => Promise<T>): Promise<T> {
    // Appends called after this operation must not join a group queued before it.
    this.#openGroup = null;
    const run = this.#queue.then(fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #checkInvariants(): void {
    const leo = this.logEndOffset;
    assert(this.#logStartOffset <= this.#highWatermark && this.#highWatermark <= leo, () =>
      `offsets out of order: logStartOffset ${this.#logStartOffset}, highWatermark ${this.#highWatermark}, logEndOffset ${leo}`);
    assert(this.#segments.length > 0, 'a log always has an active segment');
  }

  // --- log compaction (compaction/): the cleaner reads sealed segments and swaps cleaned ones in ---

  /**
   * The segments, oldest first; the last is the active one. The array is
   * never changed in place (mutations replace it), so it is a consistent
   * snapshot. For the log cleaner, which reads only sealed segments and pins
   * each read with acquire/release as {@link read} does.
   */
  segmentsForCleaning(): readonly LogSegment[] {
    return this.#segments;
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
      const segs = this.#segments;
      const at = segs.indexOf(sources[0]);
      // A truncation into a sealed segment makes it the active one, so "not last" also means "unchanged".
      if (at < 0 || at + sources.length >= segs.length || sources.some((s, k) => segs[at + k] !== s)) return false;
      const seg = await install();
      assert(seg.baseOffset === sources[0].baseOffset && seg.nextOffset <= segs[at + sources.length].baseOffset, () =>
        `cleaned segment [${seg.baseOffset}, ${seg.nextOffset}) does not fit where [${sources[0].baseOffset}, ${segs[at + sources.length].baseOffset}) was`);
      this.#segments = [...segs.slice(0, at), seg, ...segs.slice(at + sources.length)];
      // close(), not delete(): the first source's paths now name the cleaned files.
      for (const s of sources) await s.close();
      this.#txnIndex = await TxnIndex.load(this.#fs, this.dir, this.#segments.map((s) => s.baseOffset));
      this.#checkInvariants();
      return true;
    });
  }
}

/** What an append that repeats `batch` resolves with. */
function duplicateResult(batch: ProducerBatch, logStartOffset: number): AppendResult {
  return {
    baseOffset: batch.firstOffset,
    lastOffset: batch.lastOffset,
    logAppendTimeMs: -1,
    logStartOffset,
    recordCount: batch.lastOffset - batch.firstOffset + 1,
    maxTimestamp: batch.maxTimestamp,
    duplicate: true,
  };
}

/**
 * Rebuilds a partition's producer state: the newest readable snapshot at or
 * below the log end offset, then every batch after it replayed from the
 * segments. Snapshots above the log end (left by a truncation or a recovery
 * that cut the tail) and unreadable ones are deleted. Without any snapshot the
 * whole log is replayed.
 */
async function loadProducerState(fs: Fs, dir: string, segments: readonly LogSegment[], txnIndex: TxnIndex): Promise<ProducerStateManager> {
  const state = new ProducerStateManager();
  const logEndOffset = segments[segments.length - 1].nextOffset;
  let from = 0;
  const snapshots = await listProducerSnapshots(fs, dir);
  for (let k = snapshots.length - 1; k >= 0; k--) {
    const snap = snapshots[k];
    if (snap.offset <= logEndOffset) {
      const data = await fs.readFile(snap.path);
      if (data !== null && state.loadSnapshot(data)) {
        from = snap.offset;
        break;
      }
    }
    await fs.unlink(snap.path);
  }
  // Aborted-transaction entries from the replay point on are rebuilt by the replay.
  await txnIndex.truncateFrom(from, segments.map((seg) => seg.baseOffset));
  for (const seg of segments) {
    if (seg.nextOffset <= from) continue;
    const aborted: AbortedTxn[] = [];
    await seg.scanHeaders(from, (b) => {
      if (b.producerId < 0) return;
      const info = batchProducerInfo(b.attributes, b.producerId, b.producerEpoch, b.baseSequence, b.lastOffset - b.baseOffset);
      if (b.control === undefined) {
        state.replay(info, b.baseOffset, b.lastOffset, b.maxTimestamp);
        return;
      }
      if (b.control === null || (b.control.type !== 'ABORT' && b.control.type !== 'COMMIT')) return;
      const done = state.replayMarker(info, b.baseOffset, { aborted: b.control.type === 'ABORT', coordinatorEpoch: b.control.coordinatorEpoch }, b.maxTimestamp);
      if (done?.aborted) {
        const firstUnstable = state.firstUnstableOffset();
        aborted.push({ producerId: done.producerId, firstOffset: done.firstOffset, lastOffset: done.lastOffset, lastStableOffset: firstUnstable >= 0 ? firstUnstable : done.lastOffset + 1 });
      }
    });
    for (const e of aborted) await txnIndex.append(seg.baseOffset, e);
  }
  return state;
}

/** Index of the last segment with baseOffset <= offset (0 if none). */
function floorSegment(segs: readonly LogSegment[], offset: number): number {
  let lo = 0;
  let hi = segs.length - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (segs[mid].baseOffset <= offset) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

async function readLogStartOffset(fs: Fs, path: string): Promise<number | null> {
  const data = await fs.readFile(path);
  if (data === null) return null;
  const lines = data.toString('utf8').split('\n');
  const n = Number(lines[1]);
  // A malformed checkpoint is ignored (the first segment's base offset is a
  // safe lower bound); only a well-formed version-0 file counts.
  return lines[0] === '0' && Number.isSafeInteger(n) && n >= 0 ? n : null;
}
