// Compression codecs for record batches, with bounded decompression.
//
// Every decompressor checks an upper bound on the output *before* inflating, so a
// small hostile payload (a "zip bomb") cannot make the broker allocate gigabytes:
//   gzip   zlib's maxOutputLength stops inflation at the limit.
//   snappy the raw format starts with the uncompressed length (a varint); the xerial
//          framing used by the Java client is a sequence of raw blocks, each checked.
//   lz4    frame format: each block inflates to at most the frame's block maximum
//          (64 KiB..4 MiB), so walking the block headers bounds the output; a declared
//          content size is checked as well.
//   zstd   each block inflates to at most 128 KiB (Block_Maximum_Size), so walking the
//          block headers bounds the output; a declared frame content size is used when
//          present (libzstd verifies it). @mongodb-js/zstd has no output limit itself.
// For every codec the real output length is checked again afterwards.

import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import * as snappy from 'snappy';
import { compressFrameSync, decompressFrameSync } from 'lz4-napi';
import { compress as zstdCompress, decompress as zstdDecompress } from '@mongodb-js/zstd';
import { ErrorCode } from '../errors/error-codes.js';
import { CompressionCodec } from './record-batch-header.js';
import { RecordFormatError } from './record-format-error.js';

/** Default cap on the decompressed size of one batch's records (128 MiB). */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 128 * 1024 * 1024;

const gzipAsync = promisify(zlib.gzip);
const gunzipAsync = promisify(zlib.gunzip);

/** The xerial snappy-java stream header: 0x82 "SNAPPY" 0x00, version 1, compatible version 1. */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_SIZE = 16;
/** snappy-java's default block size; the Java client writes blocks of this many input bytes. */
const XERIAL_BLOCK_SIZE = 32 * 1024;

function tooLarge(size: number, limit: number): RecordFormatError {
  return new RecordFormatError(`decompressed size ${size} exceeds the limit of ${limit} bytes`, {
    code: 'SAMSA_ERR_DECOMPRESSED_TOO_LARGE',
  });
}

function corrupt(codec: string, cause: unknown): RecordFormatError {
  if (cause instanceof RecordFormatError) return cause;
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new RecordFormatError(`invalid ${codec} data: ${detail}`, { cause });
}

function unsupported(codec: number): RecordFormatError {
  return new RecordFormatError(`unsupported compression codec ${codec}`, {
    code: 'SAMSA_ERR_UNSUPPORTED_COMPRESSION',
    errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
  });
}

// ---------------------------------------------------------------- snappy

/** Writes `buf` in the xerial framing, which every Kafka client can read (Java requires it for magic 0/1). */
function snappyXerialCompress(buf: Buffer): Buffer {
  const parts: Buffer[] = [];
  let total = XERIAL_HEADER_SIZE;
  for (let off = 0; off < buf.length; off += XERIAL_BLOCK_SIZE) {
    const block = snappy.compressSync(buf.subarray(off, Math.min(buf.length, off + XERIAL_BLOCK_SIZE)));
    parts.push(block);
    total += 4 + block.length;
  }
  const out = Buffer.allocUnsafe(total);
  XERIAL_MAGIC.copy(out, 0);
  out.writeInt32BE(1, 8);
  out.writeInt32BE(1, 12);
  let pos = XERIAL_HEADER_SIZE;
  for (const block of parts) {
    out.writeInt32BE(block.length, pos);
    block.copy(out, pos + 4);
    pos += 4 + block.length;
  }
  return out;
}

/** Uncompressed length from a raw snappy block's varint preamble. */
function snappyRawLength(buf: Buffer, start: number, end: number): number {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 5; i++) {
    if (start + i >= end) throw new RecordFormatError('truncated snappy length preamble');
    const b = buf[start + i];
    result += (b & 0x7f) * mul;
    if (b < 0x80) return result;
    mul *= 128;
  }
  throw new RecordFormatError('snappy length preamble longer than 5 bytes');
}

function snappyRawUncompress(block: Buffer, limit: number): Buffer {
  const declared = snappyRawLength(block, 0, block.length);
  if (declared > limit) throw tooLarge(declared, limit);
  return snappy.uncompressSync(block, { asBuffer: true }) as Buffer;
}

