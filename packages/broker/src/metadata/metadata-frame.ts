/**
 * The checksummed frame that every byte of the single-node metadata files is
 * wrapped in: each record of the metadata log is one frame, and the snapshot
 * file is exactly one frame. All integers are big-endian.
 *
 * | Bytes | Field | Meaning |
 * |---|---|---|
 * | 0-3 | length (uint32) | bytes after the crc field: 9 + payload length |
 * | 4-7 | crc (uint32) | CRC-32C of bytes 8 .. end of the frame |
 * | 8 | magic (int8) = 1 | frame format version |
 * | 9-16 | offset (int64) | log: the record's offset; snapshot: the offset of the first record it does not contain |
 * | 17.. | payload | UTF-8 JSON (see metadata-record.ts and metadata-snapshot.ts) |
 *
 * The length comes first so a reader can tell a frame cut short by a crash
 * (fewer bytes left than the length says) from a complete one, and the CRC
 * covers the offset and the payload so a torn or bit-flipped frame is never
 * taken for a record. See docs/metadata-log.md.
 */
import { crc32c } from '@samsa/protocol';

/** Bytes before the payload: length, crc, magic, offset. */
export const FRAME_HEADER_BYTES = 17;

/** The only frame version so far. */
export const FRAME_MAGIC = 1;

/** Bytes covered by `length` that are not payload (magic + offset). */
const LENGTH_OVERHEAD = 9;

/** A decoded frame. */
export interface Frame {
  readonly offset: number;
  /** The payload bytes (a view into the scanned buffer). */
  readonly payload: Buffer;
  /** Position of the frame's first byte in the scanned buffer. */
  readonly position: number;
  /** Total bytes of the frame, header included. */
  readonly size: number;
}

/** Why {@link scanFrames} stopped before the end of its input. */
export type FrameScanStop = 'truncated-header' | 'truncated-payload' | 'bad-length' | 'bad-magic' | 'bad-crc' | 'bad-offset';

/** The valid prefix of a buffer of frames. */
export interface FrameScan {
  readonly frames: Frame[];
  /** Bytes of the valid prefix: where the next frame would start. */
  readonly validBytes: number;
  /** Null when the whole input was valid frames. */
  readonly stop: FrameScanStop | null;
}

/** Encodes one frame around `payload`, which gets `offset`. */
export function encodeFrame(offset: number, payload: Buffer): Buffer {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`metadata frame offset ${offset}`);
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32BE(LENGTH_OVERHEAD + payload.length, 0);
  frame.writeInt8(FRAME_MAGIC, 8);
  frame.writeBigInt64BE(BigInt(offset), 9);
  payload.copy(frame, FRAME_HEADER_BYTES);
  frame.writeUInt32BE(crc32c(frame.subarray(8)), 4);
  return frame;
}

/**
 * Reads frames from the start of `buf` until the end or the first frame that
 * is cut short or fails its checks; everything from there on is not trusted.
 * `maxPayloadBytes` bounds a length field so a corrupt one cannot make the
 * reader wait for (or allocate) gigabytes.
 */
export function scanFrames(buf: Buffer, maxPayloadBytes: number): FrameScan {
  const frames: Frame[] = [];
  let position = 0;
  const stopAt = (stop: FrameScanStop): FrameScan => ({ frames, validBytes: position, stop });
  while (position < buf.length) {
    if (buf.length - position < FRAME_HEADER_BYTES) return stopAt('truncated-header');
    const length = buf.readUInt32BE(position);
    if (length < LENGTH_OVERHEAD || length - LENGTH_OVERHEAD > maxPayloadBytes) return stopAt('bad-length');
    const size = 8 + length;
    if (buf.length - position < size) return stopAt('truncated-payload');
    if (buf.readInt8(position + 8) !== FRAME_MAGIC) return stopAt('bad-magic');
    if (crc32c(buf.subarray(position + 8, position + size)) !== buf.readUInt32BE(position + 4)) return stopAt('bad-crc');
    const offset = buf.readBigInt64BE(position + 9);
    if (offset < 0n || offset > BigInt(Number.MAX_SAFE_INTEGER)) return stopAt('bad-offset');
    frames.push({ offset: Number(offset), payload: buf.subarray(position + FRAME_HEADER_BYTES, position + size), position, size });
    position += size;
  }
  return { frames, validBytes: position, stop: null };
}
