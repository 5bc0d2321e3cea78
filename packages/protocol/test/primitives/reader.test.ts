import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProtocolDecodeError } from '../../src/primitives/protocol-decode-error.js';
import { Reader } from '../../src/primitives/reader.js';
import { Writer } from '../../src/primitives/writer.js';

const hex = (s: string): Reader => new Reader(Buffer.from(s, 'hex'));
const decodeError = (fn: () => unknown): void => {
  assert.throws(fn, (e: unknown) => e instanceof ProtocolDecodeError && e.name === 'ProtocolDecodeError');
};

test('fixed-width integers are big-endian and signed where Kafka says so', () => {
  assert.equal(hex('ff').readInt8(), -1);
  assert.equal(hex('8000').readInt16(), -32768);
  assert.equal(hex('ffff').readUInt16(), 65535);
  assert.equal(hex('80000000').readInt32(), -2147483648);
  assert.equal(hex('ffffffff').readUInt32(), 4294967295);
  assert.equal(hex('ffffffffffffffff').readInt64(), -1);
  assert.equal(hex('001fffffffffffff').readInt64(), Number.MAX_SAFE_INTEGER);
  assert.equal(hex('ffe0000000000001').readInt64(), Number.MIN_SAFE_INTEGER);
  assert.equal(hex('7fffffffffffffff').readInt64BigInt(), 9223372036854775807n);
  assert.equal(hex('3ff8000000000000').readFloat64(), 1.5);
  assert.equal(hex('02').readBool(), true);
});

test('int64 outside the safe range is a decode error, not a rounded number', () => {
  decodeError(() => hex('0020000000000000').readInt64());
  decodeError(() => hex('ffe0000000000000').readInt64());
  decodeError(() => hex('7fffffffffffffff').readInt64());
});

test('unsigned varints: boundaries, 5 bytes, and overlong encodings', () => {
  assert.equal(hex('00').readUVarint(), 0);
  assert.equal(hex('7f').readUVarint(), 127);
  assert.equal(hex('8001').readUVarint(), 128);
  assert.equal(hex('ff7f').readUVarint(), 16383);
  assert.equal(hex('808001').readUVarint(), 16384);
  assert.equal(hex('ffffffff0f').readUVarint(), 4294967295);
  decodeError(() => hex('ffffffff1f').readUVarint()); // 33 bits
  decodeError(() => hex('ffffffffff01').readUVarint()); // 6 bytes
  decodeError(() => hex('ff').readUVarint()); // truncated
});

test('zig-zag varints and varlongs', () => {
  assert.equal(hex('00').readVarint(), 0);
  assert.equal(hex('01').readVarint(), -1);
  assert.equal(hex('02').readVarint(), 1);
  assert.equal(hex('ffffffff0f').readVarint(), -2147483648);
  assert.equal(hex('feffffff0f').readVarint(), 2147483647);
  assert.equal(hex('01').readVarlong(), -1);
  assert.equal(hex('feffffffffffff1f').readVarlong(), Number.MAX_SAFE_INTEGER);
  assert.equal(hex('fdffffffffffff1f').readVarlong(), Number.MIN_SAFE_INTEGER);
  decodeError(() => hex('ffffffffffffffffff01').readVarlong()); // int64 min: not a safe integer
  decodeError(() => hex('ffffffffffffffffffff01').readVarlong()); // 11 bytes
});

test('strings and bytes: null handling and lengths checked before reading', () => {
  assert.equal(hex('0003616263').readString(), 'abc');
  assert.equal(hex('ffff').readNullableString(), null);
  decodeError(() => hex('ffff').readString());
  decodeError(() => hex('fffe').readNullableString());
  decodeError(() => hex('7fff61').readString());
  assert.equal(hex('04616263').readCompactString(), 'abc');
  assert.equal(hex('00').readCompactNullableString(), null);
  decodeError(() => hex('00').readCompactString());
  decodeError(() => hex('ffffffff0f').readCompactString());
  assert.equal(hex('ffffffff').readNullableBytes(), null);
  decodeError(() => hex('7fffffff00').readBytes());
  decodeError(() => hex('ffffffff').readBytes());
  assert.equal(hex('00').readCompactNullableBytes(), null);
  assert.deepEqual(hex('03abcd').readCompactBytes(), Buffer.from('abcd', 'hex'));
});

test('bytes are zero-copy views of the input', () => {
  const buf = Buffer.from('00000002abcd', 'hex');
  const view = new Reader(buf).readBytes();
  buf[4] = 0xff;
  assert.equal(view[0], 0xff);
});

test('uuids are 32 lowercase hex characters', () => {
  assert.equal(hex('0123456789abcdef0123456789abcdef').readUuid(), '0123456789abcdef0123456789abcdef');
  decodeError(() => hex('0123').readUuid());
});

test('array lengths: null, and counts that cannot fit in the remaining bytes', () => {
  assert.equal(hex('ffffffff').readNullableArrayLength(false), -1);
  assert.equal(hex('00').readNullableArrayLength(true), -1);
  decodeError(() => hex('ffffffff').readArrayLength(false));
  decodeError(() => hex('fffffffe').readNullableArrayLength(false));
  decodeError(() => hex('7fffffff').readArrayLength(false));
  decodeError(() => hex('ffffffff0f').readArrayLength(true));
  assert.equal(hex('0000000201ff').readArrayLength(false), 2);
});

test('every read past the end throws ProtocolDecodeError, never RangeError', () => {
  const empty = new Reader(Buffer.alloc(0));
  for (const read of [
    () => empty.readInt8(),
    () => empty.readInt16(),
    () => empty.readUInt16(),
    () => empty.readInt32(),
    () => empty.readUInt32(),
    () => empty.readInt64(),
    () => empty.readInt64BigInt(),
    () => empty.readFloat64(),
    () => empty.readBool(),
    () => empty.readUVarint(),
    () => empty.readVarint(),
    () => empty.readVarlong(),
    () => empty.readString(),
    () => empty.readCompactString(),
    () => empty.readBytes(),
    () => empty.readCompactBytes(),
    () => empty.readUuid(),
    () => empty.readRaw(1),
  ]) {
    decodeError(read);
  }
  assert.equal(empty.offset, 0);
});

test('reader starts at the given offset and reports what remains', () => {
  const r = new Reader(Buffer.from('0000000107', 'hex'), 4);
  assert.equal(r.remaining(), 1);
  assert.equal(r.readInt8(), 7);
  assert.equal(r.remaining(), 0);
});

test('values written by Writer read back the same', () => {
  const w = new Writer();
  w.writeVarint(-123456);
  w.writeVarlong(-1234567890123);
  w.writeVarlong(Number.MAX_SAFE_INTEGER);
  w.writeUVarint(300);
  w.writeInt64(-1234567890123);
  w.writeInt64BigInt(-9223372036854775808n);
  w.writeCompactNullableString('é😀');
  const r = new Reader(w.toBuffer());
  assert.equal(r.readVarint(), -123456);
  assert.equal(r.readVarlong(), -1234567890123);
  assert.equal(r.readVarlong(), Number.MAX_SAFE_INTEGER);
  assert.equal(r.readUVarint(), 300);
  assert.equal(r.readInt64(), -1234567890123);
  assert.equal(r.readInt64BigInt(), -9223372036854775808n);
  assert.equal(r.readCompactNullableString(), 'é😀');
  assert.equal(r.remaining(), 0);
});
