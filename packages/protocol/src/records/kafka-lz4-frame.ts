// The LZ4 frame header checksum of Kafka's magic-0 message sets.
//
// Kafka before 0.10 (magic 0) wrote LZ4 frames whose header checksum (HC, the byte after
// the frame descriptor) was computed over the 4-byte frame magic number too, instead of
// over the descriptor alone as the LZ4 frame format says (KAFKA-3160). Kafka keeps the
// broken checksum for magic 0 and the standard one for magic 1 and 2, so a broker that
// reads or writes magic-0 LZ4 has to translate:
//
//   direction              HC covers                     function
//   read magic 0 payload   descriptor (fixed up)         toStandardLz4HeaderChecksum
//   write magic 0 payload  frame magic + descriptor      toKafkaV0Lz4HeaderChecksum
//
// Frame layout: magic (4) | FLG (1) | BD (1) | content size (8, FLG bit 3) | dict id (4, FLG bit 0) | HC (1) | blocks.

const FRAME_MAGIC_SIZE = 4;

/** Where the HC byte of `frame` sits, or -1 when the frame is too short to have one. */
function headerChecksumPos(frame: Buffer): number {
  if (frame.length < FRAME_MAGIC_SIZE + 3) return -1;
  const flg = frame[FRAME_MAGIC_SIZE];
  const pos = FRAME_MAGIC_SIZE + 2 + (flg & 0x08 ? 8 : 0) + (flg & 0x01 ? 4 : 0);
  return pos < frame.length ? pos : -1;
}

function withHeaderChecksum(frame: Buffer, from: number): Buffer {
  const pos = headerChecksumPos(frame);
  if (pos < 0) return frame;
  const copy = Buffer.from(frame);
  copy[pos] = (xxh32(copy.subarray(from, pos), 0) >>> 8) & 0xff;
  return copy;
}

/** A copy of a magic-0 LZ4 frame with the header checksum a conforming decoder expects. */
export function toStandardLz4HeaderChecksum(frame: Buffer): Buffer {
  return withHeaderChecksum(frame, FRAME_MAGIC_SIZE);
}

/** A copy of a standard LZ4 frame with the header checksum Kafka's magic-0 readers expect. */
export function toKafkaV0Lz4HeaderChecksum(frame: Buffer): Buffer {
  return withHeaderChecksum(frame, 0);
}

const P1 = 2654435761;
const P2 = 2246822519;
const P3 = 3266489917;
const P4 = 668265263;
const P5 = 374761393;

function rotl(x: number, r: number): number {
  return ((x << r) | (x >>> (32 - r))) >>> 0;
}

/** xxHash32, only used for the small LZ4 frame descriptor above. */
export function xxh32(data: Buffer, seed: number): number {
  const len = data.length;
  let i = 0;
  let h: number;
  if (len >= 16) {
    let v1 = (seed + P1 + P2) >>> 0;
    let v2 = (seed + P2) >>> 0;
    let v3 = seed >>> 0;
    let v4 = (seed - P1) >>> 0;
    const round = (v: number, input: number): number => Math.imul(rotl((v + Math.imul(input, P2)) >>> 0, 13), P1) >>> 0;
    for (; i + 16 <= len; i += 16) {
      v1 = round(v1, data.readUInt32LE(i));
      v2 = round(v2, data.readUInt32LE(i + 4));
      v3 = round(v3, data.readUInt32LE(i + 8));
      v4 = round(v4, data.readUInt32LE(i + 12));
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) >>> 0;
  } else {
    h = (seed + P5) >>> 0;
  }
  h = (h + len) >>> 0;
  for (; i + 4 <= len; i += 4) h = Math.imul(rotl((h + Math.imul(data.readUInt32LE(i), P3)) >>> 0, 17), P4) >>> 0;
  for (; i < len; i++) h = Math.imul(rotl((h + Math.imul(data[i], P5)) >>> 0, 11), P1) >>> 0;
  h = Math.imul(h ^ (h >>> 15), P2) >>> 0;
  h = Math.imul(h ^ (h >>> 13), P3) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
