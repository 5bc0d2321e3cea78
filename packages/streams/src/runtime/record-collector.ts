/**
 * Where a task's output goes: sink records and changelog records alike.
 * The runtime's collector buffers them for the producer (and the
 * transaction); the test driver's captures them per topic.
 */
import type { Headers } from '../processor/headers.js';

/** One record leaving a task. */
export interface OutgoingRecord {
  topic: string;
  /** A fixed partition (changelogs, custom partitioners), or undefined for the producer's default. */
  partition: number | undefined;
  key: Buffer | null;
  value: Buffer | null;
  timestamp: number;
  headers: Headers;
}

export interface RecordCollector {
  send(record: OutgoingRecord): void;
  /** Partition count of an output topic when known (for custom partitioners). */
  partitionCount(topic: string): number | undefined;
}
