/**
 * The live fuzzer's seeded randomness. Every frame gets its own generator, seeded from
 * (run seed, frame index), so any frame can be rebuilt alone from those two numbers
 * without replaying the frames before it.
 */
export class FuzzRandom {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** The generator of frame `index` of the run seeded with `seed`. */
  static forFrame(seed: number, index: number): FuzzRandom {
    return new FuzzRandom(mix32(mix32(seed >>> 0) ^ mix32((index >>> 0) + Math.floor(index / 4294967296) * 0x9e3779b9)));
  }

  /** A uniform 32-bit unsigned integer (mulberry32). */
  nextUint32(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** An integer in [lo, hi], inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) out[i] = this.nextUint32() & 0xff;
    return out;
  }
}

/** A 32-bit integer hash (the finaliser of MurmurHash3), so nearby seeds and indexes diverge. */
function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
