// Encoding and decoding whole magic-2 record batches (layout in record-batch-header.ts
// and record.ts). The broker never calls these on the produce path (it only reads
// headers); they serve producers, consumers, compaction and tests.

import { compress, compressSync, decompress, DEFAULT_MAX_DECOMPRESSED_BYTES } from './compression.js';
import { crc32c } from './crc32c.js';
import { decodeLegacyMessage } from './legacy-message-set.js';
import { measureRecords, readRecords, type DecodedRecord, type RecordInput, type RecordsLayout, writeRecords } from './record.js';
import {
  ATTR_CONTROL_MASK,
  ATTR_TIMESTAMP_TYPE_MASK,
  ATTR_TRANSACTIONAL_MASK,
  ATTRIBUTES_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_LENGTH_OFFSET,
  CompressionCodec,
  CRC_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  MIN_BATCH_LENGTH,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORD_BATCH_HEADER_SIZE,
  RecordBatchHeader,
  RECORDS_COUNT_OFFSET,
  TimestampType,
} from './record-batch-header.js';
import { RecordFormatError } from './record-format-error.js';
import { writeInt64 } from './varint.js';

/** Everything needed to build one magic-2 batch. Omitted ids default to -1 (not idempotent). */
export interface RecordBatchInput {
  baseOffset?: number;
  partitionLeaderEpoch?: number;
  compression?: CompressionCodec;
  timestampType?: TimestampType;
  baseTimestamp: number;
  /** Defaults to the largest record timestamp. */
  maxTimestamp?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  isTransactional?: boolean;
  isControl?: boolean;
  /**
   * Defaults to the last record's offsetDelta. Compaction passes the original value so
   * a batch whose last records were removed still covers its full offset range.
   */
  lastOffsetDelta?: number;
  /**
   * Leave the CRC field 0: the caller changes header fields first (a producer stamps its
   * id and sequence at send time) and then writes the CRC once with `writeBatchCrc`.
   */
  deferCrc?: boolean;
  records: RecordInput[];
}

/** A decoded batch: header fields plus records. Magic 0/1 messages are mapped onto the same shape. */
export interface DecodedBatch {
  baseOffset: number;
  lastOffset: number;
  lastOffsetDelta: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  /** Raw attributes (int16 for magic 2, int8 for magic 0/1). */
  attributes: number;
  compression: CompressionCodec;
  timestampType: TimestampType;
  isTransactional: boolean;
  isControl: boolean;
  hasDeleteHorizon: boolean;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  /** Bytes the batch occupies on the wire, including offset and length fields. */
  sizeInBytes: number;
  records: DecodedRecord[];
}

/** Options for decodeRecordBatches. */
export interface DecodeOptions {
  /** Check each batch's CRC (default true), as consumers with check.crcs do. */
  verifyCrc?: boolean;
  /** Cap on the decompressed size of any one batch (default 128 MiB). */
  maxDecompressedBytes?: number;
}

function attributesOf(input: RecordBatchInput): number {
  let attrs = (input.compression ?? CompressionCodec.None) & 0x07;
  if (input.timestampType === TimestampType.LogAppendTime) attrs |= ATTR_TIMESTAMP_TYPE_MASK;
  if (input.isTransactional) attrs |= ATTR_TRANSACTIONAL_MASK;
  if (input.isControl) attrs |= ATTR_CONTROL_MASK;
  return attrs;
}

