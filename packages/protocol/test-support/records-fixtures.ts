// Shared helpers for the records tests (kept out of test/ so node --test does not run it).
import { crc32 } from '@node-rs/crc32';

/** Small seeded PRNG (mulberry32) so fuzz failures replay with SAMSA_SEED. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Seed from SAMSA_SEED or the clock; printed by the fuzz tests on failure. */
export function testSeed(): number {
  const env = process.env.SAMSA_SEED;
  return env !== undefined ? Number(env) : Date.now() % 2147483647;
}

/** Builds one legacy (magic 0/1) message by hand, for decoder tests. */
export function legacyMessage(opts: {
  offset: number;
  magic: 0 | 1;
  attributes?: number;
  timestamp?: number;
  key: Buffer | null;
  value: Buffer | null;
}): Buffer {
  const keyLen = opts.key === null ? 0 : opts.key.length;
  const valueLen = opts.value === null ? 0 : opts.value.length;
  const size = 4 + 1 + 1 + (opts.magic === 1 ? 8 : 0) + 4 + keyLen + 4 + valueLen;
  const buf = Buffer.alloc(12 + size);
  buf.writeBigInt64BE(BigInt(opts.offset), 0);
  buf.writeInt32BE(size, 8);
  let p = 16;
  buf.writeInt8(opts.magic, p++);
  buf.writeInt8(opts.attributes ?? 0, p++);
  if (opts.magic === 1) {
    buf.writeBigInt64BE(BigInt(opts.timestamp ?? -1), p);
    p += 8;
  }
  buf.writeInt32BE(opts.key === null ? -1 : keyLen, p);
  p += 4;
  if (opts.key !== null) p += opts.key.copy(buf, p);
  buf.writeInt32BE(opts.value === null ? -1 : valueLen, p);
  p += 4;
  if (opts.value !== null) p += opts.value.copy(buf, p);
  buf.writeUInt32BE(crc32(buf.subarray(16)) >>> 0, 12);
  return buf;
}
