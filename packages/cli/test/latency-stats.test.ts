import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bucketOf, formatHistogram, LatencyRecorder, percentile } from '../src/latency-stats.js';

test('percentiles are nearest-rank over the recorded latencies', () => {
  const r = new LatencyRecorder(1000);
  for (let i = 1000; i >= 1; i--) r.record(i / 10); // 0.1 .. 100 ms, recorded out of order
  const s = r.summary();
  assert.equal(s.count, 1000);
  assert.equal(s.maxMs, 100);
  assert.ok(Math.abs(s.avgMs - 50.05) < 1e-9);
  assert.deepEqual([s.p50Ms, s.p95Ms, s.p99Ms, s.p999Ms], [50, 95, 99, 99.9]);
  assert.equal(percentile(new Float64Array([]), 0.5), 0);
  assert.equal(percentile(new Float64Array([7]), 0.999), 7);
});

test('above the sample size every k-th latency is sampled; totals still count every one', () => {
  const r = new LatencyRecorder(10_000, 1000);
  for (let i = 0; i < 10_000; i++) r.record(i % 100);
  const s = r.summary();
  assert.equal(s.count, 10_000);
  assert.equal(s.maxMs, 99);
  // Every 10th of 0..99 repeated: the samples are 0, 10, ..., 90.
  assert.equal(s.p50Ms, 40);
  assert.equal(r.histogram().reduce((n, b) => n + b.count, 0), 10_000);
});

test('histogram buckets double from 0.125 ms, and bounds fall in the upper bucket', () => {
  assert.equal(bucketOf(0), 0);
  assert.equal(bucketOf(0.1249), 0);
  assert.equal(bucketOf(0.125), 1);
  assert.equal(bucketOf(0.2499), 1);
  assert.equal(bucketOf(1), 4);
  assert.equal(bucketOf(1.999), 4);
  assert.equal(bucketOf(2), 5);
  assert.equal(bucketOf(1e30), 39, 'the last bucket takes everything above');
  const r = new LatencyRecorder(10);
  for (const ms of [1, 1.5, 3, 3, 3, 12]) r.record(ms);
  assert.deepEqual(
    r.histogram().map((b) => [b.fromMs, b.toMs, b.count]),
    [
      [1, 2, 2],
      [2, 4, 3],
      [4, 8, 0],
      [8, 16, 1],
    ],
  );
  assert.equal(
    formatHistogram(r.histogram(), 6),
    [
      '      1 -       2 ms | ####   2  33.3%',
      '      2 -       4 ms | ###### 3  50.0%',
      '      4 -       8 ms |        0   0.0%',
      '      8 -      16 ms | ##     1  16.7%',
      '',
    ].join('\n'),
  );
  assert.equal(formatHistogram(new LatencyRecorder(1).histogram()), '');
});
