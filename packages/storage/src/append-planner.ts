/**
 * The append planner: decides, for appends waiting in a log's queue, which
 * go to the file together in one gathered write, and stamps them.
 *
 * It changes nothing on disk. For each append, in call order, it
 *   1. measures the batch headers (offsets taken, max timestamp, the batch
 *      with a producer id), failing only that append when it is malformed,
 *      too large, a client's control batch, or holds two producer batches;
 *   2. applies the roll rule as if the earlier appends of the run were
 *      already written; an append that needs a roll ends the run (or, first
 *      in a run, asks the log to roll before anything else);
 *   3. checks the producer batch against the producer state (a duplicate is
 *      answered with the original offsets and not written) and stamps base
 *      offset, leader epoch and, for LogAppendTime, the timestamp.
 * A run stops at MAX_APPENDS_PER_WRITE appends or MAX_BYTES_PER_WRITE bytes
 * (unless one append alone is larger).
 */
import {
  ErrorCode,
  peekControlRecord,
  RECORD_BATCH_HEADER_SIZE,
  RecordBatchHeader,
  setBaseOffset,
  setLogAppendTime,
  setPartitionLeaderEpoch,
} from '@samsa/protocol';
import { StorageError } from './errors.js';
import { assert } from './invariant.js';
import { maxSegmentMs, type LogConfig } from './log-config.js';
import { batchProducerInfo, type BatchProducerInfo, type ProducerAppendSession, type ProducerBatch } from './producer-state.js';
import type { AppendBatchInfo, LogSegment } from './segment.js';

/** Result of PartitionLog.append. */
export interface AppendResult {
  /** Offset assigned to the first record. */
  baseOffset: number;
  lastOffset: number;
  /** The timestamp stamped on the batches, or -1 unless message.timestamp.type=LogAppendTime. */
  logAppendTimeMs: number;
  logStartOffset: number;
  recordCount: number;
  maxTimestamp: number;
  /**
   * True when the batch repeated one an idempotent producer had already
   * written: nothing was written and the offsets are the original ones.
   */
  duplicate: boolean;
}

/**
 * Who writes: a client's Produce (producer checks apply, control batches are
 * refused) or a coordinator: transaction markers (control batches) and the
 * group coordinator's transactional offset commits (checked by epoch only,
 * as they carry no sequence numbers).
 */
export type AppendOrigin = 'client' | 'coordinator';

/** A transaction marker to write with PartitionLog.appendMarker. */
export interface TxnMarker {
  producerId: number;
  producerEpoch: number;
  coordinatorEpoch: number;
  /** true = ABORT, false = COMMIT. */
  aborted: boolean;
  timestampMs: number;
}

/** An append waiting in the queue. */
export interface PendingAppend {
  buf: Buffer;
  leaderEpoch: number;
  origin: AppendOrigin;
  resolve: (r: AppendResult) => void;
  reject: (err: unknown) => void;
}

/** The shape of an append, read from its headers before any check. */
interface MeasuredAppend {
  /** Offsets the append takes (sum of lastOffsetDelta + 1). */
  offsetCount: number;
  maxTimestamp: number;
  /** The one batch with a producer id, if any (position in the buffer). */
  producerBatchPosition: number;
}

/** An append whose batches are stamped with offsets, not yet written. */
export interface PreparedAppend {
  firstOffset: number;
  lastOffset: number;
  infos: AppendBatchInfo[];
  maxTimestamp: number;
  recordCount: number;
  /** Set when the append repeats a batch already in the log: nothing is written. */
  duplicateOf: ProducerBatch | null;
}

/** One append of a planned run: prepared, or failed its checks (`prepared` null, `err` set). */
export interface PlannedAppend {
  p: PendingAppend;
  prepared: PreparedAppend | null;
  err?: unknown;
}

/** What the log does next with its queued appends. */
export type AppendPlan =
  /** The append at the start index needs the active segment rolled first; nothing was consumed. */
  | { kind: 'roll' }
  /**
   * Write the appends of `run` that are prepared and not duplicates (`writes`
   * of them) in one gathered write, then settle all of `run` in order.
   */
  | { kind: 'write'; run: PlannedAppend[]; writes: number; nextOffset: number; nextIndex: number };

