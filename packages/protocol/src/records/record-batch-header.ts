// Magic-2 record batch header: offsets of every field and a zero-copy view over them.
//
//   offset  size  field                 covered by CRC
//   0       8     baseOffset            no   (assigned by the broker)
//   8       4     batchLength           no   (bytes after this field)
//   12      4     partitionLeaderEpoch  no   (stamped by the broker)
//   16      1     magic (= 2)           no
//   17      4     crc (CRC-32C, uint32) -
//   21      2     attributes            yes  bits 0-2 codec, 3 timestamp type,
//                                            4 transactional, 5 control, 6 delete horizon
//   23      4     lastOffsetDelta       yes
//   27      8     baseTimestamp         yes
//   35      8     maxTimestamp          yes
//   43      8     producerId            yes
//   51      2     producerEpoch         yes
//   53      4     baseSequence          yes
//   57      4     recordCount           yes
//   61      -     records (one compressed block when codec != 0)
//
// The broker's produce path reads only these fields and rewrites baseOffset /
// partitionLeaderEpoch in place; it never decodes records (architecture principle 2).

import { crc32c } from './crc32c.js';
import { readInt64, writeInt64 } from './varint.js';

/** Bytes before the first record of a magic-2 batch. */
export const RECORD_BATCH_HEADER_SIZE = 61;
/** Bytes of baseOffset + batchLength, which batchLength does not count. */
export const LOG_OVERHEAD = 12;
/** Smallest legal batchLength (a batch with no records). */
export const MIN_BATCH_LENGTH = RECORD_BATCH_HEADER_SIZE - LOG_OVERHEAD;

export const BATCH_LENGTH_OFFSET = 8;
export const PARTITION_LEADER_EPOCH_OFFSET = 12;
export const MAGIC_OFFSET = 16;
export const CRC_OFFSET = 17;
export const ATTRIBUTES_OFFSET = 21;
export const LAST_OFFSET_DELTA_OFFSET = 23;
export const BASE_TIMESTAMP_OFFSET = 27;
export const MAX_TIMESTAMP_OFFSET = 35;
export const PRODUCER_ID_OFFSET = 43;
export const PRODUCER_EPOCH_OFFSET = 51;
export const BASE_SEQUENCE_OFFSET = 53;
export const RECORDS_COUNT_OFFSET = 57;

/** Compression codec, attribute bits 0-2. */
export enum CompressionCodec {
  None = 0,
  Gzip = 1,
  Snappy = 2,
  Lz4 = 3,
  Zstd = 4,
}

/** Timestamp type, attribute bit 3. */
export enum TimestampType {
  CreateTime = 0,
  LogAppendTime = 1,
}

/** Attribute bit masks (magic 2). */
export const ATTR_COMPRESSION_MASK = 0x07;
export const ATTR_TIMESTAMP_TYPE_MASK = 0x08;
export const ATTR_TRANSACTIONAL_MASK = 0x10;
export const ATTR_CONTROL_MASK = 0x20;
export const ATTR_DELETE_HORIZON_MASK = 0x40;

/**
 * Reads fields of one batch starting at `pos` in `buf` without copying or decoding
 * records. Getters read the bytes on each access, so a view stays correct after the
 * broker rewrites baseOffset or the epoch in place. The caller must have checked that
 * at least RECORD_BATCH_HEADER_SIZE bytes exist (validateBatches does); Buffer reads
 * throw a RangeError otherwise.
 */
export class RecordBatchHeader {
  /** Buffer holding the batch. */
  readonly buf: Buffer;
  /** Position of the batch's first byte (baseOffset) in `buf`. */
  readonly pos: number;

  constructor(buf: Buffer, pos = 0) {
    this.buf = buf;
    this.pos = pos;
  }

