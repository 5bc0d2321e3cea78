/**
 * Moving a cleaned segment into the log in place of the segments it was
 * cleaned from, so that a crash at any point leaves either the old segments
 * or the cleaned one, never a mix that loses or repeats records.
 *
 * Files, with X the base offset of the first source segment (20 digits) and
 * S the other sources (base offsets above X):
 *
 *   X.log.cleaned, X.index.cleaned, X.timeindex.cleaned, X.txnindex.cleaned
 *       written by cleaned-segment-writer.ts; the log is fdatasynced and the
 *       txnindex (empty when the cleaned segment keeps no aborted
 *       transaction) fsynced before step 1
 *   X.*.swap
 *       the same files once the swap is committed
 *
 * Swap ({@link installCleanedSegment}, run inside the log's mutation queue
 * through PartitionLog.replaceSegments), after probe 'compaction.swap.started':
 *
 *   1. rename X.{index,timeindex,txnindex}.cleaned -> .swap, then
 *      X.log.cleaned -> X.log.swap, fsync the directory.
 *      The rename of the .log is the commit point.            probe 'compaction.swap.committed'
 *   2. unlink every file of each S (.log, .index, .timeindex, .txnindex).
 *                                                             probe 'compaction.swap.sources-deleted'
 *   3. rename X.{index,timeindex,txnindex}.swap -> X.* (then unlink
 *      X.txnindex if it is empty), then X.log.swap -> X.log, fsync the
 *      directory.                                             probe 'compaction.swap.renamed'
 *   4. open X as a segment (indexes loaded, tail scanned).
 *
 * The old segment objects stay readable throughout: their fds are open, and
 * POSIX keeps an unlinked or replaced file's data for them. The log swaps
 * its in-memory list after step 4 and closes the old segments once their
 * last reader releases them.
 *
 * Recovery ({@link completeInterruptedSwaps}, first thing PartitionLog.open
 * does), per state left by a crash:
 *
 *   found                                  | meaning                 | action
 *   ---------------------------------------+-------------------------+-------------------------------
 *   *.cleaned                              | swap not committed      | delete them (sources intact)
 *   X.*.swap without X.log.swap            | crash inside step 1     | delete them (sources intact)
 *   X.log.swap                             | committed, step 2 or 3  | finish: scan X.log.swap for
 *                                          |   unfinished            |   its last offset L; delete the
 *                                          |                         |   segments with base in (X, L];
 *                                          |                         |   do step 3
 *
 * When finishing, an index whose .swap is gone was either renamed already or
 * belongs to the old X.log; it cannot be told which, so X.index and
 * X.timeindex are then deleted and rebuilt from the log on open. A missing
 * X.txnindex.swap means step 3 already handled it: the cleaner always writes
 * one, because X's old entries may name markers the clean removed, and those
 * must not come back.
 * Sources beyond L are kept: they can only lie beyond L if cleaning removed
 * all of their records, so what they still hold are records that later ones
 * supersede; keeping them is a less compacted log, not a wrong one (Kafka
 * recovers a swap the same way). Because such records may sit below the
 * cleaner checkpoint, where no later clean would look at them again,
 * finishing a swap also deletes the checkpoint: the next clean then treats
 * the whole log as dirty.
 */
import { join } from 'node:path';
import type { Fs } from '../fs.js';
import { CLEANER_CHECKPOINT_FILE } from './cleaner-checkpoint.js';
import { scanBatches } from '../recovery.js';
import { LogSegment, parseSegmentFileName, segmentFilePath, type SegmentIndexConfig } from '../segment.js';
import { txnIndexPath } from '../txn-index.js';

/** Suffix of files being written by the cleaner. */
export const CLEANED_SUFFIX = '.cleaned';
/** Suffix of files of a committed, unfinished swap. */
export const SWAP_SUFFIX = '.swap';

/** Named points of the swap where tests inject crashes or errors. */
export type SwapFaultPoint = 'compaction.swap.started' | 'compaction.swap.committed' | 'compaction.swap.sources-deleted' | 'compaction.swap.renamed';

/** Called at each {@link SwapFaultPoint}; a test may throw or crash the Fs there. */
export type SwapProbe = (point: SwapFaultPoint) => void | Promise<void>;

/** The four files of a segment at `base`, index files first and the .log last. */
function segmentPaths(dir: string, base: number): { index: string; timeindex: string; txnindex: string; log: string } {
  return {
    index: segmentFilePath(dir, base, '.index'),
    timeindex: segmentFilePath(dir, base, '.timeindex'),
    txnindex: txnIndexPath(dir, base),
    log: segmentFilePath(dir, base, '.log'),
  };
}

async function exists(fs: Fs, path: string): Promise<boolean> {
  return (await fs.stat(path)) !== null;
}

async function unlinkSegmentFiles(fs: Fs, dir: string, base: number): Promise<void> {
  const p = segmentPaths(dir, base);
  // The .log last: a crash in between leaves index files without a log, which open() removes.
  await fs.unlink(p.index);
  await fs.unlink(p.timeindex);
  await fs.unlink(p.txnindex);
  await fs.unlink(p.log);
}

