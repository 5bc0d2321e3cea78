/**
 * The aborted-transaction index of a partition: every transaction closed by
 * an ABORT marker, as the range of offsets a read_committed consumer must
 * drop for that producer. Fetch returns the entries overlapping the fetched
 * range (FetchResponse AbortedTransactions) and the consumer skips the
 * producer's batches from `firstOffset` until it reaches the marker.
 *
 * File `<segment base>.txnindex` next to the segment holding the ABORT
 * marker, Kafka's format: entries of 34 bytes, appended in marker order,
 * big-endian:
 *
 *   int16  version (0)
 *   int64  producerId
 *   int64  firstOffset        first offset of the producer's transaction in this partition
 *   int64  lastOffset         offset of the ABORT marker
 *   int64  lastStableOffset   the partition's last stable offset once the marker was written
 *
 * An entry is appended (no fsync) after its marker is in the log; the file is
 * fdatasynced with the log's flushes. After an unclean stop the entries from
 * the producer-state replay point on are dropped and rebuilt by the replay
 * (partition-log.ts), so an entry lost with the process, or one whose marker
 * was cut by recovery, does not matter. All entries are also kept in memory,
 * ordered by lastOffset (aborts are rare next to data).
 */
import { join } from 'node:path';
import type { Fs } from './fs.js';

/** Bytes per entry. */
export const TXN_INDEX_ENTRY_SIZE = 34;
const TXN_INDEX_VERSION = 0;

/** One aborted transaction. */
export interface AbortedTxn {
  producerId: number;
  firstOffset: number;
  lastOffset: number;
  lastStableOffset: number;
}

/** Path of a segment's transaction index. */
export function txnIndexPath(dir: string, segmentBaseOffset: number): string {
  return join(dir, `${String(segmentBaseOffset).padStart(20, '0')}.txnindex`);
}

/** Encodes entries in the file format. */
export function encodeTxnIndexEntries(entries: readonly AbortedTxn[]): Buffer {
  const buf = Buffer.alloc(entries.length * TXN_INDEX_ENTRY_SIZE);
  entries.forEach((e, i) => {
    const p = i * TXN_INDEX_ENTRY_SIZE;
    buf.writeInt16BE(TXN_INDEX_VERSION, p);
    buf.writeBigInt64BE(BigInt(e.producerId), p + 2);
    buf.writeBigInt64BE(BigInt(e.firstOffset), p + 10);
    buf.writeBigInt64BE(BigInt(e.lastOffset), p + 18);
    buf.writeBigInt64BE(BigInt(e.lastStableOffset), p + 26);
  });
  return buf;
}

/**
 * Decodes a txnindex file. Stops at a torn trailing entry or at the first
 * entry that is not version 0 or not ordered after the previous one (a
 * damaged tail: the replay after an unclean stop rebuilds what matters).
 */
export function decodeTxnIndexEntries(buf: Buffer): AbortedTxn[] {
  const out: AbortedTxn[] = [];
  for (let p = 0; p + TXN_INDEX_ENTRY_SIZE <= buf.length; p += TXN_INDEX_ENTRY_SIZE) {
    if (buf.readInt16BE(p) !== TXN_INDEX_VERSION) break;
    const e: AbortedTxn = {
      producerId: Number(buf.readBigInt64BE(p + 2)),
      firstOffset: Number(buf.readBigInt64BE(p + 10)),
      lastOffset: Number(buf.readBigInt64BE(p + 18)),
      lastStableOffset: Number(buf.readBigInt64BE(p + 26)),
    };
    const prev = out[out.length - 1];
    if (e.firstOffset < 0 || e.lastOffset < e.firstOffset || (prev !== undefined && e.lastOffset <= prev.lastOffset)) break;
    out.push(e);
  }
  return out;
}

/** The aborted transactions of one partition, across its segments. */
export class TxnIndex {
  #fs: Fs;
  #dir: string;
  /** Ordered by lastOffset. */
  #entries: AbortedTxn[] = [];

