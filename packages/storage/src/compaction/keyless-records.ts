/**
 * Kafka refuses records without a key on compacted topics: compaction keeps
 * the latest record per key, and a record without one could never be kept
 * or replaced (the cleaner drops such records). The produce path calls
 * {@link keylessRecordIndexes} for batches bound for a topic whose
 * cleanup.policy includes `compact`, and only for those: it is the one place
 * the broker decodes records on the write path, as Kafka's LogValidator does
 * for the same check.
 */
import { decodeRecordBatchAt, RecordBatchHeader } from '@samsa/protocol';

/**
 * Indexes (within the batch, from 0) of the records with a null key in the
 * one validated magic-2 batch at `pos` of `buf`. Control batches are not
 * checked (their records are markers). Decompresses the batch if needed;
 * throws RecordFormatError when the records do not decode.
 */
export async function keylessRecordIndexes(buf: Buffer, pos = 0): Promise<number[]> {
  const h = new RecordBatchHeader(buf, pos);
  if (h.isControl || h.recordCount === 0) return [];
  const batch = await decodeRecordBatchAt(buf, pos, { verifyCrc: false });
  const out: number[] = [];
  batch.records.forEach((r, i) => {
    if (r.key === null) out.push(i);
  });
  return out;
}

/** Kafka's message for one keyless record (LogValidator.validateKey). */
export function keylessRecordMessage(topic: string, partition: number): string {
  return `Compacted topic cannot accept message without key in topic partition ${topic}-${partition}.`;
}
