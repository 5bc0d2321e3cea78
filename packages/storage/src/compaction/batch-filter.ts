/**
 * What compaction keeps of one batch: the record and batch retention rules of
 * Kafka's log cleaner (LogCleaner.cleanInto's filter, CleanedTransactionMetadata
 * and MemoryRecords.filterTo), applied to one stored batch at a time, in
 * offset order.
 *
 * First, by kind of batch ("kept" below: written to the cleaned segment, with
 * records or empty):
 *
 *   batch                                            | rules
 *   -------------------------------------------------+-------------------------------------------
 *   reaches the last stable offset (lastOffset >=    | left as it is (a range ending inside a
 *     the LSO when the clean started)                |   segment; never clean past the LSO)
 *   control batch (transaction marker)               | marker table below
 *   transactional, its transaction aborted           | every record goes and none was mapped;
 *     (cleaned-transactions.ts)                      |   the batch is handled as "none kept"
 *   transactional, committed                         | record table below, like a plain batch
 *   plain (idempotent or not)                        | record table below
 *
 * Records of a data batch (plain or committed transactional), in this order:
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
 * Then the data batch:
 *
 *   records kept                     | batch                                | written as
 *   ---------------------------------+--------------------------------------+-----------------------------
 *   all, no horizon to set           | -                                    | the original bytes
 *   some (or all + horizon to set)   | -                                    | rebuilt: same baseOffset,
 *                                    |                                      |   lastOffsetDelta, codec,
 *                                    |                                      |   attributes, producer
 *                                    |                                      |   fields, epoch
 *   none                             | producer id, and it is that producer's| empty batch (header only,
 *                                    |   last data batch in producer state  |   same offsets, sequence,
 *                                    |                                      |   transactional bit)
 *   none                             | otherwise                            | nothing
 *
 * Transaction markers. "Data kept" = the clean kept a batch (even an empty
 * one) of the marker's transaction, in this or an earlier segment: the clean
 * walks the log from its first segment in offset order and remembers, per
 * producer, whether a batch of its current transaction was kept; the marker
 * closes that transaction (Kafka tracks its ongoing transactions the same
 * way). "Producer's last" = the partition tracks the producer, it has no data
 * batch with a sequence in its current epoch, the marker carries that epoch,
 * and the clean's key-map walk saw no later marker of it (Kafka keeps such a
 * marker for the epoch, which fences zombies after producer state is rebuilt
 * from the log):
 *
 *   marker                      | data kept | batch delete horizon | producer's last | outcome
 *   ----------------------------+-----------+----------------------+-----------------+------------------------
 *   not ABORT/COMMIT            | -         | -                    | -               | kept as it is
 *   ABORT/COMMIT                | yes       | -                    | -               | kept as it is
 *   ABORT/COMMIT                | no        | none                 | -               | kept; horizon set now
 *   ABORT/COMMIT                | no        | now < horizon        | -               | kept
 *   ABORT/COMMIT                | no        | now >= horizon       | yes             | kept as it is
 *   ABORT/COMMIT                | no        | now >= horizon       | no              | removed; so is its
 *                               |           |                      |                 |   aborted-txn entry
 *   empty control batch         | -         | -                    | no / yes        | removed / kept
 *
 * Why "data kept" holds a marker: while a batch of the transaction is in the
 * log, a rebuild of producer state from the log (recovery without a snapshot)
 * replays that batch as opening a transaction, and only the marker closes it
 * again; without it the last stable offset would stop there for good. For an
 * aborted transaction the marker also ends what a read_committed consumer
 * skips. Once nothing of the transaction is left, the marker goes like a
 * tombstone (KIP-534 horizon, delete.retention.ms), so a consumer that read
 * the transaction's data before the clean still finds the marker. The
 * aborted-transaction index entry of an ABORT marker is written to the
 * cleaned segment's `.txnindex` as long as the marker is kept (log-cleaner.ts):
 * Kafka drops it as soon as no batch is left; keeping it until the marker
 * goes is harmless for consumers (it covers no data) and means a fetch that
 * read aborted data just before a swap still gets its entry.
 *
 * A producer's last marker is kept whole, not emptied as in Kafka: the replay
 * of producer state reads the epochs from the marker's record.
 *
 * Offsets never change: a rebuilt batch keeps baseOffset and lastOffsetDelta,
 * so every kept record keeps its offset and the batch still spans the
 * producer's sequence range (baseSequence + lastOffsetDelta is the last
 * sequence, which idempotent producers need after a restart). The empty batch
 * keeps the producer's last sequence and epoch in the log when every record
 * of that batch was compacted away (or aborted), so rebuilding the producer
 * state from the log (after an unclean restart) still knows the producer, as
 * in Kafka.
 *
 * Delete horizon (KIP-534): a rebuilt batch that keeps a tombstone, or a
 * marker whose transaction has nothing left, and has no horizon yet gets
 * attribute bit 6 and baseTimestamp = now + delete.retention.ms; record
 * timestamps are re-encoded as deltas from it, so every record keeps its
 * timestamp. A later clean removes the tombstones (and such markers) once
 * that time has passed. The horizon lives in the batch, so it survives
 * restarts and is the same on every replica (Kafka's older rule compared the
 * segment's modification time and could not).
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
  peekControlRecord,
  MAX_TIMESTAMP_OFFSET,
  RECORD_BATCH_HEADER_SIZE,
  RecordBatchHeader,
  RecordFormatError,
  RECORDS_COUNT_OFFSET,
  TimestampType,
  type RecordInput,
} from '@samsa/protocol';
import type { CleanedTransactions } from './cleaned-transactions.js';
import type { KeyOffsetMap } from './key-offset-map.js';
import { walkRecords } from './record-walker.js';

/** What the cleaner must keep of a producer the partition tracks (Kafka's "last records of active producers"). */
export interface ActiveProducer {
  producerEpoch: number;
  /** Last offset of its last data batch with a sequence (in its current epoch), or -1 when it has none. */
  lastDataOffset: number;
  /** Offset of its last marker seen by this clean's key-map walk, or -1. */
  lastMappedMarkerOffset: number;
}

