import { randomBytes } from 'node:crypto';

/**
 * A record as the client drivers exchange it in JSON: bytes as base64, null kept as null.
 * Header keys are strings (as in Kafka); header order is kept.
 */
export interface WireRecord {
  key: string | null;
  value: string | null;
  headers: Array<[string, string | null]>;
  /** Milliseconds since the epoch, or null to let the client pick (create time = now). */
  timestamp: number | null;
  /** Target partition, if the writer should not use its partitioner. */
  partition?: number;
}

/** A record as read back by a consumer driver. */
export interface ConsumedRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  headers: Array<[string, string | null]>;
  timestamp: number;
}

/** Compression codecs by their Kafka names. */
export type Codec = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

/** All codecs of the record batch format. */
export const allCodecs: readonly Codec[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

export const b64 = (data: Buffer | string): string => Buffer.from(data).toString('base64');
export const unb64 = (data: string): Buffer => Buffer.from(data, 'base64');
export const b64OrNull = (data: Buffer | string | null | undefined): string | null =>
  data === null || data === undefined ? null : b64(data);

/** Topic names unique per run and per test. */
export function uniqueTopic(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/**
 * A deterministic byte string of `size` bytes covering every byte value except the kcat
 * delimiter bytes 0x1d-0x1f (see run-kcat.ts), so every client driver can write it.
 */
export function binaryBytes(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    let byte = i < 256 ? i : x & 0xff;
    if (byte >= 0x1d && byte <= 0x1f) byte = 0x20;
    out[i] = byte;
  }
  return out;
}

/**
 * The records every client writes and reads in the compat suite: a keyed record with
 * headers, a tombstone (null value), a null key with binary value, a compressible 20 KiB
 * value, UTF-8 keys/headers and an empty (non-null) value. Header names and values avoid
 * ',' and '=' because kcat prints headers as `n=v,n=v`. Timestamps are explicit, a minute
 * in the past (recent, so time-based retention never touches them).
 */
export function sampleRecords(tag: string, partition = 0): WireRecord[] {
  const base = Date.now() - 60_000;
  return [
    {
      key: b64(`key-${tag}`),
      value: b64(`value of ${tag}`),
      headers: [
        ['h1', b64('v1')],
        ['h2', b64('')],
      ],
      timestamp: base,
      partition,
    },
    { key: b64(`tombstone-${tag}`), value: null, headers: [['deleted', b64('yes')]], timestamp: base + 1, partition },
    { key: null, value: b64(binaryBytes(300, 7)), headers: [], timestamp: base + 2, partition },
    { key: b64('big'), value: b64('compressible text '.repeat(1200)), headers: [], timestamp: base + 3, partition },
    {
      key: b64('ключ-ü'),
      value: b64('ünïcödé ✓'),
      headers: [['hdr-ü', b64('wert ö')]],
      timestamp: base + 4,
      partition,
    },
    { key: b64(`empty-${tag}`), value: b64(''), headers: [], timestamp: base + 5, partition },
  ];
}

/** The comparable part of a record: what a reader must reproduce byte for byte. */
export interface RecordContent {
  key: string | null;
  value: string | null;
  headers: Array<[string, string | null]>;
  timestamp?: number;
}

/** Strips a written or consumed record to its content (timestamp only when `withTimestamp`). */
export function content(r: WireRecord | ConsumedRecord, withTimestamp: boolean): RecordContent {
  const c: RecordContent = { key: r.key, value: r.value, headers: r.headers.map(([k, v]) => [k, v]) };
  if (withTimestamp && r.timestamp !== null) c.timestamp = r.timestamp;
  return c;
}

/** Sorts consumed records by partition then offset. */
export function byPosition(records: ConsumedRecord[]): ConsumedRecord[] {
  return [...records].sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}
