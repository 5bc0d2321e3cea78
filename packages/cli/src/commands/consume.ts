/**
 * `samsa consume`: prints the records of a topic, like Kafka's
 * kafka-console-consumer.sh, over the client library's consumer.
 *
 * Without --group the partitions are read directly (all, or --partition P)
 * from the start position given (--from-beginning, --offset N, --timestamp
 * ISO; the end by default) and nothing is committed. With --group the
 * consumer joins that group: its committed offsets decide where each
 * partition resumes (--from-beginning only applies to partitions without
 * one) and what was printed is committed.
 *
 * It stops after --max-messages, after --timeout-ms without a record, or on
 * SIGINT/SIGTERM, and then prints "Processed a total of N messages" to
 * stderr. Output: the value per line (text), or one JSON object per line
 * (json: topic, partition, offset, timestamp, key, value, headers; bytes
 * that are not UTF-8 as { "base64": ... }).
 *
 * Text output is the value's bytes as they are (not decoded: `\r`, invalid
 * UTF-8 and empty values pass through) followed by `\n`, `null` for a null
 * value, so what `samsa produce` wrote from a file that ends with a newline
 * reads back as that file byte for byte: from one partition (--partition P,
 * or a topic of one partition), --from-beginning, --max-messages = its line
 * count.
 *
 * Broker address: --bootstrap-server, else $SAMSA_BOOTSTRAP, else 127.0.0.1:9092.
 */
import { KafkaError, Kafka, type Consumer, type ConsumerMessage, type Logger } from '@samsa/client';
import { bootstrapServer, CLI_CLIENT_ID, connectTimeoutMs, unreachable, withAdmin } from '../broker-connection.js';
import { onClosedOutput } from '../closed-output.js';
import { CommandError } from '../command-error.js';
import { intFlag, parseFlags } from '../flags.js';
import { UsageError } from '../usage-error.js';

const USAGE = `usage: samsa consume --topic T [options]
  --topic, -t T              the topic to read (required)
  --from-beginning           start at the beginning (with --group: where the group has no committed offset)
  --offset N                 start at offset N of each partition read (no --group)
  --timestamp ISO|ms         start at the first record at or after this time (no --group)
  --partition, -p P          read only partition P (no --group)
  --group, -g G              join consumer group G: resume from its committed offsets, commit what was printed
  --max-messages, -n N       exit after N records
  --timeout-ms N             exit when no record arrived for N ms
  --format text|json         text: the value's bytes as they are, then a newline (default); json: one object per record
  --bootstrap-server, -b B   host:port[,host:port...] (default $SAMSA_BOOTSTRAP or 127.0.0.1:9092)
`;

/** Where reading starts when there is no group. */
type Start = { kind: 'beginning' } | { kind: 'end' } | { kind: 'offset'; offset: number } | { kind: 'timestamp'; timestamp: number };

/** Parsed and checked `samsa consume` arguments. */
interface ConsumeArgs {
  topic: string;
  bootstrap: string;
  group: string | null;
  partition: number | null;
  start: Start;
  maxMessages: number | null;
  timeoutMs: number | null;
  format: 'text' | 'json';
}

/**
 * The topic's partition count, from an admin connection that also proves the
 * broker is reachable (the consumer's own bootstrap retries would take seconds
 * to give up on an address where nothing listens). A missing topic is a
 * CommandError with the fix.
 */
export async function topicPartitions(bootstrap: string, topic: string): Promise<number> {
  return withAdmin(bootstrap, async (admin) => {
    try {
      const [t] = await admin.describeTopics([topic]);
      return t.partitions.length;
    } catch (err) {
      const first = err instanceof AggregateError ? err.errors[0] : err;
      if (first instanceof KafkaError && first.type === 'UNKNOWN_TOPIC_OR_PARTITION') {
        throw new CommandError(`topic '${topic}' does not exist. Create it with 'samsa topic create ${topic}' or check the name with 'samsa topic list'`, { cause: err });
      }
      throw err;
    }
  });
}

/** A consumer of the CLI: its warnings as `samsa: warning:` lines, the CLI's connect bound. */
export function cliConsumer(bootstrap: string, options: Parameters<Kafka['consumer']>[0]): Consumer {
  const kafka = new Kafka({ brokers: bootstrap, clientId: CLI_CLIENT_ID, connectionTimeoutMs: connectTimeoutMs(), requestTimeoutMs: 30_000, logger: cliLogger });
  return kafka.consumer(options);
}