function isXerial(buf: Buffer): boolean {
  return buf.length >= XERIAL_HEADER_SIZE && buf.compare(XERIAL_MAGIC, 0, 8, 0, 8) === 0;
}

function snappyUncompress(buf: Buffer, limit: number): Buffer {
  if (!isXerial(buf)) return snappyRawUncompress(buf, limit);
  // Validate every chunk header and the total declared size before inflating anything.
  const blocks: Buffer[] = [];
  let total = 0;
  let pos = XERIAL_HEADER_SIZE;
  while (pos < buf.length) {
    if (pos + 4 > buf.length) throw new RecordFormatError('truncated xerial snappy block length');
    const len = buf.readInt32BE(pos);
    pos += 4;
    if (len < 0 || pos + len > buf.length) throw new RecordFormatError('xerial snappy block overruns its buffer');
    const block = buf.subarray(pos, pos + len);
    pos += len;
    if (len === 0) continue;
    total += snappyRawLength(block, 0, block.length);
    if (total > limit) throw tooLarge(total, limit);
    blocks.push(block);
  }
  if (blocks.length === 1) return snappy.uncompressSync(blocks[0], { asBuffer: true }) as Buffer;
  const out = Buffer.allocUnsafe(total);
  let o = 0;
  for (const block of blocks) {
    const part = snappy.uncompressSync(block, { asBuffer: true }) as Buffer;
    if (o + part.length > total) throw new RecordFormatError('snappy block longer than declared');
    part.copy(out, o);
    o += part.length;
  }
  if (o !== total) throw new RecordFormatError('snappy block shorter than declared');
  return out;
}

// ---------------------------------------------------------------- lz4

const LZ4_FRAME_MAGIC = 0x184d2204;
const LZ4_BLOCK_MAX = [0, 0, 0, 0, 64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024];

/** A frame's extent in the input and an upper bound on its output. */
interface FrameSpan {
  start: number;
  end: number;
  bound: number;
  skippable: boolean;
}

/** Walks LZ4 frames (RFC-style LZ4 Frame Format 1.6) without inflating them. */
function lz4Frames(buf: Buffer, limit: number): FrameSpan[] {
  const frames: FrameSpan[] = [];
  let pos = 0;
  let total = 0;
  while (pos < buf.length) {
    const start = pos;
    if (pos + 4 > buf.length) throw new RecordFormatError('truncated lz4 frame magic');
    const magic = buf.readUInt32LE(pos);
    pos += 4;
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      if (pos + 4 > buf.length) throw new RecordFormatError('truncated lz4 skippable frame');
      pos += 4 + buf.readUInt32LE(pos);
      if (pos > buf.length) throw new RecordFormatError('lz4 skippable frame overruns its buffer');
      frames.push({ start, end: pos, bound: 0, skippable: true });
      continue;
    }
    if (magic !== LZ4_FRAME_MAGIC) throw new RecordFormatError('bad lz4 frame magic');
    if (pos + 2 > buf.length) throw new RecordFormatError('truncated lz4 frame descriptor');
    const flg = buf[pos];
    const bd = buf[pos + 1];
    pos += 2;
    if (flg >> 6 !== 1) throw new RecordFormatError('unsupported lz4 frame version');
    const blockChecksum = (flg & 0x10) !== 0;
    const hasContentSize = (flg & 0x08) !== 0;
    const contentChecksum = (flg & 0x04) !== 0;
    const hasDictId = (flg & 0x01) !== 0;
    const blockMax = LZ4_BLOCK_MAX[(bd >> 4) & 0x07];
    if (blockMax === 0) throw new RecordFormatError('invalid lz4 block maximum size');
    let declared = -1;
    if (hasContentSize) {
      if (pos + 8 > buf.length) throw new RecordFormatError('truncated lz4 content size');
      declared = buf.readUInt32LE(pos) + buf.readUInt32LE(pos + 4) * 4294967296;
      if (declared > limit) throw tooLarge(declared, limit);
      pos += 8;
    }
    if (hasDictId) pos += 4;
    pos += 1; // header checksum, verified by the decoder
    let bound = 0;
    for (;;) {
      if (pos + 4 > buf.length) throw new RecordFormatError('truncated lz4 block header');
      const word = buf.readUInt32LE(pos);
      pos += 4;
      if (word === 0) break; // end mark
      const size = word & 0x7fffffff;
      const uncompressed = (word & 0x80000000) !== 0;
      if (size > blockMax) throw new RecordFormatError('lz4 block larger than the frame maximum');
      bound += uncompressed ? size : blockMax;
      pos += size + (blockChecksum ? 4 : 0);
      if (pos > buf.length) throw new RecordFormatError('lz4 block overruns its buffer');
      if (declared < 0 && total + bound > limit) throw tooLarge(total + bound, limit);
    }
    if (contentChecksum) pos += 4;
    if (pos > buf.length) throw new RecordFormatError('truncated lz4 content checksum');
    if (declared >= 0) bound = Math.min(bound, declared);
    total += bound;
    if (total > limit) throw tooLarge(total, limit);
    frames.push({ start, end: pos, bound, skippable: false });
  }
  return frames;
}

