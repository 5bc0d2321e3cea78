/**
 * What compaction keeps of one batch: the record and batch retention rules of
 * Kafka's log cleaner (LogCleaner.cleanInto's filter and
 * MemoryRecords.filterTo), applied to one stored batch at a time.
 *
 * Records of a plain (non-transactional, non-control) batch, in this order:
 *
 *   record                                        | kept?
 *   ----------------------------------------------+--------------------------------
 *   offset > map.latestOffset (not mapped yet)    | yes (the map knows nothing later)
 *   no key                                        | no (Kafka drops them too; the
 *                                                 |   produce path refuses them on
 *                                                 |   compacted topics)
 *   a later record of its key is in the map       | no
 *   has a value                                   | yes
 *   tombstone, batch without a delete horizon     | yes, and the horizon is set now
 *   tombstone, now < the batch's delete horizon   | yes
 *   tombstone, now >= the batch's delete horizon  | no
 *
 * Then the batch:
 *
 *   records kept                     | batch                                | written as
 *   ---------------------------------+--------------------------------------+-----------------------------
 *   all, no horizon to set           | -                                    | the original bytes
 *   some (or all + horizon to set)   | -                                    | rebuilt: same baseOffset,
 *                                    |                                      |   lastOffsetDelta, codec,
 *                                    |                                      |   producer fields, epoch
 *   none                             | producer id, and it is that producer's| empty batch (header only,
 *                                    |   last data batch in producer state  |   same offsets and sequence)
 *   none                             | otherwise                            | nothing
 *
 * Offsets never change: a rebuilt batch keeps baseOffset and lastOffsetDelta,
 * so every kept record keeps its offset and the batch still spans the
 * producer's sequence range (baseSequence + lastOffsetDelta is the last
 * sequence, which idempotent producers need after a restart). The empty batch
 * keeps the producer's last sequence and epoch in the log when every record
 * of that batch was compacted away, so rebuilding the producer state from the
 * log (after an unclean restart) still knows the producer, as in Kafka.
 *
 * Delete horizon (KIP-534): a rebuilt batch that keeps a tombstone and has no
 * horizon yet gets attribute bit 6 and baseTimestamp = now +
 * delete.retention.ms; record timestamps are re-encoded as deltas from it, so
 * every record keeps its timestamp. A later clean removes the tombstones once
 * that time has passed. The horizon lives in the batch, so it survives
 * restarts and is the same on every replica (Kafka's older rule compared the
 * segment's modification time and could not).
 *
 * TODO(transactions): control batches (transaction markers) and batches of
 * transactional producers are copied unchanged and their records never enter
 * the key map (a record of a transaction that may yet be aborted must not
 * remove an earlier committed value). Kafka's rules to add once the
 * transaction coordinator lands: records of aborted transactions are
 * dropped and never mapped; committed transactional records are mapped and
 * compacted like any other; a marker is kept while any record of its
 * transaction remains, then gets a delete horizon and goes once it passes;
 * a producer's last marker is kept while the producer is active (fencing).
 */
import {
  ATTR_DELETE_HORIZON_MASK,
  ATTRIBUTES_OFFSET,
  BATCH_LENGTH_OFFSET,
  compress,
  CompressionCodec,
  CRC_OFFSET,
  crc32c,
  decodeRecordBatchAt,
  decompress,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  encodeRecordBatch,
  encodeRecordBatchSync,
  LOG_OVERHEAD,
  MAX_TIMESTAMP_OFFSET,
  RECORD_BATCH_HEADER_SIZE,
  RecordBatchHeader,
  RecordFormatError,
  RECORDS_COUNT_OFFSET,
  TimestampType,
  type RecordInput,
} from '@samsa/protocol';
import type { KeyOffsetMap } from './key-offset-map.js';
import { walkRecords } from './record-walker.js';

/** What the rules need besides the batch. */
export interface BatchFilterContext {
  map: KeyOffsetMap;
  nowMs: number;
  deleteRetentionMs: number;
  /** Producer id → last offset of its last data batch, for the producers the partition tracks. */
  lastDataOffsetOfProducer: ReadonlyMap<number, number>;
}

