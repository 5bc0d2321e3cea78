/**
 * `samsa perf produce`: a producer load test in the manner of Kafka's
 * kafka-producer-perf-test.sh. Sends --num-records records of --record-size
 * bytes (random capital letters, one payload reused, as Kafka's tool does)
 * with one send() per record, optionally paced to --throughput records/s,
 * and measures each record's latency from send() to its acknowledgement.
 *
 * Output (stdout): every 5 s a window line, then Kafka's final line
 *
 *   100000 records sent, 48213.1 records/sec (4.60 MB/sec), 3.21 ms avg latency, 40.12 ms max latency, 2.10 ms 50th, 9.80 ms 95th, 20.05 ms 99th, 35.00 ms 99.9th.
 *
 * (MB = 1,048,576 bytes, as Kafka; latencies with two decimals where Kafka
 * prints whole ms), then a histogram of the latencies. Percentiles come from
 * at most 1,000,000 samples (latency-stats.ts). At most 1,000 records are
 * awaiting their acknowledgement at a time (see MAX_IN_FLIGHT_RECORDS), so a
 * record's latency does not include waiting for room in the producer's buffer.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Producer } from '@samsa/client';
import { bootstrapServer } from '../broker-connection.js';
import { connectProducer, sendFailed } from '../cli-producer.js';
import { acksFlag, compressionFlag, intFlag, joinNegativeValues, parseFlags, requiredIntFlag } from '../flags.js';
import { formatHistogram, LatencyRecorder } from '../latency-stats.js';
import { UsageError } from '../usage-error.js';

const USAGE = `usage: samsa perf produce --topic T --num-records N --record-size B [options]
  Sends N records of B bytes to T and reports throughput and latency (like kafka-producer-perf-test).
  -t, --topic T            topic to write to (required)
  -n, --num-records N      how many records (required)
  -s, --record-size B      bytes per record value (required)
      --throughput R       at most R records/s (default -1: as fast as possible)
  -a, --acks A             all (default, idempotent), 1 or 0
  -z, --compression C      none (default), gzip, snappy, lz4 or zstd
      --batch-size B       producer batch size in bytes (default 16384)
      --linger-ms MS       how long a batch waits for more records (default 0)
  -b, --bootstrap-server host:port   (default $SAMSA_BOOTSTRAP or 127.0.0.1:9092)
`;

const REPORT_INTERVAL_MS = 5_000;
const MB = 1_048_576;
/**
 * Upper bound of records sent and not yet acknowledged (the producer's
 * buffer limits bytes). Kept small: each pending send() holds a few objects,
 * and with tens of thousands pending they outlive the young generation, so
 * garbage collection took most of the time (measured: 50,000 pending, 61 %
 * of CPU in GC and a third of the throughput of 1,000 pending).
 */
const MAX_IN_FLIGHT_RECORDS = 1_000;
const IN_FLIGHT_BYTES = 32 * MB;

interface Options {
  bootstrap: string;
  topic: string;
  numRecords: number;
  recordSize: number;
  throughput: number;
  acks: -1 | 0 | 1;
  compression: ReturnType<typeof compressionFlag>;
  batchSize: number | undefined;
  lingerMs: number | undefined;
}

/** Runs `samsa perf produce`; resolves with the exit code. */
export async function runPerfProduce(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const opts = parseOptions(argv);
  const producer = await connectProducer(opts.bootstrap, {
    acks: opts.acks,
    compression: opts.compression,
    batchSize: opts.batchSize,
    lingerMs: opts.lingerMs,
  });
  try {
    return await run(producer, opts);
  } finally {
    await producer.disconnect().catch(() => {});
  }
}

