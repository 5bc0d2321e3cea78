/**
 * Scanning a segment's batches from disk with full validation, and the
 * policy for what to recover after an unclean shutdown.
 *
 * The scan reads the .log file in bounded chunks (1 MiB by default; a batch
 * larger than the chunk has its CRC computed piecewise), so recovering a
 * 1 GiB segment never holds more than a chunk in memory. It stops at the
 * first batch that is
 *
 *   torn     fewer bytes left than a header or than the batch claims
 *            (a write that did not complete before the crash), or
 *   corrupt  batchLength < 49, magic != 2, lastOffsetDelta < 0, baseOffset
 *            below the previous batch's last offset + 1 or outside the
 *            segment's int32 relative range, or a CRC-32C mismatch.
 *
 * and reports the number of valid bytes, so the caller truncates there.
 *
 * Recovery policy (decision table, codified in {@link segmentsToRecover}):
 *
 *   clean marker | segment        | index files sane | action
 *   -------------+----------------+------------------+------------------------------
 *   present      | any            | yes              | load indexes, scan tail only
 *   present      | any            | no / missing     | full scan + rebuild
 *   absent       | last (active)  | -                | full scan + truncate + rebuild
 *   absent       | older          | yes              | load indexes, scan tail only
 *   absent       | older          | no / missing     | full scan + truncate + rebuild
 *
 * Older segments need no scan after an unclean stop because a segment is
 * fsynced (log and indexes) when it stops being the active one, before the
 * next segment file is created. If a full scan truncates an older segment,
 * every later segment is deleted (the log must stay contiguous), as Kafka
 * does.
 */
import {
  crc32c,
  peekControlRecord,
  LOG_OVERHEAD,
  MIN_BATCH_LENGTH,
  RECORD_BATCH_HEADER_SIZE,
  RecordBatchHeader,
  ATTRIBUTES_OFFSET,
  ATTR_CONTROL_MASK,
  type ControlRecordType,
} from '@samsa/protocol';
import type { FsFile } from './fs.js';

/** Default scan chunk. */
export const SCAN_CHUNK_BYTES = 1 << 20;

/** Header facts of one valid batch found by a scan. */
export interface ScannedBatch {
  /** Byte position in the file. */
  position: number;
  /** Total bytes (batchLength + 12). */
  size: number;
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  /** Batch attributes (codec, timestamp type, transactional and control bits). */
  attributes: number;
  /** -1 for batches of producers without a producer id. */
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  /**
   * For a control batch, its control record (transaction marker type and
   * coordinator epoch), or null if it could not be read; undefined otherwise.
   */
  control?: { type: ControlRecordType; coordinatorEpoch: number } | null;
}

/** Why a scan stopped. */
export type ScanStop = 'end' | 'torn' | 'corrupt';

/** Outcome of {@link scanBatches}. */
export interface ScanResult {
  /** Bytes from `from` that hold whole valid batches. */
  validEnd: number;
  stop: ScanStop;
  /** Human-readable reason when stop != 'end'. */
  reason?: string;
}

/** Options of {@link scanBatches}. */
export interface ScanOptions {
  /** Start position (must be a batch boundary). */
  from: number;
  /** End position (file size). */
  to: number;
  /** Segment base offset: batch offsets must be >= it and within int32 of it. */
  segmentBaseOffset: number;
  /** Check each batch's CRC-32C. */
  verifyCrc: boolean;
  chunkBytes?: number;
}

/**
 * Walks batches in `[from, to)` of `file`, calling `onBatch` for each valid
 * one in order, and stops at the end or at the first torn/corrupt batch.
 */
