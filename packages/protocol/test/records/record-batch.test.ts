import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CompressionCodec,
  CRC_OFFSET,
  decodeRecordBatches,
  encodeRecordBatch,
  encodeRecordBatchSync,
  ErrorCode,
  LOG_OVERHEAD,
  RECORD_BATCH_HEADER_SIZE,
  RecordBatchHeader,
  RecordFormatError,
  setBaseOffset,
  setLogAppendTime,
  setPartitionLeaderEpoch,
  TimestampType,
  validateBatches,
  writeBatchCrc,
  type RecordBatchInput,
} from '../../src/index.js';

const CODECS = [CompressionCodec.None, CompressionCodec.Gzip, CompressionCodec.Snappy, CompressionCodec.Lz4, CompressionCodec.Zstd];
const BASE_TS = 1_700_000_000_000;

function sampleInput(compression: CompressionCodec): RecordBatchInput {
  return {
    baseOffset: 0,
    compression,
    baseTimestamp: BASE_TS,
    producerId: 9_007_199_254, // beyond 32 bits
    producerEpoch: 7,
    baseSequence: 123,
    isTransactional: true,
    records: [
      { key: Buffer.from('k0'), value: Buffer.from('v0'), headers: [{ key: 'a', value: Buffer.from('1') }, { key: 'null', value: null }] },
      { key: null, value: Buffer.from('no key'), timestamp: BASE_TS + 5 },
      { key: Buffer.from('tombstone'), value: null, timestamp: BASE_TS - 3 },
      { key: Buffer.alloc(0), value: Buffer.alloc(0), headers: [{ key: 'ünïcødé ✓', value: Buffer.alloc(0) }] },
      { key: Buffer.from('far'), value: Buffer.from('x'), timestamp: BASE_TS + 2 ** 33 },
    ],
  };
}

for (const codec of CODECS) {
  test(`round trip with codec ${CompressionCodec[codec]}`, async () => {
    const input = sampleInput(codec);
    const buf = await encodeRecordBatch(input);
    const v = validateBatches(buf, { requireSingleBatch: true });
    assert.ok(v.ok, v.ok ? '' : v.message);
    const h = v.batches[0];
    assert.equal(h.magic, 2);
    assert.equal(h.compression, codec);
    assert.equal(h.recordCount, 5);
    assert.equal(h.lastOffsetDelta, 4);
    assert.equal(h.totalSize, buf.length);
    assert.equal(h.maxTimestamp, BASE_TS + 2 ** 33);
    assert.equal(h.producerId, 9_007_199_254);
    assert.equal(h.isTransactional, true);
    assert.equal(h.isControl, false);
    assert.equal(h.computeCrc(), h.crc);

    const [batch, ...rest] = await decodeRecordBatches(buf);
    assert.equal(rest.length, 0);
    assert.equal(batch.baseOffset, 0);
    assert.equal(batch.lastOffset, 4);
    assert.equal(batch.compression, codec);
    assert.equal(batch.producerEpoch, 7);
    assert.equal(batch.baseSequence, 123);
    assert.equal(batch.partitionLeaderEpoch, -1);
    assert.equal(batch.sizeInBytes, buf.length);
    assert.equal(batch.records.length, 5);
    input.records.forEach((r, i) => {
      const d = batch.records[i];
      assert.equal(d.offset, i);
      assert.equal(d.timestamp, r.timestamp ?? BASE_TS);
      assert.deepEqual(d.key, r.key);
      assert.deepEqual(d.value, r.value);
      assert.deepEqual(d.headers, r.headers ?? []);
    });
  });

  test(`1 MiB value with codec ${CompressionCodec[codec]}`, async () => {
    const value = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < value.length; i++) value[i] = (i * 31) & 0xff ^ (i >> 10);
    const buf = await encodeRecordBatch({ baseTimestamp: BASE_TS, compression: codec, records: [{ key: null, value }, { key: Buffer.from('x'), value }] });
    const [batch] = await decodeRecordBatches(buf);
    assert.equal(batch.records.length, 2);
    assert.ok(batch.records[0].value?.equals(value));
    assert.ok(batch.records[1].value?.equals(value));
  });
}