function lz4Decompress(buf: Buffer, limit: number): Buffer {
  const frames = lz4Frames(buf, limit).filter((f) => !f.skippable);
  const parts = frames.map((f) => decompressFrameSync(buf.subarray(f.start, f.end)));
  const out = parts.length === 1 ? parts[0] : Buffer.concat(parts);
  if (out.length > limit) throw tooLarge(out.length, limit);
  return out;
}

// ---------------------------------------------------------------- zstd

const ZSTD_MAGIC = 0xfd2fb528;
const ZSTD_BLOCK_MAX = 128 * 1024;

/** Upper bound on the output of a zstd stream (one or more frames), walking block headers only. */
function zstdOutputBound(buf: Buffer, limit: number): number {
  let pos = 0;
  let total = 0;
  while (pos < buf.length) {
    if (pos + 4 > buf.length) throw new RecordFormatError('truncated zstd frame magic');
    const magic = buf.readUInt32LE(pos);
    pos += 4;
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      if (pos + 4 > buf.length) throw new RecordFormatError('truncated zstd skippable frame');
      pos += 4 + buf.readUInt32LE(pos);
      if (pos > buf.length) throw new RecordFormatError('zstd skippable frame overruns its buffer');
      continue;
    }
    if (magic !== ZSTD_MAGIC) throw new RecordFormatError('bad zstd frame magic');
    if (pos >= buf.length) throw new RecordFormatError('truncated zstd frame header');
    const fhd = buf[pos++];
    const fcsFlag = fhd >> 6;
    const singleSegment = (fhd & 0x20) !== 0;
    const checksum = (fhd & 0x04) !== 0;
    const dictIdSize = [0, 1, 2, 4][fhd & 0x03];
    if (fhd & 0x08) throw new RecordFormatError('zstd reserved bit set');
    if (!singleSegment) pos += 1; // window descriptor
    pos += dictIdSize;
    const fcsSize = fcsFlag === 0 ? (singleSegment ? 1 : 0) : 1 << fcsFlag;
    if (pos + fcsSize > buf.length) throw new RecordFormatError('truncated zstd frame header');
    let declared = -1;
    if (fcsSize === 1) declared = buf[pos];
    else if (fcsSize === 2) declared = buf.readUInt16LE(pos) + 256;
    else if (fcsSize === 4) declared = buf.readUInt32LE(pos);
    else if (fcsSize === 8) declared = buf.readUInt32LE(pos) + buf.readUInt32LE(pos + 4) * 4294967296;
    pos += fcsSize;
    if (declared > limit) throw tooLarge(declared, limit);
    let bound = 0;
    for (;;) {
      if (pos + 3 > buf.length) throw new RecordFormatError('truncated zstd block header');
      const header = buf[pos] | (buf[pos + 1] << 8) | (buf[pos + 2] << 16);
      pos += 3;
      const last = (header & 1) !== 0;
      const type = (header >> 1) & 3;
      const size = header >>> 3;
      if (type === 3) throw new RecordFormatError('reserved zstd block type');
      if (size > ZSTD_BLOCK_MAX) throw new RecordFormatError('zstd block larger than 128 KiB');
      if (type === 0) {
        bound += size;
        pos += size;
      } else if (type === 1) {
        bound += size; // RLE: one byte repeated `size` times
        pos += 1;
      } else {
        bound += ZSTD_BLOCK_MAX;
        pos += size;
      }
      if (pos > buf.length) throw new RecordFormatError('zstd block overruns its buffer');
      if (declared < 0 && total + bound > limit) throw tooLarge(total + bound, limit);
      if (last) break;
    }
    if (checksum) pos += 4;
    if (pos > buf.length) throw new RecordFormatError('truncated zstd content checksum');
    total += declared >= 0 ? Math.min(declared, bound) : bound;
    if (total > limit) throw tooLarge(total, limit);
  }
  return total;
}

