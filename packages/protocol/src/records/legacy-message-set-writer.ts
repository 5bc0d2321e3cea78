// Writes magic 0/1 message sets (layout in legacy-message-set.ts), as the broker serves
// them to Fetch v0-v3 after down-conversion and as old producers send them.
//
// Uncompressed: one message per record, each at its absolute offset.
// Compressed: one wrapper message whose value is the compressed inner message set, as
// Kafka's MemoryRecordsBuilder writes it:
//
//   field                 magic 0                 magic 1
//   inner offsets         absolute                relative to the first record (0..)
//   wrapper offset        last record's offset    last record's offset
//   wrapper timestamp     (none)                  LogAppendTime ? append time : max record timestamp
//   attributes (all)      codec on the wrapper    codec on the wrapper, bit 3 = LogAppendTime on wrapper and inner
//   LZ4 header checksum   Kafka's broken one      standard
//
// Snappy is written in the xerial framing the Java client requires for magic 0/1.

import { crc32 } from '@node-rs/crc32';
import { compress } from './compression.js';
import { toKafkaV0Lz4HeaderChecksum } from './kafka-lz4-frame.js';
import { CompressionCodec, LOG_OVERHEAD, TimestampType } from './record-batch-header.js';
import { RecordFormatError } from './record-format-error.js';
import { writeInt64 } from './varint.js';

/** One message to write. `timestamp` is ignored for magic 0. */
export interface LegacyMessageInput {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
}

/** A message set to write: every record of one source batch. */
export interface LegacyMessageSetInput {
  magic: 0 | 1;
  /** None, Gzip, Snappy or Lz4 (magic 0/1 have no zstd). */
  compression: CompressionCodec;
  timestampType: TimestampType;
  /** The batch's append time, used for every timestamp when timestampType is LogAppendTime. */
  logAppendTimeMs?: number;
  messages: readonly LegacyMessageInput[];
}

const TIMESTAMP_TYPE_BIT = 0x08;

/** Bytes one message takes, LOG_OVERHEAD included. */
export function sizeOfLegacyMessage(magic: 0 | 1, key: Buffer | null, value: Buffer | null): number {
  return LOG_OVERHEAD + 4 + 1 + 1 + (magic === 1 ? 8 : 0) + 4 + (key?.length ?? 0) + 4 + (value?.length ?? 0);
}

/** Writes one message at `pos` and returns the position after it. */
function writeMessage(
  out: Buffer,
  pos: number,
  magic: 0 | 1,
  attributes: number,
  offset: number,
  timestamp: number,
  key: Buffer | null,
  value: Buffer | null,
): number {
  const size = sizeOfLegacyMessage(magic, key, value);
  writeInt64(out, pos, offset);
  out.writeInt32BE(size - LOG_OVERHEAD, pos + 8);
  const crcPos = pos + 12;
  let p = crcPos + 4;
  out.writeInt8(magic, p++);
  out.writeInt8(attributes, p++);
  if (magic === 1) {
    writeInt64(out, p, timestamp);
    p += 8;
  }
  for (const field of [key, value]) {
    if (field === null) {
      out.writeInt32BE(-1, p);
      p += 4;
    } else {
      out.writeInt32BE(field.length, p);
      p += 4;
      field.copy(out, p);
      p += field.length;
    }
  }
  out.writeUInt32BE(crc32(out.subarray(crcPos + 4, p)) >>> 0, crcPos);
  return p;
}

/** Writes `messages` uncompressed, each at `offsetOf(message)`. */
function writePlain(input: LegacyMessageSetInput, attributes: number, relativeTo: number | null): Buffer {
  const { magic, messages } = input;
  let total = 0;
  for (const m of messages) total += sizeOfLegacyMessage(magic, m.key, m.value);
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  for (const m of messages) {
    const offset = relativeTo === null ? m.offset : m.offset - relativeTo;
    pos = writeMessage(out, pos, magic, attributes, offset, timestampOf(input, m), m.key, m.value);
  }
  return out;
}

function timestampOf(input: LegacyMessageSetInput, m: LegacyMessageInput): number {
  if (input.magic === 0) return -1;
  return input.timestampType === TimestampType.LogAppendTime ? (input.logAppendTimeMs ?? -1) : m.timestamp;
}

/**
 * Encodes `input.messages` as one magic 0/1 message set: plain messages, or one
 * compressed wrapper. Throws RecordFormatError for zstd (no magic 0/1 codec) or an
 * empty compressed set.
 */
export async function encodeLegacyMessageSet(input: LegacyMessageSetInput): Promise<Buffer> {
  const tsBit = input.magic === 1 && input.timestampType === TimestampType.LogAppendTime ? TIMESTAMP_TYPE_BIT : 0;
  const codec = input.compression;
  if (codec === CompressionCodec.None) return writePlain(input, tsBit, null);
  if (codec === CompressionCodec.Zstd || codec > CompressionCodec.Zstd) {
    throw new RecordFormatError(`codec ${codec} cannot be written in magic ${input.magic}`, {
      code: 'SAMSA_ERR_UNSUPPORTED_COMPRESSION',
    });
  }
  const { messages } = input;
  if (messages.length === 0) throw new RecordFormatError('a compressed message set needs at least one message');
  const first = messages[0].offset;
  const last = messages[messages.length - 1];
  const inner = writePlain(input, tsBit, input.magic === 1 ? first : null);
  let payload = await compress(codec, inner);
  if (codec === CompressionCodec.Lz4 && input.magic === 0) payload = toKafkaV0Lz4HeaderChecksum(payload);
  let wrapperTimestamp = -1;
  if (input.magic === 1) {
    if (input.timestampType === TimestampType.LogAppendTime) wrapperTimestamp = input.logAppendTimeMs ?? -1;
    else for (const m of messages) if (m.timestamp > wrapperTimestamp) wrapperTimestamp = m.timestamp;
  }
  const out = Buffer.allocUnsafe(sizeOfLegacyMessage(input.magic, null, payload));
  writeMessage(out, 0, input.magic, codec | tsBit, last.offset, wrapperTimestamp, null, payload);
  return out;
}
