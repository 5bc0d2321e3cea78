/**
 * Sparse offset index of one segment: `<baseOffset>.index`.
 *
 * On-disk format (Kafka's), a flat array of 8-byte big-endian entries:
 *
 *   offset  size  field
 *   0       4     relativeOffset  int32  = entry offset - segment baseOffset
 *   4       4     position        int32  byte position of a batch in the .log file
 *
 * Both fields are strictly increasing. The entry offset is the *last* offset
 * of the batch starting at `position` (as Kafka writes it), so the batch at
 * `position` holds offsets <= the entry offset and a lookup for any target
 * offset can start scanning at the floor entry's position. Entries are sparse:
 * one is added before a batch once more than `index.interval.bytes` of log
 * have been written since the previous entry, so a lookup scans at most about
 * that many bytes of batch headers. No header, no trailing padding (Kafka
 * preallocates and trims on close; we write the exact size).
 *
 * In memory the entries live in a growable Buffer in the same layout, so
 * persisting is one write and loading is one read plus a sanity check.
 */
import { assert } from './invariant.js';

/** Bytes per entry. */
export const OFFSET_INDEX_ENTRY_SIZE = 8;

/** One index entry with the offset made absolute. */
export interface OffsetPosition {
  offset: number;
  position: number;
}

/** The in-memory offset index of one segment. */
export class OffsetIndex {
  readonly baseOffset: number;
  readonly maxEntries: number;
  #buf: Buffer;
  #entries = 0;
  #dirty = false;

  constructor(baseOffset: number, maxIndexBytes: number) {
    this.baseOffset = baseOffset;
    this.maxEntries = Math.max(1, Math.floor(maxIndexBytes / OFFSET_INDEX_ENTRY_SIZE));
    this.#buf = Buffer.allocUnsafe(Math.min(this.maxEntries, 64) * OFFSET_INDEX_ENTRY_SIZE);
  }

  /**
   * Loads an index file's bytes. Returns null when the content is not a
   * plausible index for a log of `logSize` bytes (Kafka's sanity check: whole
   * entries, strictly increasing offsets and positions, positions inside the
   * log); the caller then rebuilds it from the log.
   */
  static load(baseOffset: number, maxIndexBytes: number, data: Buffer, logSize: number): OffsetIndex | null {
    if (data.length % OFFSET_INDEX_ENTRY_SIZE !== 0) return null;
    const n = data.length / OFFSET_INDEX_ENTRY_SIZE;
    const idx = new OffsetIndex(baseOffset, Math.max(maxIndexBytes, data.length));
    let prevRel = -1;
    let prevPos = -1;
    for (let i = 0; i < n; i++) {
      const rel = data.readInt32BE(i * 8);
      const pos = data.readInt32BE(i * 8 + 4);
      if (rel <= prevRel || pos <= prevPos || pos >= logSize) return null;
      prevRel = rel;
      prevPos = pos;
    }
    idx.#ensureCapacity(n);
    data.copy(idx.#buf, 0, 0, data.length);
    idx.#entries = n;
    return idx;
  }

  /** Number of entries. */
  get entries(): number {
    return this.#entries;
  }

  /** True when no more entries fit (the segment must roll). */
  get isFull(): boolean {
    return this.#entries >= this.maxEntries;
  }

  /** True when the in-memory entries differ from what was last persisted. */
  get dirty(): boolean {
    return this.#dirty;
  }

  /** The last entry, or null. */
  lastEntry(): OffsetPosition | null {
    if (this.#entries === 0) return null;
    return this.#entry(this.#entries - 1);
  }

  /** Appends an entry; offsets and positions must increase. */
  append(offset: number, position: number): void {
    const rel = offset - this.baseOffset;
    assert(rel >= 0 && rel <= 0x7fffffff, () => `offset ${offset} not representable in segment ${this.baseOffset}`);
    assert(!this.isFull, 'offset index is full');
    if (this.#entries > 0) {
      const last = this.#entry(this.#entries - 1);
      assert(offset > last.offset && position > last.position, () =>
        `offset index must increase: (${offset}, ${position}) after (${last.offset}, ${last.position})`);
    }
    this.#ensureCapacity(this.#entries + 1);
    const at = this.#entries * OFFSET_INDEX_ENTRY_SIZE;
    this.#buf.writeInt32BE(rel, at);
    this.#buf.writeInt32BE(position, at + 4);
    this.#entries++;
    this.#dirty = true;
  }

  /**
   * The largest entry with offset <= `offset`, or `{baseOffset, 0}` when
   * there is none: the position from which a scan finds the batch holding
   * `offset`.
   */
  lookup(offset: number): OffsetPosition {
    const rel = offset - this.baseOffset;
    let lo = 0;
    let hi = this.#entries - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#buf.readInt32BE(mid * OFFSET_INDEX_ENTRY_SIZE) <= rel) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0 ? { offset: this.baseOffset, position: 0 } : this.#entry(found);
  }

  /** Drops every entry whose position is >= `position` (the log was cut there). */
  truncateToPosition(position: number): void {
    let n = this.#entries;
    while (n > 0 && this.#buf.readInt32BE((n - 1) * OFFSET_INDEX_ENTRY_SIZE + 4) >= position) n--;
    if (n !== this.#entries) {
      this.#entries = n;
      this.#dirty = true;
    }
  }

  /** Removes all entries. */
  reset(): void {
    this.#entries = 0;
    this.#dirty = true;
  }

  /** The on-disk bytes (a copy). */
  serialize(): Buffer {
    return Buffer.from(this.#buf.subarray(0, this.#entries * OFFSET_INDEX_ENTRY_SIZE));
  }

  /** Records that the current content has been persisted. */
  markClean(): void {
    this.#dirty = false;
  }

  #entry(i: number): OffsetPosition {
    const at = i * OFFSET_INDEX_ENTRY_SIZE;
    return { offset: this.baseOffset + this.#buf.readInt32BE(at), position: this.#buf.readInt32BE(at + 4) };
  }

  #ensureCapacity(entries: number): void {
    const need = entries * OFFSET_INDEX_ENTRY_SIZE;
    if (need <= this.#buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(need, this.#buf.length * 2));
    this.#buf.copy(grown, 0, 0, this.#entries * OFFSET_INDEX_ENTRY_SIZE);
    this.#buf = grown;
  }
}
