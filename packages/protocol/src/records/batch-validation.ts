// Header-level validation of magic-2 batches for the produce path and log recovery.
// Nothing here decodes records or decompresses; every check reads fixed header fields
// and one CRC-32C pass over the batch, and nothing throws on hostile input.
//
// Decision table (first failing row wins, per batch):
//
//   condition                                        errorCode                       kind
//   fewer than 17 bytes left (can't read magic)      CORRUPT_MESSAGE (2)             CORRUPT_MESSAGE
//   magic 0 or 1                                     INVALID_RECORD (87)             UNSUPPORTED_MAGIC
//   magic not 0, 1 or 2                              CORRUPT_MESSAGE (2)             UNSUPPORTED_MAGIC
//   batchLength < 49 or past the end of the buffer   CORRUPT_MESSAGE (2)             CORRUPT_MESSAGE
//   batchLength > maxBatchBytes                      MESSAGE_TOO_LARGE (10)          TOO_LARGE
//   CRC-32C mismatch                                 CORRUPT_MESSAGE (2)             CORRUPT_MESSAGE
//   codec 5-7                                        UNSUPPORTED_COMPRESSION_TYPE(76) UNSUPPORTED_COMPRESSION
//   lastOffsetDelta < 0, recordCount < 0             INVALID_RECORD (87)             INVALID_RECORD
//   not compacted: recordCount < 1 or
//     recordCount != lastOffsetDelta + 1             INVALID_RECORD (87)             INVALID_RECORD
//   compacted: recordCount > lastOffsetDelta + 1     INVALID_RECORD (87)             INVALID_RECORD
//   requireSingleBatch and batch count != 1          INVALID_RECORD (87)             INVALID_RECORD
//
// Magic 0/1 maps to INVALID_RECORD as Kafka 2.4+ does for Produce v3+
// (ProduceRequest.validateRecords); earlier brokers answered CORRUPT_MESSAGE.

import { ErrorCode } from '../errors/error-codes.js';
import {
  ATTR_COMPRESSION_MASK,
  ATTRIBUTES_OFFSET,
  BATCH_LENGTH_OFFSET,
  CRC_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MIN_BATCH_LENGTH,
  RecordBatchHeader,
  RECORDS_COUNT_OFFSET,
} from './record-batch-header.js';
import { crc32c } from './crc32c.js';
import { readInt64 } from './varint.js';

/** Why a records blob was rejected. */
export type BatchValidationErrorKind =
  | 'CORRUPT_MESSAGE'
  | 'INVALID_RECORD'
  | 'UNSUPPORTED_MAGIC'
  | 'UNSUPPORTED_COMPRESSION'
  | 'TOO_LARGE';

/** Options for validateBatches. */
export interface ValidateBatchesOptions {
  /** Produce v3+: exactly one batch per partition. */
  requireSingleBatch?: boolean;
  /** Input may come from compaction: records may be missing, count may be 0. */
  compacted?: boolean;
  /** Reject a batch whose total size exceeds this (MESSAGE_TOO_LARGE). */
  maxBatchBytes?: number;
}

/** Result of validateBatches. */
export type BatchValidationResult =
  | { ok: true; batches: RecordBatchHeader[] }
  | { ok: false; errorCode: number; kind: BatchValidationErrorKind; message: string; position: number };

const MAGIC_READABLE = MAGIC_OFFSET + 1;

function fail(errorCode: number, kind: BatchValidationErrorKind, message: string, position: number): BatchValidationResult {
  return { ok: false, errorCode, kind, message, position };
}

/**
 * Splits a records blob (a Produce payload or a log segment slice) into magic-2 batches
 * and validates each header per the table above. Returns header views (no copies) or
 * the Kafka error code to answer with. Never throws.
 */
