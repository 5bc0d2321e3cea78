// Up-conversion of a Produce v0-v2 message set (magic 0/1) into one magic-2 batch, the
// only format Samsa stores. Follows Kafka's LogValidator for a message-format change:
// every message of the request becomes a record of one batch (offsets are assigned on
// append as for any batch), without producer id, in the topic's codec.
//
// Checks, in Kafka's terms (first failure wins, the whole partition is refused):
//
//   condition                                              error
//   entry cut short, size below the minimum, bad CRC,      CORRUPT_MESSAGE
//     magic other than 0/1, undecodable compressed data
//   magic-2 batch mixed into a magic 0/1 set               INVALID_RECORD
//   compressed wrapper without a value                     INVALID_RECORD
//   inner message compressed again (nested compression)    INVALID_RECORD
//   inner message magic differs from its wrapper's         INVALID_RECORD
//   magic-1 inner offsets not 0, 1, 2, ... (relative)      INVALID_RECORD
//   wrapper codec not gzip/snappy/lz4                      UNSUPPORTED_COMPRESSION_TYPE
//
// Timestamps: magic 0 has none, so its records get -1 (NO_TIMESTAMP); magic 1 keeps
// each message's (a LogAppendTime wrapper's timestamp for its inner messages). The
// topic's message.timestamp.type=LogAppendTime is applied by the log on append, as for
// any batch. Codec: `compression` is the topic's compression.type; "producer" keeps the
// codec of the producer's (last) compressed wrapper, None when nothing was compressed.
// Unlike Kafka, a partial message at the end of the set is refused (CORRUPT_MESSAGE)
// rather than silently dropped, so nothing the client sent is acknowledged unwritten.

import { ErrorCode } from '../errors/error-codes.js';
import { decompress, DEFAULT_MAX_DECOMPRESSED_BYTES } from './compression.js';
import { toStandardLz4HeaderChecksum } from './kafka-lz4-frame.js';
import { MIN_MESSAGE_SIZE_V0, parseLegacyMessage, type LegacyMessage } from './legacy-message-set.js';
import { encodeRecordBatch } from './record-batch.js';
import { CompressionCodec, LOG_OVERHEAD, MAGIC_OFFSET } from './record-batch-header.js';
import { RecordFormatError } from './record-format-error.js';
import type { RecordInput } from './record.js';

/** How to store an up-converted message set. */
export interface UpConvertOptions {
  /** The topic's codec, or 'producer' to keep the producer's. */
  compression: CompressionCodec | 'producer';
  /** Cap on the decompressed size of all wrappers of the set together (default 128 MiB). */
  maxDecompressedBytes?: number;
}

/** The batch to append and what it was made from. */
export interface UpConverted {
  /** One magic-2 batch, base offset 0, no producer id, CRC written. */
  batch: Buffer;
  recordCount: number;
  /** Smallest and largest record timestamp (-1 when none has one): for timestamp checks. */
  minTimestamp: number;
  maxTimestamp: number;
  sourceMagic: 0 | 1;
  /** The producer's codec (None when nothing was compressed). */
  sourceCompression: CompressionCodec;
}

function invalid(message: string): RecordFormatError {
  return new RecordFormatError(message, { code: 'SAMSA_ERR_INVALID_RECORD', errorCode: ErrorCode.INVALID_RECORD });
}

/** True when the first entry of `buf` is a magic 0/1 message (so the set needs up-conversion). */
export function isLegacyMessageSet(buf: Buffer): boolean {
  return buf.length > MAGIC_OFFSET && (buf[MAGIC_OFFSET] === 0 || buf[MAGIC_OFFSET] === 1);
}

