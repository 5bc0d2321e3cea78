/**
 * Running the application's handlers on one partition's buffered messages:
 * eachMessage one message at a time, eachBatch one fetched chunk at a time.
 * A delivery worker (consumer.ts) owns the partition meanwhile, so these run
 * for one partition at a time and in offset order.
 *
 * Each delivery works through at most the oldest fetched chunk, then hands
 * the partition back so other partitions get their turn. It stops early
 * when the partition is paused, revoked, seeked (a new epoch) or the
 * consumer stops. What a handler finished moves the partition's processed
 * offset (resolvedOffset) forward, unless a seek happened meanwhile: then
 * the new position stands. A handler that throws leaves its messages
 * buffered for the retry (see DeliveryContext.failed).
 */
import { Batch } from './batch.js';
import type { ConsumerMessage } from './consumer-message.js';
import type { AssignedPartition } from './partition-state.js';
import { toOffset, type OffsetCommitInput } from './topic-partitions.js';

/** The payload of an eachMessage handler. */
export interface EachMessagePayload {
  topic: string;
  partition: number;
  message: ConsumerMessage;
  /** Heartbeats run on their own timer; this sends one now (kafkajs compatibility). */
  heartbeat(): Promise<void>;
  /** Pauses this partition; returns the function that resumes it. */
  pause(): () => void;
  /** Aborted when the partition is taken away from this consumer (revoke, loss, stop). */
  signal: AbortSignal;
}

/** The payload of an eachBatch handler (kafkajs' EachBatchPayload, offsets as numbers). */
export interface EachBatchPayload {
  batch: Batch;
  /** Marks messages up to and including `offset` processed. */
  resolveOffset(offset: number | string): void;
  heartbeat(): Promise<void>;
  pause(): () => void;
  /** Commits `offsets`, or (without an argument) every processed offset not committed yet. */
  commitOffsetsIfNecessary(offsets?: OffsetCommitInput[]): Promise<void>;
  /** Processed offsets not committed yet. */
  uncommittedOffsets(): { topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: number }> }> };
  /** False once the consumer is stopping. */
  isRunning(): boolean;
  /** True once the partition was revoked or seeked: the rest of the batch should be skipped. */
  isStale(): boolean;
  signal: AbortSignal;
}

/** An eachMessage handler. */
export type EachMessageHandler = (payload: EachMessagePayload) => Promise<void>;

/** An eachBatch handler. */
export type EachBatchHandler = (payload: EachBatchPayload) => Promise<void>;

/** What the deliveries need from the consumer (one session's worth). */
export interface DeliveryContext {
  /** Whether more messages of `p` may be handled in this turn (not paused, revoked, seeked or stopping). */
  canContinue(p: AssignedPartition, epoch: number): boolean;
  /** `n` more messages were processed (auto commit threshold). */
  resolved(n: number): void;
  /** A handler threw on `p` (schedules the retry or stops the consumer). */
  failed(p: AssignedPartition, err: unknown, epoch: number): void;
  heartbeat(): Promise<void>;
  pauseOne(p: AssignedPartition): () => void;
  commitOffsets(offsets: OffsetCommitInput[]): Promise<void>;
  /** Commits every processed offset not committed yet. */
  commitProcessed(): Promise<void>;
  uncommittedOffsets(): ReturnType<EachBatchPayload['uncommittedOffsets']>;
  isRunning(): boolean;
  eachBatchAutoResolve: boolean;
}

/** eachMessage over the rest of the partition's oldest chunk. */
export async function deliverMessages(ctx: DeliveryContext, p: AssignedPartition, eachMessage: EachMessageHandler): Promise<void> {
  const epoch = p.epoch;
  for (let budget = p.frontChunkLength(); budget > 0 && ctx.canContinue(p, epoch); budget--) {
    const message = p.peek();
    if (message === undefined) return;
    try {
      await eachMessage({
        topic: p.topic,
        partition: p.partition,
        message,
        heartbeat: () => ctx.heartbeat(),
        pause: () => ctx.pauseOne(p),
        signal: p.abort.signal,
      });
    } catch (err) {
      ctx.failed(p, err, epoch);
      return;
    }
    if (p.epoch !== epoch) return; // seeked meanwhile: the new position stands
    p.shift();
    p.resolvedOffset = message.offset + 1;
    p.handlerFailures = 0;
    ctx.resolved(1);
  }
}

/** eachBatch on the rest of the partition's oldest chunk. */
export async function deliverBatch(ctx: DeliveryContext, p: AssignedPartition, eachBatch: EachBatchHandler): Promise<void> {
  const epoch = p.epoch;
  const messages = p.frontChunk();
  const batch = new Batch(p.topic, p.partition, p.highWatermark, messages);
  const resolveOffset = (offset: number | string): void => {
    const o = toOffset(offset, 'resolveOffset()');
    if (p.epoch !== epoch || o + 1 <= p.resolvedOffset) return;
    p.resolvedOffset = o + 1;
    const before = p.bufferedCount;
    p.dropBelow(o + 1);
    ctx.resolved(before - p.bufferedCount);
  };
  try {
    await eachBatch({
      batch,
      resolveOffset,
      heartbeat: () => ctx.heartbeat(),
      pause: () => ctx.pauseOne(p),
      commitOffsetsIfNecessary: (offsets) => (offsets !== undefined ? ctx.commitOffsets(offsets) : ctx.commitProcessed()),
      uncommittedOffsets: () => ctx.uncommittedOffsets(),
      isRunning: () => ctx.isRunning(),
      isStale: () => p.epoch !== epoch || p.phase !== 'ready',
      signal: p.abort.signal,
    });
  } catch (err) {
    ctx.failed(p, err, epoch);
    return;
  }
  if (p.epoch !== epoch) return;
  if (ctx.eachBatchAutoResolve && messages.length > 0) resolveOffset(messages[messages.length - 1].offset);
  p.handlerFailures = 0;
}
