import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import { compressFrameSync } from 'lz4-napi';
import { CompressionCodec, decodeLegacyMessageSet, decodeRecordBatches, encodeRecordBatchSync, RecordFormatError, TimestampType } from '../../src/index.js';
import { legacyMessage } from '../../test-support/records-fixtures.js';

test('plain magic 0 and magic 1 messages', async () => {
  const set = Buffer.concat([
    legacyMessage({ offset: 10, magic: 0, key: Buffer.from('a'), value: Buffer.from('A') }),
    legacyMessage({ offset: 11, magic: 1, timestamp: 1234, key: null, value: null }),
  ]);
  const batches = await decodeLegacyMessageSet(set);
  assert.equal(batches.length, 2);
  assert.deepEqual(batches[0].records, [{ offset: 10, timestamp: -1, key: Buffer.from('a'), value: Buffer.from('A'), headers: [] }]);
  assert.equal(batches[0].magic, 0);
  assert.deepEqual(batches[1].records, [{ offset: 11, timestamp: 1234, key: null, value: null, headers: [] }]);
  assert.equal(batches[1].baseOffset, 11);
  assert.equal(batches[1].producerId, -1);
  // decodeRecordBatches handles them too, mixed with a v2 batch.
  const mixed = Buffer.concat([set, encodeRecordBatchSync({ baseOffset: 12, baseTimestamp: 5, records: [{ key: null, value: Buffer.from('v2') }] })]);
  const all = await decodeRecordBatches(mixed);
  assert.deepEqual(all.map((b) => [b.magic, b.baseOffset]), [[0, 10], [1, 11], [2, 12]]);
});

function innerSet(magic: 0 | 1, offsets: number[]): Buffer {
  return Buffer.concat(offsets.map((o, i) => legacyMessage({ offset: o, magic, timestamp: 100 + i, key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`) })));
}

test('magic 1 compressed wrapper: relative inner offsets, LogAppendTime from the wrapper', async () => {
  const wrapper = legacyMessage({ offset: 42, magic: 1, attributes: CompressionCodec.Gzip | 0x08, timestamp: 777, key: null, value: zlib.gzipSync(innerSet(1, [0, 1, 2])) });
  const [b] = await decodeLegacyMessageSet(wrapper);
  assert.deepEqual(b.records.map((r) => r.offset), [40, 41, 42]);
  assert.deepEqual(b.records.map((r) => r.timestamp), [777, 777, 777]);
  assert.equal(b.timestampType, TimestampType.LogAppendTime);
  assert.equal(b.compression, CompressionCodec.Gzip);
  assert.equal(b.lastOffset, 42);
});

test('magic 0 compressed wrapper keeps absolute inner offsets', async () => {
  const wrapper = legacyMessage({ offset: 7, magic: 0, attributes: CompressionCodec.Gzip, key: null, value: zlib.gzipSync(innerSet(0, [5, 6, 7])) });
  const [b] = await decodeLegacyMessageSet(wrapper);
  assert.deepEqual(b.records.map((r) => [r.offset, r.key?.toString()]), [[5, 'k0'], [6, 'k1'], [7, 'k2']]);
});

test("magic 0 LZ4 with old Kafka's broken header checksum is accepted", async () => {
  const frame = Buffer.from(compressFrameSync(innerSet(0, [0, 1])));
  frame[6] ^= 0x5a; // any wrong header checksum byte
  const wrapper = legacyMessage({ offset: 1, magic: 0, attributes: CompressionCodec.Lz4, key: null, value: frame });
  const [b] = await decodeLegacyMessageSet(wrapper);
  assert.deepEqual(b.records.map((r) => r.value?.toString()), ['v0', 'v1']);
});

test('CRC and structure errors', async () => {
  const m = legacyMessage({ offset: 0, magic: 1, timestamp: 1, key: Buffer.from('k'), value: Buffer.from('v') });
  const bad = Buffer.from(m);
  bad[bad.length - 1] ^= 1;
  await assert.rejects(decodeLegacyMessageSet(bad), RecordFormatError);
  assert.equal((await decodeLegacyMessageSet(bad, { verifyCrc: false })).length, 1);
  const nested = legacyMessage({ offset: 0, magic: 1, attributes: 1, key: null, value: zlib.gzipSync(legacyMessage({ offset: 0, magic: 1, attributes: 1, key: null, value: zlib.gzipSync(m) })) });
  await assert.rejects(decodeLegacyMessageSet(nested), RecordFormatError);
  // Partial trailing message is ignored.
  assert.equal((await decodeLegacyMessageSet(Buffer.concat([m, m.subarray(0, 20)]))).length, 1);
});
