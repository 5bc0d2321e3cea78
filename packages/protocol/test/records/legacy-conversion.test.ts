// Magic 0/1 conversion: the writer against the decoder, Produce v0-v2 up-conversion
// (Kafka's LogValidator rules and errors) and Fetch v0-v3 down-conversion
// (RecordsUtil.downConvert rules, the memory bound), plus a fuzz of the up-converter
// and the legacy decoder: mutated message sets may only raise RecordFormatError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import { crc32 } from '@node-rs/crc32';
import {
  CompressionCodec,
  decodeLegacyMessageSet,
  decodeRecordBatches,
  downConvertBatches,
  encodeControlRecordBatch,
  encodeLegacyMessageSet,
  encodeRecordBatch,
  ErrorCode,
  RecordFormatError,
  TimestampType,
  upConvertMessageSet,
  type LegacyMessageInput,
} from '../../src/index.js';
import { legacyMessage, seededRandom, testSeed } from '../../test-support/records-fixtures.js';

const LEGACY_CODECS = [CompressionCodec.None, CompressionCodec.Gzip, CompressionCodec.Snappy, CompressionCodec.Lz4];

function messages(offsets: number[]): LegacyMessageInput[] {
  return offsets.map((offset, i) => ({
    offset,
    timestamp: 1_700_000_000_000 + i,
    key: i % 3 === 0 ? null : Buffer.from(`key-${i}`),
    value: i % 5 === 4 ? null : Buffer.from(`value-${i}-`.repeat(i + 1)),
  }));
}

async function rejectsWith(p: Promise<unknown>, errorCode: number, pattern?: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof RecordFormatError, `expected RecordFormatError, got ${String(err)}`);
    assert.equal(err.errorCode, errorCode, err.message);
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}

test('writer output decodes back: magic 0/1, every legacy codec, offsets with gaps', async () => {
  const offsets = [10, 11, 13, 20, 21];
  for (const magic of [0, 1] as const) {
    for (const compression of LEGACY_CODECS) {
      const set = await encodeLegacyMessageSet({ magic, compression, timestampType: TimestampType.CreateTime, messages: messages(offsets) });
      const batches = await decodeLegacyMessageSet(set);
      const records = batches.flatMap((b) => b.records);
      const what = `magic ${magic} codec ${compression}`;
      assert.deepEqual(records.map((r) => r.offset), offsets, what);
      assert.deepEqual(records.map((r) => r.key?.toString() ?? null), messages(offsets).map((m) => m.key?.toString() ?? null), what);
      assert.deepEqual(records.map((r) => r.value?.toString() ?? null), messages(offsets).map((m) => m.value?.toString() ?? null), what);
      assert.deepEqual(records.map((r) => r.timestamp), messages(offsets).map((m) => (magic === 0 ? -1 : m.timestamp)), what);
      assert.equal(batches.length, compression === CompressionCodec.None ? offsets.length : 1, what);
      if (compression !== CompressionCodec.None) {
        assert.equal(batches[0].compression, compression, what);
        assert.equal(batches[0].lastOffset, 21, `${what}: the wrapper carries the last offset`);
      }
    }
  }
});

test('writer: LogAppendTime sets attribute bit 3 and the append time on magic 1 wrapper and inner messages', async () => {
  const set = await encodeLegacyMessageSet({ magic: 1, compression: CompressionCodec.Gzip, timestampType: TimestampType.LogAppendTime, logAppendTimeMs: 1234, messages: messages([0, 1]) });
  assert.equal(set[17] & 0x08, 0x08);
  const inner = zlib.gunzipSync(set.subarray(34));
  assert.equal(inner[17] & 0x08, 0x08);
  assert.equal(Number(inner.readBigInt64BE(18)), 1234);
  const [b] = await decodeLegacyMessageSet(set);
  assert.equal(b.timestampType, TimestampType.LogAppendTime);
  assert.deepEqual(b.records.map((r) => r.timestamp), [1234, 1234]);
});

