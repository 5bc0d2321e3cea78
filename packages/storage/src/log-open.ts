/**
 * Opening a partition log, and recovery: what is on disk in
 * `<logDir>/<topic>-<partition>/` becomes a {@link LogState}.
 *
 * Steps, in order:
 *   1. finish (or drop) a compaction swap interrupted by a crash;
 *   2. remove `*.tmp` / `*.deleted` leftovers and index files whose `.log`
 *      is gone (retention deleted it right before a crash);
 *   3. open every segment; without the clean-shutdown marker the segments
 *      recovery.ts chooses are validated and truncated at the first torn or
 *      corrupt batch, and a damaged older segment drops every later one, so
 *      the log stays contiguous (as Kafka does);
 *   4. the log start offset is max(checkpoint, first base offset), capped at
 *      the log end; a checkpoint above the end (recovery cut below a
 *      DeleteRecords point) is rewritten durably;
 *   5. the aborted-transaction index and the producer state are rebuilt from
 *      the newest usable producer snapshot plus a replay of later batches;
 *   6. the clean-shutdown marker is removed (and the removal fsynced), so a
 *      crash from now on makes the next open recover.
 */
import { join } from 'node:path';
import { ErrorCode } from '@samsa/protocol';
import type { Clock } from './clock.js';
import { completeInterruptedSwaps } from './compaction/segment-swap.js';
import { StorageError } from './errors.js';
import type { Fs } from './fs.js';
import { assert } from './invariant.js';
import type { LogConfig } from './log-config.js';
import { indexConfig, readLogStartOffset, writeLogStartOffset, type LogState } from './log-state.js';
import { batchProducerInfo, listProducerSnapshots, ProducerStateManager } from './producer-state.js';
import { segmentsToRecover } from './recovery.js';
import { LogSegment, parseSegmentFileName, segmentFilePath } from './segment.js';
import { TxnIndex, type AbortedTxn } from './txn-index.js';

/** Name of the clean-shutdown marker in a partition directory. */
export const CLEAN_SHUTDOWN_FILE = '.samsa_cleanshutdown';

/** What happened when the log was opened. */
export interface OpenInfo {
  cleanShutdown: boolean;
  /** Segments scanned in full (recovered or index rebuilt). */
  rebuiltSegments: number;
  /** Bytes cut from segments by recovery. */
  truncatedBytes: number;
  /** Segments deleted because an earlier segment had to be truncated. */
  deletedSegments: number;
}

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/** Partition directory name `<topic>-<partition>`. */
export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/** Parses `<topic>-<partition>` (partition after the last '-'), or null. */
export function parsePartitionDirName(name: string): { topic: string; partition: number } | null {
  const m = /^(.+)-(\d+)$/.exec(name);
  if (m === null || !TOPIC_NAME.test(m[1]) || m[1] === '.' || m[1] === '..') return null;
  const partition = Number(m[2]);
  return Number.isSafeInteger(partition) && partition <= 0x7fffffff ? { topic: m[1], partition } : null;
}

/** Where and how to open a partition log. */
export interface OpenLogParams {
  logDir: string;
  topic: string;
  partition: number;
  config: LogConfig;
  fs: Fs;
  clock: Clock;
}

/** Opens (creating if needed) a partition's files and recovers them; see the top of this file. */
export async function openLogState(p: OpenLogParams): Promise<{ state: LogState; info: OpenInfo }> {
  const { topic, partition, fs, clock, config } = p;
  if (!TOPIC_NAME.test(topic) || topic === '.' || topic === '..') {
    throw new StorageError(ErrorCode.INVALID_TOPIC_EXCEPTION, `invalid topic name ${JSON.stringify(topic)}`);
  }
  assert(Number.isSafeInteger(partition) && partition >= 0, () => `invalid partition ${partition}`);
  const dir = join(p.logDir, partitionDirName(topic, partition));
  await fs.mkdir(dir);
  await completeInterruptedSwaps(fs, dir);
  const names = await fs.readdir(dir);
  const clean = names.includes(CLEAN_SHUTDOWN_FILE);
  const bases: number[] = [];
  for (const name of names) {
    const base = parseSegmentFileName(name);
    if (base !== null) bases.push(base);
    else if (name.endsWith('.tmp') || name.endsWith('.deleted')) await fs.unlink(join(dir, name));
  }
  bases.sort((a, b) => a - b);
  const baseSet = new Set(bases);
  for (const name of names) {
    const m = /^(\d{20})\.(index|timeindex|txnindex)$/.exec(name);
    if (m !== null && !baseSet.has(Number(m[1]))) await fs.unlink(join(dir, name));
  }
  const checkpoint = await readLogStartOffset(fs, dir);
  const info: OpenInfo = { cleanShutdown: clean, rebuiltSegments: 0, truncatedBytes: 0, deletedSegments: 0 };
  const segments = await openSegments(fs, clock, dir, bases, indexConfig(config), clean, info);
  if (segments.length === 0) {
    segments.push(await LogSegment.create(fs, dir, Math.max(0, checkpoint ?? 0), indexConfig(config), clock.nowMs()));
  }
  const leo = segments[segments.length - 1].nextOffset;
  const logStartOffset = Math.min(Math.max(checkpoint ?? 0, segments[0].baseOffset), leo);
  // Recovery cut the log below the DeleteRecords point (data lost in a power
  // failure): the start moves back to the end, durably, or the old value
  // would come back once appends pass it.
  if (checkpoint !== null && checkpoint > leo) await writeLogStartOffset(fs, dir, logStartOffset);
  const txnIndex = await TxnIndex.load(fs, dir, segments.map((seg) => seg.baseOffset));
  const producers = await loadProducerState(fs, dir, segments, txnIndex);
  if (clean) {
    await fs.unlink(join(dir, CLEAN_SHUTDOWN_FILE));
    await fs.fsyncDir(dir);
  }
  const state: LogState = { topic, partition, dir, fs, clock, config, segments, logStartOffset, highWatermark: leo, producers, txnIndex };
  return { state, info };
}

