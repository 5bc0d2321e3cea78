// Quick local append-throughput measurement (not a test; timing is never asserted).
//   node packages/storage/dist/test-support/append-bench.js [recordsPerBatch=256] [seconds=3]
import { rm, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultLogConfig } from '../src/log-config.js';
import { PartitionLog } from '../src/partition-log.js';
import { makeBatch } from './batches.js';

const perBatch = Number(process.argv[2] ?? 256);
const seconds = Number(process.argv[3] ?? 3);
const dir = await mkdtemp(join(tmpdir(), 'samsa-bench-'));
const log = await PartitionLog.open({ dir, topic: 'bench', partition: 0, config: { ...defaultLogConfig, segmentBytes: 256 * 1024 * 1024 } });
// ~100-byte records (key + value + record overhead).
const template = makeBatch(perBatch, { valueBytes: 80 });
const pool = Array.from({ length: 64 }, () => Buffer.from(template));
let records = 0;
let bytes = 0;
let appends = 0;
const start = process.hrtime.bigint();
const deadline = start + BigInt(seconds * 1e9);
while (process.hrtime.bigint() < deadline) {
  // Keep several appends in flight, as a broker with many producers would.
  const inflight = [];
  for (let k = 0; k < 16; k++) inflight.push(log.append(pool[(appends + k) % pool.length]));
  for (const r of await Promise.all(inflight)) records += r.recordCount;
  appends += inflight.length;
  bytes += inflight.length * template.length;
}
const secs = Number(process.hrtime.bigint() - start) / 1e9;
console.log(
  `append: ${perBatch} records/batch, batch ${template.length} B: ${(records / secs).toFixed(0)} records/s, ` +
    `${(bytes / secs / 1048576).toFixed(1)} MiB/s, ${(appends / secs).toFixed(0)} appends/s over ${secs.toFixed(1)} s`,
);
// Read throughput over what was written.
const rstart = process.hrtime.bigint();
let off = log.logStartOffset;
let rbytes = 0;
while (off < log.logEndOffset) {
  const r = await log.read(off, 1 << 20);
  if (r.bytes === 0) break;
  rbytes += r.bytes;
  const last = r.buffers[r.buffers.length - 1];
  // advance past the last batch read: find its last offset from the header
  let p = 0;
  let lastOffset = off;
  while (p < last.length) {
    lastOffset = Number(last.readBigInt64BE(p)) + last.readInt32BE(p + 23);
    p += last.readInt32BE(p + 8) + 12;
  }
  off = lastOffset + 1;
}
const rsecs = Number(process.hrtime.bigint() - rstart) / 1e9;
console.log(`read: ${(rbytes / rsecs / 1048576).toFixed(1)} MiB/s (1 MiB fetches)`);
await log.close();
await rm(dir, { recursive: true, force: true });
