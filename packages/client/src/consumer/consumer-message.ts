/**
 * What the consumer hands to the application: one record with its topic,
 * partition and offset. Keys, values and header values are Buffers that
 * view the fetch response (no copy); keep a copy if you hold on to a value
 * for long, or the whole response stays in memory.
 */
import { TimestampType, type DecodedRecord, type RecordHeader } from '@samsa/protocol';

/** Record headers as kafkajs gives them: one entry per name, a repeated name as an array. */
export type ConsumerMessageHeaders = Record<string, Buffer | null | Array<Buffer | null>>;

/** One consumed record. Offsets and timestamps are numbers (kafkajs: strings). */
export interface ConsumerMessage {
  topic: string;
  partition: number;
  offset: number;
  /** Milliseconds since the epoch: the producer's create time, or the broker's append time (see `timestampType`). */
  timestamp: number;
  timestampType: 'CreateTime' | 'LogAppendTime';
  key: Buffer | null;
  /** `null` for a tombstone. */
  value: Buffer | null;
  /** Headers by name (kafkajs' shape); a name that occurs more than once maps to an array in record order. */
  headers: ConsumerMessageHeaders;
  /** The headers exactly as stored: in order, repeated names and null values kept. */
  headerList: RecordHeader[];
  /** The partition leader epoch the batch was written in (-1 when unknown). */
  leaderEpoch: number;
  /** Bytes of key, value and headers: what the message counts against the prefetch bound. */
  size: number;
}

/** Kafka-style per-record overhead (offset/timestamp deltas, lengths) added to the payload size. */
const RECORD_OVERHEAD_BYTES = 24;

function headersObject(list: readonly RecordHeader[]): ConsumerMessageHeaders {
  const out: ConsumerMessageHeaders = {};
  for (const h of list) {
    if (!Object.hasOwn(out, h.key)) {
      out[h.key] = h.value;
      continue;
    }
    const prev = out[h.key];
    if (Array.isArray(prev)) prev.push(h.value);
    else out[h.key] = [prev, h.value];
  }
  return out;
}

/** Builds the message of a decoded record. */
export function toConsumerMessage(
  topic: string,
  partition: number,
  r: DecodedRecord,
  timestampType: TimestampType,
  leaderEpoch: number,
): ConsumerMessage {
  let size = RECORD_OVERHEAD_BYTES + (r.key?.length ?? 0) + (r.value?.length ?? 0);
  for (const h of r.headers) size += h.key.length + (h.value?.length ?? 0);
  return {
    topic,
    partition,
    offset: r.offset,
    timestamp: r.timestamp,
    timestampType: timestampType === TimestampType.LogAppendTime ? 'LogAppendTime' : 'CreateTime',
    key: r.key,
    value: r.value,
    headers: r.headers.length === 0 ? {} : headersObject(r.headers),
    headerList: r.headers,
    leaderEpoch,
    size,
  };
}
