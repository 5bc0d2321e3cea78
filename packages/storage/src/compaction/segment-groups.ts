/**
 * Grouping of the segments to clean into runs that are rewritten as one
 * segment each (Kafka's Cleaner.groupSegmentsBySize). Cleaning shrinks
 * segments, so without grouping a compacted log would end up as many tiny
 * files; consecutive segments are merged while the merged segment still fits:
 *
 *   - the sum of their .log sizes <= segment.bytes,
 *   - the sum of their offset-index and time-index sizes each <=
 *     segment.index.bytes (the cleaned segment's indexes are no larger),
 *   - every offset of the group is within int32 of the group's base offset
 *     (relative offsets in the index and the cleaned batches), checked with
 *     the candidate's last possible offset (the next segment's base - 1);
 *     an empty candidate passes.
 *
 * A group always holds at least one segment, so a segment larger than
 * segment.bytes (left by an earlier, larger setting) is cleaned alone.
 */
import { OFFSET_INDEX_ENTRY_SIZE } from '../offset-index.js';
import { TIME_INDEX_ENTRY_SIZE } from '../time-index.js';

/** What grouping needs to know about a segment. */
export interface GroupableSegment {
  baseOffset: number;
  size: number;
  offsetIndexEntries: number;
  timeIndexEntries: number;
}

/** Limits of one group. */
export interface GroupLimits {
  segmentBytes: number;
  segmentIndexBytes: number;
  /** Offset where the last segment of `segs` ends (the next segment's base). */
  endOffset: number;
}

/** Splits `segs` (consecutive, oldest first) into groups by the rules above. */
export function groupSegmentsBySize<T extends GroupableSegment>(segs: readonly T[], limits: GroupLimits): T[][] {
  const groups: T[][] = [];
  let i = 0;
  while (i < segs.length) {
    const group: T[] = [segs[i]];
    let logBytes = segs[i].size;
    let offsetIndexBytes = segs[i].offsetIndexEntries * OFFSET_INDEX_ENTRY_SIZE;
    let timeIndexBytes = segs[i].timeIndexEntries * TIME_INDEX_ENTRY_SIZE;
    const base = segs[i].baseOffset;
    i++;
    while (i < segs.length) {
      const s = segs[i];
      const lastPossibleOffset = (i + 1 < segs.length ? segs[i + 1].baseOffset : limits.endOffset) - 1;
      const fits =
        logBytes + s.size <= limits.segmentBytes &&
        offsetIndexBytes + s.offsetIndexEntries * OFFSET_INDEX_ENTRY_SIZE <= limits.segmentIndexBytes &&
        timeIndexBytes + s.timeIndexEntries * TIME_INDEX_ENTRY_SIZE <= limits.segmentIndexBytes &&
        (s.size === 0 || lastPossibleOffset - base <= 0x7fffffff);
      if (!fits) break;
      group.push(s);
      logBytes += s.size;
      offsetIndexBytes += s.offsetIndexEntries * OFFSET_INDEX_ENTRY_SIZE;
      timeIndexBytes += s.timeIndexEntries * TIME_INDEX_ENTRY_SIZE;
      i++;
    }
    groups.push(group);
  }
  return groups;
}