/** Connects `consumer`, reporting an unreachable broker like every other command. */
export async function connectConsumer(consumer: Consumer, bootstrap: string): Promise<void> {
  try {
    await consumer.connect();
  } catch (err) {
    throw unreachable(bootstrap, err);
  }
}

function parse(argv: string[]): ConsumeArgs {
  const parsed = parseFlags('consume', argv, {
    topic: { type: 'string', short: 't' },
    'from-beginning': { type: 'boolean' },
    offset: { type: 'string' },
    timestamp: { type: 'string' },
    partition: { type: 'string', short: 'p' },
    group: { type: 'string', short: 'g' },
    'max-messages': { type: 'string', short: 'n' },
    'timeout-ms': { type: 'string' },
    format: { type: 'string' },
    'bootstrap-server': { type: 'string', short: 'b' },
  });
  if (parsed.positionals.length > 0) throw new UsageError(`consume takes no arguments, got '${parsed.positionals[0]}' (name the topic with --topic ${parsed.positionals[0]})`);
  const v = parsed.values;
  if (v.topic === undefined || v.topic === '') throw new UsageError("consume needs --topic, e.g. 'samsa consume --topic orders --from-beginning'");
  const starts = (['from-beginning', 'offset', 'timestamp'] as const).filter((k) => v[k] !== undefined && v[k] !== false);
  if (starts.length > 1) throw new UsageError(`give one start position, not ${starts.map((s) => `--${s}`).join(' and ')}`);
  if (v.group !== undefined) {
    if (v.group === '') throw new UsageError('--group expects a group id');
    if (v.partition !== undefined) throw new UsageError('--partition reads partitions directly and cannot be combined with --group (the group assigns partitions)');
    if (v.offset !== undefined || v.timestamp !== undefined) {
      throw new UsageError(
        `--${v.offset !== undefined ? 'offset' : 'timestamp'} cannot be combined with --group: the group's committed offsets decide where it resumes (move them with 'samsa group reset-offsets')`,
      );
    }
  }
  let start: Start = v['from-beginning'] === true ? { kind: 'beginning' } : { kind: 'end' };
  if (v.offset !== undefined) start = { kind: 'offset', offset: intFlag('offset', v.offset, { min: 0 }) as number };
  if (v.timestamp !== undefined) {
    const ms = /^\d+$/.test(v.timestamp) ? Number(v.timestamp) : Date.parse(v.timestamp);
    if (!Number.isSafeInteger(ms) || ms < 0) throw new UsageError(`--timestamp expects an ISO-8601 time (2024-05-01T12:00:00Z) or ms since the epoch, got '${v.timestamp}'`);
    start = { kind: 'timestamp', timestamp: ms };
  }
  const format = v.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format expects text or json, got '${format}'`);
  return {
    topic: v.topic,
    bootstrap: bootstrapServer(v['bootstrap-server']),
    group: v.group ?? null,
    partition: intFlag('partition', v.partition, { min: 0, max: 2_147_483_647 }) ?? null,
    start,
    maxMessages: intFlag('max-messages', v['max-messages'], { min: 1 }) ?? null,
    timeoutMs: intFlag('timeout-ms', v['timeout-ms'], { min: 1 }) ?? null,
    format,
  };
}

/** Bytes as a JSON value: the UTF-8 string when the bytes are valid UTF-8, else { base64 }. */
function jsonBytes(b: Buffer | null): string | { base64: string } | null {
  if (b === null) return null;
  const s = b.toString('utf8');
  return Buffer.byteLength(s, 'utf8') === b.length && Buffer.from(s, 'utf8').equals(b) ? s : { base64: b.toString('base64') };
}

const NEWLINE = Buffer.from('\n');
const NULL_LINE = Buffer.from('null\n');

/** One output line for `m`: text is the value's raw bytes (never decoded) and a newline. */
export function formatMessage(m: ConsumerMessage, format: 'text' | 'json'): Buffer | string {
  if (format === 'text') return m.value === null ? NULL_LINE : Buffer.concat([m.value, NEWLINE], m.value.length + 1);
  return `${JSON.stringify({
    topic: m.topic,
    partition: m.partition,
    offset: m.offset,
    timestamp: m.timestamp,
    timestampType: m.timestampType,
    key: jsonBytes(m.key),
    value: jsonBytes(m.value),
    headers: m.headerList.map((h) => ({ key: h.key, value: jsonBytes(h.value) })),
  })}\n`;
}

/** Writes to stdout, waiting while the pipe is full (so a slow reader slows the consumer, not memory) unless `stop` aborts. */
function write(line: Buffer | string, stop: AbortSignal): Promise<void> {
  if (process.stdout.write(line) || stop.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      process.stdout.off('drain', done);
      stop.removeEventListener('abort', done);
      resolve();
    };
    process.stdout.once('drain', done);
    stop.addEventListener('abort', done, { once: true });
  });
}

/** Runs `samsa consume`; resolves with the exit code, throws UsageError (bad flags) or CommandError (one line for main). */
export async function runConsume(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const args = parse(argv);
  const partitions = await topicPartitions(args.bootstrap, args.topic);
  if (args.partition !== null && args.partition >= partitions) {
    throw new UsageError(`topic '${args.topic}' has ${partitions} partition${partitions === 1 ? '' : 's'} (0-${partitions - 1}), not ${args.partition}`);
  }
  const consumer = cliConsumer(args.bootstrap, {
    groupId: args.group ?? undefined,
    allowAutoTopicCreation: false,
    autoOffsetReset: args.start.kind === 'beginning' ? 'earliest' : 'latest',
    maxWaitTimeMs: 200,
  });
  let failure: Error | null = null;
  consumer.on(consumer.events.CRASH, (e) => {
    failure = e.payload.error;
  });
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // `samsa consume | head`: a closed pipe ends the run quietly, after the consumer left its group.
  const offClosedOutput = onClosedOutput(() => stop.abort());
  let idle: NodeJS.Timeout | null = null;
  const armIdle = (): void => {
    if (args.timeoutMs === null) return;
    if (idle !== null) clearTimeout(idle);
    idle = setTimeout(() => stop.abort(), args.timeoutMs);
  };
  let count = 0;
  try {
    await connectConsumer(consumer, args.bootstrap);
    await prepare(consumer, args, partitions);
    armIdle();
    const last = new Map<number, number>();
    for await (const m of consumer.stream({ signal: stop.signal })) {
      await write(formatMessage(m, args.format), stop.signal);
      count++;
      last.set(m.partition, m.offset);
      armIdle();
      if (args.maxMessages !== null && count >= args.maxMessages) {
        // Leaving the loop does not count the last message as processed; commit what was printed.
        if (args.group !== null) await consumer.commitOffsets([...last].map(([partition, offset]) => ({ topic: args.topic, partition, offset: offset + 1 })));
        break;
      }
    }
  } catch (err) {
    failure ??= err as Error;
  } finally {
    if (idle !== null) clearTimeout(idle);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await consumer.disconnect().catch(() => {});
    offClosedOutput();
  }
  if (failure !== null) {
    const f: Error = failure;
    throw f instanceof CommandError || f instanceof KafkaError ? f : new CommandError(oneLine(f), { cause: f });
  }
  process.stderr.write(`Processed a total of ${count} message${count === 1 ? '' : 's'}\n`);
  return 0;
}

/** Subscribes (group) or assigns and positions the partitions (no group). */
async function prepare(consumer: Consumer, args: ConsumeArgs, partitions: number): Promise<void> {
  if (args.group !== null) {
    await consumer.subscribe({ topics: [args.topic], fromBeginning: args.start.kind === 'beginning' });
    return;
  }
  const list = args.partition !== null ? [args.partition] : [...Array(partitions).keys()];
  await consumer.assign([{ topic: args.topic, partitions: list }]);
  for (const partition of list) {
    const s = args.start;
    if (s.kind === 'offset') consumer.seek({ topic: args.topic, partition, offset: s.offset });
    else if (s.kind === 'timestamp') consumer.seek({ topic: args.topic, partition, timestamp: s.timestamp });
    else consumer.seek({ topic: args.topic, partition, offset: s.kind === 'beginning' ? 'earliest' : 'latest' });
  }
}

/** Warnings and errors on stderr, one line each; lasting failures are reported once at the end instead. */
export const cliLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: (message, fields) => {
    const cause = fields?.error instanceof Error ? `: ${oneLine(fields.error)}` : '';
    process.stderr.write(`samsa: warning: ${message}${cause}\n`);
  },
  error: () => {},
};

function oneLine(err: Error): string {
  return err.message.split('\n')[0];
}