function parseOptions(argv: string[]): Options {
  const { values, positionals } = parseFlags('perf produce', joinNegativeValues(argv, new Set(['--throughput'])), {
    'bootstrap-server': { type: 'string', short: 'b' },
    topic: { type: 'string', short: 't' },
    'num-records': { type: 'string', short: 'n' },
    'record-size': { type: 'string', short: 's' },
    throughput: { type: 'string' },
    acks: { type: 'string', short: 'a' },
    compression: { type: 'string', short: 'z' },
    'batch-size': { type: 'string' },
    'linger-ms': { type: 'string' },
  });
  if (positionals.length > 0) throw new UsageError(`perf produce takes no arguments, got '${positionals[0]}'. Run 'samsa perf produce --help'.`);
  const topic = values.topic;
  if (topic === undefined || topic === '') throw new UsageError(`perf produce needs --topic T (example: samsa perf produce --topic perf --num-records 100000 --record-size 1024)`);
  const throughput = intFlag('throughput', values.throughput, { min: -1 }) ?? -1;
  if (throughput === 0) throw new UsageError(`--throughput expects records/s > 0, or -1 for no limit; got 0`);
  return {
    bootstrap: bootstrapServer(values['bootstrap-server']),
    topic,
    numRecords: requiredIntFlag('perf produce', 'num-records', values['num-records'], { min: 1 }),
    recordSize: requiredIntFlag('perf produce', 'record-size', values['record-size'], { min: 0, max: 100 * MB }),
    throughput,
    acks: acksFlag(values.acks),
    compression: compressionFlag(values.compression),
    batchSize: intFlag('batch-size', values['batch-size'], { min: 1, max: 2_147_483_647 }),
    lingerMs: intFlag('linger-ms', values['linger-ms'], { min: 0, max: 2_147_483_647 }),
  };
}

/** Latencies of the current reporting window. */
class Window {
  count = 0;
  sumMs = 0;
  maxMs = 0;
  readonly startMs = performance.now();

  record(ms: number): void {
    this.count++;
    this.sumMs += ms;
    if (ms > this.maxMs) this.maxMs = ms;
  }
}

function rateLine(count: number, recordSize: number, elapsedMs: number, avgMs: number, maxMs: number): string {
  const seconds = Math.max(elapsedMs, 1e-3) / 1000;
  return `${count} records sent, ${(count / seconds).toFixed(1)} records/sec (${((count * recordSize) / MB / seconds).toFixed(2)} MB/sec), ${avgMs.toFixed(2)} ms avg latency, ${maxMs.toFixed(2)} ms max latency`;
}

async function run(producer: Producer, opts: Options): Promise<number> {
  const payload = Buffer.allocUnsafe(opts.recordSize);
  for (let i = 0; i < payload.length; i++) payload[i] = 65 + Math.floor(Math.random() * 26);
  const stats = new LatencyRecorder(opts.numRecords);
  const maxInFlight = Math.max(1, Math.min(MAX_IN_FLIGHT_RECORDS, Math.floor(IN_FLIGHT_BYTES / Math.max(1, opts.recordSize))));
  let window = new Window();
  let inFlight = 0;
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  const report = setInterval(() => {
    const w = window;
    window = new Window();
    process.stdout.write(`${rateLine(w.count, opts.recordSize, performance.now() - w.startMs, w.count === 0 ? 0 : w.sumMs / w.count, w.maxMs)}.\n`);
  }, REPORT_INTERVAL_MS);
  const startMs = performance.now();
  try {
    for (let i = 0; i < opts.numRecords && failure === null; i++) {
      if (opts.throughput > 0) {
        const ahead = startMs + (i * 1000) / opts.throughput - performance.now();
        if (ahead >= 1) await sleep(ahead);
      }
      while (inFlight >= maxInFlight && failure === null) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      if (failure !== null) break;
      const sentMs = performance.now();
      inFlight++;
      producer.send({ topic: opts.topic, messages: [{ value: payload }] }).then(
        () => {
          const ms = performance.now() - sentMs;
          stats.record(ms);
          window.record(ms);
        },
        (err: unknown) => {
          failure ??= err;
        },
      ).finally(() => {
        inFlight--;
        const w = wake;
        wake = null;
        w?.();
      });
    }
    while (inFlight > 0) {
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    clearInterval(report);
  }
  const elapsedMs = performance.now() - startMs;
  const s = stats.summary();
  process.stdout.write(
    `${rateLine(s.count, opts.recordSize, elapsedMs, s.avgMs, s.maxMs)}, ${s.p50Ms.toFixed(2)} ms 50th, ${s.p95Ms.toFixed(2)} ms 95th, ${s.p99Ms.toFixed(2)} ms 99th, ${s.p999Ms.toFixed(2)} ms 99.9th.\n`,
  );
  const histogram = formatHistogram(stats.histogram());
  if (histogram !== '') process.stdout.write(`\nLatency histogram (send to acknowledgement, ${s.count} records):\n${histogram}`);
  if (failure !== null) {
    throw sendFailed(failure, opts.topic, s.count, opts.numRecords);
  }
  return 0;
}
