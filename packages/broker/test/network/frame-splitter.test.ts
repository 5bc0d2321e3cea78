import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameSplitter, FrameTooLargeError } from '../../src/network/frame-splitter.js';

function frame(body: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

test('splits frames that arrive whole, split and coalesced', () => {
  const bodies = [Buffer.alloc(8, 1), Buffer.alloc(20, 2), Buffer.alloc(9, 3)];
  const stream = Buffer.concat(bodies.map(frame));
  for (let cut = 1; cut < stream.length; cut++) {
    for (let cut2 = cut; cut2 < stream.length; cut2 += 3) {
      const s = new FrameSplitter(1024);
      const out = [...s.push(stream.subarray(0, cut)), ...s.push(stream.subarray(cut, cut2)), ...s.push(stream.subarray(cut2))];
      assert.deepEqual(out, bodies, `cuts ${cut}/${cut2}`);
      assert.equal(s.buffered, 0);
    }
  }
});

test('byte-by-byte delivery yields the same frames', () => {
  const bodies = [Buffer.from('abcdefgh'), Buffer.from('0123456789')];
  const stream = Buffer.concat(bodies.map(frame));
  const s = new FrameSplitter(1024);
  const out: Buffer[] = [];
  for (const b of stream) out.push(...s.push(Buffer.from([b])));
  assert.deepEqual(out, bodies);
});

test('rejects sizes above the limit, negative and too small', () => {
  for (const size of [0x7fffffff, 1025, -1, 3]) {
    const s = new FrameSplitter(1024);
    const b = Buffer.alloc(4);
    b.writeInt32BE(size);
    assert.throws(() => s.push(b), FrameTooLargeError, `size ${size}`);
  }
});
