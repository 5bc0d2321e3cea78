/**
 * One log segment: `<baseOffset>.log` plus its `.index` and `.timeindex`.
 *
 * File names are the segment's base offset (the first offset it may hold)
 * zero-padded to 20 digits, as in Kafka: `00000000000000001234.log`.
 *
 * `.log` format: record batches (magic 2) back to back, exactly as producers
 * sent them except for two fields the log stamps before writing: baseOffset
 * (bytes 0-7) and partitionLeaderEpoch (bytes 12-15), both outside the CRC,
 * and for LogAppendTime topics the timestamp-type bit and maxTimestamp (the
 * CRC is recomputed). No file header, no padding: the file size is the end of
 * the last whole batch. Offsets are strictly increasing across batches.
 * See offset-index.ts and time-index.ts for the index formats.
 *
 * Concurrency: the owning PartitionLog serializes every mutation (append,
 * truncate, seal, delete). Reads run concurrently with them and only ever
 * look at `[0, size)` as it was when the read started; `size` moves only
 * after a write has completed, so a reader never sees a partial batch.
 * Readers pin the segment (acquire/release) so that deleting it waits to
 * close the fd until in-flight reads finish; the files themselves are
 * unlinked at once (POSIX keeps the open fd readable).
 *
 * Under a LogManager the .log file is a CachedFile (file-handle-cache.ts):
 * its descriptor may be closed between operations when the broker-wide
 * open-file bound needs room, and reopened by path on the next one. So
 * before a path goes away or names another file (delete, a compaction
 * swap) the descriptor is held open for readers still in progress. The
 * index files hold no descriptor: they live in memory and are written whole.
 */
import { join } from 'node:path';
import { decodeRecordBatchAt, RECORD_BATCH_HEADER_SIZE, RecordBatchHeader, ErrorCode } from '@samsa/protocol';
import type { Fs, FsFile } from './fs.js';
import { assert } from './invariant.js';
import { OffsetIndex } from './offset-index.js';
import { TimeIndex } from './time-index.js';
import { scanBatches, type ScannedBatch, type ScanResult } from './recovery.js';
import { StorageError } from './errors.js';

/** Bytes read at a time when walking batch headers on the read path. */
const WALK_CHUNK_BYTES = 32 * 1024;

/** Index settings a segment needs. */
export interface SegmentIndexConfig {
  indexIntervalBytes: number;
  segmentIndexBytes: number;
}

/** Facts about one batch of an append, with its position inside the append buffer. */
export interface AppendBatchInfo {
  position: number;
  size: number;
  lastOffset: number;
  maxTimestamp: number;
}

/** A batch located by a timestamp search. */
export interface FoundBatch {
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  position: number;
  size: number;
}

/** Result of {@link LogSegment.read}: `found` is false when no batch in the segment reaches `offset`. */
export interface SegmentReadResult {
  found: boolean;
  data: Buffer;
}

/** `<dir>/<20-digit base offset><ext>`. */
export function segmentFilePath(dir: string, baseOffset: number, ext: '.log' | '.index' | '.timeindex'): string {
  return join(dir, String(baseOffset).padStart(20, '0') + ext);
}

/** Parses `00000000000000001234.log` → 1234, or null for other names. */
export function parseSegmentFileName(name: string): number | null {
  const m = /^(\d{20})\.log$/.exec(name);
  if (m === null) return null;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) ? n : null;
}

/** One segment of a partition log. */
export class LogSegment {
  readonly baseOffset: number;
  readonly logPath: string;
  readonly indexPath: string;
  readonly timeIndexPath: string;
  #fs: Fs;
  #file: FsFile;
  #cfg: SegmentIndexConfig;
  #size = 0;
  #nextOffset: number;
  #maxTimestamp = -1;
  #offsetOfMaxTimestamp = -1;
  #firstBatchTimestamp = -1;
  #createdMs: number;
  #lastModifiedMs: number;
  #bytesSinceIndexEntry = 0;
  #offsetIndex: OffsetIndex;
  #timeIndex: TimeIndex;
  #unflushed = false;
  /** The first failed fdatasync, rethrown by every later flush. */
  #syncFailure: StorageError | null = null;
  #readers = 0;
  #onIdle: (() => void) | null = null;
  #closed = false;
  /** Releases a {@link keepOpenUntilClosed} hold, or null. */
  #hold: (() => void) | null = null;

