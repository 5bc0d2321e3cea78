// Our partitioner's keyed placement against the test-only reference implementation of Java's
// murmur2 (tests/support/murmur2.ts, itself checked against Kafka's vectors in
// tests/compat/murmur2.test.ts): every key of random bytes and lengths 0-64, for partition
// counts 1-100, goes to the same partition. Seeded, so a failure replays.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DefaultPartitioner, murmur2, murmur2Partition } from '@samsa/client';
import { javaDefaultPartition, murmur2 as referenceMurmur2 } from '../support/murmur2.js';

function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

test('keyed placement equals the Java reference for 20,000 random keys', () => {
  const seed = Number(process.env.SAMSA_SEED ?? 20240611);
  const next = xorshift(seed);
  const partitioner = new DefaultPartitioner(() => 0.5);
  for (let i = 0; i < 20_000; i++) {
    const key = Buffer.alloc(next() % 65);
    for (let j = 0; j < key.length; j++) key[j] = next() & 0xff;
    const partitions = 1 + (next() % 100);
    assert.equal(murmur2(key), referenceMurmur2(key), `SAMSA_SEED=${seed}: hash of ${key.toString('hex')}`);
    const expected = javaDefaultPartition(key, partitions);
    assert.equal(murmur2Partition(key, partitions), expected, `SAMSA_SEED=${seed}: ${key.toString('hex')} over ${partitions}`);
    const viaPartitioner = partitioner.partition({ topic: 't', partitionCount: partitions, availablePartitions: [0], key, value: null, headers: [] });
    assert.equal(viaPartitioner, expected, 'the default partitioner ignores availability for keyed records');
  }
});