test('writer: magic 0 LZ4 carries the header checksum old Kafka readers expect (over the frame magic too)', async () => {
  const set = await encodeLegacyMessageSet({ magic: 0, compression: CompressionCodec.Lz4, timestampType: TimestampType.CreateTime, messages: messages([0, 1, 2]) });
  const frame = set.subarray(26);
  const { xxh32 } = await import('../../src/records/kafka-lz4-frame.js');
  const flg = frame[4];
  const hcPos = 6 + (flg & 0x08 ? 8 : 0) + (flg & 0x01 ? 4 : 0);
  assert.equal(frame[hcPos], (xxh32(frame.subarray(0, hcPos), 0) >>> 8) & 0xff);
  assert.deepEqual((await decodeLegacyMessageSet(set))[0].records.map((r) => r.offset), [0, 1, 2]);
});

test('up-conversion: magic 0 plain messages become one v2 batch without timestamps', async () => {
  const set = Buffer.concat([
    legacyMessage({ offset: 0, magic: 0, key: Buffer.from('a'), value: Buffer.from('A') }),
    legacyMessage({ offset: 0, magic: 0, key: null, value: null }),
  ]);
  const up = await upConvertMessageSet(set, { compression: 'producer' });
  assert.equal(up.recordCount, 2);
  assert.equal(up.sourceMagic, 0);
  assert.equal(up.minTimestamp, -1);
  const [b] = await decodeRecordBatches(up.batch);
  assert.equal(b.magic, 2);
  assert.equal(b.compression, CompressionCodec.None);
  assert.equal(b.producerId, -1);
  assert.equal(b.maxTimestamp, -1);
  assert.deepEqual(b.records.map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value?.toString() ?? null]), [
    [0, -1, 'a', 'A'],
    [1, -1, null, null],
  ]);
});

test("up-conversion: producer keeps the wrapper's codec, a topic codec re-compresses, timestamps kept", async () => {
  for (const magic of [0, 1] as const) {
    const set = await encodeLegacyMessageSet({ magic, compression: CompressionCodec.Snappy, timestampType: TimestampType.CreateTime, messages: messages([0, 1, 2, 3]) });
    const kept = await upConvertMessageSet(set, { compression: 'producer' });
    assert.equal(kept.sourceCompression, CompressionCodec.Snappy);
    const [k] = await decodeRecordBatches(kept.batch);
    assert.equal(k.compression, CompressionCodec.Snappy);
    assert.deepEqual(k.records.map((r) => r.timestamp), messages([0, 1, 2, 3]).map((m) => (magic === 0 ? -1 : m.timestamp)));
    assert.equal(kept.maxTimestamp, magic === 0 ? -1 : 1_700_000_000_003);
    for (const topicCodec of [CompressionCodec.None, CompressionCodec.Gzip, CompressionCodec.Zstd]) {
      const [r] = await decodeRecordBatches((await upConvertMessageSet(set, { compression: topicCodec })).batch);
      assert.equal(r.compression, topicCodec);
      assert.deepEqual(r.records.map((x) => x.value?.toString() ?? null), messages([0, 1, 2, 3]).map((m) => m.value?.toString() ?? null));
    }
  }
});