/** Bounds of one coalesced write (IOV_MAX, and latency of the first append in it). */
const MAX_APPENDS_PER_WRITE = 1024;
const MAX_BYTES_PER_WRITE = 1 * 1024 * 1024;

/** What the planner needs to know about the log. */
export interface PlanContext {
  active: LogSegment;
  config: LogConfig;
  nowMs: number;
  logEndOffset: number;
  /** Producer-state changes of this run, applied by the log only once the run is on file. */
  producers: ProducerAppendSession;
}

/** Plans the next run of `items` from index `start`; see the top of this file. */
export function planAppendRun(items: readonly PendingAppend[], start: number, ctx: PlanContext): AppendPlan {
  const { active, config: c, nowMs: now } = ctx;
  const run: PlannedAppend[] = [];
  let first: PreparedAppend | null = null;
  let writes = 0;
  let runBytes = 0;
  let runMaxTimestamp = -1;
  let next = ctx.logEndOffset;
  let i = start;
  while (i < items.length && writes < MAX_APPENDS_PER_WRITE) {
    const p = items[i];
    let measured: MeasuredAppend;
    try {
      measured = measureAppend(p.buf, p.origin, c);
    } catch (err) {
      run.push({ p, prepared: null, err });
      i++;
      continue;
    }
    const lastOffset = next + measured.offsetCount - 1;
    if (first !== null) {
      const maxTs = Math.max(runMaxTimestamp, measured.maxTimestamp);
      const pending = { bytes: runBytes, firstBatchTimestamp: first.infos[0].maxTimestamp };
      const roll = active.shouldRoll({ segmentBytes: c.segmentBytes, segmentMs: maxSegmentMs(c), appendBytes: p.buf.length, lastOffset, maxTimestamp: maxTs, nowMs: now, pending });
      // Write what we have first; this append is decided again against the written segment.
      if (roll || runBytes + p.buf.length > MAX_BYTES_PER_WRITE) break;
    } else if (active.shouldRoll({ segmentBytes: c.segmentBytes, segmentMs: maxSegmentMs(c), appendBytes: p.buf.length, lastOffset, maxTimestamp: measured.maxTimestamp, nowMs: now })) {
      if (run.length > 0) break; // settle the failed ones before rolling
      return { kind: 'roll' }; // offsets are assigned again, unchanged, on the new active segment
    }
    let prepared: PreparedAppend;
    try {
      prepared = prepareAppend(p, next, now, measured, ctx.producers, c);
    } catch (err) {
      run.push({ p, prepared: null, err });
      i++;
      continue;
    }
    run.push({ p, prepared });
    i++;
    if (prepared.duplicateOf !== null) continue;
    if (first === null) first = prepared;
    writes++;
    runBytes += p.buf.length;
    if (prepared.maxTimestamp > runMaxTimestamp) runMaxTimestamp = prepared.maxTimestamp;
    next = prepared.lastOffset + 1;
  }
  return { kind: 'write', run, writes, nextOffset: next, nextIndex: i };
}

/**
 * Walks one append's batch headers without changing anything: the offsets
 * it takes and its max timestamp (to decide a roll before any check), and
 * the batch carrying a producer id. Throws (failing only this append) on a
 * malformed or oversized batch, or more than one batch with a producer id.
 */
function measureAppend(buf: Buffer, origin: AppendOrigin, c: LogConfig): MeasuredAppend {
  assert(buf.length >= RECORD_BATCH_HEADER_SIZE, 'append of less than one batch header');
  let offsetCount = 0;
  let maxTimestamp = -1;
  let producerBatchPosition = -1;
  for (let pos = 0; pos < buf.length; ) {
    assert(pos + RECORD_BATCH_HEADER_SIZE <= buf.length, 'truncated batch header in append');
    const h = new RecordBatchHeader(buf, pos);
    const size = h.totalSize;
    assert(h.magic === 2 && size >= RECORD_BATCH_HEADER_SIZE && pos + size <= buf.length, () => `malformed batch at ${pos} in append`);
    if (size > c.maxMessageBytes) {
      throw new StorageError(ErrorCode.MESSAGE_TOO_LARGE, `batch of ${size} bytes exceeds max.message.bytes ${c.maxMessageBytes}`);
    }
    const delta = h.lastOffsetDelta;
    assert(delta >= 0, 'negative lastOffsetDelta in append');
    if (h.isControl && origin !== 'coordinator') throw new StorageError(ErrorCode.INVALID_RECORD, 'Clients may not write control batches');
    if (h.producerId >= 0) {
      if (producerBatchPosition >= 0) {
        throw new StorageError(ErrorCode.INVALID_RECORD, 'An append may hold at most one batch with a producer id');
      }
      producerBatchPosition = pos;
    }
    if (h.maxTimestamp > maxTimestamp) maxTimestamp = h.maxTimestamp;
    offsetCount += delta + 1;
    pos += size;
  }
  return { offsetCount, maxTimestamp, producerBatchPosition };
}

