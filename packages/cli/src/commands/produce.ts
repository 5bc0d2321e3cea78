/**
 * `samsa produce --topic T [--file F]`: one record per line of a file or of
 * stdin, written with the client's Producer (batching, compression,
 * idempotence with acks=all), then a summary on stdout.
 *
 * Lines are split at '\n' only and sent byte for byte ('\r' and non-UTF-8
 * bytes included; an empty line is an empty record; a last line without a
 * newline is a record), so consuming the topic's values back and joining them
 * with '\n' gives the file back. With --key-separator the part before its
 * first occurrence is the key; a line without it is an error, as in Kafka's
 * console producer.
 *
 * Progress: see progress.ts (a bar on stderr when it is a terminal, nothing
 * otherwise). Failures end the command with one line on stderr, saying how
 * many records were acknowledged before it.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { KafkaError, type Message, type Producer, type RecordMetadata } from '@samsa/client';
import { bootstrapServer, withAdmin } from '../broker-connection.js';
import { connectProducer, sendFailed } from '../cli-producer.js';
import { CommandError } from '../command-error.js';
import { acksFlag, compressionFlag, intFlag, keyValueFlag, parseFlags } from '../flags.js';
import { LineSplitter } from '../line-splitter.js';
import { Progress } from '../progress.js';
import { UsageError } from '../usage-error.js';

const USAGE = `usage: samsa produce --topic T [--file F] [options]
  Writes one record per line of F (or of stdin) to topic T and prints a summary.
  -t, --topic T              topic to write to (required)
  -f, --file F               read F instead of stdin
  -K, --key-separator SEP    split each line at the first SEP into key and value ('\\t' for a tab)
  -H, --header k=v           add this header to every record (repeatable)
  -z, --compression C        none (default), gzip, snappy, lz4 or zstd
  -a, --acks A               all (default, idempotent), 1 or 0
  -p, --partition N          write every record to partition N (default: keyed records by
                             murmur2 of the key, keyless ones sticky)
      --batch-size B         producer batch size in bytes (default 524288)
      --linger-ms MS         how long a batch waits for more records (default 0)
  -b, --bootstrap-server host:port   (default $SAMSA_BOOTSTRAP or 127.0.0.1:9092)
A progress bar is drawn on stderr when it is a terminal (not when it is a pipe or a file).
`;

/** Bytes of input read but not yet acknowledged before reading pauses. */
const MAX_UNACKED_BYTES = 16 * 1_048_576;
/** A line longer than this is refused instead of being held in memory. */
const MAX_LINE_BYTES = 64 * 1_048_576;
const READ_CHUNK_BYTES = 1_048_576;
/** Bigger than the producer's 16 KiB default: the CLI writes in bulk, and one partition gets one batch per request. */
const DEFAULT_BATCH_SIZE = 512 * 1024;

interface Options {
  bootstrap: string;
  topic: string;
  file: string | null;
  keySeparator: Buffer | null;
  headers: { key: string; value: string }[];
  compression: ReturnType<typeof compressionFlag>;
  acks: -1 | 0 | 1;
  partition: number | undefined;
  batchSize: number;
  lingerMs: number;
}

