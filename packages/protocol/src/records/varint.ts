// Zig-zag varints as used inside magic-2 records (protobuf encoding, 7 bits per byte,
// least significant group first). Kept local to the records layer so the hot record
// codec does not depend on the general-purpose protocol reader.
//
// Values are JS numbers. int32 varints use bit operations; varlongs (timestamp deltas)
// use arithmetic so that values beyond 32 bits stay exact up to 2^53.

import { RecordFormatError } from './record-format-error.js';

/** Mutable read position over a byte range; one per decode, so reads allocate nothing. */
export interface ByteCursor {
  buf: Buffer;
  pos: number;
  /** Exclusive end of the readable range. */
  end: number;
}

const TWO_POW_32 = 4294967296;

/** Bytes needed for the zig-zag varint encoding of a 32-bit signed `value`. */
export function sizeOfVarint(value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  let n = 1;
  while (v >= 0x80) {
    v >>>= 7;
    n++;
  }
  return n;
}

/** Bytes needed for the zig-zag varlong encoding of a safe-integer `value`. */
export function sizeOfVarlong(value: number): number {
  if (value >= -0x40000000 && value < 0x40000000) return sizeOfVarint(value);
  let z = value >= 0 ? value * 2 : -value * 2 - 1;
  let n = 1;
  while (z >= 0x80) {
    z = Math.floor(z / 128);
    n++;
  }
  return n;
}

/** Writes a zig-zag varint at `pos`; returns the position after it. */
export function writeVarint(buf: Buffer, pos: number, value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

/** Writes a zig-zag varlong at `pos`; returns the position after it. */
export function writeVarlong(buf: Buffer, pos: number, value: number): number {
  if (value >= -0x40000000 && value < 0x40000000) return writeVarint(buf, pos, value);
  let z = value >= 0 ? value * 2 : -value * 2 - 1;
  while (z >= 0x80) {
    buf[pos++] = (z % 128) | 0x80;
    z = Math.floor(z / 128);
  }
  buf[pos++] = z;
  return pos;
}

/** Reads a zig-zag varint (at most 5 bytes). Throws RecordFormatError past `end`. */
export function readVarint(c: ByteCursor): number {
  const { buf, end } = c;
  let pos = c.pos;
  let result = 0;
  let shift = 0;
  for (;;) {
    if (pos >= end) throw new RecordFormatError('varint runs past the end of the record data');
    const b = buf[pos++];
    if (shift === 28) {
      // Fifth byte: only its low 4 bits fit in 32; a continuation bit here is malformed.
      if (b > 0x0f) throw new RecordFormatError('varint longer than 5 bytes');
      result |= b << 28;
      break;
    }
    result |= (b & 0x7f) << shift;
    if (b < 0x80) break;
    shift += 7;
  }
  c.pos = pos;
  return (result >>> 1) ^ -(result & 1);
}

/** Reads a zig-zag varlong (at most 10 bytes); rejects values outside the safe-integer range. */
export function readVarlong(c: ByteCursor): number {
  const { buf, end } = c;
  let pos = c.pos;
  let z = 0;
  let mul = 1;
  for (let i = 0; ; i++) {
    if (pos >= end) throw new RecordFormatError('varlong runs past the end of the record data');
    if (i === 10) throw new RecordFormatError('varlong longer than 10 bytes');
    const b = buf[pos++];
    z += (b & 0x7f) * mul;
    if (b < 0x80) break;
    mul *= 128;
  }
  if (z > Number.MAX_SAFE_INTEGER) throw new RecordFormatError('varlong outside the safe integer range');
  c.pos = pos;
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

/** Reads a big-endian int64 as a number (exact within ±2^53). */
export function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * TWO_POW_32 + buf.readUInt32BE(pos + 4);
}

/** Writes a safe-integer number as a big-endian int64. */
export function writeInt64(buf: Buffer, pos: number, value: number): void {
  const hi = Math.floor(value / TWO_POW_32);
  buf.writeInt32BE(hi, pos);
  buf.writeUInt32BE(value - hi * TWO_POW_32, pos + 4);
}