test('up-conversion errors as Kafka gives them', async () => {
  const good = legacyMessage({ offset: 0, magic: 1, timestamp: 1, key: Buffer.from('k'), value: Buffer.from('v') });
  const badCrc = Buffer.from(good);
  badCrc[badCrc.length - 1] ^= 1;
  await rejectsWith(upConvertMessageSet(badCrc, { compression: 'producer' }), ErrorCode.CORRUPT_MESSAGE, /CRC/);
  await rejectsWith(upConvertMessageSet(Buffer.concat([good, good.subarray(0, 20)]), { compression: 'producer' }), ErrorCode.CORRUPT_MESSAGE, /partial/);
  const nested = legacyMessage({ offset: 0, magic: 1, attributes: 1, timestamp: 1, key: null, value: zlib.gzipSync(legacyMessage({ offset: 0, magic: 1, attributes: 1, timestamp: 1, key: null, value: zlib.gzipSync(good) })) });
  await rejectsWith(upConvertMessageSet(nested, { compression: 'producer' }), ErrorCode.INVALID_RECORD, /compression/);
  const mixedMagic = legacyMessage({ offset: 0, magic: 1, attributes: 1, timestamp: 1, key: null, value: zlib.gzipSync(legacyMessage({ offset: 0, magic: 0, key: null, value: Buffer.from('x') })) });
  await rejectsWith(upConvertMessageSet(mixedMagic, { compression: 'producer' }), ErrorCode.INVALID_RECORD, /magic/);
  const inner = Buffer.concat([0, 2].map((o) => legacyMessage({ offset: o, magic: 1, timestamp: 1, key: null, value: Buffer.from('x') })));
  const badInnerOffsets = legacyMessage({ offset: 1, magic: 1, attributes: 1, timestamp: 1, key: null, value: zlib.gzipSync(inner) });
  await rejectsWith(upConvertMessageSet(badInnerOffsets, { compression: 'producer' }), ErrorCode.INVALID_RECORD, /offset/);
  const nullWrapper = legacyMessage({ offset: 0, magic: 1, attributes: 1, timestamp: 1, key: null, value: null });
  await rejectsWith(upConvertMessageSet(nullWrapper, { compression: 'producer' }), ErrorCode.INVALID_RECORD, /null/);
  const zstdWrapper = legacyMessage({ offset: 0, magic: 1, attributes: 4, timestamp: 1, key: null, value: Buffer.from('x') });
  await rejectsWith(upConvertMessageSet(zstdWrapper, { compression: 'producer' }), ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  const v2 = await encodeRecordBatch({ baseTimestamp: 1, records: [{ key: null, value: Buffer.from('x') }] });
  await rejectsWith(upConvertMessageSet(Buffer.concat([good, v2]), { compression: 'producer' }), ErrorCode.INVALID_RECORD, /magic 2/);
  const badGzip = legacyMessage({ offset: 0, magic: 1, attributes: 1, timestamp: 1, key: null, value: Buffer.from('not gzip') });
  await rejectsWith(upConvertMessageSet(badGzip, { compression: 'producer' }), ErrorCode.CORRUPT_MESSAGE);
  const wrapper = await encodeLegacyMessageSet({ magic: 1, compression: CompressionCodec.Gzip, timestampType: TimestampType.CreateTime, messages: [{ offset: 0, timestamp: 1, key: null, value: Buffer.alloc(600) }] });
  await upConvertMessageSet(Buffer.concat([wrapper, wrapper]), { compression: 'producer', maxDecompressedBytes: 2000 });
  await rejectsWith(upConvertMessageSet(Buffer.concat([wrapper, wrapper, wrapper, wrapper]), { compression: 'producer', maxDecompressedBytes: 2000 }), ErrorCode.CORRUPT_MESSAGE, /limit/);
  const tooSmall = Buffer.from(good);
  tooSmall.writeInt32BE(3, 8);
  await rejectsWith(upConvertMessageSet(tooSmall, { compression: 'producer' }), ErrorCode.CORRUPT_MESSAGE);
});

async function storedLog(): Promise<{ log: Buffer; batches: Buffer[] }> {
  const headers = [{ key: 'h', value: Buffer.from('dropped') }];
  const batches = [
    await encodeRecordBatch({ baseOffset: 0, baseTimestamp: 1000, records: [0, 1, 2].map((i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`p${i}`), headers, timestamp: 1000 + i })) }),
    await encodeRecordBatch({ baseOffset: 3, baseTimestamp: 2000, compression: CompressionCodec.Gzip, records: [0, 1].map((i) => ({ key: null, value: Buffer.from(`g${i}`), timestamp: 2000 + i })) }),
    encodeControlRecordBatch({ baseOffset: 5, producerId: 7, producerEpoch: 0, timestamp: 3000, type: 'COMMIT', coordinatorEpoch: 0 }),
    await encodeRecordBatch({ baseOffset: 6, baseTimestamp: 4000, timestampType: TimestampType.LogAppendTime, maxTimestamp: 4444, records: [{ key: null, value: Buffer.from('l0') }] }),
  ];
  return { log: Buffer.concat(batches), batches };
}

