/**
 * Writes one cleaned segment as `.cleaned` files next to the live ones (the
 * swap protocol that moves them into place is in segment-swap.ts):
 *
 *   <base>.log.cleaned        the kept batches, back to back, in offset order
 *                             (the `.log` format of segment.ts), fdatasynced
 *                             by finish()
 *   <base>.index.cleaned      offset index, same sparse rule as segment.ts
 *   <base>.timeindex.cleaned  time index, same rule, plus the final entry a
 *                             sealed segment gets
 *   <base>.txnindex.cleaned   the aborted transactions whose markers the
 *                             cleaned segment keeps (txn-index.ts format),
 *                             written with fsync; always, empty when there
 *                             are none, so that a recovery finishing the
 *                             swap can tell "already moved into place" from
 *                             "none" and never keeps <base>'s old entries
 *
 * `<base>` is the base offset of the first source segment: the cleaned
 * segment covers the same offsets as the sources together. Indexes are not
 * fsynced, like the live ones: an index lost in a power failure fails the
 * sanity check when the segment is opened and is rebuilt from the log.
 */
import type { Fs, FsFile } from '../fs.js';
import { assert } from '../invariant.js';
import { OffsetIndex } from '../offset-index.js';
import { segmentFilePath, type SegmentIndexConfig } from '../segment.js';
import { TimeIndex } from '../time-index.js';
import { encodeTxnIndexEntries, txnIndexPath, type AbortedTxn } from '../txn-index.js';
import { CLEANED_SUFFIX } from './segment-swap.js';

/** Bytes buffered before a write to the `.log.cleaned` file. */
const WRITE_BUFFER_BYTES = 1 << 20;

/** Summary of a finished cleaned segment. */
export interface CleanedSegmentInfo {
  baseOffset: number;
  size: number;
  /** Last offset of the last batch + 1, or baseOffset when empty. */
  nextOffset: number;
  batches: number;
}

/** Builds the `.cleaned` files of one segment. */
export class CleanedSegmentWriter {
  readonly baseOffset: number;
  #fs: Fs;
  #dir: string;
  #file: FsFile;
  #cfg: SegmentIndexConfig;
  #offsetIndex: OffsetIndex;
  #timeIndex: TimeIndex;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #written = 0;
  #size = 0;
  #nextOffset: number;
  #batches = 0;
  #maxTimestamp = -1;
  #offsetOfMaxTimestamp = -1;
  #bytesSinceIndexEntry = 0;
  #done = false;

  private constructor(fs: Fs, dir: string, baseOffset: number, file: FsFile, cfg: SegmentIndexConfig) {
    this.#fs = fs;
    this.#dir = dir;
    this.baseOffset = baseOffset;
    this.#file = file;
    this.#cfg = cfg;
    this.#nextOffset = baseOffset;
    this.#offsetIndex = new OffsetIndex(baseOffset, cfg.segmentIndexBytes);
    this.#timeIndex = new TimeIndex(baseOffset, cfg.segmentIndexBytes);
  }

  /** Starts `<base>.log.cleaned` in `dir`, discarding any left from an earlier attempt. */
  static async create(fs: Fs, dir: string, baseOffset: number, cfg: SegmentIndexConfig): Promise<CleanedSegmentWriter> {
    const file = await fs.open(segmentFilePath(dir, baseOffset, '.log') + CLEANED_SUFFIX);
    await file.truncate(0);
    return new CleanedSegmentWriter(fs, dir, baseOffset, file, cfg);
  }

  /** Bytes appended so far. */
  get size(): number {
    return this.#size;
  }

  /**
   * Appends one whole batch (offsets as stored, above every earlier one).
   * `batch` is kept, not copied, until it is written: pass a buffer that no
   * longer changes.
   */
  async append(batch: Buffer, lastOffset: number, maxTimestamp: number): Promise<void> {
    assert(!this.#done, 'append to a finished cleaned segment');
    assert(lastOffset >= this.#nextOffset, () => `cleaned segment ${this.baseOffset}: offset ${lastOffset} after ${this.#nextOffset - 1}`);
    assert(lastOffset - this.baseOffset <= 0x7fffffff, () => `offset ${lastOffset} too far from cleaned segment base ${this.baseOffset}`);
    // The sparse index rule of segment.ts (#indexBatch), so the segment loads the same way.
    if (maxTimestamp > this.#maxTimestamp) {
      this.#maxTimestamp = maxTimestamp;
      this.#offsetOfMaxTimestamp = lastOffset;
    }
    if (this.#bytesSinceIndexEntry > this.#cfg.indexIntervalBytes && !this.#offsetIndex.isFull) {
      this.#offsetIndex.append(lastOffset, this.#size);
      this.#timeIndex.maybeAppend(this.#maxTimestamp, this.#offsetOfMaxTimestamp);
      this.#bytesSinceIndexEntry = 0;
    }
    this.#bytesSinceIndexEntry += batch.length;
    this.#pending.push(batch);
    this.#pendingBytes += batch.length;
    this.#size += batch.length;
    this.#nextOffset = lastOffset + 1;
    this.#batches++;
    if (this.#pendingBytes >= WRITE_BUFFER_BYTES) await this.#drain();
  }

  /**
   * Writes what is buffered, fdatasyncs the log, writes both indexes and the
   * transaction index of `abortedTxns` (fsynced, even when empty: unlike the
   * other indexes it cannot be rebuilt for sealed segments), all as
   * `.cleaned` files. Closes the log file.
   */
  async finish(abortedTxns: readonly AbortedTxn[]): Promise<CleanedSegmentInfo> {
    assert(!this.#done, 'cleaned segment finished twice');
    await this.#drain();
    await this.#file.datasync();
    await this.#file.close();
    this.#done = true;
    this.#timeIndex.maybeAppend(this.#maxTimestamp, this.#offsetOfMaxTimestamp, true);
    const base = this.baseOffset;
    await this.#fs.writeFileAtomic(segmentFilePath(this.#dir, base, '.index') + CLEANED_SUFFIX, this.#offsetIndex.serialize(), { sync: false });
    await this.#fs.writeFileAtomic(segmentFilePath(this.#dir, base, '.timeindex') + CLEANED_SUFFIX, this.#timeIndex.serialize(), { sync: false });
    await this.#fs.writeFileAtomic(txnIndexPath(this.#dir, base) + CLEANED_SUFFIX, encodeTxnIndexEntries(abortedTxns), { sync: true });
    return { baseOffset: base, size: this.#size, nextOffset: this.#nextOffset, batches: this.#batches };
  }

  /** Gives up: closes and deletes every `.cleaned` file of this segment. */
  async abort(): Promise<void> {
    if (!this.#done) {
      this.#done = true;
      await this.#file.close().catch(() => undefined);
    }
    const base = this.baseOffset;
    for (const path of [
      segmentFilePath(this.#dir, base, '.log'),
      segmentFilePath(this.#dir, base, '.index'),
      segmentFilePath(this.#dir, base, '.timeindex'),
      txnIndexPath(this.#dir, base),
    ]) {
      await this.#fs.unlink(path + CLEANED_SUFFIX);
    }
  }

  async #drain(): Promise<void> {
    if (this.#pending.length === 0) return;
    const parts = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    const at = this.#written;
    let n = 0;
    for (const p of parts) n += p.length;
    if (parts.length === 1) await this.#file.write(parts[0], at);
    else if (this.#file.writev !== undefined) await this.#file.writev(parts, at);
    else await this.#file.write(Buffer.concat(parts), at);
    this.#written = at + n;
  }
}