/** What the rules need besides the batch. */
export interface BatchFilterContext {
  map: KeyOffsetMap;
  nowMs: number;
  deleteRetentionMs: number;
  /** The log's last stable offset when the clean started: a batch reaching it is left as it is. */
  lastStableOffset: number;
  /** Producer id → what must be kept of it, for the producers the partition tracks. */
  producers: ReadonlyMap<number, ActiveProducer>;
  /** Aborted transactions, and the transactions this clean has walked so far (one object per clean). */
  transactions: CleanedTransactions;
}

/** Result of {@link filterBatch}. */
export interface FilteredBatch {
  /** The batch to write (the input's bytes when unchanged), or null to drop it. */
  bytes: Buffer | null;
  /** True when `bytes` is the original batch. */
  unchanged: boolean;
  recordsRead: number;
  recordsKept: number;
  /**
   * Delete horizon of the written batch when it keeps a tombstone or a
   * marker that will go once the horizon passes, or -1: the cleaner must run
   * again then.
   */
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
 * as stored), and reports transactional batches and markers to
 * `ctx.transactions`: call it for every batch of the cleaned segments, in
 * offset order. Verifies the CRC of any batch it looks into: a corrupt batch
 * throws, so the cleaner stops rather than rewrite damage into a
 * valid-looking batch.
 *
 * Kept records are copied byte for byte into the rebuilt batch (their
 * deltas stay valid because baseOffset and baseTimestamp do not change);
 * only a batch that gets its delete horizon now is re-encoded, since its
 * records' timestamp deltas must then count from the horizon.
 */
export async function filterBatch(batch: Buffer, ctx: BatchFilterContext): Promise<FilteredBatch> {
  const h = new RecordBatchHeader(batch, 0);
  const txns = ctx.transactions;
  if (h.lastOffset >= ctx.lastStableOffset) {
    if (h.isControl) txns.onMarker(h.producerId);
    else if (h.isTransactional) txns.onDataBatch(h.producerId, true);
    return keepAsIs(batch, h);
  }
  if (h.isControl) return filterMarker(batch, h, ctx);
  let out: FilteredBatch;
  if (h.isTransactional && txns.isAborted(h.producerId, h.baseOffset)) {
    verifyCrc(h);
    out = noRecordsKept(batch, h, ctx);
  } else {
    out = await filterDataBatch(batch, h, ctx);
  }
  if (h.isTransactional) txns.onDataBatch(h.producerId, out.bytes !== null);
  return out;
}

/** The batch written unchanged; `horizon` as in {@link FilteredBatch.tombstoneHorizon}. */
function keepAsIs(batch: Buffer, h: RecordBatchHeader, horizon = -1): FilteredBatch {
  return { bytes: batch, unchanged: true, recordsRead: h.recordCount, recordsKept: h.recordCount, tombstoneHorizon: horizon };
}

function verifyCrc(h: RecordBatchHeader): void {
  if (h.computeCrc() !== h.crc) throw new RecordFormatError(`record batch at offset ${h.baseOffset} has CRC ${h.crc}, computed ${h.computeCrc()}`);
}