test('down-conversion: headers and control batches dropped, codecs kept, magic 0 loses timestamps', async () => {
  const { log } = await storedLog();
  for (const toMagic of [0, 1] as const) {
    const out = await downConvertBatches(log, { toMagic, fetchOffset: 0, maxBytes: 1 << 20 });
    assert.equal(out.controlBatchesSkipped, 1);
    assert.equal(out.unsupportedCompression, false);
    const batches = await decodeLegacyMessageSet(out.records);
    assert.ok(batches.every((b) => b.magic === toMagic));
    const records = batches.flatMap((b) => b.records);
    assert.deepEqual(records.map((r) => [r.offset, r.value?.toString()]), [[0, 'p0'], [1, 'p1'], [2, 'p2'], [3, 'g0'], [4, 'g1'], [6, 'l0']]);
    assert.ok(records.every((r) => r.headers.length === 0));
    const expectedTs = toMagic === 0 ? [-1, -1, -1, -1, -1, -1] : [1000, 1001, 1002, 2000, 2001, 4444];
    assert.deepEqual(records.map((r) => r.timestamp), expectedTs);
    assert.equal(batches[3].compression, CompressionCodec.Gzip);
    if (toMagic === 1) assert.equal(batches[4].timestampType, TimestampType.LogAppendTime);
  }
});

test('down-conversion: records before the fetch offset are dropped from plain batches, kept in compressed wrappers', async () => {
  const { log } = await storedLog();
  const fromMiddle = await decodeLegacyMessageSet((await downConvertBatches(log, { toMagic: 1, fetchOffset: 1, maxBytes: 1 << 20 })).records);
  assert.deepEqual(fromMiddle.flatMap((b) => b.records.map((r) => r.offset)), [1, 2, 3, 4, 6]);
  const { batches } = await storedLog();
  const inWrapper = await decodeLegacyMessageSet((await downConvertBatches(batches[1], { toMagic: 1, fetchOffset: 4, maxBytes: 1 << 20 })).records);
  assert.deepEqual(inWrapper.flatMap((b) => b.records.map((r) => r.offset)), [3, 4]);
});

test('down-conversion is bounded: stops at maxBytes, the first batch whole, a partial message at the end', async () => {
  const big = await Promise.all(
    [0, 10, 20, 30].map((base) => encodeRecordBatch({ baseOffset: base, baseTimestamp: 1, records: Array.from({ length: 10 }, (_, i) => ({ key: null, value: Buffer.alloc(100, i) })) })),
  );
  const log = Buffer.concat(big);
  const firstOnly = await downConvertBatches(log, { toMagic: 1, fetchOffset: 0, maxBytes: 1 });
  assert.equal(firstOnly.batchesRead, 1, 'stops after the first converted batch');
  const whole = await decodeLegacyMessageSet(firstOnly.records);
  assert.equal(whole.length, 10, 'the first batch is whole although it exceeds maxBytes');
  const limited = await downConvertBatches(log, { toMagic: 1, fetchOffset: 0, maxBytes: firstOnly.records.length + 50 });
  assert.equal(limited.records.length, firstOnly.records.length + 50);
  assert.equal(limited.batchesRead, 2);
  const decoded = await decodeLegacyMessageSet(limited.records);
  assert.equal(decoded.length, 10, 'the cut message of the second batch is left for the next fetch');
  const notFirst = await downConvertBatches(log, { toMagic: 1, fetchOffset: 0, maxBytes: 100, firstMayExceed: false });
  assert.equal(notFirst.records.length, 0, 'not the response\'s first batch: left for the next fetch when over the limit');
  const zeroBudget = await downConvertBatches(log, { toMagic: 0, fetchOffset: 0, maxBytes: 0 });
  assert.equal((await decodeLegacyMessageSet(zeroBudget.records)).length, 10, 'the response\'s first batch even with no budget');
});

