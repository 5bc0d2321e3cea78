/** Index of the last segment with baseOffset <= `offset` (0 if none); `segs` is sorted by base offset. */
export function floorSegment(segs: ReadonlyArray<{ readonly baseOffset: number }>, offset: number): number {
  let lo = 0;
  let hi = segs.length - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (segs[mid].baseOffset <= offset) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}
