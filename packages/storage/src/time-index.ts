/**
 * Sparse time index of one segment: `<baseOffset>.timeindex`.
 *
 * On-disk format (Kafka's), a flat array of 12-byte big-endian entries:
 *
 *   offset  size  field
 *   0       8     timestamp       int64  largest batch maxTimestamp seen so far
 *   8       4     relativeOffset  int32  last offset of the batch that carried it
 *
 * Timestamps are strictly increasing and offsets non-decreasing. An entry
 * `(T, O)` means: every record at an offset <= O has a timestamp <= T. An
 * entry is added together with each offset-index entry (when the running
 * maximum grew), and once more when the segment becomes inactive or the log
 * is flushed/closed, so the last entry of a segment carries the segment's
 * largest timestamp (used by retention.ms and ListOffsets -3 after restart).
 */
import { assert } from './invariant.js';

/** Bytes per entry. */
export const TIME_INDEX_ENTRY_SIZE = 12;

/** One time-index entry with the offset made absolute. */
export interface TimestampOffset {
  timestamp: number;
  offset: number;
}

/** The in-memory time index of one segment. */
export class TimeIndex {
  readonly baseOffset: number;
  readonly maxEntries: number;
  #buf: Buffer;
  #entries = 0;
  #dirty = false;

  constructor(baseOffset: number, maxIndexBytes: number) {
    this.baseOffset = baseOffset;
    this.maxEntries = Math.max(1, Math.floor(maxIndexBytes / TIME_INDEX_ENTRY_SIZE));
    this.#buf = Buffer.allocUnsafe(Math.min(this.maxEntries, 64) * TIME_INDEX_ENTRY_SIZE);
  }

  /**
   * Loads a time-index file's bytes, or returns null when it is not a
   * plausible index (partial entry, timestamps not increasing, offsets going
   * backwards or beyond `maxOffset`); the caller then rebuilds it.
   */
  static load(baseOffset: number, maxIndexBytes: number, data: Buffer, maxOffset: number): TimeIndex | null {
    if (data.length % TIME_INDEX_ENTRY_SIZE !== 0) return null;
    const n = data.length / TIME_INDEX_ENTRY_SIZE;
    const idx = new TimeIndex(baseOffset, Math.max(maxIndexBytes, data.length));
    let prevTs = Number.NEGATIVE_INFINITY;
    let prevRel = -1;
    for (let i = 0; i < n; i++) {
      const ts = Number(data.readBigInt64BE(i * 12));
      const rel = data.readInt32BE(i * 12 + 8);
      if (ts <= prevTs || rel < prevRel || rel < 0 || baseOffset + rel > maxOffset) return null;
      prevTs = ts;
      prevRel = rel;
    }
    idx.#ensureCapacity(n);
    data.copy(idx.#buf, 0, 0, data.length);
    idx.#entries = n;
    return idx;
  }

  get entries(): number {
    return this.#entries;
  }

  /** True when no more entries fit (the segment must roll). */
  get isFull(): boolean {
    return this.#entries >= this.maxEntries;
  }

  get dirty(): boolean {
    return this.#dirty;
  }

  lastEntry(): TimestampOffset | null {
    return this.#entries === 0 ? null : this.#entry(this.#entries - 1);
  }

  /**
   * Appends `(timestamp, offset)` if `timestamp` is larger than the last
   * entry's (otherwise the entry would add nothing). `force` ignores the
   * capacity limit for the final entry written when a segment is sealed.
   */
  maybeAppend(timestamp: number, offset: number, force = false): void {
    if (timestamp < 0) return;
    const last = this.lastEntry();
    if (last !== null && timestamp <= last.timestamp) return;
    if (!force && this.isFull) return;
    const rel = offset - this.baseOffset;
    assert(rel >= 0 && rel <= 0x7fffffff, () => `offset ${offset} not representable in segment ${this.baseOffset}`);
    assert(last === null || offset >= last.offset, () => `time index offsets must not decrease: ${offset} < ${last?.offset}`);
    this.#ensureCapacity(this.#entries + 1);
    const at = this.#entries * TIME_INDEX_ENTRY_SIZE;
    this.#buf.writeBigInt64BE(BigInt(timestamp), at);
    this.#buf.writeInt32BE(rel, at + 8);
    this.#entries++;
    this.#dirty = true;
  }

  /**
   * The largest entry with timestamp strictly below `timestamp`, or null.
   * Strictly below, because records up to that entry's offset have
   * timestamps <= its timestamp, so none of them can be the first record
   * with timestamp >= `timestamp` unless it is in the batch the entry names;
   * a search starting at that batch therefore misses nothing. (Kafka uses
   * <=, which can skip an earlier record with an equal timestamp.)
   */
  lookupBelow(timestamp: number): TimestampOffset | null {
    let lo = 0;
    let hi = this.#entries - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (Number(this.#buf.readBigInt64BE(mid * TIME_INDEX_ENTRY_SIZE)) < timestamp) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0 ? null : this.#entry(found);
  }

  /** Drops entries whose offset is >= `offset`. */
  truncateToOffset(offset: number): void {
    let n = this.#entries;
    while (n > 0 && this.baseOffset + this.#buf.readInt32BE((n - 1) * TIME_INDEX_ENTRY_SIZE + 8) >= offset) n--;
    if (n !== this.#entries) {
      this.#entries = n;
      this.#dirty = true;
    }
  }

  reset(): void {
    this.#entries = 0;
    this.#dirty = true;
  }

  serialize(): Buffer {
    return Buffer.from(this.#buf.subarray(0, this.#entries * TIME_INDEX_ENTRY_SIZE));
  }

  markClean(): void {
    this.#dirty = false;
  }

  #entry(i: number): TimestampOffset {
    const at = i * TIME_INDEX_ENTRY_SIZE;
    return { timestamp: Number(this.#buf.readBigInt64BE(at)), offset: this.baseOffset + this.#buf.readInt32BE(at + 8) };
  }

  #ensureCapacity(entries: number): void {
    const need = entries * TIME_INDEX_ENTRY_SIZE;
    if (need <= this.#buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(need, this.#buf.length * 2));
    this.#buf.copy(grown, 0, 0, this.#entries * TIME_INDEX_ENTRY_SIZE);
    this.#buf = grown;
  }
}
