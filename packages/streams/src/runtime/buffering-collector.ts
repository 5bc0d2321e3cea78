/**
 * The runtime's record collector: holds what one batch (or one
 * punctuation) produced, sink and changelog records alike, until
 * KafkaStreams sends them with the batch's commit or transaction.
 */
import type { Message } from '@samsa/client';
import type { OutgoingRecord, RecordCollector } from './record-collector.js';

/** Buffers the records of one batch (or punctuation) until they are committed. */
export class BufferingCollector implements RecordCollector {
  records: OutgoingRecord[] = [];
  readonly #counts: Map<string, number>;

  constructor(counts: Map<string, number>) {
    this.#counts = counts;
  }

  send(record: OutgoingRecord): void {
    this.records.push(record);
  }

  partitionCount(topic: string): number | undefined {
    return this.#counts.get(topic);
  }

  take(): OutgoingRecord[] {
    const r = this.records;
    this.records = [];
    return r;
  }
}

/** Groups records by topic, in order, as producer messages. */
export function toTopicMessages(records: OutgoingRecord[]): Array<{ topic: string; messages: Message[] }> {
  const byTopic = new Map<string, Message[]>();
  for (const r of records) {
    let list = byTopic.get(r.topic);
    if (list === undefined) byTopic.set(r.topic, (list = []));
    const m: Message = { key: r.key, value: r.value, timestamp: r.timestamp, headers: r.headers.map((h) => ({ key: h.key, value: h.value })) };
    if (r.partition !== undefined) m.partition = r.partition;
    list.push(m);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}
