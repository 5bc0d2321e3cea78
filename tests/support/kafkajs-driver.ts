import {
  CompressionTypes,
  Kafka,
  logLevel,
  Partitioners,
  type IHeaders,
  type ITopicConfig,
  type Message,
  type RecordMetadata,
} from 'kafkajs';
import { randomBytes } from 'node:crypto';
import { b64, b64OrNull, unb64, type Codec, type ConsumedRecord, type WireRecord } from './records.js';
import { waitFor } from './wait-for.js';

/** A kafkajs client with logging off and short, bounded retries. */
export function kafkajs(bootstrap: string, clientId = 'samsa-compat'): Kafka {
  return new Kafka({
    clientId,
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 5_000,
    requestTimeout: 30_000,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2_000 },
  });
}

const codecs: Record<'none' | 'gzip', CompressionTypes> = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP };

/** Converts a wire record to a kafkajs message (explicit partition and timestamp kept). */
export function toKafkajsMessage(r: WireRecord): Message {
  const headers: IHeaders = {};
  for (const [name, value] of r.headers) headers[name] = value === null ? undefined : unb64(value);
  const m: Message = { key: r.key === null ? null : unb64(r.key), value: r.value === null ? null : unb64(r.value), headers };
  if (r.timestamp !== null) m.timestamp = String(r.timestamp);
  if (r.partition !== undefined) m.partition = r.partition;
  return m;
}

/**
 * Produces with kafkajs (acks=-1 by default). kafkajs only builds in gzip among the codecs.
 * Records go in one `send` so they keep their order.
 */
export async function kafkajsProduce(
  bootstrap: string,
  topic: string,
  records: WireRecord[],
  options: { compression?: 'none' | 'gzip'; acks?: number } = {},
): Promise<RecordMetadata[]> {
  const producer = kafkajs(bootstrap).producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true });
  await producer.connect();
  try {
    return await producer.send({
      topic,
      messages: records.map(toKafkajsMessage),
      compression: codecs[options.compression ?? 'none'],
      acks: options.acks ?? -1,
    });
  } finally {
    await producer.disconnect();
  }
}

function headerPairs(headers: IHeaders | undefined): Array<[string, string | null]> {
  const out: Array<[string, string | null]> = [];
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (Array.isArray(value)) for (const v of value) out.push([name, b64(v)]);
    else out.push([name, value === undefined || value === null ? null : b64(value)]);
  }
  return out;
}

/**
 * Consumes `count` records from the beginning with a kafkajs consumer in a fresh group
 * (kafkajs has no group-less consumer), bounded by `timeoutMs`.
 */
export async function kafkajsConsume(bootstrap: string, topic: string, count: number, timeoutMs = 60_000): Promise<ConsumedRecord[]> {
  const consumer = kafkajs(bootstrap).consumer({
    groupId: `compat-${randomBytes(4).toString('hex')}`,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
    maxWaitTimeInMs: 200,
    retry: { retries: 5 },
  });
  const records: ConsumedRecord[] = [];
  // A crash kafkajs will not restart from (e.g. a missing API) ends the wait early.
  let fatal: Error | undefined;
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) fatal = payload.error;
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        records.push({
          partition,
          offset: Number(message.offset),
          key: b64OrNull(message.key),
          value: b64OrNull(message.value),
          headers: headerPairs(message.headers),
          timestamp: Number(message.timestamp),
        });
      },
    });
    await waitFor(() => records.length >= count || fatal !== undefined, {
      timeoutMs,
      intervalMs: 50,
      message: `kafkajs consumed ${count} records of ${topic}`,
    });
    if (records.length < count && fatal !== undefined) throw new Error(`kafkajs consumer crashed: ${fatal.message}`, { cause: fatal });
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/** Creates a topic with the kafkajs admin (replication factor 1) and waits for its leaders. */
export async function kafkajsCreateTopic(bootstrap: string, topic: ITopicConfig): Promise<void> {
  const admin = kafkajs(bootstrap).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ replicationFactor: 1, ...topic }], waitForLeaders: true, timeout: 30_000 });
  } finally {
    await admin.disconnect();
  }
}

export type { Codec };
