import { runProcess, type ProcessResult } from './run-process.js';
import { b64, unb64, type Codec, type ConsumedRecord, type WireRecord } from './records.js';

// kcat reads messages from stdin split by -D and keys by -K. These delimiters never occur
// in the suite's data (binaryBytes avoids 0x1d-0x1f), so keys and values may be binary.
const keyDelimiter = Buffer.from([0x1f, 0x1e]);
const messageDelimiter = Buffer.from([0x1e, 0x1f, 0x1d]);
const keyDelimiterArg = '\\x1f\\x1e';
const messageDelimiterArg = '\\x1e\\x1f\\x1d';

/** Runs kcat with a hard timeout; rejects with stderr when it exits non-zero. */
export async function runKcat(args: string[], options: { input?: Buffer | string; timeoutMs: number }): Promise<ProcessResult> {
  const result = await runProcess('kcat', args, options);
  if (result.code !== 0) {
    throw new Error(`kcat ${args.join(' ')} exited with ${result.code ?? result.signal}\n--- stderr ---\n${result.stderr.slice(-4000)}`);
  }
  return result;
}

/** Options of {@link kcatProduce}. */
export interface KcatProduceOptions {
  compression?: Codec;
  /** Extra `-X key=value` librdkafka properties. */
  config?: Record<string, string | number>;
  timeoutMs?: number;
}

function configArgs(config: Record<string, string | number> | undefined): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(config ?? {})) out.push('-X', `${k}=${String(v)}`);
  return out;
}

function frame(record: WireRecord): Buffer {
  const value = record.value === null ? Buffer.alloc(0) : unb64(record.value);
  const key = record.key === null ? null : unb64(record.key);
  for (const p of key === null ? [value] : [key, value]) {
    if (p.includes(keyDelimiter) || p.includes(messageDelimiter)) throw new Error('kcat: record contains a delimiter');
  }
  return Buffer.concat(key === null ? [value, messageDelimiter] : [key, keyDelimiter, value, messageDelimiter]);
}

function groupKey(r: WireRecord): string {
  return JSON.stringify([r.headers, r.partition ?? null, r.value === null]);
}

/**
 * Produces records with `kcat -P`. kcat applies -H headers and -p to a whole invocation, so
 * consecutive records sharing headers, partition and null-ness of the value go in one run;
 * order is kept. kcat cannot set timestamps (the broker sees create time = now). Limits:
 * a null value needs `-Z`, which also turns an empty key into NULL, so a tombstone must have
 * a non-empty key; a null key is written by leaving out the key delimiter.
 */
export async function kcatProduce(bootstrap: string, topic: string, records: WireRecord[], options: KcatProduceOptions = {}): Promise<void> {
  const groups: WireRecord[][] = [];
  for (const r of records) {
    const last = groups[groups.length - 1];
    if (last !== undefined && groupKey(last[0]) === groupKey(r)) last.push(r);
    else groups.push([r]);
  }
  for (const group of groups) {
    const first = group[0];
    const args = ['-P', '-b', bootstrap, '-t', topic, '-K', keyDelimiterArg, '-D', messageDelimiterArg, '-m', '10'];
    args.push('-X', `compression.codec=${options.compression ?? 'none'}`, ...configArgs(options.config));
    if (first.partition !== undefined) args.push('-p', String(first.partition));
    if (first.value === null) {
      if (group.some((r) => r.key === null || unb64(r.key).length === 0)) throw new Error('kcat: a tombstone needs a non-empty key');
      args.push('-Z');
    }
    for (const [name, value] of first.headers) {
      if (value === null) throw new Error('kcat: null header values are not supported');
      args.push('-H', `${name}=${unb64(value).toString()}`);
    }
    await runKcat(args, { input: Buffer.concat(group.map(frame)), timeoutMs: options.timeoutMs ?? 30_000 });
  }
}

/** Options of {@link kcatConsume}. */
export interface KcatConsumeOptions {
  /** Only this partition; all partitions otherwise. */
  partition?: number;
  /** `-o` value; `beginning` by default. */
  offset?: string;
  /** Stop after this many records (-c); kcat stops at the end of every partition anyway (-e). */
  count?: number;
  config?: Record<string, string | number>;
  timeoutMs?: number;
}