export async function scanBatches(file: FsFile, opts: ScanOptions, onBatch: (b: ScannedBatch) => void): Promise<ScanResult> {
  const chunkBytes = Math.max(opts.chunkBytes ?? SCAN_CHUNK_BYTES, RECORD_BATCH_HEADER_SIZE);
  // `buf` is the reusable capacity; `chunk` the filled view of it.
  let buf: Buffer | null = null;
  let chunk: Buffer = Buffer.alloc(0);
  let chunkPos = 0;
  let pos = opts.from;
  let minOffset = opts.segmentBaseOffset;
  const fill = async (at: number): Promise<void> => {
    const len = Math.min(chunkBytes, opts.to - at);
    if (buf === null) buf = Buffer.allocUnsafe(Math.min(chunkBytes, opts.to - opts.from));
    const n = await file.read(buf, 0, Math.min(len, buf.length), at);
    chunk = buf.subarray(0, n);
    chunkPos = at;
  };
  while (pos < opts.to) {
    const remaining = opts.to - pos;
    if (remaining < RECORD_BATCH_HEADER_SIZE) return { validEnd: pos, stop: 'torn', reason: `${remaining} trailing bytes` };
    if (pos < chunkPos || pos + RECORD_BATCH_HEADER_SIZE > chunkPos + chunk.length) await fill(pos);
    if (chunk.length < RECORD_BATCH_HEADER_SIZE) return { validEnd: pos, stop: 'torn', reason: 'short read' };
    const h = new RecordBatchHeader(chunk, pos - chunkPos);
    const batchLength = h.batchLength;
    if (batchLength < MIN_BATCH_LENGTH) return { validEnd: pos, stop: 'corrupt', reason: `batchLength ${batchLength}` };
    if (h.magic !== 2) return { validEnd: pos, stop: 'corrupt', reason: `magic ${h.magic}` };
    const size = batchLength + LOG_OVERHEAD;
    if (size > remaining) return { validEnd: pos, stop: 'torn', reason: `batch of ${size} bytes with ${remaining} left` };
    const baseOffset = h.baseOffset;
    const delta = h.lastOffsetDelta;
    if (delta < 0) return { validEnd: pos, stop: 'corrupt', reason: `lastOffsetDelta ${delta}` };
    if (baseOffset < minOffset || baseOffset + delta - opts.segmentBaseOffset > 0x7fffffff) {
      return { validEnd: pos, stop: 'corrupt', reason: `baseOffset ${baseOffset} (expected >= ${minOffset})` };
    }
    const maxTimestamp = h.maxTimestamp;
    const storedCrc = h.crc;
    if (opts.verifyCrc) {
      let crc: number;
      const rel = pos - chunkPos;
      if (rel + size <= chunk.length) {
        crc = crc32c(chunk.subarray(rel + ATTRIBUTES_OFFSET, rel + size));
      } else {
        crc = await crcOfRange(file, pos + ATTRIBUTES_OFFSET, pos + size, chunkBytes);
      }
      if (crc !== storedCrc) return { validEnd: pos, stop: 'corrupt', reason: `CRC mismatch at offset ${baseOffset}` };
    }
    const attributes = h.attributes;
    const scanned: ScannedBatch = {
      position: pos,
      size,
      baseOffset,
      lastOffset: baseOffset + delta,
      maxTimestamp,
      attributes,
      producerId: h.producerId,
      producerEpoch: h.producerEpoch,
      baseSequence: h.baseSequence,
    };
    if ((attributes & ATTR_CONTROL_MASK) !== 0) {
      // Markers are tiny: bring the whole batch into the chunk to read its record.
      if (pos + size > chunkPos + chunk.length && size <= chunkBytes) await fill(pos);
      const rel = pos - chunkPos;
      scanned.control = null;
      if (rel + size <= chunk.length) {
        try {
          const r = peekControlRecord(chunk, rel, rel + size);
          scanned.control = { type: r.type, coordinatorEpoch: r.coordinatorEpoch };
        } catch {
          // Leave null: an unreadable marker is reported as such.
        }
      }
    }
    onBatch(scanned);
    minOffset = baseOffset + delta + 1;
    pos += size;
  }
  return { validEnd: pos, stop: 'end' };
}

/** CRC-32C of `[from, to)` of a file, reading at most `pieceBytes` at a time. */
async function crcOfRange(file: FsFile, from: number, to: number, pieceBytes: number): Promise<number> {
  const piece = Buffer.allocUnsafe(Math.min(pieceBytes, to - from));
  let crc: number | undefined;
  for (let at = from; at < to; ) {
    const n = await file.read(piece, 0, Math.min(piece.length, to - at), at);
    if (n === 0) return -1;
    crc = crc32c(piece.subarray(0, n), crc);
    at += n;
  }
  return crc ?? 0;
}

/**
 * Which segments need a full (validating) scan on open, per the table above:
 * with a clean marker none; without one only the last. Segments whose index
 * files fail the sanity check are added by the segment itself when loading.
 */
export function segmentsToRecover(segmentCount: number, cleanShutdown: boolean): (i: number) => boolean {
  return (i) => !cleanShutdown && i === segmentCount - 1;
}