test('sync encoder matches async for non-zstd codecs and rejects zstd', async () => {
  for (const codec of [CompressionCodec.None, CompressionCodec.Snappy, CompressionCodec.Lz4]) {
    assert.deepEqual(encodeRecordBatchSync(sampleInput(codec)), await encodeRecordBatch(sampleInput(codec)));
  }
  const gz = encodeRecordBatchSync(sampleInput(CompressionCodec.Gzip));
  assert.equal((await decodeRecordBatches(gz))[0].records.length, 5);
  assert.throws(() => encodeRecordBatchSync(sampleInput(CompressionCodec.Zstd)), RecordFormatError);
});

test('uncompressed header layout is byte-exact', () => {
  const buf = encodeRecordBatchSync({ baseOffset: 5, partitionLeaderEpoch: 9, baseTimestamp: 10, records: [{ key: null, value: Buffer.from('a') }] });
  // record: length 7 (zig-zag 14) | attrs 0 | tsDelta 0 | offDelta 0 | key -1 | value len 1 'a' | 0 headers
  assert.deepEqual([...buf.subarray(RECORD_BATCH_HEADER_SIZE)], [0x0e, 0, 0, 0, 0x01, 0x02, 0x61, 0]);
  assert.equal(buf.readBigInt64BE(0), 5n);
  assert.equal(buf.readInt32BE(8), buf.length - LOG_OVERHEAD);
  assert.equal(buf.readInt32BE(12), 9);
  assert.equal(buf.readInt8(16), 2);
  assert.equal(buf.readInt16BE(21), 0);
  assert.equal(buf.readBigInt64BE(43), -1n);
  assert.equal(buf.readInt16BE(51), -1);
  assert.equal(buf.readInt32BE(53), -1);
  assert.equal(buf.readInt32BE(57), 1);
});

test('explicit offset deltas and lastOffsetDelta (compacted shape)', async () => {
  const buf = await encodeRecordBatch({
    baseOffset: 100,
    baseTimestamp: BASE_TS,
    lastOffsetDelta: 9,
    records: [{ key: Buffer.from('a'), value: null, offsetDelta: 2 }, { key: Buffer.from('b'), value: null, offsetDelta: 7 }],
  });
  const h = new RecordBatchHeader(buf);
  assert.equal(h.lastOffset, 109);
  assert.equal(validateBatches(buf).ok, false, 'a produce-style check rejects gaps');
  assert.equal(validateBatches(buf, { compacted: true }).ok, true);
  const [batch] = await decodeRecordBatches(buf);
  assert.deepEqual(batch.records.map((r) => r.offset), [102, 107]);
});

test('empty batch (all records compacted away) encodes and decodes', async () => {
  const buf = await encodeRecordBatch({ baseOffset: 10, baseTimestamp: BASE_TS, lastOffsetDelta: 4, records: [] });
  assert.equal(buf.length, RECORD_BATCH_HEADER_SIZE);
  assert.ok(validateBatches(buf, { compacted: true }).ok);
  const [batch] = await decodeRecordBatches(buf);
  assert.equal(batch.records.length, 0);
  assert.equal(batch.lastOffset, 14);
});

test('flipping any CRC-covered byte is CORRUPT_MESSAGE', async () => {
  const buf = await encodeRecordBatch(sampleInput(CompressionCodec.Lz4));
  for (const at of [CRC_OFFSET, 21, 30, 60, buf.length - 1]) {
    const bad = Buffer.from(buf);
    bad[at] ^= 0x01;
    const v = validateBatches(bad);
    assert.equal(v.ok, false);
    if (!v.ok) assert.equal(v.errorCode, ErrorCode.CORRUPT_MESSAGE);
    await assert.rejects(decodeRecordBatches(bad), (e: unknown) => e instanceof RecordFormatError && e.errorCode === ErrorCode.CORRUPT_MESSAGE);
  }
});

