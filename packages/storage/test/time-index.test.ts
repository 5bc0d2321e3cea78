import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimeIndex } from '../src/time-index.js';

test('maybeAppend keeps timestamps strictly increasing', () => {
  const idx = new TimeIndex(100, 1200);
  idx.maybeAppend(1000, 105);
  idx.maybeAppend(1000, 110);
  idx.maybeAppend(900, 111);
  idx.maybeAppend(2000, 120);
  idx.maybeAppend(-1, 130);
  assert.equal(idx.entries, 2);
  assert.deepEqual(idx.lastEntry(), { timestamp: 2000, offset: 120 });
});

test('lookupBelow finds the last entry strictly below the timestamp', () => {
  const idx = new TimeIndex(0, 1200);
  idx.maybeAppend(10, 5);
  idx.maybeAppend(20, 9);
  idx.maybeAppend(30, 15);
  assert.equal(idx.lookupBelow(10), null);
  assert.deepEqual(idx.lookupBelow(11), { timestamp: 10, offset: 5 });
  assert.deepEqual(idx.lookupBelow(30), { timestamp: 20, offset: 9 });
  assert.deepEqual(idx.lookupBelow(1e15), { timestamp: 30, offset: 15 });
});

test('serialize/load round trip with 12-byte big-endian entries; bad files rejected', () => {
  const idx = new TimeIndex(7, 1200);
  idx.maybeAppend(1_700_000_000_000, 10);
  idx.maybeAppend(1_700_000_000_500, 12);
  const bytes = idx.serialize();
  assert.equal(bytes.length, 24);
  assert.equal(Number(bytes.readBigInt64BE(0)), 1_700_000_000_000);
  assert.equal(bytes.readInt32BE(8), 3);
  const loaded = TimeIndex.load(7, 1200, bytes, 100);
  assert.deepEqual(loaded?.lastEntry(), { timestamp: 1_700_000_000_500, offset: 12 });
  assert.equal(TimeIndex.load(7, 1200, bytes.subarray(0, 13), 100), null);
  assert.equal(TimeIndex.load(7, 1200, Buffer.concat([bytes.subarray(12), bytes.subarray(0, 12)]), 100), null);
  idx.truncateToOffset(12);
  assert.equal(idx.entries, 1);
});

test('force appends past capacity (final entry of a sealed segment)', () => {
  const idx = new TimeIndex(0, 12);
  idx.maybeAppend(1, 0);
  idx.maybeAppend(2, 1);
  assert.equal(idx.entries, 1);
  idx.maybeAppend(2, 1, true);
  assert.equal(idx.entries, 2);
});