/** The record and data-batch tables, for a plain or committed transactional batch. */
async function filterDataBatch(batch: Buffer, h: RecordBatchHeader, ctx: BatchFilterContext): Promise<FilteredBatch> {
  const count = h.recordCount;
  const latest = ctx.map.latestOffset;
  // Not mapped yet: everything stays, nothing to look at (tombstones get their horizon next time).
  if (h.baseOffset > latest) return keepAsIs(batch, h);
  verifyCrc(h);
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
  if (keptCount === count && !stampHorizon && count > 0) return keepAsIs(batch, h, keptTombstone ? baseTimestamp : -1);
  if (keptCount === 0) return noRecordsKept(batch, h, ctx);
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
 * A data batch none of whose records stays: an empty batch with its header
 * (offsets, producer fields, sequence, transactional bit) when it is its
 * producer's last data batch, else nothing.
 */
function noRecordsKept(batch: Buffer, h: RecordBatchHeader, ctx: BatchFilterContext): FilteredBatch {
  const count = h.recordCount;
  const isLast = h.producerId >= 0 && ctx.producers.get(h.producerId)?.lastDataOffset === h.lastOffset;
  if (!isLast) return { bytes: null, unchanged: false, recordsRead: count, recordsKept: 0, tombstoneHorizon: -1 };
  if (count === 0) return keepAsIs(batch, h);
  const empty = encodeRecordBatchSync({
    baseOffset: h.baseOffset,
    partitionLeaderEpoch: h.partitionLeaderEpoch,
    compression: CompressionCodec.None,
    timestampType: h.timestampType,
    baseTimestamp: h.maxTimestamp,
    maxTimestamp: h.maxTimestamp,
    producerId: h.producerId,
    producerEpoch: h.producerEpoch,
    baseSequence: h.baseSequence,
    isTransactional: h.isTransactional,
    lastOffsetDelta: h.lastOffsetDelta,
    records: [],
  });
  return { bytes: empty, unchanged: false, recordsRead: count, recordsKept: 0, tombstoneHorizon: -1 };
}

/** The marker table. */
async function filterMarker(batch: Buffer, h: RecordBatchHeader, ctx: BatchFilterContext): Promise<FilteredBatch> {
  const dataKept = ctx.transactions.onMarker(h.producerId);
  const p = ctx.producers.get(h.producerId);
  const producersLast = p !== undefined && p.lastDataOffset < 0 && h.producerEpoch === p.producerEpoch && h.baseOffset >= p.lastMappedMarkerOffset;
  const dropped: FilteredBatch = { bytes: null, unchanged: false, recordsRead: h.recordCount, recordsKept: 0, tombstoneHorizon: -1 };
  verifyCrc(h);
  if (h.recordCount === 0) return producersLast ? keepAsIs(batch, h) : dropped;
  // Markers are written uncompressed with one record; anything else is not a marker this cleaner knows.
  if (h.compression !== CompressionCodec.None || h.recordCount !== 1) return keepAsIs(batch, h);
  const type = peekControlRecord(batch, 0, h.totalSize).type;
  if ((type !== 'ABORT' && type !== 'COMMIT') || dataKept) return keepAsIs(batch, h);
  if (!h.hasDeleteHorizon) {
    const horizon = ctx.nowMs + ctx.deleteRetentionMs;
    const rebuilt = await rebuildWithHorizon(batch, [0, 0, 0], horizon, h.maxTimestamp);
    return { bytes: rebuilt, unchanged: false, recordsRead: 1, recordsKept: 1, tombstoneHorizon: horizon };
  }
  if (ctx.nowMs < h.baseTimestamp) return keepAsIs(batch, h, h.baseTimestamp);
  return producersLast ? keepAsIs(batch, h) : dropped;
}

/**
 * Re-encodes the kept records of `batch` (`kept`: start, end, offset delta
 * per record) with baseTimestamp = `horizon` and the delete-horizon bit, so
 * each record's timestamp delta counts from the horizon (KIP-534). Keeps
 * the attributes (codec, timestamp type, transactional and control bits).
 * Decodes the batch: rare, as it happens once per batch holding a tombstone
 * and once per marker whose transaction has nothing left.
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
    isTransactional: h.isTransactional,
    isControl: h.isControl,
    lastOffsetDelta: h.lastOffsetDelta,
    records,
  });
  setDeleteHorizonFlag(rebuilt);
  return rebuilt;
}

function writeInt64BE(buf: Buffer, pos: number, value: number): void {
  buf.writeBigInt64BE(BigInt(value), pos);
}
