// Kafka's murmur2 and the keyed placement it gives. The hash vectors are the
// expected values of Kafka's own UtilsTest.testMurmur2; the placement checks
// use the property that defines Java's toPositive (sign bit cleared, not abs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { murmur2, murmur2Partition } from '../../src/producer/murmur2.js';

test('murmur2 gives the values of Kafka’s Java implementation', () => {
  const vectors: Array<[string, number]> = [
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  ];
  for (const [input, expected] of vectors) assert.equal(murmur2(Buffer.from(input)), expected, input);
  assert.equal(murmur2(Buffer.from([97, 98, 99])), 479470107);
});

test('every tail length (0-3 trailing bytes) hashes, and the result is a signed 32-bit integer', () => {
  for (let len = 0; len <= 9; len++) {
    const h = murmur2(Buffer.alloc(len, 0xab));
    assert.ok(Number.isInteger(h) && h >= -2147483648 && h <= 2147483647, `length ${len}`);
  }
});

test('placement clears the sign bit instead of taking the absolute value', () => {
  // murmur2('21') = -973932308; with the sign bit cleared: 1173551340.
  assert.equal(murmur2Partition(Buffer.from('21'), 1000), 1173551340 % 1000);
  assert.notEqual(murmur2Partition(Buffer.from('21'), 1000), 973932308 % 1000);
  for (const n of [1, 2, 3, 7, 12, 100]) {
    for (const k of ['', 'a', 'foobar', 'order-42']) {
      const p = murmur2Partition(Buffer.from(k), n);
      assert.ok(p >= 0 && p < n, `${k} in ${n}`);
      assert.equal(p, (murmur2(Buffer.from(k)) & 0x7fffffff) % n);
    }
  }
});

test('known placements (computed with the reference murmur2 in tests/support/murmur2.ts)', () => {
  const table: Array<[string, number, number]> = [
    ['', 2, 81],
    ['a', 5, 24],
    ['ab', 0, 34],
    ['abc', 4, 7],
    ['abcd', 5, 0],
    ['key-0', 0, 41],
    ['key-1', 5, 40],
    ['user-42', 1, 60],
    ['order-2024-06-11', 2, 60],
    ['ключ', 4, 24],
    ['😀', 0, 17],
  ];
  for (const [key, of7, of100] of table) {
    assert.equal(murmur2Partition(Buffer.from(key), 7), of7, `${key} of 7`);
    assert.equal(murmur2Partition(Buffer.from(key), 100), of100, `${key} of 100`);
  }
});
