import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashKey } from '../../src/compaction/key-hash.js';
import { KEY_OFFSET_MAP_SLOT_BYTES, KeyOffsetMap } from '../../src/compaction/key-offset-map.js';

const k = (s: string): Buffer => Buffer.from(s);

test('the map keeps the latest offset per key and -1 for unknown keys', () => {
  const m = new KeyOffsetMap(1 << 20);
  assert.equal(m.get(k('a')), -1);
  assert.ok(m.put(k('a'), 3));
  assert.ok(m.put(k('b'), 4));
  assert.ok(m.put(k('a'), 9));
  assert.equal(m.get(k('a')), 9);
  assert.equal(m.get(k('b')), 4);
  assert.equal(m.get(k('c')), -1);
  assert.equal(m.size, 2);
  assert.equal(m.latestOffset, 9);
  m.updateLatestOffset(5);
  assert.equal(m.latestOffset, 9, 'latestOffset never moves back');
  m.clear();
  assert.equal(m.size, 0);
  assert.equal(m.get(k('a')), -1);
  assert.equal(m.latestOffset, -1);
});

test('the map is bounded by its memory: new keys are refused when full, known keys still update', () => {
  const m = new KeyOffsetMap(64 * KEY_OFFSET_MAP_SLOT_BYTES, { loadFactor: 0.5 });
  assert.equal(m.slots, 64);
  assert.equal(m.maxEntries, 32);
  for (let i = 0; i < 32; i++) assert.ok(m.put(k(`key-${i}`), i));
  assert.ok(m.isFull);
  assert.equal(m.put(k('one-more'), 100), false);
  assert.equal(m.get(k('one-more')), -1);
  assert.ok(m.put(k('key-5'), 101), 'a known key updates in a full map');
  assert.equal(m.get(k('key-5')), 101);
  assert.equal(m.latestOffset, 101);
});

test('a small dirty section does not allocate the whole budget', () => {
  const m = new KeyOffsetMap(128 * 1024 * 1024, { expectedEntries: 1000 });
  assert.ok(m.slots >= 1000 / 0.9 && m.slots <= 4096, `slots ${m.slots}`);
});

test('a load factor of 1 still leaves a free slot', () => {
  const m = new KeyOffsetMap(16 * KEY_OFFSET_MAP_SLOT_BYTES, { loadFactor: 1 });
  let n = 0;
  while (m.put(k(`x${n}`), n)) n++;
  assert.equal(n, 15);
  assert.equal(m.get(k('never')), -1);
});

test('100k distinct keys are told apart (no hash aliasing in the table)', () => {
  const m = new KeyOffsetMap(16 * 1024 * 1024);
  for (let i = 0; i < 100_000; i++) assert.ok(m.put(k(`user-${i}`), i));
  for (let i = 0; i < 100_000; i++) assert.equal(m.get(k(`user-${i}`)), i);
  for (let i = 100_000; i < 200_000; i++) assert.equal(m.get(k(`user-${i}`)), -1);
  assert.ok(m.averageProbes < 3, `average probes ${m.averageProbes}`);
});

test('hashKey: deterministic, sensitive to every byte and to the length', () => {
  const a = new Uint32Array(4);
  const b = new Uint32Array(4);
  const seen = new Set<string>();
  for (let len = 0; len <= 40; len++) {
    const key = Buffer.alloc(len, 7);
    hashKey(key, a);
    hashKey(Buffer.from(key), b);
    assert.deepEqual([...a], [...b]);
    seen.add([...a].join(','));
    for (let i = 0; i < len; i++) {
      const flipped = Buffer.from(key);
      flipped[i] ^= 1;
      hashKey(flipped, b);
      assert.notDeepEqual([...a], [...b], `flipping byte ${i} of ${len} changes the hash`);
    }
  }
  assert.equal(seen.size, 41, 'lengths 0..40 of the same byte hash apart');
  // A view hashes like a copy.
  const big = Buffer.from('xxhello worldyy');
  hashKey(big.subarray(2, 13), a);
  hashKey(Buffer.from('hello world'), b);
  assert.deepEqual([...a], [...b]);
});