/** Result of {@link filterBatch}. */
export interface FilteredBatch {
  /** The batch to write (the input's bytes when unchanged), or null to drop it. */
  bytes: Buffer | null;
  /** True when `bytes` is the original batch. */
  unchanged: boolean;
  recordsRead: number;
  recordsKept: number;
  /** Delete horizon of tombstones kept in the written batch, or -1 when it keeps none. */
  tombstoneHorizon: number;
}

/** Sets attribute bit 6 (the delete horizon flag) of the batch at `pos` and recomputes its CRC. */
export function setDeleteHorizonFlag(buf: Buffer, pos = 0): void {
  const h = new RecordBatchHeader(buf, pos);
  buf.writeInt16BE(h.attributes | ATTR_DELETE_HORIZON_MASK, pos + ATTRIBUTES_OFFSET);
  buf.writeUInt32BE(h.computeCrc(), pos + CRC_OFFSET);
}

/**
 * The (decompressed) records area of a stored batch: the batch itself from
 * byte 61 when uncompressed, else its inflated records.
 */
export async function recordsArea(batch: Buffer, h: RecordBatchHeader): Promise<{ data: Buffer; from: number; to: number }> {
  if (h.compression === CompressionCodec.None) return { data: batch, from: RECORD_BATCH_HEADER_SIZE, to: h.totalSize };
  const data = await decompress(h.compression, batch.subarray(RECORD_BATCH_HEADER_SIZE, h.totalSize), DEFAULT_MAX_DECOMPRESSED_BYTES);
  return { data, from: 0, to: data.length };
}

/**
 * Applies the tables above to the batch `batch` (exactly one whole batch,
 * as stored). Verifies its CRC first: a corrupt batch throws, so the cleaner
 * stops rather than rewrite damage into a valid-looking batch.
 *
 * Kept records are copied byte for byte into the rebuilt batch (their
 * deltas stay valid because baseOffset and baseTimestamp do not change);
 * only a batch that gets its delete horizon now is re-encoded, since its
 * records' timestamp deltas must then count from the horizon.
 */
