/**
 * `samsa perf consume`: a consumer load test in the manner of Kafka's
 * kafka-consumer-perf-test.sh. Reads --messages records of a topic with the
 * client library's consumer (eachBatch, no per-record work) and reports the
 * throughput.
 *
 * Without --group every partition is read from the beginning, nothing is
 * committed; with --group the consumer joins that group (fromBeginning for
 * partitions without a committed offset) and commits as usual, so the join
 * is part of the run.
 *
 * Output (stdout), one line, MB = 1,048,576 bytes as in Kafka's tool:
 *
 *   100000 records (97.66 MB) in 1.92 s: 52083.3 records/sec, 50.86 MB/sec; first record after 142 ms
 *
 * The time runs from the start of the command's consumer (connect, join,
 * start offsets included, as in Kafka's tool) to the last record handed to
 * the handler; "first record after" tells how much of it was spent before
 * the first record. Bytes are keys plus values, as Kafka's tool counts
 * them. --json prints the same numbers as one JSON object instead.
 */
import { performance } from 'node:perf_hooks';
import { bootstrapServer } from '../broker-connection.js';
import { CommandError } from '../command-error.js';
import { intFlag, parseFlags, requiredIntFlag } from '../flags.js';
import { UsageError } from '../usage-error.js';
import { cliConsumer, connectConsumer, topicPartitions } from './consume.js';

const USAGE = `usage: samsa perf consume --topic T --messages N [options]
  Reads N records of T and reports the consumer's throughput (like kafka-consumer-perf-test).
  -t, --topic T              topic to read (required)
  -n, --messages N           how many records to read (required)
  -g, --group G              read as a member of group G (default: no group, all partitions from the beginning)
      --timeout-ms MS        give up when no record arrives for MS ms (default 10000)
      --max-bytes B          bytes per fetch response (default 10485760)
      --max-bytes-per-partition B   bytes per partition in a fetch response (default 1048576)
      --json                 print the result as one JSON object
  -b, --bootstrap-server host:port   (default $SAMSA_BOOTSTRAP or 127.0.0.1:9092)
`;

const MB = 1_048_576;

/** The numbers of a run (also the --json output). */
export interface PerfConsumeResult {
  records: number;
  bytes: number;
  /** From the start (connect included) to the last record. */
  seconds: number;
  recordsPerSec: number;
  mbPerSec: number;
  /** From the start of the run (connect included) to the first record. */
  firstRecordAfterMs: number;
}

interface Options {
  bootstrap: string;
  topic: string;
  messages: number;
  group: string | null;
  timeoutMs: number;
  maxBytes: number | undefined;
  maxBytesPerPartition: number | undefined;
  json: boolean;
}

function parseOptions(argv: string[]): Options {
  const { values: v, positionals } = parseFlags('perf consume', argv, {
    topic: { type: 'string', short: 't' },
    messages: { type: 'string', short: 'n' },
    group: { type: 'string', short: 'g' },
    'timeout-ms': { type: 'string' },
    'max-bytes': { type: 'string' },
    'max-bytes-per-partition': { type: 'string' },
    json: { type: 'boolean' },
    'bootstrap-server': { type: 'string', short: 'b' },
  });
  if (positionals.length > 0) throw new UsageError(`perf consume takes no arguments, got '${positionals[0]}'`);
  if (v.topic === undefined || v.topic === '') throw new UsageError("perf consume needs --topic T. Run 'samsa perf consume --help'.");
  if (v.group === '') throw new UsageError('--group expects a group id');
  return {
    topic: v.topic,
    messages: requiredIntFlag('perf consume', 'messages', v.messages, { min: 1 }),
    group: v.group ?? null,
    timeoutMs: intFlag('timeout-ms', v['timeout-ms'], { min: 1 }) ?? 10_000,
    maxBytes: intFlag('max-bytes', v['max-bytes'], { min: 1 }),
    maxBytesPerPartition: intFlag('max-bytes-per-partition', v['max-bytes-per-partition'], { min: 1 }),
    json: v.json === true,
    bootstrap: bootstrapServer(v['bootstrap-server']),
  };
}

