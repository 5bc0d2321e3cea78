import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planRetention, type RetentionParams, type SegmentSummary } from '../src/retention.js';

const segs: SegmentSummary[] = [
  { baseOffset: 0, size: 100, largestTimestamp: 1000 },
  { baseOffset: 10, size: 100, largestTimestamp: 2000 },
  { baseOffset: 20, size: 100, largestTimestamp: 3000 },
];
const base: RetentionParams = { nowMs: 3000, retentionMs: -1, retentionBytes: -1, deletePolicy: true, logStartOffset: 0, highWatermark: 30, logEndOffset: 30 };

test('nothing to do with infinite retention', () => {
  assert.deepEqual(planRetention(segs, base), { count: 0, rollActive: false, reason: 'none' });
});

test('retention.ms deletes strictly older segments, oldest first', () => {
  assert.equal(planRetention(segs, { ...base, retentionMs: 1000 }).count, 1);
  assert.equal(planRetention(segs, { ...base, retentionMs: 999 }).count, 2);
  assert.deepEqual(planRetention(segs, { ...base, retentionMs: 0, nowMs: 3001 }), { count: 3, rollActive: true, reason: 'retention.ms' });
});

test('retention.bytes deletes while the rest stays at or above the limit', () => {
  assert.equal(planRetention(segs, { ...base, retentionBytes: 200 }).count, 1);
  assert.equal(planRetention(segs, { ...base, retentionBytes: 150 }).count, 1);
  assert.equal(planRetention(segs, { ...base, retentionBytes: 0 }).count, 3);
});

test('log start offset breach deletes segments entirely below it, without the policy', () => {
  assert.equal(planRetention(segs, { ...base, deletePolicy: false, logStartOffset: 19 }).count, 1);
  assert.equal(planRetention(segs, { ...base, deletePolicy: false, logStartOffset: 20 }).count, 2);
});

test('never beyond the high watermark, never an empty active segment', () => {
  assert.equal(planRetention(segs, { ...base, retentionMs: 0, nowMs: 10_000, highWatermark: 15 }).count, 1);
  const withEmpty = [...segs, { baseOffset: 30, size: 0, largestTimestamp: 0 }];
  assert.deepEqual(planRetention(withEmpty, { ...base, retentionMs: 0, nowMs: 10_000 }), { count: 3, rollActive: false, reason: 'retention.ms' });
});
