#!/usr/bin/env node
// Log cleaner throughput: how fast Samsa compacts a partition log, next to the raw sequential
// I/O the same rewrite needs at minimum, on the same disk in the same run.
//
//   cleaner    a partition log (packages/storage, real disk under the temp dir) filled with
//              keyed records that overwrite a fixed key set, all in sealed segments, cleaned
//              once by LogCleaner (map pass over the dirty segments, then filter + rewrite +
//              swap). Throughput = log bytes cleaned / wall time of the clean.
//   reference  the same segment files read sequentially in 1 MiB chunks and written to new
//              files (fdatasync per file): one read and one write of every byte, no parsing.
//
// The ratio cleaner / reference says how close the cleaner comes to the disk (it reads the
// dirty bytes twice, decodes every batch and re-encodes the ones it changes, all on the main
// thread). Both runs start with the files in the page cache (they were just written), so the
// numbers are about CPU and the write path, not cold reads. Runs alternate and repeat; medians.
//
//   node bench/compaction/run.mjs [--mb 128] [--keys 50000] [--value 100] [--repeat 3]
//                                 [--cases plain,lz4,unique]     (after npx tsc -b)
import { mkdtempSync, openSync, readSync, writeSync, fdatasyncSync, closeSync, readdirSync, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { CompressionCodec, encodeRecordBatchSync } from '../../packages/protocol/dist/src/index.js';
import { defaultLogConfig, LogCleaner, CleanerManager, PartitionLog, nodeFs, systemClock } from '../../packages/storage/dist/src/index.js';

const { values: args } = parseArgs({
  options: {
    mb: { type: 'string', default: '128' },
    keys: { type: 'string', default: '50000' },
    value: { type: 'string', default: '100' },
    repeat: { type: 'string', default: '3' },
    cases: { type: 'string', default: 'plain,lz4,unique' },
    'segment-mb': { type: 'string', default: '16' },
  },
});
const totalBytes = Number(args.mb) * 1024 * 1024;
const valueBytes = Number(args.value);
const repeat = Number(args.repeat);
const segmentBytes = Number(args['segment-mb']) * 1024 * 1024;
const RECORDS_PER_BATCH = 100;

const CASES = {
  plain: { codec: CompressionCodec.None, keys: Number(args.keys), what: `${args.keys} keys overwritten, uncompressed` },
  lz4: { codec: CompressionCodec.Lz4, keys: Number(args.keys), what: `${args.keys} keys overwritten, lz4 batches` },
  unique: { codec: CompressionCodec.None, keys: Number.POSITIVE_INFINITY, what: 'every key distinct (nothing to remove), uncompressed' },
};

/** Fills a fresh log with ~totalBytes of keyed records; returns the log and its directory. */
async function buildLog(root, c) {
  const config = { ...defaultLogConfig, cleanupPolicy: 'compact', segmentBytes, minCleanableDirtyRatio: 0 };
  const log = await PartitionLog.open({ dir: root, topic: 'bench', partition: 0, config });
  // Random bytes drawn from a pool (base64 text): values compress about as real payloads do, not 100 to 1.
  const values = Array.from({ length: 1024 }, () => Buffer.from(randomBytes(valueBytes).toString('base64').slice(0, valueBytes)));
  let written = 0;
  let n = 0;
  while (written < totalBytes) {
    const records = [];
    for (let i = 0; i < RECORDS_PER_BATCH; i++, n++) {
      const key = Number.isFinite(c.keys) ? `key-${(n * 7919) % c.keys}` : `key-${n}`;
      records.push({ key: Buffer.from(key), value: values[(n * 31) % values.length], headers: [] });
    }
    const batch = encodeRecordBatchSync({ baseTimestamp: Date.now(), compression: c.codec, records });
    await log.append(batch);
    written += batch.length;
  }
  await log.roll();
  await log.flush();
  return log;
}

/** One clean of the whole log; returns { seconds, bytesIn, bytesOut, recordsRead, recordsKept }. */
async function timeCleaner(log) {
  const manager = new CleanerManager({ fs: nodeFs, clock: systemClock });
  const [cand] = await manager.candidates([log]);
  if (cand === undefined) throw new Error('nothing to clean');
  const bytesIn = log.sizeInBytes;
  const cleaner = new LogCleaner({ fs: nodeFs, clock: systemClock });
  const t0 = performance.now();
  const r = await cleaner.clean(log, cand.range, cand.reason);
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 'done') throw new Error(`clean ${r.status}`);
  await manager.close();
  return { seconds, bytesIn, bytesOut: log.sizeInBytes, recordsRead: r.recordsRead, recordsKept: r.recordsKept };
}

/** Reads every .log file of `dir` in 1 MiB chunks and writes it to a copy (fdatasync per file). */
function timeReference(dir) {
  const buf = Buffer.allocUnsafe(1 << 20);
  const files = readdirSync(dir).filter((f) => f.endsWith('.log')).map((f) => join(dir, f));
  let bytes = 0;
  const t0 = performance.now();
  for (const f of files) {
    const src = openSync(f, 'r');
    const dst = openSync(`${f}.copy`, 'w');
    let pos = 0;
    for (;;) {
      const n = readSync(src, buf, 0, buf.length, pos);
      if (n === 0) break;
      writeSync(dst, buf, 0, n, pos);
      pos += n;
    }
    fdatasyncSync(dst);
    closeSync(src);
    closeSync(dst);
    bytes += pos;
  }
  const seconds = (performance.now() - t0) / 1000;
  for (const f of files) rmSync(`${f}.copy`, { force: true });
  return { seconds, bytes };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mbps = (bytes, s) => bytes / 1024 / 1024 / s;

const rows = [];
for (const name of args.cases.split(',')) {
  const c = CASES[name];
  if (c === undefined) throw new Error(`unknown case ${name}`);
  const cleanerRates = [];
  const refRates = [];
  let last;
  for (let i = 0; i < repeat; i++) {
    const root = mkdtempSync(join(tmpdir(), 'samsa-bench-compaction-'));
    try {
      const log = await buildLog(root, c);
      // Reference first on even runs, second on odd ones (same files, same page-cache state).
      const ref = () => refRates.push(mbps(...(({ seconds, bytes }) => [bytes, seconds])(timeReference(log.dir))));
      if (i % 2 === 0) ref();
      last = await timeCleaner(log);
      cleanerRates.push(mbps(last.bytesIn, last.seconds));
      if (i % 2 === 1) ref();
      await log.close();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
  const cleaner = median(cleanerRates);
  const reference = median(refRates);
  rows.push(
    `| ${name} | ${c.what} | ${(last.bytesIn / 1024 / 1024).toFixed(0)} → ${(last.bytesOut / 1024 / 1024).toFixed(1)} | ${last.recordsRead.toLocaleString('en-US')} → ${last.recordsKept.toLocaleString('en-US')} | ${cleaner.toFixed(1)} | ${reference.toFixed(1)} | ${((cleaner / reference) * 100).toFixed(0)} % |`,
  );
  process.stderr.write(`${name}: cleaner ${cleanerRates.map((x) => x.toFixed(1)).join(', ')} MB/s; reference ${refRates.map((x) => x.toFixed(1)).join(', ')} MB/s\n`);
}

console.log(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}; log on ${tmpdir()} (${statSync(tmpdir()).dev}); ${args.mb} MiB per run, ${valueBytes}-byte values, ${RECORDS_PER_BATCH} records per batch, ${args['segment-mb']} MiB segments; median of ${repeat}.\n`);
console.log('| case | log | MiB in → out | records read → kept | cleaner MB/s | reference read+write MB/s | cleaner / reference |');
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) console.log(r);
