// Keyed record batches and whole-log reads for the compaction tests.
import { CompressionCodec, decodeRecordBatches, encodeRecordBatch, RecordBatchHeader, type DecodedBatch } from '@samsa/protocol';
import type { PartitionLog } from '../src/partition-log.js';

/** One record to write: a null value is a tombstone. */
export interface KV {
  key: string | null;
  value: string | null;
  timestamp?: number;
}

/** A batch of `records` (values as UTF-8), optionally compressed or from an idempotent producer. */
export function keyedBatch(
  records: readonly KV[],
  opts: { timestamp?: number; compression?: CompressionCodec; producer?: { id: number; epoch: number; sequence: number }; transactional?: boolean } = {},
): Promise<Buffer> {
  const ts = opts.timestamp ?? 1_700_000_000_000;
  return encodeRecordBatch({
    baseTimestamp: ts,
    compression: opts.compression ?? CompressionCodec.None,
    producerId: opts.producer?.id,
    producerEpoch: opts.producer?.epoch,
    baseSequence: opts.producer?.sequence,
    isTransactional: opts.transactional,
    records: records.map((r) => ({
      key: r.key === null ? null : Buffer.from(r.key),
      value: r.value === null ? null : Buffer.from(r.value),
      timestamp: r.timestamp ?? ts,
    })),
  });
}

/** A record read back from the log. */
export interface ReadRecord {
  offset: number;
  key: string | null;
  value: string | null;
  timestamp: number;
}

/** Every batch from the log start to the log end, decoded (CRC checked). */
export async function readAllBatches(log: PartitionLog): Promise<DecodedBatch[]> {
  const out: DecodedBatch[] = [];
  let offset = log.logStartOffset;
  for (let guard = 0; offset < log.logEndOffset && guard < 100_000; guard++) {
    const r = await log.read(offset, 1 << 20);
    if (r.bytes === 0) break;
    for (const buf of r.buffers) {
      for (const b of await decodeRecordBatches(buf, { verifyCrc: true })) {
        out.push(b);
        offset = b.lastOffset + 1;
      }
    }
  }
  return out;
}

/** Every record from the log start offset on, in offset order (records below the start are skipped, as clients do). */
export async function readAllRecords(log: PartitionLog): Promise<ReadRecord[]> {
  const out: ReadRecord[] = [];
  for (const b of await readAllBatches(log)) {
    for (const r of b.records) {
      if (r.offset < log.logStartOffset) continue;
      out.push({ offset: r.offset, key: r.key?.toString() ?? null, value: r.value?.toString() ?? null, timestamp: r.timestamp });
    }
  }
  return out;
}

/** Header view of the first batch of `buf`. */
export function header(buf: Buffer): RecordBatchHeader {
  return new RecordBatchHeader(buf, 0);
}
