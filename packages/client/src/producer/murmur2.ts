/**
 * The murmur2 hash as Kafka's Java client computes it for key partitioning
 * (`Utils.murmur2`), which librdkafka's `murmur2_random` partitioner
 * reproduces: seed 0x9747b28c, multiplier 0x5bd1e995, shift 24, the input
 * read as little-endian 32-bit words, then the 1-3 trailing bytes, then the
 * final avalanche. All arithmetic is on signed 32-bit integers, so the result
 * may be negative, as in Java.
 */
const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const R = 24;

/** Kafka's murmur2 of `data` as a signed 32-bit integer. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const whole = length - (length % 4);
  for (let i = 0; i < whole; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  // The tail: bytes at whole+2, whole+1 and whole are mixed in that order
  // (Java's switch falls through from 3 to 1), then h is multiplied once.
  const tail = length % 4;
  if (tail === 3) h ^= data[whole + 2] << 16;
  if (tail >= 2) h ^= data[whole + 1] << 8;
  if (tail >= 1) h = Math.imul(h ^ data[whole], M);
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * The partition of a keyed record under Java's default partitioner and
 * librdkafka's `murmur2_random`: the hash with its sign bit cleared (Java's
 * `Utils.toPositive`, not `Math.abs`) modulo the partition count.
 */
export function murmur2Partition(key: Uint8Array, partitionCount: number): number {
  return (murmur2(key) & 0x7fffffff) % partitionCount;
}