/**
 * Checks the append's producer batch against the producer state (a
 * duplicate comes back as such, untouched), then stamps the batches for
 * offsets from `firstOffset` (baseOffset, leader epoch, LogAppendTime) and
 * records the producer batch in `producers`. Throws (failing only this
 * append) when the producer checks refuse the batch.
 */
function prepareAppend(p: PendingAppend, firstOffset: number, now: number, measured: MeasuredAppend, producers: ProducerAppendSession, c: LogConfig): PreparedAppend {
  const { buf, leaderEpoch } = p;
  let producer: BatchProducerInfo | null = null;
  let marker: { aborted: boolean; coordinatorEpoch: number } | null = null;
  if (measured.producerBatchPosition >= 0) {
    const at = measured.producerBatchPosition;
    const h = new RecordBatchHeader(buf, at);
    producer = batchProducerInfo(h.attributes, h.producerId, h.producerEpoch, h.baseSequence, h.lastOffsetDelta);
    if (producer.isControl) {
      const control = peekControlRecord(buf, at, at + h.totalSize);
      if (control.type !== 'ABORT' && control.type !== 'COMMIT') throw new StorageError(ErrorCode.INVALID_RECORD, `Control record type ${control.type} is not a transaction marker`);
      marker = { aborted: control.type === 'ABORT', coordinatorEpoch: control.coordinatorEpoch };
      producers.checkMarker(producer, marker.coordinatorEpoch);
    } else if (p.origin === 'coordinator') {
      // The group coordinator's transactional offset commits: no sequence numbers, epoch checked only.
      producers.checkCoordinatorWrite(producer);
    } else {
      const check = producers.check(producer);
      if (check.kind === 'duplicate') {
        return { firstOffset: check.batch.firstOffset, lastOffset: check.batch.lastOffset, infos: [], maxTimestamp: check.batch.maxTimestamp, recordCount: 0, duplicateOf: check.batch };
      }
    }
  }
  const logAppendTime = c.messageTimestampType === 'LogAppendTime';
  const infos: AppendBatchInfo[] = [];
  let next = firstOffset;
  let maxTimestamp = -1;
  let recordCount = 0;
  for (let pos = 0; pos < buf.length; ) {
    const h = new RecordBatchHeader(buf, pos);
    const size = h.totalSize;
    const delta = h.lastOffsetDelta;
    setBaseOffset(buf, pos, next);
    setPartitionLeaderEpoch(buf, pos, leaderEpoch);
    if (logAppendTime) setLogAppendTime(buf, pos, now);
    const ts = h.maxTimestamp;
    infos.push({ position: pos, size, lastOffset: next + delta, maxTimestamp: ts });
    if (ts > maxTimestamp) maxTimestamp = ts;
    recordCount += h.recordCount;
    if (producer !== null && pos === measured.producerBatchPosition) {
      if (marker !== null) producers.recordMarker(producer, next, marker, now);
      else producers.record(producer, next, next + delta, ts, now);
    }
    next += delta + 1;
    pos += size;
  }
  return { firstOffset, lastOffset: next - 1, infos, maxTimestamp, recordCount, duplicateOf: null };
}

/** What an append that repeats `batch` resolves with. */
export function duplicateResult(batch: ProducerBatch, logStartOffset: number): AppendResult {
  return {
    baseOffset: batch.firstOffset,
    lastOffset: batch.lastOffset,
    logAppendTimeMs: -1,
    logStartOffset,
    recordCount: batch.lastOffset - batch.firstOffset + 1,
    maxTimestamp: batch.maxTimestamp,
    duplicate: true,
  };
}
