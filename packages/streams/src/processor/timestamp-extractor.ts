/**
 * Chooses a record's event time (Kafka's TimestampExtractor). The default
 * uses the record's own timestamp (create or log-append time); a negative
 * result makes the runtime drop the record and count it, as Kafka's
 * FailOnInvalidTimestamp / LogAndSkipOnInvalidTimestamp do.
 */

/** What an extractor sees of the consumed record. */
export interface ConsumedRecordInfo<K = unknown, V = unknown> {
  topic: string;
  partition: number;
  offset: number;
  key: K | null;
  value: V | null;
  timestamp: number;
}

/** Returns the event time of `record` in ms, given the partition's time so far. */
export type TimestampExtractor = (record: ConsumedRecordInfo, partitionTimeMs: number) => number;

/** Kafka's default, FailOnInvalidTimestamp without the fail: the record's timestamp. */
export const recordTimestamp: TimestampExtractor = (record) => record.timestamp;

/** Kafka's WallclockTimestampExtractor: processing time. */
export const wallclockTimestamp: TimestampExtractor = () => Date.now();
