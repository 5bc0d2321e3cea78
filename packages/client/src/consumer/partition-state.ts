/**
 * One assigned partition: where fetching continues, what was processed,
 * and the messages fetched but not yet handed to the application.
 *
 * Offsets, all "next offset" positions:
 *
 *   resolvedOffset <= (buffered messages) < fetchOffset
 *
 * - `fetchOffset`: the next offset to fetch.
 * - `resolvedOffset`: the offset after the last message the application
 *   finished (or the start position): what a commit stores.
 * - `committedOffset`: what this consumer last committed (or found
 *   committed); processed offsets are committed only when ahead of it, so
 *   an explicit commitOffsets() further on is not undone by auto commit.
 *   A seek resets it to -1 (unknown).
 *
 * `epoch` counts seeks and resets. A fetch response or a delivery that began
 * under an older epoch is dropped, so a seek never lets stale messages through.
 */
import type { ConsumerMessage } from './consumer-message.js';
import { tpKey } from './topic-partitions.js';

/** The life of an assigned partition. */
export type PartitionPhase =
  /** Start offset not known yet (committed offset or reset pending). */
  | 'initializing'
  /** Fetching and delivering. */
  | 'ready'
  /** Being given up: nothing new is fetched or delivered; the handler at work finishes. */
  | 'draining'
  /** Given up (revoked or lost); nothing more is fetched or delivered. */
  | 'revoked';

interface Chunk {
  messages: ConsumerMessage[];
  next: number;
}

/** Mutable state of one assigned partition (see the top of this file). */
export class AssignedPartition {
  readonly topic: string;
  readonly partition: number;
  readonly key: string;
  phase: PartitionPhase = 'initializing';
  epoch = 0;
  fetchOffset = -1;
  resolvedOffset = -1;
  committedOffset = -1;
  highWatermark = -1;
  /** A fetch for this partition is awaiting its answer. */
  fetchInFlight = false;
  /** No fetch before this time (after a partition error). */
  fetchRetryAtMs = 0;
  fetchFailures = 0;
  /** No delivery before this time (after a handler failure). */
  handlerRetryAtMs = 0;
  handlerFailures = 0;
  /** Aborted when the partition is revoked or lost, for handlers that want to stop early. */
  readonly abort = new AbortController();
  readonly #chunks: Chunk[] = [];
  #bufferedBytes = 0;
  #bufferedCount = 0;
  #busy = false;
  #idle: Array<() => void> = [];

  constructor(topic: string, partition: number) {
    this.topic = topic;
    this.partition = partition;
    this.key = tpKey(topic, partition);
  }

  /** Bytes of buffered messages (see ConsumerMessage.size). */
  get bufferedBytes(): number {
    return this.#bufferedBytes;
  }

  /** Number of buffered messages. */
  get bufferedCount(): number {
    return this.#bufferedCount;
  }

  /** Whether a handler (or the iterator) is working on this partition. */
  get busy(): boolean {
    return this.#busy;
  }

  /** Marks the partition taken by a delivery worker (one at a time keeps per-partition order). */
  acquire(): void {
    if (this.#busy) throw new Error(`partition ${this.key} acquired twice`);
    this.#busy = true;
  }

  /** Ends a delivery; wakes whoever waits in {@link idle}. */
  release(): void {
    this.#busy = false;
    for (const fn of this.#idle.splice(0)) fn();
  }

  /** Resolves once no delivery is working on the partition. */
  idle(): Promise<void> {
    if (!this.#busy) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Appends fetched messages (in offset order, all at or after the previous ones). */
  push(messages: ConsumerMessage[]): void {
    if (messages.length === 0) return;
    this.#chunks.push({ messages, next: 0 });
    for (const m of messages) this.#bufferedBytes += m.size;
    this.#bufferedCount += messages.length;
  }

  /** The next buffered message, not removed. */
  peek(): ConsumerMessage | undefined {
    const c = this.#chunks[0];
    return c === undefined ? undefined : c.messages[c.next];
  }

  /** Removes and returns the next buffered message. */
  shift(): ConsumerMessage | undefined {
    const c = this.#chunks[0];
    if (c === undefined) return undefined;
    const m = c.messages[c.next++];
    this.#bufferedBytes -= m.size;
    this.#bufferedCount--;
    if (c.next >= c.messages.length) this.#chunks.shift();
    return m;
  }

  /** The rest of the oldest fetched chunk (a copy), for eachBatch. */
  frontChunk(): ConsumerMessage[] {
    const c = this.#chunks[0];
    return c === undefined ? [] : c.messages.slice(c.next);
  }

  /** How many messages are left in the oldest chunk. */
  frontChunkLength(): number {
    const c = this.#chunks[0];
    return c === undefined ? 0 : c.messages.length - c.next;
  }

  /** Drops buffered messages below `offset`. */
  dropBelow(offset: number): void {
    for (let m = this.peek(); m !== undefined && m.offset < offset; m = this.peek()) this.shift();
  }

  /** Drops every buffered message. */
  clear(): void {
    this.#chunks.length = 0;
    this.#bufferedBytes = 0;
    this.#bufferedCount = 0;
  }

  /**
   * Moves the position: fetching and processing continue at `offset` (a new epoch). The
   * committed offset becomes unknown, so the next commit stores the new position even when
   * it is behind the old one.
   */
  seek(offset: number): void {
    this.epoch++;
    this.clear();
    this.fetchOffset = offset;
    this.resolvedOffset = offset;
    this.committedOffset = -1;
    this.fetchRetryAtMs = 0;
    this.fetchFailures = 0;
    this.handlerRetryAtMs = 0;
    this.handlerFailures = 0;
  }

  /** Stops the partition for good: buffered messages are dropped, in-flight work is told through `abort`. */
  revoke(): void {
    this.phase = 'revoked';
    this.epoch++;
    this.clear();
    this.abort.abort();
  }
}
