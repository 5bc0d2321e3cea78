/**
 * The 128-bit hash under which the cleaner's key map stores a record key.
 *
 * The map keeps hashes, not keys, so its memory is fixed per entry
 * (key-offset-map.ts). Two keys with the same hash would be taken for one and
 * the older record dropped, so the hash must be wide enough for that never to
 * happen in practice: with 128 bits the chance of any collision among 10^9
 * keys is about 10^-21. Kafka uses MD5 for the same purpose; this is
 * MurmurHash3 (x86, 128-bit variant, Austin Appleby's public-domain
 * algorithm): not cryptographic, which is fine because a collision only
 * costs the producer of the colliding key (keys come from that producer),
 * and about ten times faster than node:crypto's MD5 for short keys (no
 * native call per key).
 */

const C1 = 0x239b961b;
const C2 = 0xab0e9789;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

function le32(b: Uint8Array, i: number): number {
  return b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
}

/**
 * Hashes `key[start, end)` into `out[0..3]` (four uint32 words). Writing into
 * a caller's array keeps the per-record path free of allocation.
 */
export function hashKey(key: Uint8Array, out: Uint32Array, start = 0, end = key.length): void {
  const len = end - start;
  let h1 = 0;
  let h2 = 0;
  let h3 = 0;
  let h4 = 0;
  const blocksEnd = start + (len & ~15);
  for (let i = start; i < blocksEnd; i += 16) {
    let k1 = le32(key, i);
    let k2 = le32(key, i + 4);
    let k3 = le32(key, i + 8);
    let k4 = le32(key, i + 12);
    k1 = Math.imul(rotl(Math.imul(k1, C1), 15), C2);
    h1 ^= k1;
    h1 = (Math.imul(rotl(h1, 19) + h2, 5) + 0x561ccd1b) | 0;
    k2 = Math.imul(rotl(Math.imul(k2, C2), 16), C3);
    h2 ^= k2;
    h2 = (Math.imul(rotl(h2, 17) + h3, 5) + 0x0bcaa747) | 0;
    k3 = Math.imul(rotl(Math.imul(k3, C3), 17), C4);
    h3 ^= k3;
    h3 = (Math.imul(rotl(h3, 15) + h4, 5) + 0x96cd1c35) | 0;
    k4 = Math.imul(rotl(Math.imul(k4, C4), 18), C1);
    h4 ^= k4;
    h4 = (Math.imul(rotl(h4, 13) + h1, 5) + 0x32ac3b17) | 0;
  }
  const tail = len & 15;
  if (tail > 0) {
    let k1 = 0;
    let k2 = 0;
    let k3 = 0;
    let k4 = 0;
    const t = blocksEnd;
    for (let j = 0; j < tail; j++) {
      const v = key[t + j] << ((j & 3) * 8);
      if (j < 4) k1 ^= v;
      else if (j < 8) k2 ^= v;
      else if (j < 12) k3 ^= v;
      else k4 ^= v;
    }
    if (k4 !== 0) h4 ^= Math.imul(rotl(Math.imul(k4, C4), 18), C1);
    if (k3 !== 0) h3 ^= Math.imul(rotl(Math.imul(k3, C3), 17), C4);
    if (k2 !== 0) h2 ^= Math.imul(rotl(Math.imul(k2, C2), 16), C3);
    h1 ^= Math.imul(rotl(Math.imul(k1, C1), 15), C2);
  }
  h1 ^= len;
  h2 ^= len;
  h3 ^= len;
  h4 ^= len;
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h3 = fmix(h3);
  h4 = fmix(h4);
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  out[0] = h1;
  out[1] = h2;
  out[2] = h3;
  out[3] = h4;
}
