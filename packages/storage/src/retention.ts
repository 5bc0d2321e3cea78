/**
 * Which segments retention deletes. Pure decision logic, applied by
 * PartitionLog.applyRetention (which owns the I/O).
 *
 * Segments are only ever deleted whole and oldest first, and deletion stops
 * at the first segment that does not qualify. Segment i qualifies when
 *
 *   upper(i) = base offset of segment i+1, or the log end offset for the last
 *
 *   rule                | segment i qualifies when                       | needs upper(i) <= HW
 *   --------------------+------------------------------------------------+---------------------
 *   log start offset    | upper(i) <= logStartOffset                     | (implied)
 *   retention.ms >= 0   | now - largestTimestamp(i) > retention.ms       | yes
 *   retention.bytes >= 0| total - sizes deleted so far - size(i) >= limit| yes
 *
 * and never when it is the last segment and empty. The rules apply in that
 * order, each continuing where the previous stopped (as Kafka's
 * deleteLogStartOffsetBreachedSegments / RetentionMs / RetentionSize).
 * When every segment qualifies the active one is included: the caller rolls
 * first, so a fresh empty active segment remains (Kafka does the same).
 * Time and size rules apply only when cleanup.policy includes `delete`.
 */

/** What retention needs to know about one segment. */
export interface SegmentSummary {
  baseOffset: number;
  size: number;
  /** Largest batch timestamp, or last-modified time without timestamps. */
  largestTimestamp: number;
}

/** Inputs besides the segments. */
export interface RetentionParams {
  nowMs: number;
  retentionMs: number;
  retentionBytes: number;
  deletePolicy: boolean;
  logStartOffset: number;
  highWatermark: number;
  logEndOffset: number;
}

/** Outcome: delete the `count` oldest segments; `rollActive` when that includes the active one. */
export interface RetentionPlan {
  count: number;
  rollActive: boolean;
  /** Rule that selected the last deleted segment, for logging. */
  reason: 'none' | 'log-start-offset' | 'retention.ms' | 'retention.bytes';
}

/** Applies the table above. */
export function planRetention(segs: readonly SegmentSummary[], p: RetentionParams): RetentionPlan {
  const n = segs.length;
  const upper = (i: number): number => (i + 1 < n ? segs[i + 1].baseOffset : p.logEndOffset);
  const eligible = (i: number): boolean => !(i === n - 1 && segs[i].size === 0) && upper(i) <= p.highWatermark;
  let count = 0;
  let reason: RetentionPlan['reason'] = 'none';
  while (count < n && eligible(count) && upper(count) <= p.logStartOffset) {
    count++;
    reason = 'log-start-offset';
  }
  if (p.deletePolicy && p.retentionMs >= 0) {
    while (count < n && eligible(count) && p.nowMs - segs[count].largestTimestamp > p.retentionMs) {
      count++;
      reason = 'retention.ms';
    }
  }
  if (p.deletePolicy && p.retentionBytes >= 0) {
    let diff = -p.retentionBytes;
    for (let i = count; i < n; i++) diff += segs[i].size;
    while (count < n && eligible(count) && diff - segs[count].size >= 0) {
      diff -= segs[count].size;
      count++;
      reason = 'retention.bytes';
    }
  }
  return { count, rollActive: count === n && n > 0, reason };
}
