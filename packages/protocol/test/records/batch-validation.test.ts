import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CompressionCodec,
  encodeRecordBatchSync,
  ErrorCode,
  scanValidPrefix,
  setBaseOffset,
  setLogAppendTime,
  validateBatches,
} from '../../src/index.js';
import { legacyMessage } from '../../test-support/records-fixtures.js';

function batch(baseOffset: number, n: number, ts = 1000): Buffer {
  const records = Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`), timestamp: ts + i }));
  const b = encodeRecordBatchSync({ baseTimestamp: ts, compression: CompressionCodec.None, records });
  setBaseOffset(b, 0, baseOffset);
  return b;
}

function expectError(buf: Buffer, code: number, opts?: Parameters<typeof validateBatches>[1]): void {
  const v = validateBatches(buf, opts);
  assert.equal(v.ok, false, 'expected rejection');
  if (!v.ok) assert.equal(v.errorCode, code, v.message);
}

test('accepts several valid batches and returns zero-copy views', () => {
  const blob = Buffer.concat([batch(0, 3), batch(3, 2)]);
  const v = validateBatches(blob);
  assert.ok(v.ok);
  assert.equal(v.batches.length, 2);
  assert.equal(v.batches[1].pos, batch(0, 3).length);
  assert.equal(v.batches[1].buf, blob);
  expectError(blob, ErrorCode.INVALID_RECORD, { requireSingleBatch: true });
  expectError(Buffer.alloc(0), ErrorCode.INVALID_RECORD, { requireSingleBatch: true });
  assert.ok(validateBatches(Buffer.alloc(0)).ok, 'empty blob is fine without requireSingleBatch');
});

test('size problems are CORRUPT_MESSAGE', () => {
  const b = batch(0, 2);
  expectError(b.subarray(0, b.length - 1), ErrorCode.CORRUPT_MESSAGE); // truncated
  expectError(b.subarray(0, 10), ErrorCode.CORRUPT_MESSAGE); // cannot even read magic
  expectError(Buffer.concat([b, Buffer.alloc(5)]), ErrorCode.CORRUPT_MESSAGE); // trailing garbage
  const small = Buffer.from(b);
  small.writeInt32BE(48, 8);
  expectError(small, ErrorCode.CORRUPT_MESSAGE);
  const huge = Buffer.from(b);
  huge.writeInt32BE(0x7fffffff, 8);
  expectError(huge, ErrorCode.CORRUPT_MESSAGE);
  const negative = Buffer.from(b);
  negative.writeInt32BE(-1, 8);
  expectError(negative, ErrorCode.CORRUPT_MESSAGE);
  expectError(b, ErrorCode.MESSAGE_TOO_LARGE, { maxBatchBytes: b.length - 1 });
});

test('magic 0/1 is INVALID_RECORD (kind UNSUPPORTED_MAGIC); other magics are corrupt', () => {
  const m = legacyMessage({ offset: 0, magic: 1, timestamp: 5, key: null, value: Buffer.from('x') });
  const v = validateBatches(m);
  assert.ok(!v.ok && v.errorCode === ErrorCode.INVALID_RECORD && v.kind === 'UNSUPPORTED_MAGIC');
  const b = batch(0, 1);
  b.writeInt8(3, 16);
  expectError(b, ErrorCode.CORRUPT_MESSAGE);
});

test('count/offset-delta consistency and codec checks (CRC fixed up so only structure is wrong)', () => {
  const fix = (b: Buffer): Buffer => {
    setLogAppendTime(b, 0, 1); // recomputes the CRC over the tampered fields
    return b;
  };
  const countMismatch = batch(0, 3);
  countMismatch.writeInt32BE(2, 57);
  expectError(fix(countMismatch), ErrorCode.INVALID_RECORD);
  assert.ok(validateBatches(countMismatch, { compacted: true }).ok);
  const negDelta = batch(0, 1);
  negDelta.writeInt32BE(-1, 23);
  expectError(fix(negDelta), ErrorCode.INVALID_RECORD, { compacted: true });
  const codec = batch(0, 1);
  codec.writeInt16BE(7, 21);
  expectError(fix(codec), ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
});

test('scanValidPrefix stops at a torn tail, a corrupt batch, or offsets going backwards', () => {
  const a = batch(0, 3, 5000);
  const b = batch(3, 2, 9000);
  const c = batch(5, 4, 7000);
  const log = Buffer.concat([a, b, c]);
  const full = scanValidPrefix(log);
  assert.deepEqual(full, { validBytes: log.length, batches: 3, firstOffset: 0, lastOffset: 8, maxTimestamp: 9001, offsetOfMaxTimestamp: 4, stopReason: 'end' });

  for (const cut of [1, 12, 40, 61, c.length - 1]) {
    const torn = scanValidPrefix(log.subarray(0, a.length + b.length + cut));
    assert.equal(torn.validBytes, a.length + b.length);
    assert.equal(torn.batches, 2);
    assert.equal(torn.lastOffset, 4);
    assert.equal(torn.stopReason, 'torn');
  }

  const corrupt = Buffer.from(log);
  corrupt[a.length + 30] ^= 0xff;
  assert.deepEqual([scanValidPrefix(corrupt).validBytes, scanValidPrefix(corrupt).stopReason], [a.length, 'corrupt']);

  const zeros = Buffer.concat([a, Buffer.alloc(4096)]); // preallocated file tail
  assert.deepEqual([scanValidPrefix(zeros).validBytes, scanValidPrefix(zeros).stopReason], [a.length, 'corrupt']);

  const backwards = Buffer.concat([a, batch(1, 1)]);
  assert.equal(scanValidPrefix(backwards).stopReason, 'non-monotonic');
  assert.equal(scanValidPrefix(backwards).validBytes, a.length);

  const fromMiddle = scanValidPrefix(log, a.length);
  assert.equal(fromMiddle.validBytes, b.length + c.length);
  assert.equal(fromMiddle.firstOffset, 3);
  assert.deepEqual(scanValidPrefix(Buffer.alloc(0)), { validBytes: 0, batches: 0, firstOffset: -1, lastOffset: -1, maxTimestamp: -1, offsetOfMaxTimestamp: -1, stopReason: 'end' });
});
