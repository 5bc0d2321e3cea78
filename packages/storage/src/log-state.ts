/**
 * The mutable state of one partition log, shared by the modules that make up
 * {@link PartitionLog}: open and recovery (log-open.ts), the append planner
 * (append-planner.ts), reads (log-reads.ts) and retention and truncation
 * (log-truncation.ts).
 *
 * Only PartitionLog's mutation queue changes a LogState (one queue per log),
 * so the functions here and in the modules above never run concurrently on
 * the same state. Readers bypass the queue: `segments` is never changed in
 * place (mutations replace the array), so a reader that copies the reference
 * holds a consistent snapshot.
 */
import { join } from 'node:path';
import type { Clock } from './clock.js';
import type { Fs } from './fs.js';
import { assert } from './invariant.js';
import type { LogConfig } from './log-config.js';
import { listProducerSnapshots, producerSnapshotFileName, type ProducerStateManager } from './producer-state.js';
import { LogSegment, type SegmentIndexConfig } from './segment.js';
import type { TxnIndex } from './txn-index.js';

/** Name of the log-start-offset checkpoint in a partition directory. */
export const LOG_START_OFFSET_FILE = 'log-start-offset';

/** How many producer-state snapshots a partition keeps (recovery needs the latest one at or below the log end). */
const PRODUCER_SNAPSHOTS_KEPT = 2;

/** The state of one partition log (see the top of this file for who may change it). */
export interface LogState {
  readonly topic: string;
  readonly partition: number;
  /** The partition directory. */
  readonly dir: string;
  readonly fs: Fs;
  readonly clock: Clock;
  config: LogConfig;
  /** Oldest first; the last is the active segment. Replaced, never changed in place. */
  segments: readonly LogSegment[];
  logStartOffset: number;
  highWatermark: number;
  producers: ProducerStateManager;
  txnIndex: TxnIndex;
}

/** The segment that takes appends. */
export function activeSegment(s: LogState): LogSegment {
  return s.segments[s.segments.length - 1];
}

/** Offset the next appended record gets. */
export function logEndOffset(s: LogState): number {
  return activeSegment(s).nextOffset;
}

/** The index settings of segments created from the current config. */
export function indexConfig(c: LogConfig): SegmentIndexConfig {
  return { indexIntervalBytes: c.indexIntervalBytes, segmentIndexBytes: c.segmentIndexBytes };
}

/** logStartOffset <= highWatermark <= logEndOffset, and there is an active segment. */
export function checkInvariants(s: LogState): void {
  const leo = logEndOffset(s);
  assert(s.logStartOffset <= s.highWatermark && s.highWatermark <= leo, () =>
    `offsets out of order: logStartOffset ${s.logStartOffset}, highWatermark ${s.highWatermark}, logEndOffset ${leo}`);
  assert(s.segments.length > 0, 'a log always has an active segment');
}

/** Seals the active segment and starts a new one at the log end offset (no-op when it is empty). */
export async function rollSegment(s: LogState): Promise<LogSegment> {
  const active = activeSegment(s);
  if (active.size === 0) return active;
  await active.seal();
  // The state after every batch of the sealed segment: an unclean restart
  // replays only the new active segment on top of it.
  await writeProducerSnapshot(s, active.nextOffset);
  const seg = await LogSegment.create(s.fs, s.dir, active.nextOffset, indexConfig(s.config), s.clock.nowMs());
  // The new file's directory entry must be durable before data in it is
  // acknowledged as flushed (flush.messages=1 promises survival of power loss).
  await s.fs.fsyncDir(s.dir);
  s.segments = [...s.segments, seg];
  return seg;
}

/** Writes the producer state as of `offset` (the log end) and drops all but the newest snapshots. */
export async function writeProducerSnapshot(s: LogState, offset: number): Promise<void> {
  await s.fs.writeFileAtomic(join(s.dir, producerSnapshotFileName(offset)), s.producers.encodeSnapshot(), { sync: true });
  const all = await listProducerSnapshots(s.fs, s.dir);
  for (const snap of all.slice(0, Math.max(0, all.length - PRODUCER_SNAPSHOTS_KEPT))) await s.fs.unlink(snap.path);
}

/**
 * Persists the log start offset: "0\n<offset>\n" (version, then the offset),
 * written atomically and fsynced, so a restart never brings back a lower one.
 */
export async function writeLogStartOffset(fs: Fs, dir: string, offset: number): Promise<void> {
  await fs.writeFileAtomic(join(dir, LOG_START_OFFSET_FILE), Buffer.from(`0\n${offset}\n`), { sync: true });
}

/** The checkpointed log start offset, or null when absent or malformed. */
export async function readLogStartOffset(fs: Fs, dir: string): Promise<number | null> {
  const data = await fs.readFile(join(dir, LOG_START_OFFSET_FILE));
  if (data === null) return null;
  const lines = data.toString('utf8').split('\n');
  const n = Number(lines[1]);
  // A malformed checkpoint is ignored (the first segment's base offset is a
  // safe lower bound); only a well-formed version-0 file counts.
  return lines[0] === '0' && Number.isSafeInteger(n) && n >= 0 ? n : null;
}