export async function filterBatch(batch: Buffer, ctx: BatchFilterContext): Promise<FilteredBatch> {
  const h = new RecordBatchHeader(batch, 0);
  const count = h.recordCount;
  const unchanged = (tombstoneHorizon = -1): FilteredBatch => ({ bytes: batch, unchanged: true, recordsRead: count, recordsKept: count, tombstoneHorizon });
  // TODO(transactions): Kafka's rules for markers and transactional data (see the top of the file).
  if (h.isControl || h.isTransactional) return unchanged();
  const latest = ctx.map.latestOffset;
  // Not mapped yet: everything stays, nothing to look at (tombstones get their horizon next time).
  if (h.baseOffset > latest) return unchanged();
  if (h.computeCrc() !== h.crc) throw new RecordFormatError(`record batch at offset ${h.baseOffset} has CRC ${h.crc}, computed ${h.computeCrc()}`);
  const hadHorizon = h.hasDeleteHorizon;
  const baseOffset = h.baseOffset;
  const baseTimestamp = h.baseTimestamp;
  const logAppendTime = h.timestampType === TimestampType.LogAppendTime;
  const { data, from, to } = await recordsArea(batch, h);
  const kept: number[] = []; // per kept record: start and end in `data`, offset delta
  let keptBytes = 0;
  let keptTombstone = false;
  let maxTimestamp = -1;
  walkRecords(data, from, to, count, (r) => {
    const offset = baseOffset + r.offsetDelta;
    let keep: boolean;
    if (offset > latest) keep = true;
    else if (r.keyStart < 0) keep = false;
    else if (ctx.map.getRange(data, r.keyStart, r.keyEnd) > offset) keep = false;
    else if (!r.valueIsNull) keep = true;
    else keep = !hadHorizon || ctx.nowMs < baseTimestamp;
    if (!keep) return;
    if (r.valueIsNull) keptTombstone = true;
    const ts = baseTimestamp + r.timestampDelta;
    if (ts > maxTimestamp) maxTimestamp = ts;
    kept.push(r.start, r.end, r.offsetDelta);
    keptBytes += r.end - r.start;
  });
  const keptCount = kept.length / 3;
  const stampHorizon = keptTombstone && !hadHorizon;
  // An empty batch (left by an earlier clean) stays only while it is its producer's last.
  if (keptCount === count && !stampHorizon && count > 0) return unchanged(keptTombstone ? baseTimestamp : -1);
  if (keptCount === 0) {
    if (count === 0 && h.producerId >= 0 && ctx.lastDataOffsetOfProducer.get(h.producerId) === h.lastOffset) return unchanged();
    const lastData = h.producerId >= 0 ? ctx.lastDataOffsetOfProducer.get(h.producerId) : undefined;
    if (lastData === undefined || lastData !== h.lastOffset) return { bytes: null, unchanged: false, recordsRead: count, recordsKept: 0, tombstoneHorizon: -1 };
    const empty = encodeRecordBatchSync({
      baseOffset,
      partitionLeaderEpoch: h.partitionLeaderEpoch,
      compression: CompressionCodec.None,
      timestampType: h.timestampType,
      baseTimestamp: h.maxTimestamp,
      maxTimestamp: h.maxTimestamp,
      producerId: h.producerId,
      producerEpoch: h.producerEpoch,
      baseSequence: h.baseSequence,
      lastOffsetDelta: h.lastOffsetDelta,
      records: [],
    });
    return { bytes: empty, unchanged: false, recordsRead: count, recordsKept: 0, tombstoneHorizon: -1 };
  }
  if (stampHorizon) {
    const horizon = ctx.nowMs + ctx.deleteRetentionMs;
    const rebuilt = await rebuildWithHorizon(batch, kept, horizon, logAppendTime ? h.maxTimestamp : maxTimestamp);
    return { bytes: rebuilt, unchanged: false, recordsRead: count, recordsKept: keptCount, tombstoneHorizon: horizon };
  }
  // Same header, fewer records: copy the kept records as they are.
  let records: Buffer = Buffer.allocUnsafe(keptBytes);
  for (let i = 0, at = 0; i < kept.length; i += 3) at += data.copy(records, at, kept[i], kept[i + 1]);
  if (h.compression !== CompressionCodec.None) records = await compress(h.compression, records);
  const out = Buffer.allocUnsafe(RECORD_BATCH_HEADER_SIZE + records.length);
  batch.copy(out, 0, 0, RECORD_BATCH_HEADER_SIZE);
  records.copy(out, RECORD_BATCH_HEADER_SIZE);
  out.writeInt32BE(out.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET);
  out.writeInt32BE(keptCount, RECORDS_COUNT_OFFSET);
  if (!logAppendTime) writeInt64BE(out, MAX_TIMESTAMP_OFFSET, maxTimestamp);
  out.writeUInt32BE(crc32c(out.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
  // A kept tombstone here means the batch already had its horizon (else it took the branch above).
  return { bytes: out, unchanged: false, recordsRead: count, recordsKept: keptCount, tombstoneHorizon: keptTombstone ? baseTimestamp : -1 };
}

/**
 * Re-encodes the kept records of `batch` (`kept`: start, end, offset delta
 * per record) with baseTimestamp = `horizon` and the delete-horizon bit, so
 * each record's timestamp delta counts from the horizon (KIP-534). Decodes
 * the batch: rare, as it happens once per batch holding a tombstone.
 */
async function rebuildWithHorizon(batch: Buffer, kept: readonly number[], horizon: number, maxTimestamp: number): Promise<Buffer> {
  const h = new RecordBatchHeader(batch, 0);
  const keptDeltas = new Set<number>();
  for (let i = 2; i < kept.length; i += 3) keptDeltas.add(kept[i]);
  const records: RecordInput[] = [];
  for (const r of (await decodeRecordBatchAt(batch, 0, { verifyCrc: false })).records) {
    const delta = r.offset - h.baseOffset;
    if (keptDeltas.has(delta)) records.push({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp, offsetDelta: delta });
  }
  const rebuilt = await encodeRecordBatch({
    baseOffset: h.baseOffset,
    partitionLeaderEpoch: h.partitionLeaderEpoch,
    compression: h.compression,
    timestampType: h.timestampType,
    baseTimestamp: horizon,
    maxTimestamp,
    producerId: h.producerId,
    producerEpoch: h.producerEpoch,
    baseSequence: h.baseSequence,
    lastOffsetDelta: h.lastOffsetDelta,
    records,
  });
  setDeleteHorizonFlag(rebuilt);
  return rebuilt;
}

function writeInt64BE(buf: Buffer, pos: number, value: number): void {
  buf.writeBigInt64BE(BigInt(value), pos);
}
