// Control records (transaction markers). A control batch has the control and
// transactional attribute bits set and holds exactly one record:
//   key   = int16 version (0), int16 type (0 ABORT, 1 COMMIT; KRaft uses 2+)
//   value = int16 version (0), int32 coordinatorEpoch      (for ABORT/COMMIT)

import { encodeRecordBatchSync } from './record-batch.js';
import { RecordFormatError } from './record-format-error.js';
import { RECORD_BATCH_HEADER_SIZE } from './record-batch-header.js';
import { readVarint, readVarlong, type ByteCursor } from './varint.js';

/** Control record types known to Kafka. Samsa writes only ABORT and COMMIT. */
export type ControlRecordType =
  | 'ABORT'
  | 'COMMIT'
  | 'LEADER_CHANGE'
  | 'SNAPSHOT_HEADER'
  | 'SNAPSHOT_FOOTER'
  | 'KRAFT_VERSION'
  | 'KRAFT_VOTERS'
  | 'UNKNOWN';

const TYPE_NAMES: readonly ControlRecordType[] = [
  'ABORT',
  'COMMIT',
  'LEADER_CHANGE',
  'SNAPSHOT_HEADER',
  'SNAPSHOT_FOOTER',
  'KRAFT_VERSION',
  'KRAFT_VOTERS',
];

/** Input for encodeControlRecordBatch. */
export interface ControlBatchInput {
  type: 'COMMIT' | 'ABORT';
  producerId: number;
  producerEpoch: number;
  coordinatorEpoch: number;
  timestamp: number;
  baseOffset?: number;
  partitionLeaderEpoch?: number;
}

/** A decoded control record. `coordinatorEpoch` is -1 for types other than ABORT/COMMIT. */
export interface ControlRecord {
  type: ControlRecordType;
  /** The numeric type from the key (useful when `type` is UNKNOWN). */
  typeId: number;
  version: number;
  coordinatorEpoch: number;
}

/** Builds the single-record control batch that ends a transaction on one partition. */
export function encodeControlRecordBatch(input: ControlBatchInput): Buffer {
  const key = Buffer.allocUnsafe(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(input.type === 'COMMIT' ? 1 : 0, 2);
  const value = Buffer.allocUnsafe(6);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(input.coordinatorEpoch, 2);
  return encodeRecordBatchSync({
    baseOffset: input.baseOffset ?? 0,
    partitionLeaderEpoch: input.partitionLeaderEpoch ?? -1,
    baseTimestamp: input.timestamp,
    maxTimestamp: input.timestamp,
    producerId: input.producerId,
    producerEpoch: input.producerEpoch,
    baseSequence: -1,
    isTransactional: true,
    isControl: true,
    records: [{ key, value, headers: [] }],
  });
}

/** Decodes the key (and, for ABORT/COMMIT, the value) of a record from a control batch. */
export function decodeControlRecord(record: { key: Buffer | null; value: Buffer | null }): ControlRecord {
  const key = record.key;
  if (key === null || key.length < 4) throw new RecordFormatError('control record key must be at least 4 bytes');
  const version = key.readInt16BE(0);
  const typeId = key.readInt16BE(2);
  const type = TYPE_NAMES[typeId] ?? 'UNKNOWN';
  let coordinatorEpoch = -1;
  if (type === 'ABORT' || type === 'COMMIT') {
    const value = record.value;
    if (value === null || value.length < 6) throw new RecordFormatError('transaction marker value must be at least 6 bytes');
    coordinatorEpoch = value.readInt32BE(2);
  }
  return { type, typeId, version, coordinatorEpoch };
}

/**
 * Reads the control record of the (uncompressed) control batch whose first
 * byte is at `batchPos` in `buf`, straight from the bytes: the storage layer
 * needs a marker's type and coordinator epoch while replaying batch headers,
 * without decoding whole batches. Throws RecordFormatError when the bytes
 * are not a control record (callers treat the batch as unreadable).
 */
export function peekControlRecord(buf: Buffer, batchPos: number, batchEnd: number): ControlRecord {
  const c: ByteCursor = { buf, pos: batchPos + RECORD_BATCH_HEADER_SIZE, end: batchEnd };
  readVarint(c); // record length
  c.pos += 1; // attributes
  readVarlong(c); // timestamp delta
  readVarint(c); // offset delta
  const keyLength = readVarint(c);
  if (keyLength < 0 || c.pos + keyLength > batchEnd) throw new RecordFormatError('control record key out of bounds');
  const key = buf.subarray(c.pos, c.pos + keyLength);
  c.pos += keyLength;
  const valueLength = readVarint(c);
  if (valueLength > 0 && c.pos + valueLength > batchEnd) throw new RecordFormatError('control record value out of bounds');
  const value = valueLength < 0 ? null : buf.subarray(c.pos, c.pos + valueLength);
  return decodeControlRecord({ key, value });
}