/**
 * Consumes with `kcat -C -e` (exits at the end of the partitions) in a length-prefixed
 * format, so binary keys and values survive: a line `partition offset timestamp keyLen
 * valueLen headers` (-1 length = NULL, headers as `n=v,n=v`) followed by key, value and '\n'.
 */
export async function kcatConsume(bootstrap: string, topic: string, options: KcatConsumeOptions = {}): Promise<ConsumedRecord[]> {
  const args = ['-C', '-b', bootstrap, '-t', topic, '-o', options.offset ?? 'beginning', '-e', '-q', '-m', '10'];
  args.push('-f', '%p %o %T %K %S %h\\n%k%s\\n', ...configArgs(options.config));
  if (options.partition !== undefined) args.push('-p', String(options.partition));
  if (options.count !== undefined) args.push('-c', String(options.count));
  const { stdout } = await runKcat(args, { timeoutMs: options.timeoutMs ?? 60_000 });
  return parseKcatOutput(stdout);
}

/** Parses the output of {@link kcatConsume}'s format. */
export function parseKcatOutput(out: Buffer): ConsumedRecord[] {
  const records: ConsumedRecord[] = [];
  let pos = 0;
  while (pos < out.length) {
    const nl = out.indexOf(0x0a, pos);
    if (nl < 0) throw new Error(`kcat output: truncated header at byte ${pos}`);
    const line = out.subarray(pos, nl).toString();
    const m = /^(\d+) (\d+) (-?\d+) (-?\d+) (-?\d+) ?(.*)$/.exec(line);
    if (m === null) throw new Error(`kcat output: bad header line ${JSON.stringify(line)}`);
    const keyLen = Number(m[4]);
    const valueLen = Number(m[5]);
    let p = nl + 1;
    const key = keyLen < 0 ? null : out.subarray(p, p + keyLen);
    p += Math.max(0, keyLen);
    const value = valueLen < 0 ? null : out.subarray(p, p + valueLen);
    p += Math.max(0, valueLen);
    if (out[p] !== 0x0a) throw new Error(`kcat output: missing record terminator at byte ${p}`);
    pos = p + 1;
    const headers: Array<[string, string | null]> = [];
    if (m[6] !== '') {
      for (const pair of m[6].split(',')) {
        const eq = pair.indexOf('=');
        headers.push(eq < 0 ? [pair, null] : [pair.slice(0, eq), b64(pair.slice(eq + 1))]);
      }
    }
    records.push({
      partition: Number(m[1]),
      offset: Number(m[2]),
      timestamp: Number(m[3]),
      key: key === null ? null : b64(key),
      value: value === null ? null : b64(value),
      headers,
    });
  }
  return records;
}

/** Topic metadata from `kcat -L -J`. */
export interface KcatTopicMetadata {
  topic: string;
  partitions: Array<{ partition: number; leader: number }>;
  error?: string;
}

/** `kcat -L -J -t topic`: the topic's partitions (kcat's metadata request may auto-create it). */
export async function kcatMetadata(bootstrap: string, topic: string, timeoutMs = 20_000): Promise<KcatTopicMetadata> {
  const { stdout } = await runKcat(['-L', '-J', '-b', bootstrap, '-t', topic, '-m', '10'], { timeoutMs });
  const parsed = JSON.parse(stdout.toString()) as { topics: KcatTopicMetadata[] };
  const found = parsed.topics.find((t) => t.topic === topic);
  if (found === undefined) throw new Error(`kcat -L: topic ${topic} missing`);
  return found;
}

/** `kcat -Q -t topic:partition:-2`: the earliest offset (log start) of a partition. */
export async function kcatEarliestOffset(bootstrap: string, topic: string, partition: number, timeoutMs = 20_000): Promise<number> {
  const { stdout } = await runKcat(['-Q', '-b', bootstrap, '-t', `${topic}:${partition}:-2`, '-m', '10'], { timeoutMs });
  const m = /offset (-?\d+)/.exec(stdout.toString());
  if (m === null) throw new Error(`kcat -Q: unexpected output ${stdout.toString()}`);
  return Number(m[1]);
}
