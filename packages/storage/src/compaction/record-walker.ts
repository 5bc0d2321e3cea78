/**
 * Walks the records of a (decompressed) magic-2 records area without
 * allocating per record: the cleaner looks at every record of every batch
 * it cleans but needs only its offset, timestamp, key bytes and whether its
 * value is null, plus where the record's bytes are so it can copy kept
 * records unchanged. Decoding into objects (protocol's readRecords) costs
 * an object, a header array and several views per record, which dominated
 * the cleaner's time.
 *
 * Record layout (docs/storage-format.md, "Records"): length varint,
 * attributes int8, timestampDelta varlong, offsetDelta varint, key (varint
 * length, -1 = null, bytes), value (same), headers (count varint, then per
 * header a key and a value). All varints are zig-zag. Every field is
 * bounds-checked against its record; a malformed record throws
 * RecordFormatError, as the protocol's decoder does.
 */
import { RecordFormatError } from '@samsa/protocol';

/** One record as the walker sees it; the same object is reused for every record of a walk. */
export interface RecordView {
  offsetDelta: number;
  timestampDelta: number;
  /** Position of the record's first byte (its length varint) and one past its last. */
  start: number;
  end: number;
  /** Key bytes are [keyStart, keyEnd); keyStart is -1 for a null key. */
  keyStart: number;
  keyEnd: number;
  valueIsNull: boolean;
}

let pos = 0;

function varint(buf: Uint8Array, end: number): number {
  let result = 0;
  let shift = 0;
  for (;;) {
    if (pos >= end) throw new RecordFormatError('varint runs past the end of its record');
    const b = buf[pos++];
    if (shift === 28) {
      if (b > 0x0f) throw new RecordFormatError('varint longer than 5 bytes');
      result |= b << 28;
      break;
    }
    result |= (b & 0x7f) << shift;
    if (b < 0x80) break;
    shift += 7;
  }
  return (result >>> 1) ^ -(result & 1);
}

function varlong(buf: Uint8Array, end: number): number {
  let z = 0;
  let mul = 1;
  for (let i = 0; ; i++) {
    if (pos >= end) throw new RecordFormatError('varlong runs past the end of its record');
    if (i === 10) throw new RecordFormatError('varlong longer than 10 bytes');
    const b = buf[pos++];
    z += (b & 0x7f) * mul;
    if (b < 0x80) break;
    mul *= 128;
  }
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

/** Skips a length-prefixed field; returns its length (-1 for null). */
function skipBytes(buf: Uint8Array, end: number): number {
  const len = varint(buf, end);
  if (len < -1) throw new RecordFormatError(`invalid length ${len}`);
  if (len > 0) {
    if (pos + len > end) throw new RecordFormatError('record field overruns its record');
    pos += len;
  }
  return len;
}

/**
 * Calls `onRecord` for each of the `count` records in `buf[from, to)`, in
 * order, with a reused {@link RecordView}. Stops early when `onRecord`
 * returns false. Throws RecordFormatError when the records do not fit.
 */
export function walkRecords(buf: Uint8Array, from: number, to: number, count: number, onRecord: (r: RecordView) => boolean | void): void {
  if (count < 0 || count > (to - from) / 7) throw new RecordFormatError(`record count ${count} does not fit in ${to - from} bytes`);
  const view: RecordView = { offsetDelta: 0, timestampDelta: 0, start: 0, end: 0, keyStart: -1, keyEnd: -1, valueIsNull: false };
  pos = from;
  for (let i = 0; i < count; i++) {
    const start = pos;
    const length = varint(buf, to);
    const end = pos + length;
    if (length < 6 || end > to) throw new RecordFormatError(`invalid record length ${length}`);
    pos++; // attributes
    view.timestampDelta = varlong(buf, end);
    view.offsetDelta = varint(buf, end);
    const keyLen = varint(buf, end);
    if (keyLen < -1 || (keyLen > 0 && pos + keyLen > end)) throw new RecordFormatError(`invalid key length ${keyLen}`);
    view.keyStart = keyLen < 0 ? -1 : pos;
    view.keyEnd = keyLen < 0 ? -1 : pos + keyLen;
    if (keyLen > 0) pos += keyLen;
    view.valueIsNull = skipBytes(buf, end) < 0;
    const headers = varint(buf, end);
    if (headers < 0 || headers > (end - pos) / 2) throw new RecordFormatError(`invalid header count ${headers}`);
    for (let h = 0; h < headers; h++) {
      if (skipBytes(buf, end) < 0) throw new RecordFormatError('null header key');
      skipBytes(buf, end);
    }
    if (pos !== end) throw new RecordFormatError('record length does not match its contents');
    view.start = start;
    view.end = end;
    const walkPos = pos;
    if (onRecord(view) === false) return;
    pos = walkPos;
  }
}
