// Magic 0/1 message sets (the pre-0.11 format): the decoder. Consumers and tests read
// old data with it; the broker's up-conversion (legacy-up-convert.ts) reuses
// parseLegacyMessage, and legacy-message-set-writer.ts writes the format. Layout of one entry, big endian:
//
//   offset      int64
//   messageSize int32   bytes after this field
//   crc         uint32  CRC-32 (IEEE) over magic .. end of message
//   magic       int8    0 or 1
//   attributes  int8    bits 0-2 codec (gzip 1, snappy 2, lz4 3), bit 3 LogAppendTime (magic 1)
//   timestamp   int64   magic 1 only
//   key         int32 length (-1 = null) + bytes
//   value       int32 length (-1 = null) + bytes
//
// A compressed "wrapper" message holds a whole inner message set in its value. With
// magic 1 the inner offsets are relative (0..n-1) and the wrapper's offset is the
// absolute offset of the last inner message; with magic 0 the inner offsets are
// absolute. Nested compression is invalid. Magic-0 LZ4 used a broken frame header
// checksum in old Java clients; such payloads are fixed up before decoding.

import { crc32 } from '@node-rs/crc32';
import { decompress, DEFAULT_MAX_DECOMPRESSED_BYTES } from './compression.js';
import { toStandardLz4HeaderChecksum } from './kafka-lz4-frame.js';
import type { DecodedRecord } from './record.js';
import type { DecodeOptions, DecodedBatch } from './record-batch.js';
import { CompressionCodec, LOG_OVERHEAD, TimestampType } from './record-batch-header.js';
import { RecordFormatError } from './record-format-error.js';
import { readInt64 } from './varint.js';

const CRC_POS = 12;
const MAGIC_POS = 16;
const ATTRIBUTES_POS = 17;
/** Smallest messageSize: crc, magic, attributes, key length, value length. */
export const MIN_MESSAGE_SIZE_V0 = 14;
/** Smallest magic-1 messageSize (adds the timestamp). */
export const MIN_MESSAGE_SIZE_V1 = 22;

/** One decoded legacy message before inner-offset resolution. */
export interface LegacyMessage {
  offset: number;
  magic: number;
  crc: number;
  attributes: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  size: number;
}

function readLengthPrefixed(buf: Buffer, pos: number, end: number): [Buffer | null, number] {
  if (pos + 4 > end) throw new RecordFormatError('legacy message field overruns the message');
  const len = buf.readInt32BE(pos);
  pos += 4;
  if (len === -1) return [null, pos];
  if (len < 0 || pos + len > end) throw new RecordFormatError(`invalid legacy message field length ${len}`);
  return [buf.subarray(pos, pos + len), pos + len];
}

/**
 * Parses (and CRC-checks) the message at `pos`; the caller ensured the size field is within `buf`.
 * Throws RecordFormatError (CORRUPT_MESSAGE) for a bad CRC, size or magic.
 */
export function parseLegacyMessage(buf: Buffer, pos: number, verifyCrc: boolean): LegacyMessage {
  const size = buf.readInt32BE(pos + 8);
  if (size < MIN_MESSAGE_SIZE_V0) throw new RecordFormatError(`legacy message size ${size} below the minimum`);
  const end = pos + LOG_OVERHEAD + size;
  if (end > buf.length) throw new RecordFormatError('legacy message overruns its buffer');
  const magic = buf.readInt8(pos + MAGIC_POS);
  if (magic !== 0 && magic !== 1) throw new RecordFormatError(`unexpected magic ${magic} in a legacy message set`);
  if (size < (magic === 0 ? MIN_MESSAGE_SIZE_V0 : MIN_MESSAGE_SIZE_V1)) {
    throw new RecordFormatError(`legacy message size ${size} below the minimum`);
  }
  const crc = buf.readUInt32BE(pos + CRC_POS);
  if (verifyCrc) {
    const actual = crc32(buf.subarray(pos + MAGIC_POS, end)) >>> 0;
    if (actual !== crc) throw new RecordFormatError(`legacy message CRC ${crc} does not match computed ${actual}`);
  }
  const attributes = buf.readInt8(pos + ATTRIBUTES_POS);
  let p = pos + ATTRIBUTES_POS + 1;
  let timestamp = -1;
  if (magic === 1) {
    timestamp = readInt64(buf, p);
    p += 8;
  }
  const [key, afterKey] = readLengthPrefixed(buf, p, end);
  const [value, afterValue] = readLengthPrefixed(buf, afterKey, end);
  if (afterValue !== end) throw new RecordFormatError('legacy message size does not match its contents');
  return { offset: readInt64(buf, pos), magic, crc, attributes, timestamp, key, value, size: LOG_OVERHEAD + size };
}

