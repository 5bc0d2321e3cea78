/**
 * The record a processor receives and forwards (Kafka's
 * `org.apache.kafka.streams.processor.api.Record`): key, value, timestamp
 * and headers. Immutable; the `with*` methods return a copy, so a processor
 * can forward variants of one input without the children seeing each
 * other's changes.
 */
import type { Headers } from './headers.js';

export class StreamRecord<K, V> {
  readonly key: K;
  readonly value: V;
  /** Event time in ms since the epoch. */
  readonly timestamp: number;
  readonly headers: Headers;

  constructor(key: K, value: V, timestamp: number, headers: Headers = []) {
    if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new RangeError(`record timestamp must be a whole number of ms >= 0, got ${String(timestamp)}`);
    this.key = key;
    this.value = value;
    this.timestamp = timestamp;
    this.headers = headers;
  }

  withKey<K2>(key: K2): StreamRecord<K2, V> {
    return new StreamRecord(key, this.value, this.timestamp, this.headers);
  }

  withValue<V2>(value: V2): StreamRecord<K, V2> {
    return new StreamRecord(this.key, value, this.timestamp, this.headers);
  }

  withTimestamp(timestamp: number): StreamRecord<K, V> {
    return new StreamRecord(this.key, this.value, timestamp, this.headers);
  }

  withHeaders(headers: Headers): StreamRecord<K, V> {
    return new StreamRecord(this.key, this.value, this.timestamp, headers);
  }
}
