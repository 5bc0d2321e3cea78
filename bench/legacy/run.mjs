#!/usr/bin/env node
// Old-protocol conversion cost (issue 10, item 3): produce and fetch throughput of message
// format v0/v1 clients (Produce v1/v2 up-converted on append, Fetch v1/v3 down-converted on
// read) beside the same records in format v2 (Produce v9, Fetch v11: stored and served as
// sent), against one Samsa broker in the same run. Reported as ratios old / v2.
//
// The client is a raw protocol loop (@samsa/client's Connection, requests pre-encoded before
// timing), so the numbers are the broker's: one connection, `--inflight` requests in flight.
// Produce: `--records` records of `--value-bytes` in requests of `--batch` records, each
// format into its own topic. Fetch: every version reads the same topic (the v2-produced one,
// stored magic 2) from offset 0 to its end, partition limit `--fetch-bytes`; the old versions
// down-convert every batch on the way. The client walks only entry headers to find the next
// offset (same cost for every format). Median of `--repeat` runs.
//
//   npx tsc -b && node bench/legacy/run.mjs                 # ~1 min
//   node bench/legacy/run.mjs --records 50000 --repeat 1   # quick look
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Admin, Connection } from '../../packages/client/dist/src/index.js';
import {
  CompressionCodec,
  encodeLegacyMessageSet,
  encodeRecordBatch,
  FetchApi,
  ProduceApi,
  TimestampType,
  ZERO_UUID,
} from '../../packages/protocol/dist/src/index.js';
import { installCleanup, log, median, startSamsa } from '../lib/harness.mjs';

const { values: opts } = parseArgs({
  options: {
    records: { type: 'string', default: '200000' },
    'value-bytes': { type: 'string', default: '100' },
    batch: { type: 'string', default: '500' },
    inflight: { type: 'string', default: '4' },
    'fetch-bytes': { type: 'string', default: '1048576' },
    codecs: { type: 'string', default: 'none,gzip' },
    repeat: { type: 'string', default: '3' },
  },
});
const RECORDS = Number(opts.records);
const VALUE_BYTES = Number(opts['value-bytes']);
const BATCH = Number(opts.batch);
const INFLIGHT = Number(opts.inflight);
const FETCH_BYTES = Number(opts['fetch-bytes']);
const REPEAT = Number(opts.repeat);
const CODECS = { none: CompressionCodec.None, gzip: CompressionCodec.Gzip, snappy: CompressionCodec.Snappy, lz4: CompressionCodec.Lz4 };

/** The formats compared: the Produce and Fetch versions a client of that format sends. */
const FORMATS = [
  { name: 'v2 (magic 2)', magic: 2, produceVersion: 9, fetchVersion: 11 },
  { name: 'magic 1 (0.10 clients)', magic: 1, produceVersion: 2, fetchVersion: 3 },
  { name: 'magic 0 (0.9 clients)', magic: 0, produceVersion: 1, fetchVersion: 1 },
];

function value(i) {
  const v = Buffer.alloc(VALUE_BYTES, 0x61 + (i % 26));
  v.writeUInt32BE(i, 0);
  return v;
}

/** One request's records in `format`, pre-encoded. */
async function payload(format, codec, first) {
  const now = Date.now();
  if (format.magic === 2) {
    return encodeRecordBatch({ compression: codec, baseTimestamp: now, records: Array.from({ length: BATCH }, (_, i) => ({ key: null, value: value(first + i), timestamp: now })) });
  }
  return encodeLegacyMessageSet({
    magic: format.magic,
    compression: codec,
    timestampType: TimestampType.CreateTime,
    messages: Array.from({ length: BATCH }, (_, i) => ({ offset: i, timestamp: now, key: null, value: value(first + i) })),
  });
}

function produceRequest(topic, records) {
  return { transactionalId: null, acks: 1, timeoutMs: 30_000, topicData: [{ name: topic, topicId: ZERO_UUID, partitionData: [{ index: 0, records }] }] };
}

function fetchRequest(topic, fetchOffset) {
  return {
    clusterId: null, replicaId: -1, replicaState: { replicaId: -1, replicaEpoch: -1 }, maxWaitMs: 0, minBytes: 0,
    maxBytes: 64 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, forgottenTopicsData: [], rackId: '',
    topics: [{ topic, topicId: ZERO_UUID, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: FETCH_BYTES, replicaDirectoryId: ZERO_UUID, highWatermark: 0n }] }],
  };
}

/** The offset after the last complete entry of `records` (magic 2 batches or magic 0/1 messages), reading headers only. */
function nextOffset(records, current) {
  let next = current;
  for (let pos = 0; records.length - pos >= 17; ) {
    const size = 12 + records.readInt32BE(pos + 8);
    if (pos + size > records.length) break;
    const last = records[pos + 16] === 2 ? Number(records.readBigInt64BE(pos)) + records.readInt32BE(pos + 23) : Number(records.readBigInt64BE(pos));
    next = Math.max(next, last + 1);
    pos += size;
  }
  return next;
}

