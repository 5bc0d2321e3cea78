/**
 * The cleaner's map from record key to the offset of the key's latest record
 * in the dirty part of the log (Kafka's SkimpyOffsetMap). Built over the dirty
 * segments first; cleaning then keeps a record only if no later record of its
 * key is in the map (see record-retention.ts).
 *
 * Memory is fixed when the map is created and bounded by
 * log.cleaner.dedupe.buffer.size: each slot holds the key's 128-bit hash
 * (key-hash.ts) and its offset, 24 bytes, never the key itself. The table is
 * open addressing with double hashing over a power-of-two number of slots
 * (the probe step is odd, so it visits every slot); it counts as full at
 * `loadFactor` (log.cleaner.io.buffer.load.factor, 0.9) of its slots, which
 * keeps a failed lookup at about 1 / (1 - 0.9) = 10 probes. A full map is not
 * an error: the cleaner cleans up to the last offset it mapped
 * ({@link KeyOffsetMap.latestOffset}) and continues from there next time.
 */
import { assert } from '../invariant.js';
import { hashKey } from './key-hash.js';

/** Bytes per slot: 16 of hash, 8 of offset. */
export const KEY_OFFSET_MAP_SLOT_BYTES = 24;

/** Fewest slots a map gets, whatever the budget. */
const MIN_SLOTS = 16;

/** Key → latest offset, in a fixed amount of memory. */
export class KeyOffsetMap {
  /** Number of slots (a power of two). */
  readonly slots: number;
  /** Entries at which {@link isFull} turns true. */
  readonly maxEntries: number;
  #mask: number;
  #hashes: Uint32Array;
  /** -1 marks an empty slot (offsets are >= 0). */
  #offsets: Float64Array;
  #size = 0;
  #latestOffset = -1;
  #scratch = new Uint32Array(4);
  #lookups = 0;
  #probes = 0;

  /**
   * A map of at most `memoryBytes` (rounded down to a power-of-two slot
   * count) that needs room for `expectedEntries` keys at most: it takes no
   * more slots than that many keys need at `loadFactor`, so a small dirty
   * section does not allocate the whole dedupe buffer.
   */
  constructor(memoryBytes: number, opts: { loadFactor?: number; expectedEntries?: number } = {}) {
    const loadFactor = opts.loadFactor ?? 0.9;
    assert(loadFactor > 0 && loadFactor <= 1, () => `load factor ${loadFactor} outside (0, 1]`);
    let slots = MIN_SLOTS;
    const budgetSlots = Math.floor(memoryBytes / KEY_OFFSET_MAP_SLOT_BYTES);
    const wanted = opts.expectedEntries === undefined ? Number.POSITIVE_INFINITY : Math.ceil(opts.expectedEntries / loadFactor) + 1;
    while (slots * 2 <= budgetSlots && slots < wanted) slots *= 2;
    this.slots = slots;
    this.maxEntries = Math.max(1, Math.min(slots - 1, Math.floor(slots * loadFactor)));
    this.#mask = slots - 1;
    this.#hashes = new Uint32Array(slots * 4);
    this.#offsets = new Float64Array(slots).fill(-1);
  }

  /** Keys stored. */
  get size(): number {
    return this.#size;
  }

  /** True once no new key may be added. */
  get isFull(): boolean {
    return this.#size >= this.maxEntries;
  }

  /**
   * The last offset the map accounts for: every keyed record at or below it
   * (and above where mapping started) has its key in the map. Records above
   * it were not looked at, so cleaning must keep them. -1 before any update.
   */
  get latestOffset(): number {
    return this.#latestOffset;
  }

  /** Moves {@link latestOffset} forward (never back). */
  updateLatestOffset(offset: number): void {
    if (offset > this.#latestOffset) this.#latestOffset = offset;
  }

  /** Average probes per operation so far (for the cleaner's statistics). */
  get averageProbes(): number {
    return this.#lookups === 0 ? 0 : this.#probes / this.#lookups;
  }

  /**
   * Records `offset` as the latest offset of `key`. Returns false, changing
   * nothing, when the key is new and the map is full. Offsets of one key
   * must not decrease (the cleaner maps the log in order).
   */
  put(key: Uint8Array, offset: number): boolean {
    return this.putRange(key, 0, key.length, offset);
  }

  /** {@link put} of the key `buf[start, end)` (no view allocated). */
  putRange(buf: Uint8Array, start: number, end: number, offset: number): boolean {
    const h = this.#scratch;
    hashKey(buf, h, start, end);
    const slot = this.#find(h);
    const prev = this.#offsets[slot];
    if (prev < 0) {
      if (this.isFull) return false;
      this.#hashes.set(h, slot * 4);
      this.#size++;
    } else if (offset < prev) {
      assert(false, () => `offset ${offset} of a key below its mapped ${prev}`);
    }
    this.#offsets[slot] = offset;
    this.updateLatestOffset(offset);
    return true;
  }

  /** The latest offset mapped for `key`, or -1. */
  get(key: Uint8Array): number {
    return this.getRange(key, 0, key.length);
  }

  /** {@link get} of the key `buf[start, end)`. */
  getRange(buf: Uint8Array, start: number, end: number): number {
    const h = this.#scratch;
    hashKey(buf, h, start, end);
    return this.#offsets[this.#find(h)];
  }

  /** Empties the map for reuse. */
  clear(): void {
    this.#offsets.fill(-1);
    this.#size = 0;
    this.#latestOffset = -1;
  }

  /** The slot holding hash `h`, or the empty slot where it would go. */
  #find(h: Uint32Array): number {
    const hashes = this.#hashes;
    const offsets = this.#offsets;
    const mask = this.#mask;
    let slot = h[0] & mask;
    // Odd step: coprime with the power-of-two size, so the probe sequence covers the table.
    const step = (h[1] | 1) & mask || 1;
    this.#lookups++;
    for (let i = 0; i <= mask; i++) {
      this.#probes++;
      if (offsets[slot] < 0) return slot;
      const at = slot * 4;
      if (hashes[at] === h[0] && hashes[at + 1] === h[1] && hashes[at + 2] === h[2] && hashes[at + 3] === h[3]) return slot;
      slot = (slot + step) & mask;
    }
    // Unreachable: maxEntries < slots, so an empty slot always exists.
    throw new Error('key offset map has no free slot');
  }
}
