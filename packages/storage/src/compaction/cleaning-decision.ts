/**
 * Which part of a compacted log the cleaner may clean, how dirty it is, and
 * whether to clean it now. Pure logic over segment summaries; the cleaner
 * (log-cleaner.ts) gathers the inputs and owns the I/O.
 *
 * Offsets (Kafka's LogCleanerManager.cleanableOffsets):
 *
 *   firstDirtyOffset       the cleaner checkpoint (where the last clean
 *                          ended), reset to the log start offset when it is
 *                          below it, or above the log end offset (a log cut
 *                          by recovery or truncation: clean everything again)
 *   firstUncleanableOffset the lowest of
 *                            - the last stable offset (never clean past the
 *                              high watermark or into an open transaction),
 *                            - the active segment's base offset,
 *                            - with min.compaction.lag.ms > 0, the base of
 *                              the first dirty sealed segment whose largest
 *                              timestamp is within the lag of now,
 *                          rounded down to the base of the segment holding it
 *                          (but not below firstDirtyOffset: a checkpoint
 *                          inside a segment then gives an empty range, and
 *                          the clean rewrites that segment leaving every
 *                          batch at or past the last stable offset as it
 *                          is, batch-filter.ts)
 *
 * Bytes: `cleanBytes` = sizes of segments starting below firstDirtyOffset,
 * `dirtyBytes` = sizes of segments overlapping [firstDirty, firstUncleanable)
 * (none when that range is empty), dirty ratio = dirty / (clean + dirty).
 *
 * max.compaction.lag.ms: `compactionDelayMs` is how long the oldest dirty
 * record (first batch timestamp of the earliest dirty sealed segment) has
 * waited beyond the lag; > 0 forces a clean whatever the ratio.
 *
 * Decision ({@link decideCleaning}):
 *
 *   compact | dirtyBytes > 0 and  | dirty ratio >       | a retained tombstone's | outcome
 *   policy  | compactionDelay > 0 | min.cleanable.ratio | delete horizon passed  |
 *   --------+---------------------+---------------------+------------------------+--------------------
 *   no      | -                   | -                   | -                      | skip
 *   yes     | yes                 | -                   | -                      | clean ('max-lag')
 *   yes     | no                  | yes                 | -                      | clean ('dirty-ratio')
 *   yes     | no                  | no                  | yes                    | clean ('delete-horizon')
 *   yes     | no                  | no                  | no                     | skip
 *
 * The last clean row is not in Kafka: once a clean has stamped tombstones
 * with their delete horizon (KIP-534), a quiet log would keep them until
 * enough new data made it dirty again; cleaning it when the earliest such
 * horizon passes makes tombstones disappear delete.retention.ms after they
 * were first cleaned, as documented. Among candidates the cleaner takes
 * 'max-lag' and 'dirty-ratio' ones first, highest ratio first (Kafka's
 * "filthiest log"), then 'delete-horizon' ones.
 */

import { floorSegment } from '../floor-segment.js';

/** What the decision needs to know about one segment. */
export interface CleanableSegment {
  baseOffset: number;
  /** One past its last offset. */
  nextOffset: number;
  size: number;
  /** Largest batch timestamp, or last-modified time without timestamps. */
  largestTimestamp: number;
  /** maxTimestamp of its first batch, or -1. */
  firstBatchTimestamp: number;
}

/** Inputs besides the segments (the last segment is the active one). */
export interface CleanableParams {
  nowMs: number;
  logStartOffset: number;
  logEndOffset: number;
  lastStableOffset: number;
  /** The cleaner checkpoint, or null if the log was never cleaned. */
  checkpoint: number | null;
  minCompactionLagMs: number;
  maxCompactionLagMs: number;
}

/** The cleanable range of a log and how dirty it is. */
export interface CleanableRange {
  firstDirtyOffset: number;
  firstUncleanableOffset: number;
  cleanBytes: number;
  dirtyBytes: number;
  /** dirtyBytes / (cleanBytes + dirtyBytes), 0 for an empty log. */
  dirtyRatio: number;
  /** How long the oldest dirty record has waited beyond max.compaction.lag.ms (0 = not overdue). */
  compactionDelayMs: number;
}

