// Java's murmur2 as implemented in tests/support/murmur2.ts, checked against the vectors of
// Kafka's UtilsTest.testMurmur2 (the Java implementation's own expected values).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { murmur2, toPositive } from '../support/murmur2.js';

test('murmur2 matches Java Kafka', { timeout: 5_000 }, () => {
  const cases: Array<[string, number]> = [
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  ];
  for (const [input, expected] of cases) assert.equal(murmur2(Buffer.from(input)), expected, input);
  assert.equal(murmur2(Buffer.from([97, 98, 99])), 479470107);
  assert.equal(toPositive(-1), 0x7fffffff);
  assert.equal(toPositive(-2147483648), 0);
});