export function validateBatches(buf: Buffer, opts: ValidateBatchesOptions = {}): BatchValidationResult {
  const batches: RecordBatchHeader[] = [];
  const maxBatchBytes = opts.maxBatchBytes ?? Infinity;
  let pos = 0;
  while (pos < buf.length) {
    const remaining = buf.length - pos;
    if (remaining < MAGIC_READABLE) {
      return fail(ErrorCode.CORRUPT_MESSAGE, 'CORRUPT_MESSAGE', `${remaining} trailing bytes do not form a batch`, pos);
    }
    const magic = buf.readInt8(pos + MAGIC_OFFSET);
    if (magic === 0 || magic === 1) {
      return fail(ErrorCode.INVALID_RECORD, 'UNSUPPORTED_MAGIC', `magic ${magic} message sets are not accepted; use record batch v2`, pos);
    }
    if (magic !== 2) return fail(ErrorCode.CORRUPT_MESSAGE, 'UNSUPPORTED_MAGIC', `unknown magic ${magic}`, pos);
    const batchLength = buf.readInt32BE(pos + BATCH_LENGTH_OFFSET);
    if (batchLength < MIN_BATCH_LENGTH) {
      return fail(ErrorCode.CORRUPT_MESSAGE, 'CORRUPT_MESSAGE', `batch length ${batchLength} is below the minimum of ${MIN_BATCH_LENGTH}`, pos);
    }
    if (batchLength + LOG_OVERHEAD > maxBatchBytes) {
      return fail(ErrorCode.MESSAGE_TOO_LARGE, 'TOO_LARGE', `batch of ${batchLength + LOG_OVERHEAD} bytes exceeds ${maxBatchBytes}`, pos);
    }
    const end = pos + LOG_OVERHEAD + batchLength;
    if (end > buf.length) {
      return fail(ErrorCode.CORRUPT_MESSAGE, 'CORRUPT_MESSAGE', `batch length ${batchLength} runs past the end of the data`, pos);
    }
    const stored = buf.readUInt32BE(pos + CRC_OFFSET);
    const actual = crc32c(buf.subarray(pos + ATTRIBUTES_OFFSET, end));
    if (stored !== actual) {
      return fail(ErrorCode.CORRUPT_MESSAGE, 'CORRUPT_MESSAGE', `CRC mismatch: stored ${stored}, computed ${actual}`, pos);
    }
    const codec = buf.readInt16BE(pos + ATTRIBUTES_OFFSET) & ATTR_COMPRESSION_MASK;
    if (codec > 4) {
      return fail(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, 'UNSUPPORTED_COMPRESSION', `unknown compression codec ${codec}`, pos);
    }
    const lastOffsetDelta = buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET);
    const recordCount = buf.readInt32BE(pos + RECORDS_COUNT_OFFSET);
    if (lastOffsetDelta < 0 || recordCount < 0) {
      return fail(ErrorCode.INVALID_RECORD, 'INVALID_RECORD', `negative lastOffsetDelta ${lastOffsetDelta} or record count ${recordCount}`, pos);
    }
    if (opts.compacted) {
      if (recordCount > lastOffsetDelta + 1) {
        return fail(ErrorCode.INVALID_RECORD, 'INVALID_RECORD', `record count ${recordCount} exceeds the offset range ${lastOffsetDelta + 1}`, pos);
      }
    } else if (recordCount < 1 || recordCount !== lastOffsetDelta + 1) {
      return fail(ErrorCode.INVALID_RECORD, 'INVALID_RECORD', `record count ${recordCount} inconsistent with lastOffsetDelta ${lastOffsetDelta}`, pos);
    }
    batches.push(new RecordBatchHeader(buf, pos));
    pos = end;
  }
  if (opts.requireSingleBatch && batches.length !== 1) {
    return fail(ErrorCode.INVALID_RECORD, 'INVALID_RECORD', `expected exactly one record batch, found ${batches.length}`, 0);
  }
  return { ok: true, batches };
}

/** Why scanValidPrefix stopped. */
export type ScanStopReason = 'end' | 'torn' | 'corrupt' | 'non-monotonic';

/** Result of scanValidPrefix. */
export interface ValidPrefix {
  /** Bytes from the start position up to the end of the last valid batch. */
  validBytes: number;
  /** Number of valid batches. */
  batches: number;
  /** Base offset of the first valid batch, or -1. */
  firstOffset: number;
  /** Last offset of the last valid batch, or -1. */
  lastOffset: number;
  /** Largest maxTimestamp among valid batches, or -1. */
  maxTimestamp: number;
  /** lastOffset of the batch holding maxTimestamp (what Kafka's time index records), or -1. */
  offsetOfMaxTimestamp: number;
  /** Why the scan stopped: reached the end, hit a partial batch, a bad batch, or offsets going backwards. */
  stopReason: ScanStopReason;
}

/**
 * For log recovery: walks magic-2 batches from `pos` and stops at the first one that is
 * incomplete (torn write), corrupt (size, magic or CRC) or whose offsets do not
 * increase. Everything before that point is safe to keep; the caller truncates the rest.
 */
export function scanValidPrefix(buf: Buffer, pos = 0): ValidPrefix {
  const start = pos;
  let batches = 0;
  let firstOffset = -1;
  let lastOffset = -1;
  let maxTimestamp = -1;
  let offsetOfMaxTimestamp = -1;
  let stopReason: ScanStopReason = 'end';
  while (pos < buf.length) {
    if (buf.length - pos < LOG_OVERHEAD + MIN_BATCH_LENGTH) {
      stopReason = 'torn';
      break;
    }
    const batchLength = buf.readInt32BE(pos + BATCH_LENGTH_OFFSET);
    if (batchLength < MIN_BATCH_LENGTH || buf.readInt8(pos + MAGIC_OFFSET) !== 2) {
      stopReason = 'corrupt';
      break;
    }
    const end = pos + LOG_OVERHEAD + batchLength;
    if (end > buf.length) {
      stopReason = 'torn';
      break;
    }
    if (buf.readUInt32BE(pos + CRC_OFFSET) !== crc32c(buf.subarray(pos + ATTRIBUTES_OFFSET, end))) {
      stopReason = 'corrupt';
      break;
    }
    const header = new RecordBatchHeader(buf, pos);
    if (header.recordCount < 0 || header.lastOffsetDelta < 0) {
      stopReason = 'corrupt';
      break;
    }
    const baseOffset = readInt64(buf, pos);
    if (batches > 0 && baseOffset <= lastOffset) {
      stopReason = 'non-monotonic';
      break;
    }
    if (batches === 0) firstOffset = baseOffset;
    lastOffset = baseOffset + header.lastOffsetDelta;
    const ts = header.maxTimestamp;
    if (ts > maxTimestamp) {
      maxTimestamp = ts;
      offsetOfMaxTimestamp = lastOffset;
    }
    batches++;
    pos = end;
  }
  return { validBytes: pos - start, batches, firstOffset, lastOffset, maxTimestamp, offsetOfMaxTimestamp, stopReason };
}
