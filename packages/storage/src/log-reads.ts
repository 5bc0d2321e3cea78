/**
 * Reads of a partition log: Fetch's read of whole batches, and the two
 * ListOffsets lookups by timestamp.
 *
 * Reads bypass the mutation queue. Each one takes the segment array as it is
 * (never changed in place) and pins the segment it reads (acquire/release),
 * so a concurrent retention, truncation or compaction swap can unlink the
 * files but not close the fd under it; a segment already closed is skipped
 * or the choice made again.
 */
import { ErrorCode } from '@samsa/protocol';
import { OffsetOutOfRangeError, StorageError } from './errors.js';
import { logEndOffset, type LogState } from './log-state.js';
import type { LogSegment } from './segment.js';
import { floorSegment } from './floor-segment.js';

/** Result of {@link readLog}. */
export interface ReadResult {
  /** Zero or more whole batches; the first is whole even if larger than maxBytes (KIP-74). */
  buffers: Buffer[];
  bytes: number;
  highWatermark: number;
  logStartOffset: number;
  logEndOffset: number;
}

/** How often a read chooses its segment again after losing a race with segment deletion. */
const READ_ATTEMPTS = 8;

/**
 * Reads whole batches starting with the one containing `offset`, stopping
 * before any batch whose baseOffset >= `maxOffset`; see PartitionLog.read.
 */
export async function readLog(s: LogState, offset: number, maxBytes: number, maxOffset: number): Promise<ReadResult> {
  // A retention or truncation can delete the segment between choosing it
  // and pinning it; then choose again (bounded: it can only happen once
  // per concurrent mutation).
  for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
    const logStartOffset = s.logStartOffset;
    const leo = logEndOffset(s);
    const highWatermark = s.highWatermark;
    if (offset < logStartOffset || offset > leo || !Number.isSafeInteger(offset)) {
      throw new OffsetOutOfRangeError(offset, logStartOffset, leo, `${s.topic}-${s.partition}`);
    }
    const result: ReadResult = { buffers: [], bytes: 0, highWatermark, logStartOffset, logEndOffset: leo };
    if (offset === leo) return result;
    const segs = s.segments;
    let retry = false;
    for (let i = floorSegment(segs, offset); i < segs.length; i++) {
      const seg = segs[i];
      if (!seg.acquire()) {
        retry = true;
        break;
      }
      let r;
      try {
        r = await seg.read(offset, maxBytes, maxOffset);
      } finally {
        seg.release();
      }
      if (r.found) {
        if (r.data.length > 0) {
          result.buffers.push(r.data);
          result.bytes = r.data.length;
        }
        return result;
      }
    }
    if (!retry) return result;
  }
  throw new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, `read of ${s.topic}-${s.partition} kept racing segment deletion`);
}

/**
 * ListOffsets by timestamp: the first record at or after the log start
 * offset whose timestamp >= `timestamp`, or null. Finds the batch through
 * the time index and batch headers, then decodes that one batch to answer
 * with the record's own offset and timestamp, as Kafka does.
 */
export async function offsetForTimestamp(s: LogState, timestamp: number): Promise<{ offset: number; timestamp: number } | null> {
  const lso = s.logStartOffset;
  for (const seg of s.segments) {
    if (seg.maxTimestamp < timestamp || seg.nextOffset <= lso) continue;
    if (!seg.acquire()) continue;
    try {
      let min = lso;
      for (;;) {
        const batch = await seg.findByTimestamp(timestamp, min);
        if (batch === null) break;
        const rec = await seg.firstRecordOffset(batch.baseOffset, (t, o) => t >= timestamp && o >= lso);
        if (rec !== null) return rec;
        // Only records below the log start offset matched: keep looking.
        min = batch.lastOffset + 1;
      }
    } finally {
      seg.release();
    }
  }
  return null;
}

/**
 * ListOffsets -3 (KIP-734): the record with the largest timestamp (the
 * earliest such record on ties), or null for an empty log.
 */
export async function offsetOfMaxTimestamp(s: LogState): Promise<{ offset: number; timestamp: number } | null> {
  let best: LogSegment | null = null;
  for (const seg of s.segments) {
    if (seg.nextOffset <= s.logStartOffset || seg.maxTimestamp < 0) continue;
    if (best === null || seg.maxTimestamp > best.maxTimestamp) best = seg;
  }
  if (best === null || !best.acquire()) return null;
  try {
    const ts = best.maxTimestamp;
    const rec = await best.firstRecordOffset(best.offsetOfMaxTimestamp, (t) => t === ts);
    return rec ?? { offset: best.offsetOfMaxTimestamp, timestamp: ts };
  } finally {
    best.release();
  }
}