/** The result line (see the top of this file). */
export function formatPerfConsume(r: PerfConsumeResult): string {
  return `${r.records} records (${(r.bytes / MB).toFixed(2)} MB) in ${r.seconds.toFixed(2)} s: ${r.recordsPerSec.toFixed(1)} records/sec, ${r.mbPerSec.toFixed(2)} MB/sec; first record after ${Math.round(r.firstRecordAfterMs)} ms\n`;
}

/** Runs `samsa perf consume`; resolves with the exit code, throws UsageError or CommandError (reported by main). */
export async function runPerfConsume(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const o = parseOptions(argv);
  const partitions = await topicPartitions(o.bootstrap, o.topic);
  const started = performance.now();
  const consumer = cliConsumer(o.bootstrap, {
    groupId: o.group ?? undefined,
    allowAutoTopicCreation: false,
    autoOffsetReset: 'earliest',
    maxBytes: o.maxBytes,
    maxBytesPerPartition: o.maxBytesPerPartition,
    // Two fetches' worth per partition may wait: the handler does nothing, so this is the read-ahead.
    maxBufferedBytesPerPartition: 2 * (o.maxBytesPerPartition ?? 1_048_576),
    maxWaitTimeMs: 100,
  });
  let failure: Error | null = null;
  consumer.on(consumer.events.CRASH, (e) => {
    failure = e.payload.error;
  });
  let records = 0;
  let bytes = 0;
  let first = 0;
  let last = 0;
  let idle: NodeJS.Timeout | null = null;
  let settle!: () => void;
  const finished = new Promise<void>((resolve) => {
    settle = resolve;
  });
  const arm = (): void => {
    if (idle !== null) clearTimeout(idle);
    idle = setTimeout(settle, o.timeoutMs);
  };
  const onSignal = (): void => settle();
  process.once('SIGINT', onSignal);
  try {
    await connectConsumer(consumer, o.bootstrap);
    if (o.group !== null) await consumer.subscribe({ topics: [o.topic], fromBeginning: true });
    else await consumer.assign([{ topic: o.topic, partitions: [...Array(partitions).keys()] }]);
    arm();
    await consumer.run({
      partitionsConsumedConcurrently: Math.max(1, Math.min(partitions, 8)),
      eachBatch: async ({ batch }) => {
        if (records >= o.messages) return;
        const now = performance.now();
        if (records === 0) first = now;
        for (const m of batch.messages) {
          bytes += (m.key?.length ?? 0) + (m.value?.length ?? 0);
          if (++records >= o.messages) break;
        }
        last = performance.now();
        arm();
        if (records >= o.messages) settle();
      },
    });
    await finished;
  } finally {
    if (idle !== null) clearTimeout(idle);
    process.off('SIGINT', onSignal);
    await consumer.disconnect().catch(() => {});
  }
  if (failure !== null) throw new CommandError((failure as Error).message.split('\n')[0], { cause: failure });
  if (records === 0) throw new CommandError(`no records arrived from ${o.topic} within ${o.timeoutMs} ms (is it empty? write some with 'samsa perf produce --topic ${o.topic}')`);
  const seconds = Math.max(last - started, 1) / 1_000;
  const result: PerfConsumeResult = {
    records,
    bytes,
    seconds,
    recordsPerSec: records / seconds,
    mbPerSec: bytes / MB / seconds,
    firstRecordAfterMs: first - started,
  };
  process.stdout.write(o.json ? `${JSON.stringify(result)}\n` : formatPerfConsume(result));
  if (records < o.messages) {
    // The numbers above are real but the run is short of what was asked: say so and fail.
    process.stderr.write(`samsa: only ${records} of ${o.messages} records arrived (none for ${o.timeoutMs} ms after the last)\n`);
    return 1;
  }
  return 0;
}
