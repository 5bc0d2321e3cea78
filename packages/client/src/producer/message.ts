/**
 * What users hand to `send()`, in the shape kafkajs users know, and its
 * conversion to the records the producer batches.
 */
import { CompressionCodec, type RecordHeader } from '@samsa/protocol';
import { ClientError } from '../client-error.js';
import type { PendingRecord } from './producer-batch.js';

/**
 * Record headers: an object (kafkajs' `IHeaders`; an array value repeats the
 * header, `null`/`undefined` is a null value) or, to control order exactly
 * (JavaScript objects list integer-like keys first), a list of pairs.
 */
export type MessageHeaders =
  | { [key: string]: Buffer | string | null | undefined | ReadonlyArray<Buffer | string> }
  | ReadonlyArray<{ key: string; value: Buffer | string | null }>;

/** One record to send. Strings are encoded as UTF-8. */
export interface Message {
  key?: Buffer | string | null;
  /** `null` writes a tombstone. */
  value: Buffer | string | null;
  headers?: MessageHeaders;
  /** The partition to write to; the partitioner decides when omitted. */
  partition?: number;
  /** Create time in ms since the epoch (number or numeric string, as kafkajs); now when omitted. */
  timestamp?: number | string;
}

/** Kafka's codec names, or the numeric codec ids (kafkajs' `CompressionTypes` values match). */
export type CompressionType = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd' | CompressionCodec;

/** acks: -1 = all in-sync replicas, 1 = the leader, 0 = no acknowledgement. */
export type Acks = -1 | 0 | 1;

/** Per-partition outcome of a send, as kafkajs' RecordMetadata (offsets are numbers here). */
export interface RecordMetadata {
  topicName: string;
  partition: number;
  /** Always 0 (NONE): failures reject the send instead. */
  errorCode: number;
  /** Offset of the first record of this send in this partition; -1 with acks=0. */
  baseOffset: number;
  /** Broker time of the append when the topic uses LogAppendTime, else -1. */
  logAppendTimeMs: number;
  /** The partition's log start offset at the append (-1 when unknown). */
  logStartOffset: number;
}

const CODECS: Record<string, CompressionCodec> = {
  none: CompressionCodec.None,
  gzip: CompressionCodec.Gzip,
  snappy: CompressionCodec.Snappy,
  lz4: CompressionCodec.Lz4,
  zstd: CompressionCodec.Zstd,
};

/** The codec for a {@link CompressionType}; throws SAMSA_ERR_INVALID_CONFIG for anything else. */
export function toCodec(c: CompressionType | undefined, fallback: CompressionCodec): CompressionCodec {
  if (c === undefined) return fallback;
  if (typeof c === 'string' && Object.hasOwn(CODECS, c)) return CODECS[c];
  if (typeof c === 'number' && Number.isInteger(c) && c >= CompressionCodec.None && c <= CompressionCodec.Zstd) return c;
  throw new ClientError('SAMSA_ERR_INVALID_CONFIG', `compression must be one of none, gzip, snappy, lz4, zstd (or 0-4), got ${String(c)}`);
}

/** Checks an acks value; throws SAMSA_ERR_INVALID_CONFIG. */
export function toAcks(a: number | undefined, fallback: Acks): Acks {
  if (a === undefined) return fallback;
  if (a === -1 || a === 0 || a === 1) return a;
  throw new ClientError('SAMSA_ERR_INVALID_CONFIG', `acks must be -1 (all), 0 or 1, got ${String(a)}`);
}

/**
 * A key, value or header value as a Buffer. `where`, `what` and the
 * header's name name it in the error; they are joined only then, since this
 * runs for every record.
 */
function bytes(v: Buffer | string | null | undefined, where: Where, what: 'key' | 'value' | 'header', headerKey = ''): Buffer | null {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return v;
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  const u: unknown = v;
  if (u instanceof Uint8Array) return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
  const name = what === 'header' ? `header ${headerKey}` : what;
  throw new ClientError('SAMSA_ERR_INVALID_MESSAGE', `${where.text()}: ${name} must be a Buffer, a string or null, got ${typeof v}`);
}

/** Names a message in errors ("orders message 3"), built only when an error needs it. */
class Where {
  readonly #topic: string;
  readonly #index: number;

  constructor(topic: string, index: number) {
    this.#topic = topic;
    this.#index = index;
  }

  text(): string {
    return `${this.#topic} message ${this.#index}`;
  }
}

const NO_HEADERS: RecordHeader[] = [];

function headersOf(h: MessageHeaders | undefined, where: Where): RecordHeader[] {
  if (h === undefined || h === null) return NO_HEADERS;
  if (Array.isArray(h)) {
    return (h as ReadonlyArray<{ key: string; value: Buffer | string | null }>).map((pair, i) => {
      if (pair === null || typeof pair !== 'object' || typeof pair.key !== 'string') {
        throw new ClientError('SAMSA_ERR_INVALID_MESSAGE', `${where.text()}: headers[${i}] must be { key: string, value }`);
      }
      return { key: pair.key, value: bytes(pair.value, where, 'header', pair.key) };
    });
  }
  if (typeof h !== 'object') throw new ClientError('SAMSA_ERR_INVALID_MESSAGE', `${where.text()}: headers must be an object or a list of { key, value }`);
  const out: RecordHeader[] = [];
  for (const [key, v] of Object.entries(h)) {
    if (Array.isArray(v)) for (const one of v as ReadonlyArray<Buffer | string>) out.push({ key, value: bytes(one, where, 'header', key) });
    else out.push({ key, value: bytes(v as Buffer | string | null | undefined, where, 'header', key) });
  }
  return out;
}

/** A validated message: the record plus the partition the user asked for (-1 = partitioner). */
export interface NormalizedMessage {
  record: PendingRecord;
  partition: number;
  /** Upper bound of the record's encoded size; set by the producer (0 until then). */
  bytes: number;
}

/**
 * Validates and converts message `index` of a send to `topic` (both name it
 * in errors); `nowMs` is the default timestamp.
 */
export function normalizeMessage(m: Message, nowMs: number, topic: string, index: number): NormalizedMessage {
  const where = new Where(topic, index);
  if (m === null || typeof m !== 'object') throw new ClientError('SAMSA_ERR_INVALID_MESSAGE', `${where.text()} must be an object with a value`);
  let timestamp = nowMs;
  if (m.timestamp !== undefined && m.timestamp !== null) {
    timestamp = typeof m.timestamp === 'string' ? Number(m.timestamp) : m.timestamp;
    if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
      throw new ClientError('SAMSA_ERR_INVALID_MESSAGE', `${where.text()}: timestamp must be a whole number of ms >= 0, got ${String(m.timestamp)}`);
    }
  }
  let partition = -1;
  if (m.partition !== undefined && m.partition !== null) {
    if (!Number.isInteger(m.partition) || m.partition < 0) {
      throw new ClientError('SAMSA_ERR_INVALID_MESSAGE', `${where.text()}: partition must be a whole number >= 0, got ${String(m.partition)}`);
    }
    partition = m.partition;
  }
  return {
    record: { key: bytes(m.key, where, 'key'), value: bytes(m.value, where, 'value'), headers: headersOf(m.headers, where), timestamp },
    partition,
    bytes: 0,
  };
}