  private constructor(fs: Fs, dir: string, baseOffset: number, file: FsFile, cfg: SegmentIndexConfig, nowMs: number) {
    this.#fs = fs;
    this.baseOffset = baseOffset;
    this.logPath = segmentFilePath(dir, baseOffset, '.log');
    this.indexPath = segmentFilePath(dir, baseOffset, '.index');
    this.timeIndexPath = segmentFilePath(dir, baseOffset, '.timeindex');
    this.#file = file;
    this.#cfg = cfg;
    this.#nextOffset = baseOffset;
    this.#createdMs = nowMs;
    this.#lastModifiedMs = nowMs;
    this.#offsetIndex = new OffsetIndex(baseOffset, cfg.segmentIndexBytes);
    this.#timeIndex = new TimeIndex(baseOffset, cfg.segmentIndexBytes);
  }

  /** Creates an empty segment, discarding any stale files with the same base offset. */
  static async create(fs: Fs, dir: string, baseOffset: number, cfg: SegmentIndexConfig, nowMs: number): Promise<LogSegment> {
    const file = await fs.open(segmentFilePath(dir, baseOffset, '.log'));
    await file.truncate(0);
    const seg = new LogSegment(fs, dir, baseOffset, file, cfg, nowMs);
    await fs.unlink(seg.indexPath);
    await fs.unlink(seg.timeIndexPath);
    return seg;
  }

