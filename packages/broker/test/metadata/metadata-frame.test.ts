import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FRAME_HEADER_BYTES, encodeFrame, scanFrames } from '../../src/metadata/metadata-frame.js';

const payloads = ['{"a":1}', '{"type":"DeleteTopic","topicId":"00"}', ''].map((s) => Buffer.from(s));

function threeFrames(): Buffer {
  return Buffer.concat(payloads.map((p, i) => encodeFrame(10 + i, p)));
}

test('frames round-trip with their offsets and positions', () => {
  const buf = threeFrames();
  const scan = scanFrames(buf, 1024);
  assert.equal(scan.stop, null);
  assert.equal(scan.validBytes, buf.length);
  assert.deepEqual(
    scan.frames.map((f) => [f.offset, f.payload.toString()]),
    payloads.map((p, i) => [10 + i, p.toString()]),
  );
  assert.equal(scan.frames[1]!.position, FRAME_HEADER_BYTES + payloads[0]!.length);
});

test('a frame cut at any byte ends the valid prefix at the previous frame', () => {
  const buf = threeFrames();
  const lastStart = buf.length - (FRAME_HEADER_BYTES + payloads[2]!.length);
  const secondStart = FRAME_HEADER_BYTES + payloads[0]!.length;
  for (let cut = secondStart + 1; cut < lastStart; cut++) {
    const scan = scanFrames(buf.subarray(0, cut), 1024);
    assert.equal(scan.frames.length, 1, `cut at ${cut}`);
    assert.equal(scan.validBytes, secondStart);
    assert.match(String(scan.stop), /^truncated-/);
  }
});

test('any flipped bit in a frame stops the scan at that frame', () => {
  const buf = threeFrames();
  const secondStart = FRAME_HEADER_BYTES + payloads[0]!.length;
  const secondEnd = secondStart + FRAME_HEADER_BYTES + payloads[1]!.length;
  for (let i = secondStart; i < secondEnd; i++) {
    for (const bit of [0x01, 0x80]) {
      const damaged = Buffer.from(buf);
      damaged[i]! ^= bit;
      const scan = scanFrames(damaged, 1024);
      assert.equal(scan.validBytes, secondStart, `byte ${i} bit ${bit}`);
      assert.equal(scan.frames.length, 1);
      assert.notEqual(scan.stop, null);
    }
  }
});

test('a length beyond the payload bound is rejected without waiting for the bytes', () => {
  const frame = encodeFrame(0, Buffer.alloc(100));
  assert.equal(scanFrames(frame, 99).stop, 'bad-length');
  assert.equal(scanFrames(frame, 100).stop, null);
  const zeros = Buffer.alloc(64);
  assert.equal(scanFrames(zeros, 1024).stop, 'bad-length');
});
