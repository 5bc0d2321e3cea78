/**
 * Start positions of assigned partitions: where fetching and processing
 * begin after an assignment, a seek by time, or an out-of-range offset.
 *
 *   | target      | position                                                        |
 *   | ----------- | --------------------------------------------------------------- |
 *   | offset N    | N                                                               |
 *   | timestamp T | ListOffsets(T): the first record at or after T, else the end     |
 *   | committed   | the group's committed offset; none: as `reset`                  |
 *   | reset       | autoOffsetReset: ListOffsets earliest / latest; `none`: an error |
 *
 * "The end" is the high watermark, or with read_committed the last stable
 * offset. A partition is positioned only if it is still waiting for this
 * lookup (same epoch, still 'initializing'): a seek or a revoke meanwhile
 * wins. Retriable failures are retried, with the retry policy's pauses, for
 * as long as partitions wait; anything else stops the consumer.
 */
import { ErrorCode } from '@samsa/protocol';
import { isRetriableError, type Cluster } from '../cluster/cluster.js';
import { KafkaError } from '../kafka-error.js';
import type { Logger } from '../logger.js';
import { retryDelayMs, type RetryPolicy } from '../retry.js';
import type { AutoOffsetReset } from './consumer-options.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, listOffsets } from './list-offsets.js';
import type { OffsetStore } from './offset-store.js';
import type { AssignedPartition } from './partition-state.js';

/** Where a partition's position comes from (see the table at the top). */
export type PositionTarget = { kind: 'offset'; offset: number } | { kind: 'timestamp'; timestamp: number } | { kind: 'committed' } | { kind: 'reset' };

/** What {@link resolveStartPositions} needs from the consumer. */
export interface StartPositionDeps {
  cluster: Cluster;
  /** The group's offsets; null without a group (then `committed` acts as `reset`). */
  store: OffsetStore | null;
  readCommitted: boolean;
  retry: RetryPolicy;
  random: () => number;
  requestTimeoutMs: number;
  logger: Logger;
  resetPolicy(topic: string): AutoOffsetReset;
  /** False once the consumer stops: lookups end. */
  active(): boolean;
  /** Partitions were positioned (wake the fetcher). */
  positioned(): void;
  /** A lasting error. */
  failed(error: Error): void;
}

/** Looks up and sets the positions of `entries` (see the top of this file). */
export async function resolveStartPositions(deps: StartPositionDeps, entries: ReadonlyArray<[AssignedPartition, PositionTarget]>): Promise<void> {
  const epochs = new Map(entries.map(([p]) => [p, p.epoch]));
  const waiting = (p: AssignedPartition): boolean => deps.active() && p.phase === 'initializing' && p.epoch === epochs.get(p);
  let pending = [...entries];
  for (let failures = 0; ; ) {
    pending = pending.filter(([p]) => waiting(p));
    if (pending.length === 0) return;
    try {
      const found = await lookUp(deps, pending);
      for (const [p, { offset, committed }] of found) {
        if (!waiting(p)) continue;
        p.seek(offset);
        if (committed) p.committedOffset = offset;
        p.phase = 'ready';
      }
      deps.positioned();
      if (pending.some(([p]) => waiting(p))) throw new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, { apiName: 'ListOffsets', message: 'no offset found for every partition' });
    } catch (err) {
      if (!deps.active()) return;
      if (!isRetriableError(err)) {
        deps.failed(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      failures++;
      deps.logger.warn('looking up start offsets failed; retrying', { error: err });
      await new Promise((resolve) => setTimeout(resolve, retryDelayMs(deps.retry, Math.min(failures, 10), deps.random)));
    }
  }
}

/** One round of lookups: the offset of every partition that could be found. */
async function lookUp(deps: StartPositionDeps, pending: ReadonlyArray<[AssignedPartition, PositionTarget]>): Promise<Map<AssignedPartition, { offset: number; committed: boolean }>> {
  const out = new Map<AssignedPartition, { offset: number; committed: boolean }>();
  const lookups: Array<[AssignedPartition, number]> = [];
  const committedFor = pending.filter(([, t]) => t.kind === 'committed').map(([p]) => p);
  const committed =
    committedFor.length > 0 && deps.store !== null
      ? await deps.store.fetchCommitted(
          committedFor.map((p) => ({ topic: p.topic, partition: p.partition })),
          () => !deps.active(),
        )
      : new Map<string, { offset: number }>();
  for (const [p, t] of pending) {
    if (t.kind === 'offset') {
      out.set(p, { offset: t.offset, committed: false });
      continue;
    }
    if (t.kind === 'timestamp') {
      lookups.push([p, t.timestamp]);
      continue;
    }
    const c = t.kind === 'committed' ? committed.get(p.key) : undefined;
    if (c !== undefined && c.offset >= 0) {
      out.set(p, { offset: c.offset, committed: true });
      continue;
    }
    const policy = deps.resetPolicy(p.topic);
    if (policy === 'none') {
      throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, {
        topic: p.topic,
        partition: p.partition,
        message: 'no committed offset and autoOffsetReset is none: commit or seek a position first',
      });
    }
    lookups.push([p, policy === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP]);
  }
  if (lookups.length === 0) return out;
  const opts = { readCommitted: deps.readCommitted, retry: deps.retry, random: deps.random, requestTimeoutMs: deps.requestTimeoutMs, cancelled: () => !deps.active() };
  const found = await listOffsets(deps.cluster, lookups.map(([p, timestamp]) => ({ topic: p.topic, partition: p.partition, timestamp })), opts);
  // A timestamp after the last record finds nothing (-1): start at the end, as Kafka's tools do.
  const past = lookups.filter(([p]) => (found.get(p.key)?.offset ?? -1) < 0);
  const ends = past.length > 0 ? await listOffsets(deps.cluster, past.map(([p]) => ({ topic: p.topic, partition: p.partition, timestamp: LATEST_TIMESTAMP })), opts) : new Map<string, { offset: number }>();
  for (const [p] of lookups) {
    const a = found.get(p.key);
    const offset = a !== undefined && a.offset >= 0 ? a.offset : (ends.get(p.key)?.offset ?? -1);
    if (offset >= 0) out.set(p, { offset, committed: false });
  }
  return out;
}
