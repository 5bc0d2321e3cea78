import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvariantError } from '../src/invariant.js';
import { OffsetIndex } from '../src/offset-index.js';

test('lookup returns the floor entry, or the segment start', () => {
  const idx = new OffsetIndex(100, 1024);
  idx.append(110, 500);
  idx.append(120, 1000);
  idx.append(130, 1500);
  assert.deepEqual(idx.lookup(100), { offset: 100, position: 0 });
  assert.deepEqual(idx.lookup(109), { offset: 100, position: 0 });
  assert.deepEqual(idx.lookup(110), { offset: 110, position: 500 });
  assert.deepEqual(idx.lookup(129), { offset: 120, position: 1000 });
  assert.deepEqual(idx.lookup(10_000), { offset: 130, position: 1500 });
});

test('serialize/load round trip, growth past the initial buffer, and big-endian layout', () => {
  const idx = new OffsetIndex(5, 8 * 1000);
  for (let i = 1; i <= 500; i++) idx.append(5 + i * 3, i * 100);
  const bytes = idx.serialize();
  assert.equal(bytes.length, 500 * 8);
  assert.equal(bytes.readInt32BE(0), 3);
  assert.equal(bytes.readInt32BE(4), 100);
  const loaded = OffsetIndex.load(5, 8 * 1000, bytes, 1_000_000);
  assert.ok(loaded);
  assert.deepEqual(loaded.lookup(5 + 250 * 3 + 1), { offset: 5 + 250 * 3, position: 25_000 });
});

test('load rejects implausible files', () => {
  const idx = new OffsetIndex(0, 1024);
  idx.append(10, 100);
  idx.append(20, 200);
  const ok = idx.serialize();
  assert.equal(OffsetIndex.load(0, 1024, ok.subarray(0, 12), 1000), null, 'partial entry');
  assert.equal(OffsetIndex.load(0, 1024, ok, 150), null, 'position beyond the log');
  const swapped = Buffer.concat([ok.subarray(8), ok.subarray(0, 8)]);
  assert.equal(OffsetIndex.load(0, 1024, swapped, 1000), null, 'not increasing');
  assert.equal(OffsetIndex.load(0, 1024, Buffer.alloc(16), 1000), null, 'zero-filled');
});

test('append asserts monotonic entries; truncateToPosition drops the tail; isFull', () => {
  const idx = new OffsetIndex(0, 16);
  idx.append(1, 10);
  assert.throws(() => idx.append(1, 20), InvariantError);
  idx.append(2, 20);
  assert.equal(idx.isFull, true);
  idx.truncateToPosition(20);
  assert.equal(idx.entries, 1);
  assert.equal(idx.dirty, true);
});