  /**
   * Opens an existing segment. With `recover` the whole file is validated
   * (CRC), truncated at the first torn/corrupt batch and its indexes rebuilt.
   * Otherwise the index files are loaded and sanity-checked (rebuilt with a
   * full validating scan if missing or implausible) and only the tail after
   * the last index entry is scanned to find the next offset.
   * `truncatedBytes` in the result tells the caller whether data was cut.
   */
  static async open(
    fs: Fs,
    dir: string,
    baseOffset: number,
    cfg: SegmentIndexConfig,
    opts: { recover: boolean; nowMs: number; mtimeMs?: number },
  ): Promise<{ segment: LogSegment; truncatedBytes: number; rebuilt: boolean; scan?: ScanResult }> {
    const file = await fs.open(segmentFilePath(dir, baseOffset, '.log'));
    const seg = new LogSegment(fs, dir, baseOffset, file, cfg, opts.nowMs);
    seg.#size = await file.size();
    if (opts.mtimeMs !== undefined) seg.#lastModifiedMs = opts.mtimeMs;
    if (!opts.recover && (await seg.#loadIndexes())) {
      const tail = await seg.#scanTail();
      if (tail) {
        await seg.#loadFirstBatchTimestamp();
        return { segment: seg, truncatedBytes: 0, rebuilt: false };
      }
    }
    const before = seg.#size;
    const scan = await seg.#rebuild();
    return { segment: seg, truncatedBytes: before - seg.#size, rebuilt: true, scan };
  }

  /** Bytes in the .log file. */
  get size(): number {
    return this.#size;
  }
  /** One past the last offset in the segment (baseOffset when empty). */
  get nextOffset(): number {
    return this.#nextOffset;
  }
  /** Largest batch maxTimestamp, or -1 when none. */
  get maxTimestamp(): number {
    return this.#maxTimestamp;
  }
  /** maxTimestamp of the first batch, or -1 when empty (max.compaction.lag.ms measures dirt from it). */
  get firstBatchTimestamp(): number {
    return this.#firstBatchTimestamp;
  }
  /** Last offset of the first batch carrying {@link maxTimestamp}, or -1. */
  get offsetOfMaxTimestamp(): number {
    return this.#offsetOfMaxTimestamp;
  }
  /**
   * Timestamp retention compares against: the largest batch timestamp, or
   * the last-modified time when no batch carries one (Kafka does the same).
   */
  get largestTimestamp(): number {
    return this.#maxTimestamp >= 0 ? this.#maxTimestamp : this.#lastModifiedMs;
  }
  /** True when data was written since the last datasync. */
  get unflushed(): boolean {
    // A failed fdatasync counts as unflushed for good: the flush rethrows it.
    return this.#unflushed || this.#syncFailure !== null;
  }
  get offsetIndex(): OffsetIndex {
    return this.#offsetIndex;
  }
  get timeIndex(): TimeIndex {
    return this.#timeIndex;
  }

  /**
   * Kafka's roll rule for this segment and an incoming append: never roll an
   * empty segment; roll when the append would exceed segment.bytes, an index
   * is full, relative offsets would overflow int32, or the batch timestamps
   * span more than segment.ms (falling back to wall-clock age when the
   * segment's first batch has no timestamp).
   */
  shouldRoll(p: {
    segmentBytes: number;
    segmentMs: number;
    appendBytes: number;
    lastOffset: number;
    maxTimestamp: number;
    nowMs: number;
    /**
     * Appends decided on but not yet written (a coalesced write in the
     * making): the rule is applied as if they were already in the segment.
     * `firstBatchTimestamp` is the first pending batch's maxTimestamp.
     */
    pending?: { bytes: number; firstBatchTimestamp: number };
  }): boolean {
    const pendingBytes = p.pending?.bytes ?? 0;
    const size = this.#size + pendingBytes;
    if (size === 0) return false;
    if (size + p.appendBytes > p.segmentBytes) return true;
    if (this.#offsetIndex.isFull || this.#timeIndex.isFull) return true;
    if (p.lastOffset - this.baseOffset > 0x7fffffff) return true;
    const first = this.#size === 0 && p.pending !== undefined ? p.pending.firstBatchTimestamp : this.#firstBatchTimestamp;
    const waited = first >= 0 ? p.maxTimestamp - first : p.nowMs - this.#createdMs;
    return waited > p.segmentMs;
  }

  /**
   * Writes `buf` (whole batches with offsets already assigned) at the end of
   * the file, then updates size, next offset and indexes. On a failed write
   * the in-memory state is unchanged and the partial bytes beyond `size` are
   * cut (best effort; the next append overwrites them anyway).
   */
  async append(buf: Buffer, batches: readonly AppendBatchInfo[], nowMs: number): Promise<void> {
    await this.appendMany([{ buf, batches }], nowMs);
  }

  /**
   * {@link append} of several buffers back to back in one gathered write
   * (pwritev): all or nothing for the in-memory state, which moves only once
   * every byte is written. Batch positions are relative to their own buffer.
   */
  async appendMany(parts: ReadonlyArray<{ buf: Buffer; batches: readonly AppendBatchInfo[] }>, nowMs: number): Promise<void> {
    assert(!this.#closed, 'append to a closed segment');
    assert(parts.length > 0 && parts.every((p) => p.batches.length > 0), 'empty append');
    const at = this.#size;
    let total = 0;
    for (const p of parts) total += p.buf.length;
    try {
      if (parts.length === 1) {
        await this.#file.write(parts[0].buf, at);
      } else if (this.#file.writev !== undefined) {
        await this.#file.writev(parts.map((p) => p.buf), at);
      } else {
        let pos = at;
        for (const p of parts) {
          await this.#file.write(p.buf, pos);
          pos += p.buf.length;
        }
      }
    } catch (err) {
      // Cut what a short write left past `size` (ENOSPC mid-batch): reads never
      // look there, but a clean restart takes the file length as the end. If
      // even that fails the log can no longer vouch for the file.
      try {
        await this.#file.truncate(at);
      } catch (cutErr) {
        throw new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, `write to ${this.logPath} failed and its partial bytes could not be cut`, { cause: cutErr, fault: 'io-failed' });
      }
      throw new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, `write to ${this.logPath} failed`, { cause: err });
    }
    if (at === 0) this.#firstBatchTimestamp = parts[0].batches[0].maxTimestamp;
    let pos = at;
    for (const p of parts) {
      for (const b of p.batches) this.#indexBatch(pos + b.position, b.size, b.lastOffset, b.maxTimestamp);
      pos += p.buf.length;
    }
    const lastPart = parts[parts.length - 1].batches;
    const last = lastPart[lastPart.length - 1];
    assert(last.lastOffset >= this.#nextOffset, 'offsets must increase');
    this.#nextOffset = last.lastOffset + 1;
    this.#size = at + total;
    this.#lastModifiedMs = nowMs;
    this.#unflushed = true;
  }

  /**
   * Reads from the batch containing `offset`: whole batches, the first always
   * (even if larger than `maxBytes`, KIP-74), then more while the total stays
   * within `maxBytes`, stopping before any batch whose baseOffset >= `maxOffset`.
   */
  async read(offset: number, maxBytes: number, maxOffset: number): Promise<SegmentReadResult> {
    const end = this.#size;
    const start = this.#offsetIndex.lookup(offset).position;
    const hit = await this.#walk(start, end, (h) => h.lastOffset >= offset);
    if (hit === null) return { found: false, data: Buffer.alloc(0) };
    if (hit.baseOffset >= maxOffset) return { found: true, data: Buffer.alloc(0) };
    const length = Math.min(end - hit.position, Math.max(maxBytes, hit.size));
    let data: Buffer;
    const rel = hit.position - hit.chunkPos;
    if (rel + length <= hit.chunk.length) {
      data = hit.chunk.subarray(rel, rel + length);
    } else {
      data = Buffer.allocUnsafe(length);
      data = data.subarray(0, await this.#file.read(data, 0, length, hit.position));
    }
    let used = 0;
    while (used + RECORD_BATCH_HEADER_SIZE <= data.length) {
      const h = new RecordBatchHeader(data, used);
      const size = h.totalSize;
      if (used + size > data.length) break;
      if (used > 0 && used + size > maxBytes) break;
      if (h.baseOffset >= maxOffset) break;
      used += size;
    }
    return { found: true, data: data.subarray(0, used) };
  }

  /**
   * The first batch whose maxTimestamp >= `timestamp` and whose last offset
   * is >= `minLastOffset` (the log start offset), or null. Starts at the
   * time-index entry strictly below `timestamp` (see TimeIndex.lookupBelow),
   * translated to a position through the offset index.
   */
  async findByTimestamp(timestamp: number, minLastOffset: number): Promise<FoundBatch | null> {
    if (this.#maxTimestamp < timestamp || this.#nextOffset <= minLastOffset) return null;
    const below = this.#timeIndex.lookupBelow(timestamp);
    const from = this.#offsetIndex.lookup(below === null ? this.baseOffset : below.offset).position;
    const hit = await this.#walk(from, this.#size, (h) => h.maxTimestamp >= timestamp && h.lastOffset >= minLastOffset);
    return hit === null ? null : { baseOffset: hit.baseOffset, lastOffset: hit.lastOffset, maxTimestamp: hit.maxTimestamp, position: hit.position, size: hit.size };
  }

  /**
   * Offset of the first record in the batch at `offset` satisfying `pred`,
   * decoding that one batch (ListOffsets by timestamp is not a hot path and
   * must answer with a record offset, not a batch offset, like Kafka).
   */
  async firstRecordOffset(batchOffset: number, pred: (timestamp: number, offset: number) => boolean): Promise<{ offset: number; timestamp: number } | null> {
    const r = await this.read(batchOffset, 0, Number.MAX_SAFE_INTEGER);
    if (r.data.length === 0) return null;
    const batch = await decodeRecordBatchAt(r.data, 0, { verifyCrc: false });
    for (const rec of batch.records) if (pred(rec.timestamp, rec.offset)) return { offset: rec.offset, timestamp: rec.timestamp };
    return null;
  }

  /**
   * Calls `onBatch` with the header facts of every batch whose last offset is
   * >= `fromOffset`, in order, without checking CRCs (the segment was
   * validated when opened). Used to rebuild producer state from the log.
   */
  async scanHeaders(fromOffset: number, onBatch: (b: ScannedBatch) => void): Promise<void> {
    const from = this.#offsetIndex.lookup(fromOffset).position;
    await scanBatches(this.#file, { from, to: this.#size, segmentBaseOffset: this.baseOffset, verifyCrc: false }, (b) => {
      if (b.lastOffset >= fromOffset) onBatch(b);
    });
  }

  /**
   * Cuts the segment before the batch containing `offset` (that batch goes
   * too: the log only ever ends on a batch boundary), then rebuilds indexes
   * and metadata from the remaining bytes. Returns the new next offset.
   */
  async truncateTo(offset: number): Promise<number> {
    const hit = await this.#walk(this.#offsetIndex.lookup(offset).position, this.#size, (h) => h.lastOffset >= offset);
    if (hit === null) return this.#nextOffset;
    await this.#file.truncate(hit.position);
    this.#size = hit.position;
    await this.#rebuild();
    this.#unflushed = true;
    return this.#nextOffset;
  }

  /**
   * Called when the segment stops being the active one (roll) and on close:
   * adds the final time-index entry (so the segment's largest timestamp
   * survives a restart), persists both indexes and fdatasyncs the log.
   */
  async seal(): Promise<void> {
    this.#timeIndex.maybeAppend(this.#maxTimestamp, this.#offsetOfMaxTimestamp, true);
    await this.persistIndexes();
    await this.flush();
  }

  /**
   * fdatasync of the .log file if anything was written since the last one.
   * A failed fdatasync is never retried: the kernel may have dropped the
   * dirty pages it could not write, so a later call could succeed with the
   * data gone ("fsyncgate"). Every later flush throws the first failure.
   */
  async flush(): Promise<void> {
    if (this.#syncFailure !== null) throw this.#syncFailure;
    if (!this.#unflushed || this.#closed) return;
    this.#unflushed = false;
    try {
      await this.#file.datasync();
    } catch (err) {
      this.#syncFailure = new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, `fdatasync of ${this.logPath} failed`, { cause: err, fault: 'sync-failed' });
      throw this.#syncFailure;
    }
  }

  /**
   * Writes dirty indexes (replace-by-rename, not fsynced: an index that is
   * lost or stale after a power failure fails the sanity check or is a valid
   * prefix, and is rebuilt or merely sparser; the log is the truth).
   */
  async persistIndexes(): Promise<void> {
    if (this.#offsetIndex.dirty) {
      await this.#fs.writeFileAtomic(this.indexPath, this.#offsetIndex.serialize(), { sync: false });
      this.#offsetIndex.markClean();
    }
    if (this.#timeIndex.dirty) {
      await this.#fs.writeFileAtomic(this.timeIndexPath, this.#timeIndex.serialize(), { sync: false });
      this.#timeIndex.markClean();
    }
  }

  /** Pins the segment for a read; false when it is already closed. */
  acquire(): boolean {
    if (this.#closed) return false;
    this.#readers++;
    return true;
  }

  /** Unpins after {@link acquire}. */
  release(): void {
    assert(this.#readers > 0, 'release without acquire');
    this.#readers--;
    if (this.#readers === 0 && this.#onIdle !== null) this.#onIdle();
  }

  /** Closes the fd once no read holds the segment. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#drainReaders();
    this.#releaseHold();
    await this.#file.close();
  }

  /**
   * Unlinks the three files, then closes (waiting for readers). Readers in
   * progress finish on the open descriptor: it is held open first, because
   * a descriptor closed by the file-handle cache could not be reopened once
   * the path is gone.
   */
  async delete(): Promise<void> {
    const wasClosed = this.#closed;
    this.#closed = true;
    if (!wasClosed && this.#readers > 0) await this.keepOpenUntilClosed();
    await this.#fs.unlink(this.logPath);
    await this.#fs.unlink(this.indexPath);
    await this.#fs.unlink(this.timeIndexPath);
    if (wasClosed) return;
    await this.#drainReaders();
    this.#releaseHold();
    await this.#file.close();
  }

  /**
   * Keeps the .log descriptor open until {@link close} (or
   * {@link releaseKeepOpen}). Compaction calls it on source segments before
   * it renames the cleaned files over their paths, so readers still holding
   * a source keep reading the old file rather than reopening the new one.
   */
  async keepOpenUntilClosed(): Promise<void> {
    if (this.#hold !== null || this.#file.hold === undefined) return;
    this.#hold = await this.#file.hold();
  }

  /** Undoes {@link keepOpenUntilClosed} (the replacement did not happen). */
  releaseKeepOpen(): void {
    this.#releaseHold();
  }

  #releaseHold(): void {
    const release = this.#hold;
    this.#hold = null;
    release?.();
  }

  async #drainReaders(): Promise<void> {
    if (this.#readers > 0) await new Promise<void>((resolve) => (this.#onIdle = resolve));
  }

  /** Kafka's sparse indexing rule, shared by append and rebuild. */
  #indexBatch(position: number, size: number, lastOffset: number, maxTimestamp: number): void {
    if (maxTimestamp > this.#maxTimestamp) {
      this.#maxTimestamp = maxTimestamp;
      this.#offsetOfMaxTimestamp = lastOffset;
    }
    if (this.#bytesSinceIndexEntry > this.#cfg.indexIntervalBytes && !this.#offsetIndex.isFull) {
      this.#offsetIndex.append(lastOffset, position);
      this.#timeIndex.maybeAppend(this.#maxTimestamp, this.#offsetOfMaxTimestamp);
      this.#bytesSinceIndexEntry = 0;
    }
    this.#bytesSinceIndexEntry += size;
  }

  /** Full validating scan: truncate at the first bad batch, rebuild indexes and metadata. */
  async #rebuild(): Promise<ScanResult> {
    this.#offsetIndex.reset();
    this.#timeIndex.reset();
    this.#maxTimestamp = -1;
    this.#offsetOfMaxTimestamp = -1;
    this.#bytesSinceIndexEntry = 0;
    this.#nextOffset = this.baseOffset;
    this.#firstBatchTimestamp = -1;
    const scan = await scanBatches(this.#file, { from: 0, to: this.#size, segmentBaseOffset: this.baseOffset, verifyCrc: true }, (b) => {
      if (b.position === 0) this.#firstBatchTimestamp = b.maxTimestamp;
      this.#indexBatch(b.position, b.size, b.lastOffset, b.maxTimestamp);
      this.#nextOffset = b.lastOffset + 1;
    });
    if (scan.validEnd < this.#size) {
      await this.#file.truncate(scan.validEnd);
      this.#size = scan.validEnd;
    }
    return scan;
  }

  /** Loads both index files; false when either is missing-but-needed or implausible. */
  async #loadIndexes(): Promise<boolean> {
    const offData = await this.#fs.readFile(this.indexPath);
    const timeData = await this.#fs.readFile(this.timeIndexPath);
    if (this.#size > 0 && (offData === null || timeData === null)) return false;
    const off = OffsetIndex.load(this.baseOffset, this.#cfg.segmentIndexBytes, offData ?? Buffer.alloc(0), this.#size);
    const time = TimeIndex.load(this.baseOffset, this.#cfg.segmentIndexBytes, timeData ?? Buffer.alloc(0), Number.MAX_SAFE_INTEGER);
    if (off === null || time === null) return false;
    this.#offsetIndex = off;
    this.#timeIndex = time;
    return true;
  }

  /**
   * After loading sane indexes: scan (without CRC) from the last offset-index
   * entry to the end to learn the next offset and the timestamps written
   * after the last time-index entry. False if the tail does not parse or
   * disagrees with the indexes (the caller then rebuilds).
   */
  async #scanTail(): Promise<boolean> {
    const lastOff = this.#offsetIndex.lastEntry();
    const from = lastOff === null ? 0 : lastOff.position;
    const lastTime = this.#timeIndex.lastEntry();
    if (lastTime !== null) {
      this.#maxTimestamp = lastTime.timestamp;
      this.#offsetOfMaxTimestamp = lastTime.offset;
    }
    let next = this.baseOffset;
    let firstLast = -1;
    const scan = await scanBatches(this.#file, { from, to: this.#size, segmentBaseOffset: this.baseOffset, verifyCrc: false }, (b) => {
      if (firstLast < 0) firstLast = b.lastOffset;
      if (b.maxTimestamp > this.#maxTimestamp) {
        this.#maxTimestamp = b.maxTimestamp;
        this.#offsetOfMaxTimestamp = b.lastOffset;
      }
      next = b.lastOffset + 1;
    });
    if (scan.stop !== 'end') return false;
    // The batch at the last index entry must be the one the entry names.
    if (lastOff !== null && firstLast !== lastOff.offset) return false;
    if (lastTime !== null && lastTime.offset >= next) return false;
    this.#nextOffset = next;
    this.#bytesSinceIndexEntry = this.#size - from;
    return true;
  }

  async #loadFirstBatchTimestamp(): Promise<void> {
    if (this.#size < RECORD_BATCH_HEADER_SIZE) return;
    const head = Buffer.allocUnsafe(RECORD_BATCH_HEADER_SIZE);
    if ((await this.#file.read(head, 0, head.length, 0)) === head.length) this.#firstBatchTimestamp = new RecordBatchHeader(head, 0).maxTimestamp;
  }

  /**
   * Walks batch headers in `[from, to)` reading WALK_CHUNK_BYTES at a time
   * and returns the first batch for which `pred` holds, with the chunk it was
   * read into (so a read can reuse the bytes), or null.
   */
  async #walk(
    from: number,
    to: number,
    pred: (h: RecordBatchHeader) => boolean,
  ): Promise<(FoundBatch & { chunk: Buffer; chunkPos: number }) | null> {
    let chunk: Buffer = Buffer.alloc(0);
    let chunkPos = from;
    let pos = from;
    while (pos + RECORD_BATCH_HEADER_SIZE <= to) {
      if (pos + RECORD_BATCH_HEADER_SIZE > chunkPos + chunk.length) {
        const len = Math.min(to - pos, WALK_CHUNK_BYTES);
        const b = Buffer.allocUnsafe(len);
        chunk = b.subarray(0, await this.#file.read(b, 0, len, pos));
        chunkPos = pos;
        if (chunk.length < RECORD_BATCH_HEADER_SIZE) return null;
      }
      const h = new RecordBatchHeader(chunk, pos - chunkPos);
      const size = h.totalSize;
      if (size < RECORD_BATCH_HEADER_SIZE || h.magic !== 2) {
        throw new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, `corrupt batch header at position ${pos} of ${this.logPath}`);
      }
      if (pred(h)) {
        return { baseOffset: h.baseOffset, lastOffset: h.lastOffset, maxTimestamp: h.maxTimestamp, position: pos, size, chunk, chunkPos };
      }
      pos += size;
    }
    return null;
  }
}
