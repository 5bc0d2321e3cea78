import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupSegmentsBySize } from '../../src/compaction/segment-groups.js';

const seg = (baseOffset: number, size: number, idx = 0) => ({ baseOffset, size, offsetIndexEntries: idx, timeIndexEntries: idx });
const bases = (groups: Array<Array<{ baseOffset: number }>>): number[][] => groups.map((g) => g.map((s) => s.baseOffset));

test('consecutive segments merge while the sum fits segment.bytes', () => {
  const segs = [seg(0, 400), seg(10, 300), seg(20, 300), seg(30, 500), seg(40, 100)];
  assert.deepEqual(bases(groupSegmentsBySize(segs, { segmentBytes: 1000, segmentIndexBytes: 1 << 20, endOffset: 50 })), [[0, 10, 20], [30, 40]]);
});

test('a segment larger than segment.bytes is cleaned alone', () => {
  const segs = [seg(0, 5000), seg(10, 10), seg(20, 10)];
  assert.deepEqual(bases(groupSegmentsBySize(segs, { segmentBytes: 1000, segmentIndexBytes: 1 << 20, endOffset: 30 })), [[0], [10, 20]]);
});

test('index sizes and the int32 offset range bound a group', () => {
  const idx = [seg(0, 10, 3), seg(10, 10, 3), seg(20, 10, 3)];
  // 3 entries * 12 bytes of time index per segment: two fit in 72 bytes, three do not.
  assert.deepEqual(bases(groupSegmentsBySize(idx, { segmentBytes: 1 << 20, segmentIndexBytes: 72, endOffset: 30 })), [[0, 10], [20]]);
  const far = [seg(0, 10), seg(2 ** 31 - 10, 10), seg(2 ** 31 + 100, 10)];
  assert.deepEqual(bases(groupSegmentsBySize(far, { segmentBytes: 1 << 20, segmentIndexBytes: 1 << 20, endOffset: 2 ** 31 + 200 })), [[0], [2 ** 31 - 10, 2 ** 31 + 100]]);
  // An empty segment passes the offset check.
  const empty = [seg(0, 10), seg(2 ** 31 + 5, 0)];
  assert.deepEqual(bases(groupSegmentsBySize(empty, { segmentBytes: 1 << 20, segmentIndexBytes: 1 << 20, endOffset: 2 ** 31 + 10 })), [[0, 2 ** 31 + 5]]);
});
