import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Writer, uvarintSize } from '../../src/primitives/writer.js';

function hexOf(write: (w: Writer) => void): string {
  const w = new Writer();
  write(w);
  return w.toBuffer().toString('hex');
}

test('unsigned varint encodings at each size boundary', () => {
  const cases: [number, string][] = [
    [0, '00'],
    [127, '7f'],
    [128, '8001'],
    [16383, 'ff7f'],
    [16384, '808001'],
    [2097151, 'ffff7f'],
    [2097152, '80808001'],
    [268435455, 'ffffff7f'],
    [268435456, '8080808001'],
    [4294967295, 'ffffffff0f'],
  ];
  for (const [value, expected] of cases) {
    assert.equal(hexOf((w) => w.writeUVarint(value)), expected, String(value));
    assert.equal(uvarintSize(value), expected.length / 2);
  }
  assert.throws(() => new Writer().writeUVarint(-1), RangeError);
  assert.throws(() => new Writer().writeUVarint(2 ** 32), RangeError);
});

test('zig-zag varints and varlongs', () => {
  assert.equal(hexOf((w) => w.writeVarint(0)), '00');
  assert.equal(hexOf((w) => w.writeVarint(-1)), '01');
  assert.equal(hexOf((w) => w.writeVarint(1)), '02');
  assert.equal(hexOf((w) => w.writeVarint(-64)), '7f');
  assert.equal(hexOf((w) => w.writeVarint(64)), '8001');
  assert.equal(hexOf((w) => w.writeVarint(-2147483648)), 'ffffffff0f');
  assert.equal(hexOf((w) => w.writeVarint(2147483647)), 'feffffff0f');
  assert.equal(hexOf((w) => w.writeVarlong(-1)), '01');
  assert.equal(hexOf((w) => w.writeVarlong(2147483647)), 'feffffff0f');
  assert.equal(hexOf((w) => w.writeVarlong(-2147483649)), '8180808010');
  assert.equal(hexOf((w) => w.writeVarlong(Number.MAX_SAFE_INTEGER)), 'feffffffffffff1f');
  assert.equal(hexOf((w) => w.writeVarlong(Number.MIN_SAFE_INTEGER)), 'fdffffffffffff1f');
  assert.throws(() => new Writer().writeVarlong(2 ** 53), RangeError);
});

test('fixed-width values, strings, bytes and uuids', () => {
  assert.equal(hexOf((w) => w.writeInt64(-2)), 'fffffffffffffffe');
  assert.equal(hexOf((w) => w.writeInt64(Number.MAX_SAFE_INTEGER)), '001fffffffffffff');
  assert.throws(() => new Writer().writeInt64(2 ** 53), RangeError);
  assert.equal(hexOf((w) => w.writeNullableString(null)), 'ffff');
  assert.equal(hexOf((w) => w.writeString('é')), '0002c3a9');
  assert.equal(hexOf((w) => w.writeCompactNullableString(null)), '00');
  assert.equal(hexOf((w) => w.writeCompactString('')), '01');
  assert.equal(hexOf((w) => w.writeNullableBytes(null)), 'ffffffff');
  assert.equal(hexOf((w) => w.writeCompactBytes(Buffer.from('ab', 'hex'))), '02ab');
  assert.equal(hexOf((w) => w.writeUuid('000102030405060708090a0b0c0d0e0f')), '000102030405060708090a0b0c0d0e0f');
  assert.throws(() => new Writer().writeUuid('00010203-0405-0607-0809-0a0b0c0d0e0f'), RangeError);
  assert.equal(hexOf((w) => w.writeArrayLength(-1, false)), 'ffffffff');
  assert.equal(hexOf((w) => w.writeArrayLength(-1, true)), '00');
  assert.equal(hexOf((w) => w.writeArrayLength(2, true)), '03');
});

test('writeRaw keeps large buffers by reference and copies small ones', () => {
  const big = Buffer.alloc(4096, 1);
  const small = Buffer.from([9, 9, 9]);
  const w = new Writer();
  w.writeInt32(big.length);
  w.writeRaw(big);
  w.writeRaw(small);
  w.writeInt16(7);
  const chunks = w.toBuffers();
  assert.equal(chunks.length, 3);
  assert.equal(chunks[0].toString('hex'), '00001000');
  assert.equal(chunks[1], big, 'the big buffer itself, not a copy');
  assert.equal(chunks[2].toString('hex'), '0909090007');
  assert.equal(w.length, 4 + 4096 + 3 + 2);
  const joined = w.toBuffer();
  assert.equal(joined.length, w.length);
  assert.ok(joined.subarray(4, 4100).equals(big));
});

test('writes spanning many chunks come out in order', () => {
  const w = new Writer(8);
  const expected: number[] = [];
  for (let i = 0; i < 50_000; i++) {
    w.writeInt32(i);
    expected.push(i);
    if (i % 1000 === 0) w.writeRaw(Buffer.alloc(300, i & 0xff));
  }
  const buf = w.toBuffer();
  assert.equal(buf.length, w.length);
  let o = 0;
  for (let i = 0; i < 50_000; i++) {
    assert.equal(buf.readInt32BE(o), expected[i]);
    o += 4;
    if (i % 1000 === 0) {
      assert.equal(buf[o], i & 0xff);
      o += 300;
    }
  }
});

test('reserveInt32/patchInt32 fill in a length prefix, even after the chunk moved on', () => {
  const w = new Writer(8);
  const sizeAt = w.reserveInt32();
  w.writeInt16(1);
  w.writeRaw(Buffer.alloc(1000, 2));
  for (let i = 0; i < 100; i++) w.writeInt32(i);
  w.patchInt32(sizeAt, w.length - 4);
  const innerAt = w.reserveInt32();
  w.writeInt8(5);
  w.patchInt32(innerAt, 1);
  const buf = w.toBuffer();
  assert.equal(buf.readInt32BE(0), buf.length - 4 - 5);
  assert.equal(buf.readInt32BE(innerAt), 1);
  assert.equal(buf[buf.length - 1], 5);
});
