// Keyed record batches and whole-log reads for the compaction tests: raw (every batch, as a
// read_uncommitted consumer gets them) and read_committed (as a consumer filters them).
import { CompressionCodec, decodeControlRecord, decodeRecordBatches, encodeRecordBatch, RecordBatchHeader, type DecodedBatch } from '@samsa/protocol';
import type { PartitionLog } from '../src/partition-log.js';
import type { AbortedTxn } from '../src/txn-index.js';

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

/**
 * Every data record from the log start offset on, in offset order, as a read_uncommitted
 * consumer sees them: records below the start and control records (markers) are skipped, as
 * clients do.
 */
export async function readAllRecords(log: PartitionLog): Promise<ReadRecord[]> {
  const out: ReadRecord[] = [];
  for (const b of await readAllBatches(log)) {
    if (b.isControl) continue;
    for (const r of b.records) {
      if (r.offset < log.logStartOffset) continue;
      out.push(toReadRecord(r));
    }
  }
  return out;
}

function toReadRecord(r: DecodedBatch['records'][number]): ReadRecord {
  return { offset: r.offset, key: r.key?.toString() ?? null, value: r.value?.toString() ?? null, timestamp: r.timestamp };
}

/**
 * What a read_committed consumer gets from the log start offset: reads up to the last stable
 * offset, each read answered with the aborted transactions overlapping it (as the Fetch
 * handler does), filtered the way Kafka's consumer filters a fetch response: an aborted
 * transaction's producer is skipped from the first batch reaching the transaction's first
 * offset until its ABORT marker; control records are never returned.
 */
export async function readCommittedRecords(log: PartitionLog): Promise<ReadRecord[]> {
  const out: ReadRecord[] = [];
  const lastStableOffset = log.lastStableOffset;
  let offset = log.logStartOffset;
  for (let guard = 0; offset < lastStableOffset && guard < 100_000; guard++) {
    const r = await log.read(offset, 1 << 20, { maxOffset: lastStableOffset });
    if (r.bytes === 0) break;
    const batches: DecodedBatch[] = [];
    for (const buf of r.buffers) batches.push(...(await decodeRecordBatches(buf, { verifyCrc: true })));
    const end = batches[batches.length - 1].lastOffset + 1;
    // Per fetch response, as the consumer keeps them: pending aborted transactions by first offset, and aborted producers.
    const pending: AbortedTxn[] = log.abortedTransactions(offset, end).sort((a, b) => a.firstOffset - b.firstOffset);
    const abortedProducers = new Set<number>();
    for (const b of batches) {
      while (pending.length > 0 && pending[0].firstOffset <= b.lastOffset) abortedProducers.add((pending.shift() as AbortedTxn).producerId);
      if (b.isControl) {
        if (b.records.length > 0 && decodeControlRecord(b.records[0]).type === 'ABORT') abortedProducers.delete(b.producerId);
        continue;
      }
      if (b.isTransactional && abortedProducers.has(b.producerId)) continue;
      for (const rec of b.records) if (rec.offset >= offset && rec.offset >= log.logStartOffset) out.push(toReadRecord(rec));
    }
    offset = end;
  }
  return out;
}

/** Appends a transaction marker (COMMIT, or ABORT when `aborted`) for producer `producerId`. */
export function marker(log: PartitionLog, producerId: number, producerEpoch: number, aborted: boolean, timestampMs = 1_700_000_000_000): Promise<{ baseOffset: number }> {
  return log.appendMarker({ producerId, producerEpoch, coordinatorEpoch: 0, aborted, timestampMs });
}

/** Header view of the first batch of `buf`. */
export function header(buf: Buffer): RecordBatchHeader {
  return new RecordBatchHeader(buf, 0);
}
