// Down-conversion of stored magic-2 batches into the magic 0/1 message sets that Fetch
// v0-v3 return (v0-v1 → magic 0, v2-v3 → magic 1). Follows Kafka's RecordsUtil.downConvert
// and LazyDownConversionRecords:
//
//   stored batch                         served as
//   control batch (transaction marker)   skipped (old consumers know no markers)
//   aborted transactional data           kept: v0-v3 have no isolation level, they read
//                                        uncommitted as Kafka serves them
//   uncompressed batch                   one message per record at or after the fetch
//                                        offset (earlier ones dropped)
//   compressed batch (gzip/snappy/lz4)   one wrapper in the same codec with every record
//                                        of the batch (the consumer skips those before
//                                        its offset, as it does for stored wrappers)
//   zstd batch                           none: the partition answers UNSUPPORTED_COMPRESSION_TYPE
//                                        when it is the first batch, else the response stops
//                                        before it
//   record headers                       dropped (magic 0/1 have none)
//   timestamps (magic 0)                 dropped
//   timestamps (magic 1)                 the record's; LogAppendTime batches use the
//                                        batch's append time and set attribute bit 3
//   batch already at or below the magic  served as stored
//
// Bound: conversion is chunked per stored batch and stops as soon as the converted bytes
// reach `maxBytes`, so it holds at most the stored slice plus one converted batch more
// than `maxBytes`. The result is cut at max(maxBytes, first converted batch): the first
// batch of a response is always whole so the consumer progresses (KIP-74; with
// firstMayExceed false a first batch over the limit is left for the next fetch), and the
// last message may be partial, which every old client ignores (Kafka's lazy
// down-conversion does the same).

import { DEFAULT_MAX_DECOMPRESSED_BYTES } from './compression.js';
import { MIN_MESSAGE_SIZE_V0 } from './legacy-message-set.js';
import { encodeLegacyMessageSet, type LegacyMessageInput } from './legacy-message-set-writer.js';
import { decodeRecordBatchAt } from './record-batch.js';
import {
  BATCH_LENGTH_OFFSET,
  CompressionCodec,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MIN_BATCH_LENGTH,
  RecordBatchHeader,
  TimestampType,
} from './record-batch-header.js';

/** What to convert to and how much. */
export interface DownConvertOptions {
  toMagic: 0 | 1;
  /** The consumer's fetch offset: records of uncompressed batches before it are dropped. */
  fetchOffset: number;
  /** Stop converting once this many bytes are converted. */
  maxBytes: number;
  /**
   * Whether the first converted batch may exceed `maxBytes` (default true: it is the
   * response's first, KIP-74). When false, a first batch over the limit is left out.
   */
  firstMayExceed?: boolean;
  /** Cap on the decompressed size of any one stored batch (default 128 MiB). */
  maxDecompressedBytes?: number;
}

/** The converted message set and what happened on the way. */
export interface DownConverted {
  records: Buffer;
  /** Stored batches read (converted, copied or skipped). */
  batchesRead: number;
  /** Control batches left out. */
  controlBatchesSkipped: number;
  /** The first batch to serve is zstd, which magic 0/1 cannot carry: nothing was converted. */
  unsupportedCompression: boolean;
}

/** The size of the complete entry (batch or legacy message) at `pos`, or -1 when only part of it is in `buf`. */
function completeEntrySize(buf: Buffer, pos: number): number {
  if (buf.length - pos < LOG_OVERHEAD + 5) return -1;
  const length = buf.readInt32BE(pos + BATCH_LENGTH_OFFSET);
  const min = buf[pos + MAGIC_OFFSET] === 2 ? MIN_BATCH_LENGTH : MIN_MESSAGE_SIZE_V0;
  if (length < min || pos + LOG_OVERHEAD + length > buf.length) return -1;
  return LOG_OVERHEAD + length;
}

/**
 * Converts the batches of `stored` (as read from the log, back to back) into a magic
 * 0/1 message set. Throws RecordFormatError when a stored batch does not decode.
 */
export async function downConvertBatches(stored: Buffer, opts: DownConvertOptions): Promise<DownConverted> {
  const chunks: Buffer[] = [];
  let converted = 0;
  let firstChunk = 0;
  let batchesRead = 0;
  let controlBatchesSkipped = 0;
  const decodeOpts = { verifyCrc: false, maxDecompressedBytes: opts.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES };
  const firstMayExceed = opts.firstMayExceed !== false;
  for (let pos = 0; pos < stored.length && (converted < opts.maxBytes || (chunks.length === 0 && firstMayExceed)); ) {
    const size = completeEntrySize(stored, pos);
    if (size < 0) break;
    const magic = stored[pos + MAGIC_OFFSET];
    batchesRead++;
    let chunk: Buffer | null = null;
    if (magic <= opts.toMagic) {
      chunk = stored.subarray(pos, pos + size);
    } else if (magic === 2) {
      const header = new RecordBatchHeader(stored, pos);
      if (header.isControl) {
        controlBatchesSkipped++;
      } else if (header.compression === CompressionCodec.Zstd) {
        if (chunks.length === 0) return { records: Buffer.alloc(0), batchesRead, controlBatchesSkipped, unsupportedCompression: true };
        break;
      } else {
        chunk = await convertBatch(stored, pos, opts, decodeOpts);
      }
    } else {
      // A magic-1 entry served to a magic-0 reader: Samsa never stores one (it stores magic 2 only).
      break;
    }
    pos += size;
    if (chunk === null || chunk.length === 0) continue;
    if (chunks.length === 0) {
      if (chunk.length > opts.maxBytes && !firstMayExceed) break;
      firstChunk = chunk.length;
    }
    chunks.push(chunk);
    converted += chunk.length;
  }
  let records = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, converted);
  const limit = Math.max(opts.maxBytes, firstChunk);
  if (records.length > limit) records = records.subarray(0, limit);
  return { records, batchesRead, controlBatchesSkipped, unsupportedCompression: false };
}

async function convertBatch(
  stored: Buffer,
  pos: number,
  opts: DownConvertOptions,
  decodeOpts: { verifyCrc: boolean; maxDecompressedBytes: number },
): Promise<Buffer | null> {
  const batch = await decodeRecordBatchAt(stored, pos, decodeOpts);
  const compressed = batch.compression !== CompressionCodec.None;
  const messages: LegacyMessageInput[] = [];
  for (const r of batch.records) {
    if (compressed || r.offset >= opts.fetchOffset) messages.push({ offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value });
  }
  if (messages.length === 0) return null;
  return encodeLegacyMessageSet({
    magic: opts.toMagic,
    compression: batch.compression,
    timestampType: batch.timestampType,
    logAppendTimeMs: batch.timestampType === TimestampType.LogAppendTime ? batch.maxTimestamp : undefined,
    messages,
  });
}
