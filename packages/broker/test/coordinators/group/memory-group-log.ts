// Test helper (not a test file): an in-memory GroupLog that can be made to fail or to hold appends.
import type { GroupLog, OffsetsTopicRecord } from '../../../src/coordinators/group/group-coordinator.js';

export class MemoryGroupLog implements GroupLog {
  readonly records: Array<{ groupId: string; producerId?: number } & OffsetsTopicRecord> = [];
  /** When set, appends reject with this error. */
  failWith: Error | null = null;

  append(groupId: string, records: readonly OffsetsTopicRecord[]): Promise<void> {
    if (this.failWith !== null) return Promise.reject(this.failWith);
    for (const r of records) this.records.push({ groupId, key: r.key, value: r.value });
    return Promise.resolve();
  }

  appendTransactional(groupId: string, records: readonly OffsetsTopicRecord[], producer: { producerId: number; producerEpoch: number }): Promise<void> {
    if (this.failWith !== null) return Promise.reject(this.failWith);
    for (const r of records) this.records.push({ groupId, producerId: producer.producerId, key: r.key, value: r.value });
    return Promise.resolve();
  }
}