// ---------------------------------------------------------------- public API

/**
 * Compresses `buf` with `codec` synchronously. Supports None, Gzip, Snappy (xerial
 * framing) and Lz4 (frame format); throws for Zstd, whose binding is async only.
 */
export function compressSync(codec: CompressionCodec, buf: Buffer): Buffer {
  switch (codec) {
    case CompressionCodec.None:
      return buf;
    case CompressionCodec.Gzip:
      return zlib.gzipSync(buf);
    case CompressionCodec.Snappy:
      return snappyXerialCompress(buf);
    case CompressionCodec.Lz4:
      return compressFrameSync(buf);
    case CompressionCodec.Zstd:
      throw new RecordFormatError('zstd compression is only available asynchronously', {
        code: 'SAMSA_ERR_UNSUPPORTED_COMPRESSION',
        errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
      });
    default:
      throw unsupported(codec);
  }
}

/** Compresses `buf` with `codec`. Gzip and zstd run off the main thread. */
export async function compress(codec: CompressionCodec, buf: Buffer): Promise<Buffer> {
  switch (codec) {
    case CompressionCodec.Gzip:
      return gzipAsync(buf);
    case CompressionCodec.Zstd:
      // Level 3 is zstd's default and what the Java client uses.
      return zstdCompress(buf, 3);
    default:
      return compressSync(codec, buf);
  }
}

/**
 * Inflates `buf` compressed with `codec`, refusing output larger than `maxOutputBytes`.
 * Snappy accepts raw blocks and the xerial framing; lz4 accepts the standard frame format
 * with or without content size and checksums. Every failure is a RecordFormatError
 * (errorCode CORRUPT_MESSAGE, or UNSUPPORTED_COMPRESSION_TYPE for an unknown codec).
 */
export async function decompress(
  codec: CompressionCodec,
  buf: Buffer,
  maxOutputBytes: number = DEFAULT_MAX_DECOMPRESSED_BYTES,
): Promise<Buffer> {
  switch (codec) {
    case CompressionCodec.None:
      if (buf.length > maxOutputBytes) throw tooLarge(buf.length, maxOutputBytes);
      return buf;
    case CompressionCodec.Gzip:
      try {
        return await gunzipAsync(buf, { maxOutputLength: Math.max(1, maxOutputBytes) });
      } catch (err) {
        if (err instanceof RangeError || (err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
          throw tooLarge(maxOutputBytes + 1, maxOutputBytes);
        }
        throw corrupt('gzip', err);
      }
    case CompressionCodec.Snappy:
      try {
        return snappyUncompress(buf, maxOutputBytes);
      } catch (err) {
        throw corrupt('snappy', err);
      }
    case CompressionCodec.Lz4:
      try {
        return lz4Decompress(buf, maxOutputBytes);
      } catch (err) {
        throw corrupt('lz4', err);
      }
    case CompressionCodec.Zstd: {
      let out: Buffer;
      try {
        zstdOutputBound(buf, maxOutputBytes);
        out = await zstdDecompress(buf);
      } catch (err) {
        throw corrupt('zstd', err);
      }
      if (out.length > maxOutputBytes) throw tooLarge(out.length, maxOutputBytes);
      return out;
    }
    default:
      throw unsupported(codec);
  }
}
