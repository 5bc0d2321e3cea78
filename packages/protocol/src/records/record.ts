// Magic-2 records (the body of a record batch):
//
//   length          varint   bytes after this field
//   attributes      int8     unused, 0
//   timestampDelta  varlong  relative to the batch's baseTimestamp
//   offsetDelta     varint   relative to the batch's baseOffset
//   keyLength       varint   -1 = null key
//   key             bytes
//   valueLength     varint   -1 = null value
//   value           bytes
//   headerCount     varint
//   headers         [keyLength varint, key UTF-8, valueLength varint (-1 = null), value]
//
// Encoding is two-pass: `measureRecords` computes every size once, then
// `writeRecords` fills one preallocated buffer, so the producer hot path does no
// per-record allocation or Buffer.concat.

import { RecordFormatError } from './record-format-error.js';
import { type ByteCursor, readVarint, readVarlong, sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from './varint.js';

/** A record header. Keys are UTF-8 strings; values are bytes or null. */
export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

/** A record as stored inside a batch, with deltas relative to the batch. */
export interface Record {
  offsetDelta?: number;
  timestampDelta?: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
  attributes?: number;
}

/** A decoded record with absolute offset and timestamp. */
export interface DecodedRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

/** A record to encode: `timestamp` defaults to the batch's baseTimestamp, `offsetDelta` to its index. */
export interface RecordInput {
  key: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeader[];
  timestamp?: number;
  offsetDelta?: number;
}

/** Sizes computed by `measureRecords`, reused by `writeRecords`. */
export interface RecordsLayout {
  /** Total bytes of all records. */
  size: number;
  /** Body size (the record's `length` field) per record. */
  bodySizes: Int32Array;
  /** UTF-8 byte lengths of header keys, flattened in record order. */
  headerKeySizes: number[];
  /** Largest timestamp seen (baseTimestamp when there are no records). */
  maxTimestamp: number;
  /** offsetDelta of the last record, or -1 when there are none. */
  lastOffsetDelta: number;
}

function sizeOfBytes(b: Buffer | null): number {
  return b === null ? 1 : sizeOfVarint(b.length) + b.length;
}

/** First pass: sizes of every record relative to `baseTimestamp`. */
export function measureRecords(records: readonly RecordInput[], baseTimestamp: number): RecordsLayout {
  const n = records.length;
  const bodySizes = new Int32Array(n);
  const headerKeySizes: number[] = [];
  let size = 0;
  let maxTimestamp = baseTimestamp;
  let lastOffsetDelta = -1;
  for (let i = 0; i < n; i++) {
    const r = records[i];
    const ts = r.timestamp ?? baseTimestamp;
    if (ts > maxTimestamp) maxTimestamp = ts;
    const offsetDelta = r.offsetDelta ?? i;
    lastOffsetDelta = offsetDelta;
    let body = 1 + sizeOfVarlong(ts - baseTimestamp) + sizeOfVarint(offsetDelta) + sizeOfBytes(r.key) + sizeOfBytes(r.value);
    const headers = r.headers;
    if (headers === undefined || headers.length === 0) {
      body += 1;
    } else {
      body += sizeOfVarint(headers.length);
      for (const h of headers) {
        const keyLen = Buffer.byteLength(h.key, 'utf8');
        headerKeySizes.push(keyLen);
        body += sizeOfVarint(keyLen) + keyLen + sizeOfBytes(h.value);
      }
    }
    bodySizes[i] = body;
    size += sizeOfVarint(body) + body;
  }
  return { size, bodySizes, headerKeySizes, maxTimestamp, lastOffsetDelta };
}

function writeBytes(buf: Buffer, pos: number, b: Buffer | null): number {
  if (b === null) return writeVarint(buf, pos, -1);
  pos = writeVarint(buf, pos, b.length);
  return pos + b.copy(buf, pos);
}

/** Second pass: writes the records measured by `measureRecords` at `pos`; returns the end position. */
export function writeRecords(
  buf: Buffer,
  pos: number,
  records: readonly RecordInput[],
  baseTimestamp: number,
  layout: RecordsLayout,
): number {
  let hk = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    pos = writeVarint(buf, pos, layout.bodySizes[i]);
    buf[pos++] = 0; // attributes
    pos = writeVarlong(buf, pos, (r.timestamp ?? baseTimestamp) - baseTimestamp);
    pos = writeVarint(buf, pos, r.offsetDelta ?? i);
    pos = writeBytes(buf, pos, r.key);
    pos = writeBytes(buf, pos, r.value);
    const headers = r.headers;
    if (headers === undefined || headers.length === 0) {
      buf[pos++] = 0;
      continue;
    }
    pos = writeVarint(buf, pos, headers.length);
    for (const h of headers) {
      const keyLen = layout.headerKeySizes[hk++];
      pos = writeVarint(buf, pos, keyLen);
      pos += buf.write(h.key, pos, keyLen, 'utf8');
      pos = writeBytes(buf, pos, h.value);
    }
  }
  return pos;
}

function readBytes(c: ByteCursor, end: number): Buffer | null {
  const len = readVarint(c);
  if (len < 0) {
    if (len !== -1) throw new RecordFormatError(`invalid length ${len}`);
    return null;
  }
  const start = c.pos;
  if (start + len > end) throw new RecordFormatError('record field overruns its record');
  c.pos = start + len;
  return c.buf.subarray(start, start + len);
}

/**
 * Decodes `count` records from `c` (the uncompressed records area of one batch).
 * Keys, values and header values are views into `c.buf`, not copies. With
 * `logAppendTime` set, every record's timestamp is `logAppendTime` (Kafka semantics for
 * batches stamped by the broker). Throws RecordFormatError on any inconsistency.
 */
export function readRecords(
  c: ByteCursor,
  count: number,
  baseOffset: number,
  baseTimestamp: number,
  logAppendTime: number | null,
): DecodedRecord[] {
  // Each record needs at least 7 bytes, so a hostile count cannot force a huge loop.
  if (count < 0 || count > (c.end - c.pos) / 7) {
    throw new RecordFormatError(`record count ${count} does not fit in ${c.end - c.pos} bytes`);
  }
  const out: DecodedRecord[] = new Array<DecodedRecord>(count);
  for (let i = 0; i < count; i++) {
    const length = readVarint(c);
    const end = c.pos + length;
    if (length < 6 || end > c.end) throw new RecordFormatError(`invalid record length ${length}`);
    c.pos++; // attributes
    const timestampDelta = readVarlong(c);
    const offsetDelta = readVarint(c);
    const key = readBytes(c, end);
    const value = readBytes(c, end);
    const headerCount = readVarint(c);
    if (headerCount < 0 || headerCount > (end - c.pos) / 2) throw new RecordFormatError(`invalid header count ${headerCount}`);
    const headers: RecordHeader[] = new Array<RecordHeader>(headerCount);
    for (let h = 0; h < headerCount; h++) {
      const hkey = readBytes(c, end);
      if (hkey === null) throw new RecordFormatError('null header key');
      headers[h] = { key: hkey.toString('utf8'), value: readBytes(c, end) };
    }
    if (c.pos !== end) throw new RecordFormatError('record length does not match its contents');
    out[i] = {
      offset: baseOffset + offsetDelta,
      timestamp: logAppendTime ?? baseTimestamp + timestampDelta,
      key,
      value,
      headers,
    };
  }
  return out;
}
