/**
 * Removing data from a partition log: retention and DeleteRecords at the
 * head (whole segments below the log start offset, retention.ms,
 * retention.bytes; the plan is retention.ts), and truncation at the tail
 * (replication's truncate-to-offset).
 *
 * Both run inside the log's mutation queue. Segments leave the in-memory
 * list before their files are unlinked: readers that pinned a victim finish
 * on its open fd, new readers never see it.
 */
import { hasDeletePolicy } from './log-config.js';
import { loadProducerState } from './log-open.js';
import { activeSegment, checkInvariants, indexConfig, logEndOffset, rollSegment, writeLogStartOffset, type LogState } from './log-state.js';
import { planRetention } from './retention.js';
import { LogSegment } from './segment.js';
import { txnIndexPath } from './txn-index.js';

/**
 * Deletes the segments that lie entirely below the log start offset and, with
 * `timeAndSize` (and a delete cleanup policy), those past retention.ms or
 * retention.bytes, rolling the active segment first if it is expired too.
 * Returns the number of segments deleted.
 */
export async function applyRetention(s: LogState, timeAndSize: boolean): Promise<number> {
  const c = s.config;
  const plan = planRetention(
    s.segments.map((seg) => ({ baseOffset: seg.baseOffset, size: seg.size, largestTimestamp: seg.largestTimestamp })),
    {
      nowMs: s.clock.nowMs(),
      retentionMs: c.retentionMs,
      retentionBytes: c.retentionBytes,
      deletePolicy: timeAndSize && hasDeletePolicy(c),
      logStartOffset: s.logStartOffset,
      highWatermark: s.highWatermark,
      logEndOffset: logEndOffset(s),
    },
  );
  if (plan.count === 0) return 0;
  if (plan.rollActive) await rollSegment(s);
  const victims = s.segments.slice(0, plan.count);
  s.segments = s.segments.slice(plan.count);
  const newStart = s.segments[0].baseOffset;
  if (newStart > s.logStartOffset) s.logStartOffset = newStart;
  for (const v of victims) {
    await v.delete();
    await s.fs.unlink(txnIndexPath(s.dir, v.baseOffset));
  }
  s.txnIndex.dropBelow(newStart);
  checkInvariants(s);
  return victims.length;
}

/**
 * Removes everything at and after `offset`. The log only ends on batch
 * boundaries, so a batch containing `offset` is removed whole and the new
 * log end offset is its base offset. Truncating to or below the log start
 * offset empties the log and restarts it at `offset`. Producer state and the
 * aborted-transaction index are rebuilt from what remains.
 */
export async function truncateLog(s: LogState, offset: number): Promise<void> {
  if (offset >= logEndOffset(s)) return;
  if (offset <= s.logStartOffset || offset <= s.segments[0].baseOffset) {
    const old = s.segments;
    const seg = await LogSegment.create(s.fs, s.dir, offset, indexConfig(s.config), s.clock.nowMs());
    s.segments = [seg];
    for (const victim of old) {
      if (victim.baseOffset !== offset) await victim.delete();
      else await victim.close();
      await s.fs.unlink(txnIndexPath(s.dir, victim.baseOffset));
    }
    s.logStartOffset = offset;
    await writeLogStartOffset(s.fs, s.dir, s.logStartOffset);
  } else {
    let segs = s.segments;
    while (segs.length > 1 && segs[segs.length - 1].baseOffset >= offset) {
      const victim = segs[segs.length - 1];
      segs = segs.slice(0, -1);
      s.segments = segs;
      await victim.delete();
      await s.fs.unlink(txnIndexPath(s.dir, victim.baseOffset));
    }
    await activeSegment(s).truncateTo(offset);
    if (s.logStartOffset > logEndOffset(s)) {
      // The batch holding the old start straddled the cut: the start moves
      // back to the new end (the checkpoint must follow, or a restart would
      // resurrect the higher value).
      s.logStartOffset = logEndOffset(s);
      await writeLogStartOffset(s.fs, s.dir, s.logStartOffset);
    }
  }
  const leo = logEndOffset(s);
  if (s.highWatermark > leo) s.highWatermark = leo;
  if (s.highWatermark < s.logStartOffset) s.highWatermark = s.logStartOffset;
  // Batches past the cut must not count as written: rebuild from the log.
  await s.txnIndex.truncateFrom(offset, s.segments.map((seg) => seg.baseOffset));
  s.txnIndex.dropBelow(s.segments[0].baseOffset);
  s.producers = await loadProducerState(s.fs, s.dir, s.segments, s.txnIndex);
  checkInvariants(s);
}