/** The inner messages of a compressed wrapper, checked as Kafka's deep iterator does. */
async function innerMessages(wrapper: LegacyMessage, maxBytes: number): Promise<LegacyMessage[]> {
  const codec = (wrapper.attributes & 0x07) as CompressionCodec;
  if (codec > CompressionCodec.Lz4) {
    throw new RecordFormatError(`invalid codec ${codec} for magic ${wrapper.magic}`, {
      code: 'SAMSA_ERR_UNSUPPORTED_COMPRESSION',
      errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
    });
  }
  if (wrapper.value === null) throw invalid('Found invalid compressed record set with null value');
  const payload = codec === CompressionCodec.Lz4 && wrapper.magic === 0 ? toStandardLz4HeaderChecksum(wrapper.value) : wrapper.value;
  if (maxBytes <= 0) {
    throw new RecordFormatError(`the message set decompresses to more than the limit`, { code: 'SAMSA_ERR_DECOMPRESSED_TOO_LARGE' });
  }
  const inner = await decompress(codec, payload, maxBytes);
  const out: LegacyMessage[] = [];
  for (let p = 0; p < inner.length; ) {
    if (inner.length - p < LOG_OVERHEAD + MIN_MESSAGE_SIZE_V0) throw new RecordFormatError('partial message inside a compressed wrapper');
    const m = parseLegacyMessage(inner, p, true);
    if (m.attributes & 0x07) throw invalid('Compressed outer record should not have an inner record with a compression attribute set');
    if (m.magic !== wrapper.magic) throw invalid(`Compressed outer record has magic ${wrapper.magic} while the inner record has magic ${m.magic}`);
    if (wrapper.magic === 1 && m.offset !== out.length) {
      throw invalid(`Inner record offset ${m.offset} does not match the expected relative offset ${out.length}`);
    }
    out.push(m);
    p += m.size;
  }
  if (out.length === 0) throw invalid('Compressed outer record has no inner records');
  return out;
}

/**
 * Converts a complete magic 0/1 message set into one magic-2 batch. Throws
 * RecordFormatError whose `errorCode` is the Kafka error for the partition.
 */
export async function upConvertMessageSet(buf: Buffer, opts: UpConvertOptions): Promise<UpConverted> {
  // One budget for the whole set: many small wrappers may not add up to more than one could.
  const maxBytes = opts.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  let decompressedBytes = 0;
  const records: RecordInput[] = [];
  let sourceMagic: 0 | 1 | null = null;
  let sourceCompression = CompressionCodec.None;
  let minTimestamp = -1;
  let maxTimestamp = -1;
  const add = (m: LegacyMessage, timestamp: number): void => {
    const ts = m.magic === 0 ? -1 : timestamp;
    if (ts >= 0) {
      if (minTimestamp < 0 || ts < minTimestamp) minTimestamp = ts;
      if (ts > maxTimestamp) maxTimestamp = ts;
    }
    records.push({ key: m.key, value: m.value, timestamp: ts, offsetDelta: records.length, headers: [] });
  };
  for (let pos = 0; pos < buf.length; ) {
    if (buf.length - pos < LOG_OVERHEAD + MIN_MESSAGE_SIZE_V0) throw new RecordFormatError('message set ends with a partial message');
    const magic = buf[pos + MAGIC_OFFSET];
    if (magic === 2) throw invalid('A magic 2 record batch cannot follow magic 0/1 messages in one message set');
    const m = parseLegacyMessage(buf, pos, true);
    sourceMagic ??= m.magic as 0 | 1;
    pos += m.size;
    const codec = (m.attributes & 0x07) as CompressionCodec;
    if (codec === CompressionCodec.None) {
      add(m, m.timestamp);
      continue;
    }
    sourceCompression = codec;
    const inner = await innerMessages(m, maxBytes - decompressedBytes);
    for (const im of inner) decompressedBytes += im.size;
    const logAppendTime = m.magic === 1 && (m.attributes & 0x08) !== 0;
    for (const im of inner) add(im, logAppendTime ? m.timestamp : im.timestamp);
  }
  if (sourceMagic === null || records.length === 0) throw invalid('Produce request must contain at least one message');
  const compression = opts.compression === 'producer' ? sourceCompression : opts.compression;
  const first = records[0].timestamp ?? -1;
  const batch = await encodeRecordBatch({ compression, baseTimestamp: first, maxTimestamp, records });
  return { batch, recordCount: records.length, minTimestamp, maxTimestamp, sourceMagic, sourceCompression };
}
