// `samsa perf produce` prints Kafka's report line and a latency histogram
// whose numbers agree with each other (speeds are not asserted).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '@samsa/broker';
import { Admin } from '@samsa/client';
import { samsa } from '../test-support/run-samsa.js';

interface Report {
  records: number;
  recordsPerSec: number;
  mbPerSec: number;
  avgMs: number;
  maxMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  p999Ms: number;
  histogram: { fromMs: number; toMs: number; count: number; percent: number }[];
}

const NUM = String.raw`(\d+(?:\.\d+)?)`;
const FINAL = new RegExp(
  String.raw`^(\d+) records sent, ${NUM} records/sec \(${NUM} MB/sec\), ${NUM} ms avg latency, ${NUM} ms max latency, ${NUM} ms 50th, ${NUM} ms 95th, ${NUM} ms 99th, ${NUM} ms 99\.9th\.$`,
  'm',
);

function parseReport(stdout: string): Report {
  const m = FINAL.exec(stdout);
  assert.ok(m, `the final report line:\n${stdout}`);
  const [records, recordsPerSec, mbPerSec, avgMs, maxMs, p50Ms, p95Ms, p99Ms, p999Ms] = m.slice(1).map(Number);
  const after = stdout.slice(m.index + m[0].length);
  assert.match(after, /^\n\nLatency histogram \(send to acknowledgement, \d+ records\):\n/);
  const histogram = after
    .split('\n')
    .slice(3)
    .filter((l) => l !== '')
    .map((l) => {
      const h = /^\s*([\d.]+) -\s+([\d.]+) ms \| #* +(\d+)\s+([\d.]+)%$/.exec(l);
      assert.ok(h, `histogram line '${l}'`);
      return { fromMs: Number(h[1]), toMs: Number(h[2]), count: Number(h[3]), percent: Number(h[4]) };
    });
  return { records, recordsPerSec, mbPerSec, avgMs, maxMs, p50Ms, p95Ms, p99Ms, p999Ms, histogram };
}

function checkConsistent(r: Report, numRecords: number, recordSize: number): void {
  assert.equal(r.records, numRecords);
  assert.ok(r.recordsPerSec > 0, 'records/sec');
  // MB/sec is records/sec × record size / 2^20, both printed rounded.
  assert.ok(Math.abs(r.mbPerSec - (r.recordsPerSec * recordSize) / 1_048_576) <= 0.01 + r.mbPerSec * 0.001, `MB/sec ${r.mbPerSec} vs ${r.recordsPerSec} records/sec`);
  assert.ok(r.p50Ms <= r.p95Ms && r.p95Ms <= r.p99Ms && r.p99Ms <= r.p999Ms && r.p999Ms <= r.maxMs, `percentiles in order: ${JSON.stringify(r)}`);
  assert.ok(r.avgMs > 0 && r.avgMs <= r.maxMs + 0.005, 'average within the maximum');
  assert.equal(r.histogram.reduce((n, b) => n + b.count, 0), numRecords, 'the histogram counts every record');
  const last = r.histogram[r.histogram.length - 1];
  assert.ok(last.fromMs <= r.maxMs + 0.005 && r.maxMs <= last.toMs, `the last bucket holds the maximum ${r.maxMs}`);
  for (let i = 1; i < r.histogram.length; i++) assert.equal(r.histogram[i].fromMs, r.histogram[i - 1].toMs, 'contiguous buckets');
}

test('samsa perf produce reports throughput, latency percentiles and a histogram', { timeout: 120_000 }, async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const b = ['--bootstrap-server', broker.bootstrap];

  const fast = await samsa(['perf', 'produce', '--topic', 'perf', '--num-records', '20000', '--record-size', '100', ...b]);
  assert.equal(fast.code, 0, fast.stderr);
  checkConsistent(parseReport(fast.stdout), 20_000, 100);

  const paced = await samsa(['perf', 'produce', '-t', 'perf', '-n', '3000', '-s', '1024', '--throughput', '3000', '--acks', '1', '--compression', 'lz4', '--batch-size', '65536', '--linger-ms', '2', ...b]);
  assert.equal(paced.code, 0, paced.stderr);
  const report = parseReport(paced.stdout);
  checkConsistent(report, 3000, 1024);
  assert.ok(report.recordsPerSec <= 3000 * 1.05, `--throughput 3000 is an upper bound: ${report.recordsPerSec}`);

  const admin = await Admin.connect(broker.bootstrap, { timeoutMs: 10_000 });
  const offsets = await admin.listOffsets('perf', 'latest');
  admin.close();
  assert.equal(offsets.reduce((n, p) => n + p.offset, 0), 23_000, 'every record was written');
});