  /** Offset of the first record (int64). */
  get baseOffset(): number {
    return readInt64(this.buf, this.pos);
  }
  /** Bytes after the batchLength field. */
  get batchLength(): number {
    return this.buf.readInt32BE(this.pos + BATCH_LENGTH_OFFSET);
  }
  /** Bytes of the whole batch including baseOffset and batchLength. */
  get totalSize(): number {
    return this.batchLength + LOG_OVERHEAD;
  }
  get partitionLeaderEpoch(): number {
    return this.buf.readInt32BE(this.pos + PARTITION_LEADER_EPOCH_OFFSET);
  }
  get magic(): number {
    return this.buf.readInt8(this.pos + MAGIC_OFFSET);
  }
  /** Stored CRC-32C (unsigned). */
  get crc(): number {
    return this.buf.readUInt32BE(this.pos + CRC_OFFSET);
  }
  get attributes(): number {
    return this.buf.readInt16BE(this.pos + ATTRIBUTES_OFFSET);
  }
  /** Codec id from the attributes; may be an undefined value (5-7) in corrupt input. */
  get compression(): CompressionCodec {
    return this.attributes & ATTR_COMPRESSION_MASK;
  }
  get timestampType(): TimestampType {
    return this.attributes & ATTR_TIMESTAMP_TYPE_MASK ? TimestampType.LogAppendTime : TimestampType.CreateTime;
  }
  get isTransactional(): boolean {
    return (this.attributes & ATTR_TRANSACTIONAL_MASK) !== 0;
  }
  get isControl(): boolean {
    return (this.attributes & ATTR_CONTROL_MASK) !== 0;
  }
  /** Set by compaction when baseTimestamp holds the delete horizon (KIP-534). */
  get hasDeleteHorizon(): boolean {
    return (this.attributes & ATTR_DELETE_HORIZON_MASK) !== 0;
  }
  get lastOffsetDelta(): number {
    return this.buf.readInt32BE(this.pos + LAST_OFFSET_DELTA_OFFSET);
  }
  /** baseOffset + lastOffsetDelta. */
  get lastOffset(): number {
    return this.baseOffset + this.lastOffsetDelta;
  }
  get baseTimestamp(): number {
    return readInt64(this.buf, this.pos + BASE_TIMESTAMP_OFFSET);
  }
  get maxTimestamp(): number {
    return readInt64(this.buf, this.pos + MAX_TIMESTAMP_OFFSET);
  }
  get producerId(): number {
    return readInt64(this.buf, this.pos + PRODUCER_ID_OFFSET);
  }
  get producerEpoch(): number {
    return this.buf.readInt16BE(this.pos + PRODUCER_EPOCH_OFFSET);
  }
  get baseSequence(): number {
    return this.buf.readInt32BE(this.pos + BASE_SEQUENCE_OFFSET);
  }
  get recordCount(): number {
    return this.buf.readInt32BE(this.pos + RECORDS_COUNT_OFFSET);
  }
  /** Last sequence number of the batch (wraps at int32 max like Kafka), or -1 without a producer id. */
  get lastSequence(): number {
    const base = this.baseSequence;
    if (base < 0) return -1;
    const last = base + this.lastOffsetDelta;
    return last > 0x7fffffff ? last - 0x80000000 : last;
  }
  /** CRC-32C over attributes .. end of batch, to compare with `crc`. */
  computeCrc(): number {
    return crc32c(this.buf.subarray(this.pos + ATTRIBUTES_OFFSET, this.pos + LOG_OVERHEAD + this.batchLength));
  }
  /** Bytes of the whole batch (a view, no copy). */
  bytes(): Buffer {
    return this.buf.subarray(this.pos, this.pos + this.totalSize);
  }
}

/** Overwrites baseOffset in place. Outside the CRC, so the checksum stays valid. */
export function setBaseOffset(buf: Buffer, pos: number, baseOffset: number): void {
  writeInt64(buf, pos, baseOffset);
}

/** Overwrites partitionLeaderEpoch in place. Outside the CRC. */
export function setPartitionLeaderEpoch(buf: Buffer, pos: number, epoch: number): void {
  buf.writeInt32BE(epoch, pos + PARTITION_LEADER_EPOCH_OFFSET);
}

/**
 * Stamps a batch with LogAppendTime: sets the timestamp-type bit and maxTimestamp and
 * recomputes the CRC, since both fields are inside it. baseTimestamp is left alone:
 * Kafka's LogValidator only rewrites maxTimestamp (consumers take every record's
 * timestamp from maxTimestamp when the bit is set), and keeping baseTimestamp keeps
 * the records' deltas meaningful.
 */
export function setLogAppendTime(buf: Buffer, pos: number, timestampMs: number): void {
  const attrPos = pos + ATTRIBUTES_OFFSET;
  buf.writeInt16BE(buf.readInt16BE(attrPos) | ATTR_TIMESTAMP_TYPE_MASK, attrPos);
  writeInt64(buf, pos + MAX_TIMESTAMP_OFFSET, timestampMs);
  writeBatchCrc(buf, pos);
}

/** Computes and writes the CRC of the batch at `pos` (it covers everything from the attributes to the batch's end). */
export function writeBatchCrc(buf: Buffer, pos = 0): void {
  const end = pos + LOG_OVERHEAD + buf.readInt32BE(pos + BATCH_LENGTH_OFFSET);
  buf.writeUInt32BE(crc32c(buf.subarray(pos + ATTRIBUTES_OFFSET, end)), pos + CRC_OFFSET);
}