test('setBaseOffset and setPartitionLeaderEpoch keep the CRC valid; the header view sees them', async () => {
  const a = await encodeRecordBatch(sampleInput(CompressionCodec.None));
  const b = await encodeRecordBatch(sampleInput(CompressionCodec.Gzip));
  const blob = Buffer.concat([a, b]);
  setBaseOffset(blob, 0, 2 ** 40);
  setBaseOffset(blob, a.length, 2 ** 40 + 5);
  setPartitionLeaderEpoch(blob, a.length, 77);
  const v = validateBatches(blob);
  assert.ok(v.ok);
  assert.deepEqual(v.batches.map((h) => [h.baseOffset, h.lastOffset, h.partitionLeaderEpoch]), [[2 ** 40, 2 ** 40 + 4, -1], [2 ** 40 + 5, 2 ** 40 + 9, 77]]);
  const decoded = await decodeRecordBatches(blob);
  assert.deepEqual(decoded.flatMap((d) => d.records.map((r) => r.offset - 2 ** 40)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('setLogAppendTime sets the type bit and maxTimestamp, keeps CRC valid; records read the append time', async () => {
  for (const codec of [CompressionCodec.None, CompressionCodec.Zstd]) {
    const buf = await encodeRecordBatch(sampleInput(codec));
    setLogAppendTime(buf, 0, 1_800_000_000_000);
    const v = validateBatches(buf);
    assert.ok(v.ok);
    const h = v.batches[0];
    assert.equal(h.timestampType, TimestampType.LogAppendTime);
    assert.equal(h.maxTimestamp, 1_800_000_000_000);
    assert.equal(h.compression, codec, 'codec bits untouched');
    assert.equal(h.isTransactional, true, 'other bits untouched');
    const [batch] = await decodeRecordBatches(buf);
    assert.ok(batch.records.every((r) => r.timestamp === 1_800_000_000_000));
  }
});

test('decodeRecordBatches ignores a partial trailing batch', async () => {
  const a = await encodeRecordBatch(sampleInput(CompressionCodec.None));
  const blob = Buffer.concat([a, a.subarray(0, 40)]);
  const batches = await decodeRecordBatches(blob);
  assert.equal(batches.length, 1);
  assert.equal((await decodeRecordBatches(Buffer.concat([a, a.subarray(0, 10)]))).length, 1);
  assert.equal((await decodeRecordBatches(Buffer.alloc(0))).length, 0);
});

test('structural corruption inside records is reported, not mis-decoded', async () => {
  const buf = encodeRecordBatchSync({ baseTimestamp: 0, records: [{ key: Buffer.from('abc'), value: Buffer.from('def') }] });
  // Claim two records while only one is present, then fix the CRC so only the structure is wrong.
  buf.writeInt32BE(2, 57);
  buf.writeInt32BE(1, 23);
  setLogAppendTime(buf, 0, 0); // recomputes the CRC
  await assert.rejects(decodeRecordBatches(buf), RecordFormatError);
});

test('deferCrc leaves the CRC to the caller; writeBatchCrc then makes the same batch as a plain encode', async () => {
  for (const codec of CODECS) {
    const input = sampleInput(codec);
    const plain = await encodeRecordBatch(input);
    const deferred = await encodeRecordBatch({ ...input, deferCrc: true });
    assert.equal(deferred.readUInt32BE(CRC_OFFSET), 0, `codec ${codec}: no CRC yet`);
    assert.equal(validateBatches(deferred).ok, false, `codec ${codec}: invalid until the CRC is written`);
    writeBatchCrc(deferred);
    assert.deepEqual(deferred, plain, `codec ${codec}`);
  }
});