/** Why a log is cleaned. */
export type CleaningReason = 'max-lag' | 'dirty-ratio' | 'delete-horizon';

/** Applies the offset and byte rules above. `segs` is non-empty, oldest first, the last active. */
export function cleanableRange(segs: readonly CleanableSegment[], p: CleanableParams): CleanableRange {
  const active = segs[segs.length - 1];
  let firstDirty = p.checkpoint ?? p.logStartOffset;
  if (firstDirty < p.logStartOffset || firstDirty > p.logEndOffset) firstDirty = p.logStartOffset;
  let uncleanable = Math.min(p.lastStableOffset, active.baseOffset);
  const minLag = Math.max(0, p.minCompactionLagMs);
  if (minLag > 0) {
    for (let i = floorSegment(segs, firstDirty); i < segs.length - 1; i++) {
      if (segs[i].largestTimestamp > p.nowMs - minLag) {
        uncleanable = Math.min(uncleanable, segs[i].baseOffset);
        break;
      }
    }
  }
  // Round down to a segment boundary: a segment is cleaned whole or not at all.
  const ui = floorSegment(segs, uncleanable);
  const firstUncleanable = Math.max(firstDirty, ui === segs.length - 1 ? active.baseOffset : segs[ui].baseOffset);
  let cleanBytes = 0;
  let dirtyBytes = 0;
  let earliestDirtyTimestamp = Number.POSITIVE_INFINITY;
  const from = Math.min(firstDirty, firstUncleanable);
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i];
    if (s.baseOffset < firstDirty) cleanBytes += s.size;
    const end = i + 1 < segs.length ? segs[i + 1].baseOffset : p.logEndOffset;
    // An empty range (firstUncleanable = firstDirty, e.g. a log start or checkpoint inside the
    // segment holding the LSO) has no dirty bytes, or it would be cleaned again and again for nothing.
    if (firstUncleanable > firstDirty && end > from && s.baseOffset < firstUncleanable) dirtyBytes += s.size;
    if (i < segs.length - 1 && end > firstDirty && s.firstBatchTimestamp > 0 && s.firstBatchTimestamp < earliestDirtyTimestamp) {
      earliestDirtyTimestamp = s.firstBatchTimestamp;
    }
  }
  const total = cleanBytes + dirtyBytes;
  const cleanUntil = p.nowMs - Math.max(0, p.maxCompactionLagMs);
  const compactionDelayMs = earliestDirtyTimestamp < cleanUntil ? cleanUntil - earliestDirtyTimestamp : 0;
  return {
    firstDirtyOffset: firstDirty,
    firstUncleanableOffset: firstUncleanable,
    cleanBytes,
    dirtyBytes,
    dirtyRatio: total === 0 ? 0 : dirtyBytes / total,
    compactionDelayMs,
  };
}

/**
 * The decision table above. `horizonDue` = a tombstone kept by an earlier
 * clean has passed its delete horizon. Returns the reason to clean, or null.
 */
export function decideCleaning(
  compactPolicy: boolean,
  range: CleanableRange,
  minCleanableDirtyRatio: number,
  horizonDue: boolean,
): CleaningReason | null {
  if (!compactPolicy) return null;
  if (range.dirtyBytes > 0 && range.compactionDelayMs > 0) return 'max-lag';
  if (range.dirtyRatio > minCleanableDirtyRatio) return 'dirty-ratio';
  if (horizonDue) return 'delete-horizon';
  return null;
}

/** Orders candidates: 'max-lag' and 'dirty-ratio' before 'delete-horizon', then by dirty ratio, highest first. */
export function compareCandidates(
  a: { reason: CleaningReason; range: CleanableRange },
  b: { reason: CleaningReason; range: CleanableRange },
): number {
  const rank = (r: CleaningReason): number => (r === 'delete-horizon' ? 1 : 0);
  return rank(a.reason) - rank(b.reason) || b.range.dirtyRatio - a.range.dirtyRatio;
}