/** Runs `samsa produce`; resolves with the exit code (130 after Ctrl-C). */
export async function runProduce(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const opts = parseOptions(argv);

  // Open the input before connecting: a missing file is reported without waiting for a broker.
  let file: FileHandle | null = null;
  let totalBytes: number | null = null;
  if (opts.file !== null) {
    try {
      file = await open(opts.file, 'r');
      const st = await file.stat();
      if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      totalBytes = st.isFile() ? st.size : null;
    } catch (err) {
      await file?.close();
      throw new CommandError(`cannot read --file ${opts.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  try {
    await checkTopic(opts);
    return await produce(opts, file, totalBytes);
  } finally {
    await file?.close().catch(() => {});
  }
}

function parseOptions(argv: string[]): Options {
  const { values, positionals } = parseFlags('produce', argv, {
    'bootstrap-server': { type: 'string', short: 'b' },
    topic: { type: 'string', short: 't' },
    file: { type: 'string', short: 'f' },
    'key-separator': { type: 'string', short: 'K' },
    header: { type: 'string', short: 'H', multiple: true },
    compression: { type: 'string', short: 'z' },
    acks: { type: 'string', short: 'a' },
    partition: { type: 'string', short: 'p' },
    'batch-size': { type: 'string' },
    'linger-ms': { type: 'string' },
  });
  if (positionals.length > 0) throw new UsageError(`produce takes no arguments, got '${positionals[0]}' (read a file with --file ${positionals[0]})`);
  const topic = values.topic;
  if (topic === undefined || topic === '') throw new UsageError(`produce needs --topic T (example: samsa produce --topic orders --file orders.txt)`);
  const sep = values['key-separator'];
  if (sep === '') throw new UsageError(`--key-separator must not be empty (example: --key-separator :)`);
  const acks = acksFlag(values.acks);
  return {
    bootstrap: bootstrapServer(values['bootstrap-server']),
    topic,
    file: values.file ?? null,
    keySeparator: sep === undefined ? null : Buffer.from(sep === '\\t' ? '\t' : sep),
    headers: (values.header ?? []).map((h) => {
      const [key, value] = keyValueFlag('header', h, 'source=cli');
      return { key, value };
    }),
    compression: compressionFlag(values.compression),
    acks,
    partition: intFlag('partition', values.partition, { min: 0, max: 2_147_483_647 }),
    batchSize: intFlag('batch-size', values['batch-size'], { min: 1, max: 2_147_483_647 }) ?? DEFAULT_BATCH_SIZE,
    lingerMs: intFlag('linger-ms', values['linger-ms'], { min: 0, max: 2_147_483_647 }) ?? 0,
  };
}

/**
 * Fails fast, before any input is read: an unreachable broker, or a
 * --partition the topic does not have. An unknown topic is left to the
 * broker (it creates it when auto.create.topics.enable is on).
 */
async function checkTopic(opts: Options): Promise<void> {
  await withAdmin(opts.bootstrap, async (admin) => {
    let partitions: number;
    try {
      partitions = (await admin.describeTopics([opts.topic]))[0].partitions.length;
    } catch (err) {
      if (err instanceof KafkaError && err.type === 'UNKNOWN_TOPIC_OR_PARTITION') return;
      throw err;
    }
    if (opts.partition !== undefined && opts.partition >= partitions) {
      throw new CommandError(`topic ${opts.topic} has ${partitions} partition${partitions === 1 ? '' : 's'} (0-${partitions - 1}); --partition ${opts.partition} does not exist`);
    }
  });
}

async function produce(opts: Options, file: FileHandle | null, totalBytes: number | null): Promise<number> {
  const producer = await connectProducer(opts.bootstrap, { acks: opts.acks, compression: opts.compression, batchSize: opts.batchSize, lingerMs: opts.lingerMs });
  const input: Readable = file !== null ? file.createReadStream({ highWaterMark: READ_CHUNK_BYTES, autoClose: false }) : process.stdin;
  if (file === null && process.stdin.isTTY) process.stderr.write('Reading records from the terminal, one per line; end with Ctrl-D.\n');
  const progress = new Progress(process.stderr, totalBytes);
  const state = new SendWindow(producer, opts.topic);
  let interrupted = false;
  // Ctrl-C: stop reading, deliver what was read, print the summary; a second Ctrl-C kills.
  const onSigint = (): void => {
    interrupted = true;
    input.destroy();
  };
  process.once('SIGINT', onSigint);
  const startMs = performance.now();
  let bytesRead = 0;
  /** Bytes read since the last send, counted with the next one (a line may span chunks). */
  let unattributed = 0;
  let lineNumber = 0;
  const splitter = new LineSplitter(MAX_LINE_BYTES);
  const toMessage = (line: Buffer): Message => {
    lineNumber++;
    const m: Message = { value: line };
    if (opts.keySeparator !== null) {
      const at = line.indexOf(opts.keySeparator);
      if (at < 0) throw new CommandError(`line ${lineNumber} has no key separator '${opts.keySeparator.toString()}'`);
      m.key = line.subarray(0, at);
      m.value = line.subarray(at + opts.keySeparator.length);
    }
    if (opts.headers.length > 0) m.headers = opts.headers;
    if (opts.partition !== undefined) m.partition = opts.partition;
    return m;
  };
  let failure: unknown = null;
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      bytesRead += chunk.length;
      let lines: Buffer[];
      try {
        lines = splitter.push(chunk);
      } catch (err) {
        throw new CommandError(`line ${lineNumber + 1}: ${(err as Error).message}`);
      }
      const messages: Message[] = [];
      let bad: unknown = null;
      for (const line of lines) {
        try {
          messages.push(toMessage(line));
        } catch (err) {
          bad = err;
          break;
        }
      }
      unattributed += chunk.length;
      if (messages.length > 0) {
        state.send(messages, unattributed);
        unattributed = 0;
      }
      if (bad !== null) throw bad;
      progress.update(state.acknowledgedBytes, state.acknowledged);
      await state.roomFor(MAX_UNACKED_BYTES);
      if (state.failure !== null || interrupted) break;
    }
    const last = splitter.end();
    if (last !== null && state.failure === null && !interrupted) state.send([toMessage(last)], unattributed);
  } catch (err) {
    if (!interrupted) failure = err;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  try {
    await producer.disconnect();
  } catch (err) {
    failure ??= err;
  }
  await state.settled();
  progress.update(state.acknowledgedBytes, state.acknowledged, true);
  progress.finish();
  failure ??= state.failure;
  if (failure !== null) {
    throw sendFailed(failure, opts.topic, state.acknowledged, state.sent);
  }
  const seconds = (performance.now() - startMs) / 1000;
  process.stdout.write(summary(opts.topic, state, bytesRead, seconds, opts.acks));
  return interrupted ? 130 : 0;
}

function summary(topic: string, state: SendWindow, bytes: number, seconds: number, acks: number): string {
  const perSecond = (n: number): string => (seconds > 0 ? (n / seconds).toFixed(1) : '-');
  let out = `Produced ${state.acknowledged} records (${bytes} bytes of input) to ${topic} in ${seconds.toFixed(2)} s: ${perSecond(state.acknowledged)} records/s, ${perSecond(bytes / 1_048_576)} MiB/s.\n`;
  const starts = [...state.firstOffsets].sort((a, b) => a[0] - b[0]);
  if (acks !== 0 && starts.length > 0) out += `Partitions written: ${starts.map(([p, o]) => `${p} (from offset ${o})`).join(', ')}.\n`;
  return out;
}

/**
 * The sends in flight: each read chunk's lines are one send; reading waits
 * while too many input bytes are unacknowledged. Sends of one partition are
 * written in the order they were called (the producer's guarantee).
 */
class SendWindow {
  readonly #producer: Producer;
  readonly #topic: string;
  readonly #pending = new Set<Promise<void>>();
  #unackedBytes = 0;
  #wake: (() => void) | null = null;
  sent = 0;
  acknowledged = 0;
  /** Input bytes (newlines included) of the acknowledged sends. */
  acknowledgedBytes = 0;
  failure: unknown = null;
  /** Partition → offset of its first record written by this command. */
  readonly firstOffsets = new Map<number, number>();

  constructor(producer: Producer, topic: string) {
    this.#producer = producer;
    this.#topic = topic;
  }

  send(messages: Message[], bytes: number): void {
    this.sent += messages.length;
    this.#unackedBytes += bytes;
    const p = this.#producer.send({ topic: this.#topic, messages }).then(
      (meta: RecordMetadata[]) => {
        this.acknowledged += messages.length;
        this.acknowledgedBytes += bytes;
        for (const m of meta) {
          const known = this.firstOffsets.get(m.partition);
          if (m.baseOffset >= 0 && (known === undefined || m.baseOffset < known)) this.firstOffsets.set(m.partition, m.baseOffset);
        }
      },
      (err: unknown) => {
        this.failure ??= err;
      },
    );
    const tracked = p.finally(() => {
      this.#unackedBytes -= bytes;
      this.#pending.delete(tracked);
      const wake = this.#wake;
      this.#wake = null;
      wake?.();
    });
    this.#pending.add(tracked);
  }

  /** Resolves once at most `limit` bytes are unacknowledged (or a send failed). */
  async roomFor(limit: number): Promise<void> {
    while (this.#unackedBytes > limit && this.failure === null) {
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }
}