async function produceRun(conn, topic, payloads) {
  const requests = Math.ceil(RECORDS / BATCH);
  let sent = 0;
  const started = performance.now();
  const worker = async () => {
    while (sent < requests) {
      const records = payloads[sent++ % payloads.length];
      const res = await conn.send(ProduceApi, FORMAT_OF.get(conn).produceVersion, produceRequest(topic, records));
      const p = res.responses[0].partitionResponses[0];
      if (p.errorCode !== 0) throw new Error(`produce to ${topic} failed: error ${p.errorCode} ${p.errorMessage ?? ''}`);
    }
  };
  await Promise.all(Array.from({ length: INFLIGHT }, worker));
  return (requests * BATCH) / ((performance.now() - started) / 1000);
}

async function fetchRun(conn, topic, version, end) {
  let offset = 0;
  let bytes = 0;
  const started = performance.now();
  while (offset < end) {
    const res = await conn.send(FetchApi, version, fetchRequest(topic, offset));
    const p = res.responses[0].partitions[0];
    if (p.errorCode !== 0) throw new Error(`fetch v${version} of ${topic} failed: error ${p.errorCode}`);
    const next = nextOffset(p.records, offset);
    if (next === offset) throw new Error(`fetch v${version} of ${topic} made no progress at ${offset}`);
    bytes += p.records.length;
    offset = next;
  }
  const seconds = (performance.now() - started) / 1000;
  return { recordsPerSec: end / seconds, mbPerSec: bytes / seconds / 1e6 };
}

const FORMAT_OF = new Map();
const pct = (x) => `${Math.round(x * 100)} %`;
const fmt = (x) => Math.round(x).toLocaleString('en-US');

installCleanup('legacy-bench');
const samsa = await startSamsa();
try {
  const admin = await Admin.connect(samsa.bootstrap);
  const [host, port] = samsa.bootstrap.split(':');
  const rows = [];
  for (const codecName of opts.codecs.split(',')) {
    const codec = CODECS[codecName];
    const produce = new Map();
    const fetch = new Map();
    let v2Topic = '';
    for (let run = 0; run < REPEAT; run++) {
      for (const format of FORMATS) {
        const topic = `legacy-${codecName}-m${format.magic}-${run}`;
        await admin.createTopics([{ name: topic, numPartitions: 1 }]);
        const payloads = [];
        for (let i = 0; i < Math.min(8, Math.ceil(RECORDS / BATCH)); i++) payloads.push(await payload(format, codec, i * BATCH));
        const conn = await Connection.open(host, Number(port));
        FORMAT_OF.set(conn, format);
        log(`${codecName} run ${run + 1}/${REPEAT}: produce ${format.name}`);
        const rate = await produceRun(conn, topic, payloads);
        conn.close();
        produce.set(format.name, [...(produce.get(format.name) ?? []), rate]);
        if (format.magic === 2) v2Topic = topic;
      }
      const end = Math.ceil(RECORDS / BATCH) * BATCH;
      for (const format of FORMATS) {
        const conn = await Connection.open(host, Number(port));
        log(`${codecName} run ${run + 1}/${REPEAT}: fetch v${format.fetchVersion} (${format.name})`);
        const r = await fetchRun(conn, v2Topic, format.fetchVersion, end);
        conn.close();
        fetch.set(format.name, [...(fetch.get(format.name) ?? []), r]);
      }
    }
    const produceV2 = median(produce.get(FORMATS[0].name));
    const fetchV2 = median(fetch.get(FORMATS[0].name).map((r) => r.recordsPerSec));
    for (const format of FORMATS) {
      const p = median(produce.get(format.name));
      const f = median(fetch.get(format.name).map((r) => r.recordsPerSec));
      const mb = median(fetch.get(format.name).map((r) => r.mbPerSec));
      rows.push(`| ${codecName} | ${format.name} | v${format.produceVersion} | ${fmt(p)} | ${pct(p / produceV2)} | v${format.fetchVersion} | ${fmt(f)} | ${mb.toFixed(1)} | ${pct(f / fetchV2)} |`);
    }
  }
  await admin.close();
  const problems = samsa.problems.slice(0, 5);
  process.stdout.write(
    [
      `Old-protocol conversion: ${fmt(RECORDS)} records of ${VALUE_BYTES} B, ${BATCH} per request, ${INFLIGHT} in flight; fetch partition limit ${FETCH_BYTES} B; median of ${REPEAT}.`,
      '',
      '| codec | format | Produce | produce rec/s | / v2 | Fetch | fetch rec/s | fetch MB/s (as served) | / v2 |',
      '| --- | --- | --- | ---: | ---: | --- | ---: | ---: | ---: |',
      ...rows,
      '',
      problems.length > 0 ? `Broker warnings: ${problems.join(' / ')}` : 'Broker logged no warnings.',
      '',
    ].join('\n'),
  );
} finally {
  await samsa.stop();
}
