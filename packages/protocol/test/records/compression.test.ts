import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import * as snappy from 'snappy';
import { compressFrameSync } from 'lz4-napi';
import { compress as zstdCompress } from '@mongodb-js/zstd';
import { compress, CompressionCodec, decompress, ErrorCode, RecordFormatError } from '../../src/index.js';

const isTooLarge = (e: unknown): boolean =>
  e instanceof RecordFormatError && e.code === 'SAMSA_ERR_DECOMPRESSED_TOO_LARGE' && e.errorCode === ErrorCode.CORRUPT_MESSAGE;
const isCorrupt = (e: unknown): boolean => e instanceof RecordFormatError && e.errorCode === ErrorCode.CORRUPT_MESSAGE;

const data = Buffer.from('The quick brown fox jumps over the lazy dog. '.repeat(5000));

test('every codec round trips, including empty input', async () => {
  for (const codec of [0, 1, 2, 3, 4] as CompressionCodec[]) {
    for (const input of [data, Buffer.alloc(0), Buffer.from('x')]) {
      const c = await compress(codec, input);
      assert.deepEqual(await decompress(codec, c), input, `codec ${codec} len ${input.length}`);
    }
  }
});

test('snappy: writes xerial framing, reads both xerial and raw blocks', async () => {
  const framed = await compress(CompressionCodec.Snappy, data);
  assert.equal(framed.subarray(0, 8).toString('latin1'), '\x82SNAPPY\x00');
  assert.equal(framed.readInt32BE(8), 1);
  assert.equal(framed.readInt32BE(12), 1);
  const raw = snappy.compressSync(data);
  assert.deepEqual(await decompress(CompressionCodec.Snappy, raw), data);
  // Truncated xerial stream and a block length past the end are corrupt.
  await assert.rejects(decompress(CompressionCodec.Snappy, framed.subarray(0, framed.length - 3)), isCorrupt);
  const bad = Buffer.from(framed);
  bad.writeInt32BE(0x7fffffff, 16);
  await assert.rejects(decompress(CompressionCodec.Snappy, bad), isCorrupt);
});

test('lz4: tolerates content size, block and content checksums (librdkafka/Java/python variants)', async () => {
  const variants = [
    compressFrameSync(data),
    compressFrameSync(data, { contentChecksum: true }),
    compressFrameSync(data, { blockChecksums: true, contentChecksum: true }),
  ];
  for (const v of variants) assert.deepEqual(await decompress(CompressionCodec.Lz4, v), data);
  // Two concatenated frames decode to the concatenation.
  const two = Buffer.concat([compressFrameSync(Buffer.from('ab')), compressFrameSync(Buffer.from('cd'))]);
  assert.equal((await decompress(CompressionCodec.Lz4, two)).toString(), 'abcd');
});

test('zip bombs are refused before inflating', async () => {
  const zeros = Buffer.alloc(4 * 1024 * 1024);
  const limit = 1024 * 1024;
  await assert.rejects(decompress(CompressionCodec.Gzip, zlib.gzipSync(zeros), limit), isTooLarge);
  await assert.rejects(decompress(CompressionCodec.Snappy, snappy.compressSync(zeros), limit), isTooLarge);
  await assert.rejects(decompress(CompressionCodec.Snappy, await compress(CompressionCodec.Snappy, zeros), limit), isTooLarge);
  await assert.rejects(decompress(CompressionCodec.Lz4, compressFrameSync(zeros), limit), isTooLarge);
  await assert.rejects(decompress(CompressionCodec.Zstd, await zstdCompress(zeros), limit), isTooLarge);
  await assert.rejects(decompress(CompressionCodec.None, zeros, limit), isTooLarge);
  // Exactly at the limit is fine.
  assert.equal((await decompress(CompressionCodec.Zstd, await zstdCompress(zeros), zeros.length)).length, zeros.length);

  // Declared sizes far beyond the default limit are refused from the header alone.
  const rawSnappyHeader = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]); // claims 4 GiB
  await assert.rejects(decompress(CompressionCodec.Snappy, rawSnappyHeader), isTooLarge);
  const zstdFcs = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xe0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x01, 0x00, 0x00]); // FCS 2^56, single segment
  await assert.rejects(decompress(CompressionCodec.Zstd, zstdFcs), isTooLarge);
  // An RLE zstd block stream claiming 1000 x 128 KiB.
  const blocks: number[] = [0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58];
  for (let i = 0; i < 1000; i++) {
    const hdr = ((128 * 1024) << 3) | (1 << 1) | (i === 999 ? 1 : 0);
    blocks.push(hdr & 0xff, (hdr >> 8) & 0xff, (hdr >> 16) & 0xff, 0x41);
  }
  await assert.rejects(decompress(CompressionCodec.Zstd, Buffer.from(blocks), 64 * 1024 * 1024), isTooLarge);
});

test('garbage is CORRUPT_MESSAGE for every codec; unknown codec is UNSUPPORTED_COMPRESSION_TYPE', async () => {
  const garbage = Buffer.from('definitely not compressed data at all');
  for (const codec of [1, 2, 3, 4] as CompressionCodec[]) {
    await assert.rejects(decompress(codec, garbage), isCorrupt, `codec ${codec}`);
  }
  await assert.rejects(decompress(6 as CompressionCodec, garbage), (e: unknown) => e instanceof RecordFormatError && e.errorCode === ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
});