/** Writes the 61-byte header (CRC excluded) into `out`, which already holds the records at 61. */
function writeHeader(out: Buffer, input: RecordBatchInput, layout: RecordsLayout): void {
  writeInt64(out, 0, input.baseOffset ?? 0);
  out.writeInt32BE(out.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET);
  out.writeInt32BE(input.partitionLeaderEpoch ?? -1, PARTITION_LEADER_EPOCH_OFFSET);
  out.writeInt8(2, MAGIC_OFFSET);
  out.writeInt16BE(attributesOf(input), ATTRIBUTES_OFFSET);
  out.writeInt32BE(input.lastOffsetDelta ?? Math.max(0, layout.lastOffsetDelta), LAST_OFFSET_DELTA_OFFSET);
  writeInt64(out, BASE_TIMESTAMP_OFFSET, input.baseTimestamp);
  writeInt64(out, MAX_TIMESTAMP_OFFSET, input.maxTimestamp ?? layout.maxTimestamp);
  writeInt64(out, PRODUCER_ID_OFFSET, input.producerId ?? -1);
  out.writeInt16BE(input.producerEpoch ?? -1, PRODUCER_EPOCH_OFFSET);
  out.writeInt32BE(input.baseSequence ?? -1, BASE_SEQUENCE_OFFSET);
  out.writeInt32BE(input.records.length, RECORDS_COUNT_OFFSET);
  out.writeUInt32BE(input.deferCrc === true ? 0 : crc32c(out.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
}

function encodeUncompressedRecords(input: RecordBatchInput, layout: RecordsLayout): Buffer {
  const records = Buffer.allocUnsafe(layout.size);
  writeRecords(records, 0, input.records, input.baseTimestamp, layout);
  return records;
}

function assemble(input: RecordBatchInput, layout: RecordsLayout, compressed: Buffer): Buffer {
  const out = Buffer.allocUnsafe(RECORD_BATCH_HEADER_SIZE + compressed.length);
  compressed.copy(out, RECORD_BATCH_HEADER_SIZE);
  writeHeader(out, input, layout);
  return out;
}

/**
 * Encodes one batch synchronously. Supports codecs None, Gzip, Snappy and Lz4; throws a
 * RecordFormatError for Zstd (its binding is async only, use encodeRecordBatch).
 * Uncompressed batches are written straight into a single buffer.
 */
export function encodeRecordBatchSync(input: RecordBatchInput): Buffer {
  const layout = measureRecords(input.records, input.baseTimestamp);
  const codec = input.compression ?? CompressionCodec.None;
  if (codec === CompressionCodec.None) {
    const out = Buffer.allocUnsafe(RECORD_BATCH_HEADER_SIZE + layout.size);
    writeRecords(out, RECORD_BATCH_HEADER_SIZE, input.records, input.baseTimestamp, layout);
    writeHeader(out, input, layout);
    return out;
  }
  return assemble(input, layout, compressSync(codec, encodeUncompressedRecords(input, layout)));
}

/** Encodes one batch with any codec (async because the zstd binding is). */
export async function encodeRecordBatch(input: RecordBatchInput): Promise<Buffer> {
  const codec = input.compression ?? CompressionCodec.None;
  if (codec !== CompressionCodec.Zstd && codec !== CompressionCodec.Gzip) return encodeRecordBatchSync(input);
  const layout = measureRecords(input.records, input.baseTimestamp);
  return assemble(input, layout, await compress(codec, encodeUncompressedRecords(input, layout)));
}

/**
 * Decodes one magic-2 batch whose header has been bounds-checked by the caller
 * (at least MIN_BATCH_LENGTH and within `buf`).
 */
export async function decodeRecordBatchAt(buf: Buffer, pos: number, opts: DecodeOptions = {}): Promise<DecodedBatch> {
  const h = new RecordBatchHeader(buf, pos);
  const end = pos + h.totalSize;
  if (opts.verifyCrc !== false) {
    const actual = h.computeCrc();
    if (actual !== h.crc) {
      throw new RecordFormatError(`record batch at offset ${h.baseOffset} has CRC ${h.crc}, computed ${actual}`);
    }
  }
  const codec = h.compression;
  let data = buf;
  let start = pos + RECORD_BATCH_HEADER_SIZE;
  let dataEnd = end;
  if (codec !== CompressionCodec.None) {
    data = await decompress(codec, buf.subarray(start, end), opts.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES);
    start = 0;
    dataEnd = data.length;
  }
  const baseOffset = h.baseOffset;
  const maxTimestamp = h.maxTimestamp;
  const timestampType = h.timestampType;
  const cursor = { buf: data, pos: start, end: dataEnd };
  const records = readRecords(
    cursor,
    h.recordCount,
    baseOffset,
    h.baseTimestamp,
    timestampType === TimestampType.LogAppendTime ? maxTimestamp : null,
  );
  return {
    baseOffset,
    lastOffset: h.lastOffset,
    lastOffsetDelta: h.lastOffsetDelta,
    partitionLeaderEpoch: h.partitionLeaderEpoch,
    magic: 2,
    crc: h.crc,
    attributes: h.attributes,
    compression: codec,
    timestampType,
    isTransactional: h.isTransactional,
    isControl: h.isControl,
    hasDeleteHorizon: h.hasDeleteHorizon,
    baseTimestamp: h.baseTimestamp,
    maxTimestamp,
    producerId: h.producerId,
    producerEpoch: h.producerEpoch,
    baseSequence: h.baseSequence,
    sizeInBytes: h.totalSize,
    records,
  };
}

/**
 * Decodes every batch in `buf` (a Fetch response's records, a segment slice). A partial
 * batch at the end is ignored, as clients do. Magic 0/1 messages are decoded into the
 * same shape (one DecodedBatch per message or compressed wrapper). Throws
 * RecordFormatError for a complete but corrupt batch (bad CRC, bad records, bad codec data).
 */
export async function decodeRecordBatches(buf: Buffer, opts: DecodeOptions = {}): Promise<DecodedBatch[]> {
  const out: DecodedBatch[] = [];
  let pos = 0;
  while (buf.length - pos >= LOG_OVERHEAD + 5) {
    const length = buf.readInt32BE(pos + BATCH_LENGTH_OFFSET);
    const magic = buf.readInt8(pos + MAGIC_OFFSET);
    if (magic === 2) {
      if (length < MIN_BATCH_LENGTH) throw new RecordFormatError(`batch length ${length} below the minimum`);
      if (pos + LOG_OVERHEAD + length > buf.length) break; // partial trailing batch
      out.push(await decodeRecordBatchAt(buf, pos, opts));
    } else if (magic === 0 || magic === 1) {
      if (length < 14) throw new RecordFormatError(`message size ${length} below the minimum`);
      if (pos + LOG_OVERHEAD + length > buf.length) break;
      for (const b of await decodeLegacyMessage(buf, pos, opts)) out.push(b);
    } else {
      throw new RecordFormatError(`unknown magic ${magic}`);
    }
    pos += LOG_OVERHEAD + length;
  }
  return out;
}