/** Step 3: moves X's .swap files into place (the .log last) and fsyncs the directory. */
async function renameSwapIntoPlace(fs: Fs, dir: string, base: number, opts: { recovering: boolean }): Promise<void> {
  const p = segmentPaths(dir, base);
  for (const path of [p.index, p.timeindex]) {
    if (await exists(fs, path + SWAP_SUFFIX)) await fs.rename(path + SWAP_SUFFIX, path);
    else if (opts.recovering) await fs.unlink(path); // cannot tell old from new: rebuilt on open
  }
  const txnSwap = await fs.stat(p.txnindex + SWAP_SUFFIX);
  if (txnSwap !== null) {
    // The rename replaces X's old entries atomically; an empty file (no entries) then goes too.
    await fs.rename(p.txnindex + SWAP_SUFFIX, p.txnindex);
    if (txnSwap.size === 0) await fs.unlink(p.txnindex);
  }
  await fs.rename(p.log + SWAP_SUFFIX, p.log);
  await fs.fsyncDir(dir);
}

/**
 * Steps 1-4 above for the cleaned files of base `base` replacing the
 * segments at `sourceBases` (the first is `base`). Returns the opened
 * segment. `mtimeMs` becomes its last-modified time (retention's clock for
 * segments without timestamps).
 */
export async function installCleanedSegment(
  fs: Fs,
  dir: string,
  base: number,
  sourceBases: readonly number[],
  cfg: SegmentIndexConfig,
  opts: { nowMs: number; mtimeMs: number; probe?: SwapProbe },
): Promise<LogSegment> {
  const p = segmentPaths(dir, base);
  await opts.probe?.('compaction.swap.started');
  for (const path of [p.index, p.timeindex, p.txnindex]) {
    if (await exists(fs, path + CLEANED_SUFFIX)) await fs.rename(path + CLEANED_SUFFIX, path + SWAP_SUFFIX);
  }
  await fs.rename(p.log + CLEANED_SUFFIX, p.log + SWAP_SUFFIX);
  await fs.fsyncDir(dir);
  await opts.probe?.('compaction.swap.committed');
  for (const s of sourceBases) if (s !== base) await unlinkSegmentFiles(fs, dir, s);
  await opts.probe?.('compaction.swap.sources-deleted');
  await renameSwapIntoPlace(fs, dir, base, { recovering: false });
  await opts.probe?.('compaction.swap.renamed');
  const r = await LogSegment.open(fs, dir, base, cfg, { recover: false, nowMs: opts.nowMs, mtimeMs: opts.mtimeMs });
  return r.segment;
}

/** Deletes every `.cleaned` file in `dir` (an abandoned or interrupted clean). */
export async function removeCleanedFiles(fs: Fs, dir: string): Promise<number> {
  let n = 0;
  for (const name of await fs.readdir(dir)) {
    if (name.endsWith(CLEANED_SUFFIX)) {
      await fs.unlink(join(dir, name));
      n++;
    }
  }
  return n;
}

/**
 * Recovery table above, for the partition directory `dir`. Runs before the
 * segments are listed, so the log opens on a directory without `.cleaned` or
 * `.swap` files. Returns the base offsets of the swaps it finished.
 */
export async function completeInterruptedSwaps(fs: Fs, dir: string): Promise<number[]> {
  await removeCleanedFiles(fs, dir);
  const names = await fs.readdir(dir);
  const committed = new Set<number>();
  for (const name of names) {
    if (!name.endsWith('.log' + SWAP_SUFFIX)) continue;
    const base = parseSegmentFileName(name.slice(0, -SWAP_SUFFIX.length));
    if (base !== null) committed.add(base);
  }
  // Index swaps without their .log swap: a crash inside step 1.
  for (const name of names) {
    if (!name.endsWith(SWAP_SUFFIX) || name.endsWith('.log' + SWAP_SUFFIX)) continue;
    const m = /^(\d{20})\./.exec(name);
    if (m === null || !committed.has(Number(m[1]))) await fs.unlink(join(dir, name));
  }
  const finished: number[] = [];
  const segmentBases = names.map((n) => parseSegmentFileName(n)).filter((b): b is number => b !== null);
  for (const base of [...committed].sort((a, b) => a - b)) {
    const swapLog = segmentFilePath(dir, base, '.log') + SWAP_SUFFIX;
    const file = await fs.open(swapLog);
    let lastOffset = base - 1;
    try {
      const size = await file.size();
      const scan = await scanBatches(file, { from: 0, to: size, segmentBaseOffset: base, verifyCrc: true }, (b) => {
        lastOffset = b.lastOffset;
      });
      // Cannot happen for a swap committed after fdatasync; keep the valid prefix rather than fail the open.
      if (scan.validEnd < size) await file.truncate(scan.validEnd);
    } finally {
      await file.close();
    }
    for (const other of segmentBases) if (other > base && other <= lastOffset) await unlinkSegmentFiles(fs, dir, other);
    await renameSwapIntoPlace(fs, dir, base, { recovering: true });
    finished.push(base);
  }
  if (finished.length > 0) await fs.unlink(join(dir, CLEANER_CHECKPOINT_FILE));
  return finished;
}
