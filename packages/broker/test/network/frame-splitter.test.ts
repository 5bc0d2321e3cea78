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

test('random chunking of many frames, large and small, matches the bodies', () => {
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  for (let round = 0; round < 50; round++) {
    const bodies = Array.from({ length: 1 + rand(12) }, (_, i) => {
      const b = Buffer.alloc(8 + rand(rand(4) === 0 ? 70_000 : 40));
      for (let k = 0; k < b.length; k++) b[k] = (k * 31 + i + round) & 0xff;
      return b;
    });
    const stream = Buffer.concat(bodies.map(frame));
    const s = new FrameSplitter(1 << 20);
    const out: Buffer[] = [];
    for (let pos = 0; pos < stream.length; ) {
      const n = Math.min(stream.length - pos, 1 + rand(rand(2) === 0 ? 7 : 65_536));
      out.push(...s.push(stream.subarray(pos, pos + n)));
      pos += n;
      if (pos < stream.length) assert.ok(s.buffered >= 0);
    }
    assert.equal(out.length, bodies.length, `round ${round}`);
    for (let i = 0; i < bodies.length; i++) assert.ok(out[i].equals(bodies[i]), `round ${round} frame ${i}`);
    assert.equal(s.buffered, 0);
  }
});

test('a frame whose size prefix ends a chunk and whose body fills the next is a view of that chunk', () => {
  const body = Buffer.alloc(100, 7);
  const f = frame(body);
  const s = new FrameSplitter(1024);
  assert.deepEqual(s.push(f.subarray(0, 4)), []);
  assert.equal(s.buffered, 4);
  const next = Buffer.from(f.subarray(4));
  const [out] = s.push(next);
  assert.ok(out.equals(body));
  assert.equal(out.buffer, next.buffer);
});
