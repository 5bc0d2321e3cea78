import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanableRange, compareCandidates, decideCleaning, type CleanableParams, type CleanableSegment } from '../../src/compaction/cleaning-decision.js';

const NOW = 1_700_000_000_000;

/** Segments of 100 bytes and 10 offsets each; the last is active. */
function segs(n: number, opts: { ts?: (i: number) => number } = {}): CleanableSegment[] {
  return Array.from({ length: n }, (_, i) => ({
    baseOffset: i * 10,
    nextOffset: i * 10 + 10,
    size: 100,
    largestTimestamp: opts.ts?.(i) ?? NOW - 1000,
    firstBatchTimestamp: opts.ts?.(i) ?? NOW - 1000,
  }));
}

function params(p: Partial<CleanableParams> = {}): CleanableParams {
  return { nowMs: NOW, logStartOffset: 0, logEndOffset: 50, lastStableOffset: 50, checkpoint: null, minCompactionLagMs: 0, maxCompactionLagMs: Number.MAX_SAFE_INTEGER, ...p };
}

test('a never-cleaned log is dirty up to the active segment', () => {
  const r = cleanableRange(segs(5), params());
  assert.deepEqual([r.firstDirtyOffset, r.firstUncleanableOffset, r.cleanBytes, r.dirtyBytes], [0, 40, 0, 400]);
  assert.equal(r.dirtyRatio, 1);
  assert.equal(r.compactionDelayMs, 0);
});

test('the checkpoint splits clean from dirty bytes; out-of-range checkpoints reset to the log start', () => {
  const r = cleanableRange(segs(5), params({ checkpoint: 30 }));
  assert.deepEqual([r.firstDirtyOffset, r.firstUncleanableOffset, r.cleanBytes, r.dirtyBytes], [30, 40, 300, 100]);
  assert.equal(r.dirtyRatio, 0.25);
  assert.equal(cleanableRange(segs(5), params({ checkpoint: 60 })).firstDirtyOffset, 0, 'above the log end: clean everything again');
  assert.equal(cleanableRange(segs(5), params({ checkpoint: 5, logStartOffset: 20 })).firstDirtyOffset, 20, 'below the log start');
});

test('the last stable offset and min.compaction.lag.ms stop the cleanable range at a segment boundary', () => {
  assert.equal(cleanableRange(segs(5), params({ lastStableOffset: 25 })).firstUncleanableOffset, 20);
  // Segments 2 and later are younger than the lag.
  const young = segs(5, { ts: (i) => (i >= 2 ? NOW - 10 : NOW - 100_000) });
  assert.equal(cleanableRange(young, params({ minCompactionLagMs: 1000 })).firstUncleanableOffset, 20);
  assert.equal(cleanableRange(young, params({ minCompactionLagMs: 0 })).firstUncleanableOffset, 40);
  // Nothing dirty when the checkpoint is already past the limit.
  const r = cleanableRange(young, params({ minCompactionLagMs: 1000, checkpoint: 30 }));
  assert.deepEqual([r.firstDirtyOffset, r.firstUncleanableOffset, r.dirtyBytes], [30, 30, 0]);
});

test('a first dirty offset inside the segment holding the last stable offset gives an empty range with no dirty bytes', () => {
  // DeleteRecords (log start 25) or a clean whose map filled (checkpoint 25), with an open transaction at 27.
  for (const p of [{ logStartOffset: 25 }, { checkpoint: 25 }]) {
    const r = cleanableRange(segs(5), params({ ...p, lastStableOffset: 27 }));
    assert.deepEqual([r.firstDirtyOffset, r.firstUncleanableOffset, r.dirtyBytes, r.dirtyRatio], [25, 25, 0, 0], JSON.stringify(p));
    assert.equal(decideCleaning(true, r, 0, false), null, 'nothing to clean until the transaction ends');
  }
});

test('max.compaction.lag.ms: the delay counts from the first batch of the earliest dirty sealed segment', () => {
  const old = segs(5, { ts: (i) => NOW - 10_000 + i });
  assert.equal(cleanableRange(old, params({ maxCompactionLagMs: 4000 })).compactionDelayMs, 6000);
  assert.equal(cleanableRange(old, params({ maxCompactionLagMs: 20_000 })).compactionDelayMs, 0);
  // Clean segments do not count.
  assert.equal(cleanableRange(old, params({ maxCompactionLagMs: 4000, checkpoint: 30 })).compactionDelayMs, 6000 - 3);
});

test('decision table', () => {
  const dirty = cleanableRange(segs(5), params({ checkpoint: 30 })); // ratio 0.25
  const clean = cleanableRange(segs(5), params({ checkpoint: 40 })); // nothing dirty
  const overdue = cleanableRange(segs(5, { ts: () => NOW - 10_000 }), params({ checkpoint: 30, maxCompactionLagMs: 1000 }));
  assert.equal(decideCleaning(false, dirty, 0, true), null, 'not compacted');
  assert.equal(decideCleaning(true, overdue, 0.9, false), 'max-lag');
  assert.equal(decideCleaning(true, dirty, 0.2, false), 'dirty-ratio');
  assert.equal(decideCleaning(true, dirty, 0.25, false), null, 'the ratio must exceed the minimum');
  assert.equal(decideCleaning(true, dirty, 0.5, true), 'delete-horizon');
  assert.equal(decideCleaning(true, clean, 0, false), null, 'ratio 0 never exceeds 0');
  assert.equal(decideCleaning(true, clean, 0, true), 'delete-horizon');
  const a = { reason: 'delete-horizon' as const, range: dirty };
  const b = { reason: 'dirty-ratio' as const, range: clean };
  const c = { reason: 'dirty-ratio' as const, range: dirty };
  assert.deepEqual([a, b, c].sort(compareCandidates), [c, b, a]);
});