  private constructor(fs: Fs, dir: string) {
    this.#fs = fs;
    this.#dir = dir;
  }

  /** Reads the index files of the given segments. */
  static async load(fs: Fs, dir: string, segmentBaseOffsets: readonly number[]): Promise<TxnIndex> {
    const idx = new TxnIndex(fs, dir);
    for (const base of segmentBaseOffsets) {
      const data = await fs.readFile(txnIndexPath(dir, base));
      if (data === null) continue;
      for (const e of decodeTxnIndexEntries(data)) {
        const prev = idx.#entries[idx.#entries.length - 1];
        if (prev === undefined || e.lastOffset > prev.lastOffset) idx.#entries.push(e);
      }
    }
    return idx;
  }

  /** Number of entries. */
  get size(): number {
    return this.#entries.length;
  }

  /**
   * Entries whose range overlaps [fromOffset, upperBoundOffset): the aborted
   * transactions a read_committed fetch starting at `fromOffset` and ending
   * before `upperBoundOffset` must report.
   */
  collect(fromOffset: number, upperBoundOffset: number): AbortedTxn[] {
    const out: AbortedTxn[] = [];
    const entries = this.#entries;
    // First entry with lastOffset >= fromOffset.
    let lo = 0;
    let hi = entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (entries[mid].lastOffset < fromOffset) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < entries.length; i++) if (entries[i].firstOffset < upperBoundOffset) out.push(entries[i]);
    return out;
  }

  /** Appends an entry for the ABORT marker in the segment at `segmentBaseOffset`. */
  async append(segmentBaseOffset: number, e: AbortedTxn): Promise<void> {
    this.remember(e);
    await this.persist(segmentBaseOffset, e);
  }

  /**
   * Makes an entry visible to `collect` at once. The log calls this before it
   * moves the high watermark past the ABORT marker: a read_committed fetch
   * that can see the aborted records must also see them listed as aborted.
   */
  remember(e: AbortedTxn): void {
    this.#entries.push(e);
  }

  /** Writes an entry already `remember`ed to its segment's file (no fsync; recovery rebuilds it). */
  async persist(segmentBaseOffset: number, e: AbortedTxn): Promise<void> {
    const path = txnIndexPath(this.#dir, segmentBaseOffset);
    const f = await this.#fs.open(path);
    try {
      await f.write(encodeTxnIndexEntries([e]), await f.size());
    } finally {
      await f.close();
    }
  }

  /**
   * Drops the entries with lastOffset >= `offset` (their markers are gone, or
   * a replay will add them again) and rewrites the affected files.
   */
  async truncateFrom(offset: number, segmentBaseOffsets: readonly number[]): Promise<void> {
    const keep = this.#entries.filter((e) => e.lastOffset < offset);
    if (keep.length === this.#entries.length) return;
    this.#entries = keep;
    await this.#rewrite(segmentBaseOffsets, offset);
  }

  /** Drops entries entirely below `offset` (segments deleted by retention); their files go with the segments. */
  dropBelow(offset: number): void {
    let i = 0;
    while (i < this.#entries.length && this.#entries[i].lastOffset < offset) i++;
    if (i > 0) this.#entries = this.#entries.slice(i);
  }

  /** Rewrites the files of segments that may hold entries at or above `offset`. */
  async #rewrite(segmentBaseOffsets: readonly number[], offset: number): Promise<void> {
    const bases = [...segmentBaseOffsets].sort((a, b) => a - b);
    for (let i = 0; i < bases.length; i++) {
      const base = bases[i];
      const end = i + 1 < bases.length ? bases[i + 1] : Number.MAX_SAFE_INTEGER;
      if (end <= offset) continue;
      const mine = this.#entries.filter((e) => e.lastOffset >= base && e.lastOffset < end);
      const path = txnIndexPath(this.#dir, base);
      if (mine.length === 0) await this.#fs.unlink(path);
      else await this.#fs.writeFileAtomic(path, encodeTxnIndexEntries(mine), { sync: true });
    }
  }
}
