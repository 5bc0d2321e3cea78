import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readVarint, readVarlong, sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong, readInt64, writeInt64 } from '../../src/records/varint.js';
import { RecordFormatError } from '../../src/records/record-format-error.js';

test('varint round trip at the int32 edges, with protobuf zig-zag sizes', () => {
  const cases: Array<[number, number]> = [
    [0, 1], [-1, 1], [1, 1], [63, 1], [-64, 1], [64, 2], [-65, 2], [8191, 2], [8192, 3],
    [2147483647, 5], [-2147483648, 5],
  ];
  for (const [v, size] of cases) {
    const buf = Buffer.alloc(5);
    assert.equal(sizeOfVarint(v), size, `size of ${v}`);
    assert.equal(writeVarint(buf, 0, v), size);
    const c = { buf, pos: 0, end: buf.length };
    assert.equal(readVarint(c), v);
    assert.equal(c.pos, size);
  }
});

test('varlong round trip beyond 32 bits (timestamps)', () => {
  for (const v of [0, -1, 2 ** 31, -(2 ** 31) - 1, 1700000000000, -1700000000000, 2 ** 51, -(2 ** 51), 2 ** 52 - 1, -(2 ** 52)]) {
    const buf = Buffer.alloc(10);
    const end = writeVarlong(buf, 0, v);
    assert.equal(end, sizeOfVarlong(v));
    const c = { buf, pos: 0, end: buf.length };
    assert.equal(readVarlong(c), v);
    assert.equal(c.pos, end);
  }
  // Known encoding: zig-zag(150) = 300 = 0xac 0x02.
  const b = Buffer.alloc(2);
  writeVarlong(b, 0, 150);
  assert.deepEqual([...b], [0xac, 0x02]);
});

test('malformed varints raise RecordFormatError', () => {
  assert.throws(() => readVarint({ buf: Buffer.from([0x80, 0x80]), pos: 0, end: 2 }), RecordFormatError);
  assert.throws(() => readVarint({ buf: Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), pos: 0, end: 6 }), RecordFormatError);
  assert.throws(() => readVarlong({ buf: Buffer.alloc(11, 0xff), pos: 0, end: 11 }), RecordFormatError);
});

test('int64 helpers agree with BigInt for safe values', () => {
  for (const v of [0, -1, 1, 2 ** 40 + 5, -(2 ** 40) - 5, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
    const buf = Buffer.alloc(8);
    writeInt64(buf, 0, v);
    assert.equal(buf.readBigInt64BE(0), BigInt(v));
    assert.equal(readInt64(buf, 0), v);
  }
});