/** Opens the segments at `bases` (sorted), recovering those recovery.ts picks; stops at a damaged one. */
async function openSegments(
  fs: Fs,
  clock: Clock,
  dir: string,
  bases: readonly number[],
  cfg: ReturnType<typeof indexConfig>,
  clean: boolean,
  info: OpenInfo,
): Promise<LogSegment[]> {
  const segments: LogSegment[] = [];
  const mustRecover = segmentsToRecover(bases.length, clean);
  for (let i = 0; i < bases.length; i++) {
    const last = i === bases.length - 1;
    const st = await fs.stat(segmentFilePath(dir, bases[i], '.log'));
    const r = await LogSegment.open(fs, dir, bases[i], cfg, { recover: mustRecover(i), nowMs: clock.nowMs(), mtimeMs: st?.mtimeMs });
    segments.push(r.segment);
    if (r.rebuilt) info.rebuiltSegments++;
    info.truncatedBytes += r.truncatedBytes;
    const nextBase = last ? Number.POSITIVE_INFINITY : bases[i + 1];
    if (!last && (r.truncatedBytes > 0 || r.segment.nextOffset > nextBase)) {
      // A damaged older segment: the log must stay contiguous, so every
      // later segment goes (Kafka does the same on recovery).
      for (const later of bases.slice(i + 1)) {
        await fs.unlink(segmentFilePath(dir, later, '.log'));
        await fs.unlink(segmentFilePath(dir, later, '.index'));
        await fs.unlink(segmentFilePath(dir, later, '.timeindex'));
        info.deletedSegments++;
      }
      break;
    }
  }
  return segments;
}

/**
 * Rebuilds a partition's producer state: the newest readable snapshot at or
 * below the log end offset, then every batch after it replayed from the
 * segments. Snapshots above the log end (left by a truncation or a recovery
 * that cut the tail) and unreadable ones are deleted. Without any snapshot the
 * whole log is replayed.
 */
export async function loadProducerState(fs: Fs, dir: string, segments: readonly LogSegment[], txnIndex: TxnIndex): Promise<ProducerStateManager> {
  const state = new ProducerStateManager();
  const logEndOffset = segments[segments.length - 1].nextOffset;
  let from = 0;
  const snapshots = await listProducerSnapshots(fs, dir);
  for (let k = snapshots.length - 1; k >= 0; k--) {
    const snap = snapshots[k];
    if (snap.offset <= logEndOffset) {
      const data = await fs.readFile(snap.path);
      if (data !== null && state.loadSnapshot(data)) {
        from = snap.offset;
        break;
      }
    }
    await fs.unlink(snap.path);
  }
  // Aborted-transaction entries from the replay point on are rebuilt by the replay.
  await txnIndex.truncateFrom(from, segments.map((seg) => seg.baseOffset));
  for (const seg of segments) {
    if (seg.nextOffset <= from) continue;
    const aborted: AbortedTxn[] = [];
    await seg.scanHeaders(from, (b) => {
      if (b.producerId < 0) return;
      const info = batchProducerInfo(b.attributes, b.producerId, b.producerEpoch, b.baseSequence, b.lastOffset - b.baseOffset);
      if (b.control === undefined) {
        state.replay(info, b.baseOffset, b.lastOffset, b.maxTimestamp);
        return;
      }
      if (b.control === null || (b.control.type !== 'ABORT' && b.control.type !== 'COMMIT')) return;
      const done = state.replayMarker(info, b.baseOffset, { aborted: b.control.type === 'ABORT', coordinatorEpoch: b.control.coordinatorEpoch }, b.maxTimestamp);
      if (done?.aborted) {
        const firstUnstable = state.firstUnstableOffset();
        aborted.push({ producerId: done.producerId, firstOffset: done.firstOffset, lastOffset: done.lastOffset, lastStableOffset: firstUnstable >= 0 ? firstUnstable : done.lastOffset + 1 });
      }
    });
    for (const e of aborted) await txnIndex.append(seg.baseOffset, e);
  }
  return state;
}
