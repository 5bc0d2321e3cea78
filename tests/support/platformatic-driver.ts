import { Consumer, Producer, type Deserializers, type Serializers } from '@platformatic/kafka';
import { randomBytes } from 'node:crypto';
import { zstdCompressSync } from './zstd-probe.js';
import { b64OrNull, unb64, type Codec, type ConsumedRecord, type WireRecord } from './records.js';
import { waitFor } from './wait-for.js';

type Bytes = Buffer | null;

// Identity serde that keeps null: a serializer returning undefined is written as a null (-1)
// key/value/header by @platformatic/kafka.
const passthrough = (data?: Bytes): Buffer | undefined => data ?? undefined;
const serializers: Serializers<Bytes, Bytes, string, Bytes> = {
  key: passthrough,
  value: passthrough,
  headerKey: (data?: string) => (data === undefined ? undefined : Buffer.from(data)),
  headerValue: passthrough,
};
const deserializers: Deserializers<Bytes, Bytes, string, Bytes> = {
  key: (data?: Buffer) => data ?? null,
  value: (data?: Buffer) => data ?? null,
  headerKey: (data?: Buffer) => data?.toString() ?? '',
  headerValue: (data?: Buffer) => data ?? null,
};

/**
 * Codecs @platformatic/kafka 1.x can write here: zstd goes through node:zlib's zstd, which
 * Node 20 lacks (added in 22.15), so it is listed only where the runtime has it.
 */
export const platformaticCodecs: Codec[] = ['none', 'gzip', 'snappy', 'lz4', ...(zstdCompressSync ? (['zstd'] as const) : [])];

/** Produces with @platformatic/kafka (acks=-1) in one send, so order is kept. */
export async function platformaticProduce(bootstrap: string, topic: string, records: WireRecord[], compression: Codec = 'none'): Promise<void> {
  const producer = new Producer<Bytes, Bytes, string, Bytes>({
    clientId: 'samsa-compat-platformatic',
    bootstrapBrokers: [bootstrap],
    serializers,
    acks: -1,
    timeout: 10_000,
    retries: 5,
  });
  try {
    await producer.send({
      compression,
      messages: records.map((r) => ({
        topic,
        key: r.key === null ? null : unb64(r.key),
        value: r.value === null ? null : unb64(r.value),
        headers: new Map(r.headers.map(([k, v]): [string, Bytes] => [k, v === null ? null : unb64(v)])),
        ...(r.partition !== undefined ? { partition: r.partition } : {}),
        ...(r.timestamp !== null ? { timestamp: BigInt(r.timestamp) } : {}),
      })),
    });
  } finally {
    await producer.close();
  }
}

/** Consumes `count` records from the earliest offsets in a fresh group, bounded by `timeoutMs`. */
export async function platformaticConsume(bootstrap: string, topic: string, count: number, timeoutMs = 60_000): Promise<ConsumedRecord[]> {
  const consumer = new Consumer<Bytes, Bytes, string, Bytes>({
    clientId: 'samsa-compat-platformatic',
    groupId: `compat-${randomBytes(4).toString('hex')}`,
    bootstrapBrokers: [bootstrap],
    deserializers,
    timeout: 10_000,
    maxWaitTime: 200,
  });
  const records: ConsumedRecord[] = [];
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
    stream.on('data', (m) => {
      records.push({
        partition: m.partition,
        offset: Number(m.offset),
        key: b64OrNull(m.key),
        value: b64OrNull(m.value),
        headers: [...m.headers.entries()].map(([k, v]): [string, string | null] => [k, b64OrNull(v)]),
        timestamp: Number(m.timestamp),
      });
    });
    try {
      await waitFor(() => records.length >= count, { timeoutMs, message: `platformatic consumed ${count} records of ${topic}` });
    } finally {
      await stream.close();
    }
  } finally {
    await consumer.close(true);
  }
  return records;
}
