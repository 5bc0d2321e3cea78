import assert from 'node:assert/strict';
import { content, type ConsumedRecord, type WireRecord } from './records.js';

/** Options of {@link assertSameRecords}. */
export interface SameRecordsOptions {
  /** Compare timestamps too (the writer set them explicitly). */
  withTimestamps: boolean;
  /** When the writer could not set timestamps: the window (ms since epoch) create time must lie in. */
  timeWindow?: { from: number; to: number };
  /** Prefix of assertion messages. */
  label: string;
}

/**
 * Asserts that `read` (sorted by partition, offset) holds exactly `written` in order, byte
 * for byte: key, value (null vs empty kept apart), headers (order kept), timestamp, and
 * that offsets in each partition increase.
 */
export function assertSameRecords(written: WireRecord[], read: ConsumedRecord[], options: SameRecordsOptions): void {
  const { label } = options;
  assert.equal(read.length, written.length, `${label}: record count`);
  for (let i = 0; i < written.length; i++) {
    const w = written[i];
    const r = read[i];
    if (w.partition !== undefined) assert.equal(r.partition, w.partition, `${label}: record ${i} partition`);
    if (i > 0 && read[i - 1].partition === r.partition) {
      assert.ok(r.offset > read[i - 1].offset, `${label}: record ${i} offset ${r.offset} after ${read[i - 1].offset}`);
    }
    assert.deepEqual(content(r, options.withTimestamps), content(w, options.withTimestamps), `${label}: record ${i}`);
    if (!options.withTimestamps && options.timeWindow !== undefined) {
      const { from, to } = options.timeWindow;
      assert.ok(r.timestamp >= from - 2_000 && r.timestamp <= to + 2_000, `${label}: record ${i} timestamp ${r.timestamp} not in [${from}, ${to}]`);
    }
  }
}