function toBatch(m: LegacyMessage, records: DecodedRecord[], timestampType: TimestampType): DecodedBatch {
  let maxTimestamp = -1;
  for (const r of records) if (r.timestamp > maxTimestamp) maxTimestamp = r.timestamp;
  const baseOffset = records.length > 0 ? records[0].offset : m.offset;
  const lastOffset = records.length > 0 ? records[records.length - 1].offset : m.offset;
  return {
    baseOffset,
    lastOffset,
    lastOffsetDelta: lastOffset - baseOffset,
    partitionLeaderEpoch: -1,
    magic: m.magic,
    crc: m.crc,
    attributes: m.attributes,
    compression: (m.attributes & 0x07) as CompressionCodec,
    timestampType,
    isTransactional: false,
    isControl: false,
    hasDeleteHorizon: false,
    baseTimestamp: records.length > 0 ? records[0].timestamp : m.timestamp,
    maxTimestamp,
    producerId: -1,
    producerEpoch: -1,
    baseSequence: -1,
    sizeInBytes: m.size,
    records,
  };
}

/**
 * Decodes the legacy message at `pos` (magic 0 or 1). Returns one DecodedBatch: a plain
 * message becomes a one-record batch, a compressed wrapper a batch of its inner
 * messages. Throws RecordFormatError when the message is corrupt.
 */
export async function decodeLegacyMessage(buf: Buffer, pos: number, opts: DecodeOptions = {}): Promise<DecodedBatch[]> {
  const verifyCrc = opts.verifyCrc !== false;
  const m = parseLegacyMessage(buf, pos, verifyCrc);
  const codec = m.attributes & 0x07;
  const timestampType = m.magic === 1 && m.attributes & 0x08 ? TimestampType.LogAppendTime : TimestampType.CreateTime;
  if (codec === CompressionCodec.None) {
    return [toBatch(m, [{ offset: m.offset, timestamp: m.timestamp, key: m.key, value: m.value, headers: [] }], timestampType)];
  }
  if (codec > CompressionCodec.Lz4) throw new RecordFormatError(`invalid codec ${codec} for magic ${m.magic}`);
  if (m.value === null) throw new RecordFormatError('compressed legacy message without a value');
  const payload = codec === CompressionCodec.Lz4 && m.magic === 0 ? toStandardLz4HeaderChecksum(m.value) : m.value;
  const inner = await decompress(codec, payload, opts.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES);
  const messages: LegacyMessage[] = [];
  let p = 0;
  // Inner sets may end with a partial message in some old producers; stop there.
  while (inner.length - p >= LOG_OVERHEAD + MIN_MESSAGE_SIZE_V0) {
    const size = inner.readInt32BE(p + 8);
    if (p + LOG_OVERHEAD + size > inner.length) break;
    const im = parseLegacyMessage(inner, p, verifyCrc);
    if (im.attributes & 0x07) throw new RecordFormatError('nested compression in a legacy message set');
    messages.push(im);
    p += im.size;
  }
  const records: DecodedRecord[] = new Array<DecodedRecord>(messages.length);
  const lastInner = messages.length > 0 ? messages[messages.length - 1].offset : 0;
  // Magic 1 inner offsets are relative: absolute = wrapper offset - last relative + relative.
  const shift = m.magic === 1 ? m.offset - lastInner : 0;
  for (let i = 0; i < messages.length; i++) {
    const im = messages[i];
    records[i] = {
      offset: im.offset + shift,
      timestamp: timestampType === TimestampType.LogAppendTime ? m.timestamp : im.timestamp,
      key: im.key,
      value: im.value,
      headers: [],
    };
  }
  return [toBatch(m, records, timestampType)];
}

/**
 * Decodes a whole magic 0/1 message set: one DecodedBatch per message or compressed
 * wrapper. A partial trailing message is ignored.
 */
export async function decodeLegacyMessageSet(buf: Buffer, opts: DecodeOptions = {}): Promise<DecodedBatch[]> {
  const out: DecodedBatch[] = [];
  let pos = 0;
  while (buf.length - pos >= LOG_OVERHEAD + 5) {
    const size = buf.readInt32BE(pos + 8);
    if (size < MIN_MESSAGE_SIZE_V0) throw new RecordFormatError(`legacy message size ${size} below the minimum`);
    if (pos + LOG_OVERHEAD + size > buf.length) break;
    for (const b of await decodeLegacyMessage(buf, pos, opts)) out.push(b);
    pos += LOG_OVERHEAD + size;
  }
  return out;
}