test('down-conversion: zstd cannot be served in magic 0/1', async () => {
  const zstd = await encodeRecordBatch({ baseOffset: 5, baseTimestamp: 1, compression: CompressionCodec.Zstd, records: [{ key: null, value: Buffer.from('z') }] });
  const first = await downConvertBatches(zstd, { toMagic: 1, fetchOffset: 5, maxBytes: 1 << 20 });
  assert.equal(first.unsupportedCompression, true);
  const plain = await encodeRecordBatch({ baseOffset: 4, baseTimestamp: 1, records: [{ key: null, value: Buffer.from('p') }] });
  const after = await downConvertBatches(Buffer.concat([plain, zstd]), { toMagic: 1, fetchOffset: 4, maxBytes: 1 << 20 });
  assert.equal(after.unsupportedCompression, false);
  assert.deepEqual((await decodeLegacyMessageSet(after.records)).map((b) => b.baseOffset), [4]);
});

function mutate(rand: () => number, src: Buffer): Buffer {
  const out = Buffer.from(src);
  const n = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < n; i++) {
    const op = rand();
    const at = Math.floor(rand() * out.length);
    if (op < 0.5) out[at] = Math.floor(rand() * 256);
    else if (op < 0.7) out[at] ^= 1 << Math.floor(rand() * 8);
    else if (op < 0.85) out.writeInt32BE(Math.floor(rand() * 2 ** 32) - 2 ** 31, Math.max(0, Math.min(at, out.length - 4)));
    else return out.subarray(0, at);
  }
  return out;
}

/** Rewrites every top-level message's CRC so mutations reach the parser behind the checksum. */
function fixLegacyCrcs(buf: Buffer): void {
  for (let pos = 0; buf.length - pos >= 26; ) {
    const size = buf.readInt32BE(pos + 8);
    if (size < 14 || pos + 12 + size > buf.length) return;
    buf.writeUInt32BE(crc32(buf.subarray(pos + 16, pos + 12 + size)) >>> 0, pos + 12);
    pos += 12 + size;
  }
}

const SEED = testSeed();

// A decompression bomb that got through would blow the test's timeout rather than a timed assertion.
test(`fuzz: mutated magic 0/1 sets only raise RecordFormatError (SAMSA_SEED=${SEED})`, { timeout: 300_000 }, async () => {
  const rand = seededRandom(SEED);
  const seeds: Buffer[] = [];
  for (const magic of [0, 1] as const) {
    for (const compression of LEGACY_CODECS) {
      seeds.push(await encodeLegacyMessageSet({ magic, compression, timestampType: TimestampType.CreateTime, messages: messages([0, 1, 2, 3, 4, 5]) }));
    }
  }
  for (let i = 0; i < 3000; i++) {
    const input = mutate(rand, seeds[i % seeds.length]);
    if (rand() < 0.6) fixLegacyCrcs(input);
    for (const [what, run] of [
      ['upConvertMessageSet', () => upConvertMessageSet(input, { compression: 'producer', maxDecompressedBytes: 1 << 20 })],
      ['decodeLegacyMessageSet', () => decodeLegacyMessageSet(input, { maxDecompressedBytes: 1 << 20 })],
    ] as const) {
      try {
        await run();
      } catch (err) {
        assert.ok(err instanceof RecordFormatError, `${what}: unexpected ${String(err)} (SAMSA_SEED=${SEED}, iteration ${i})`);
      }
    }
  }
});
