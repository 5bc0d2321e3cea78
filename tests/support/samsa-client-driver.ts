import { Kafka, type Logger, type Message, type ProducerOptions } from '@samsa/client';
import type { FetchedTopic } from './fetch-partitions.js';
import { b64OrNull, unb64, type ConsumedRecord, type WireRecord } from './records.js';

/** A logger that keeps every warning and error (tests assert on them). */
export interface CapturingLogger extends Logger {
  readonly warnings: string[];
}

export function capturingLogger(): CapturingLogger {
  const warnings: string[] = [];
  return { warnings, debug: () => {}, info: () => {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(`error: ${m}`) };
}

/** Our client with bounded timeouts for the test suites. */
export function samsaKafka(bootstrap: string, logger: Logger = capturingLogger()): Kafka {
  return new Kafka({ brokers: [bootstrap], clientId: 'samsa-tests', connectionTimeoutMs: 5_000, requestTimeoutMs: 20_000, logger });
}

/** A wire record as a message of our producer (headers as ordered pairs, so order and nulls are kept). */
export function toSamsaMessage(r: WireRecord): Message {
  const m: Message = {
    key: r.key === null ? null : unb64(r.key),
    value: r.value === null ? null : unb64(r.value),
    headers: r.headers.map(([key, value]) => ({ key, value: value === null ? null : unb64(value) })),
  };
  if (r.timestamp !== null) m.timestamp = r.timestamp;
  if (r.partition !== undefined) m.partition = r.partition;
  return m;
}

/** Produces `records` in one send with our producer; returns the producer's RecordMetadata. */
export async function samsaProduce(bootstrap: string, topic: string, records: WireRecord[], options: ProducerOptions = {}, logger?: Logger) {
  const producer = samsaKafka(bootstrap, logger).producer(options);
  await producer.connect();
  try {
    return await producer.send({ topic, messages: records.map(toSamsaMessage) });
  } finally {
    await producer.disconnect();
  }
}

/** The records of a fetched topic, by partition then offset (control batches skipped). */
export function fetchedRecords(fetched: FetchedTopic): ConsumedRecord[] {
  const out: ConsumedRecord[] = [];
  fetched.partitions.forEach((batches, partition) => {
    for (const b of batches) {
      if (b.isControl) continue;
      for (const r of b.records) {
        out.push({
          partition,
          offset: r.offset,
          key: b64OrNull(r.key),
          value: b64OrNull(r.value),
          headers: r.headers.map((h) => [h.key, b64OrNull(h.value)]),
          timestamp: r.timestamp,
        });
      }
    }
  });
  return out;
}
