/**
 * `for await (const message of consumer)`: the consumer as an async
 * iterator, one message at a time, in offset order within each partition.
 *
 * A message counts as processed (its offset is resolved, so auto commit
 * stores it) when the loop asks for the next one. Its partition stays
 * claimed by the loop until then: a rebalance waits for the loop body to
 * finish before giving the partition up, exactly as it waits for an
 * eachMessage handler. Leaving the loop (`break`, `return` or an exception)
 * stops the consumer; the message being processed then is not counted
 * (the loop may have left because it failed), so it is read again by
 * whoever consumes the partition next. Commit it yourself first if you
 * break after processing it: `consumer.commitOffsets([{ topic, partition,
 * offset: message.offset + 1 }])`.
 */
import type { ConsumerMessage } from './consumer-message.js';
import type { AssignedPartition } from './partition-state.js';

/** What the iterator needs from the consumer. */
export interface StreamHost {
  /** Starts consuming (once, on the first `next()`). */
  start(): Promise<void>;
  /** The next partition with messages; null once the consumer stopped. */
  take(): Promise<AssignedPartition | null>;
  /** Whether `p` may be delivered from now (not paused, not revoked, not busy). */
  deliverable(p: AssignedPartition): boolean;
  /** Whether more messages of `p` may follow without going back to the queue. */
  canContinue(p: AssignedPartition, epoch: number): boolean;
  /** Marks `m` processed. */
  resolve(p: AssignedPartition, m: ConsumerMessage, epoch: number): void;
  /** Ends the loop's claim on `p`. */
  release(p: AssignedPartition): void;
  /** Why the consumer crashed, if it did. */
  error(): Error | null;
  /** Stops the consumer (leaving the loop). */
  stop(): Promise<void>;
}

interface Current {
  p: AssignedPartition;
  m: ConsumerMessage;
  epoch: number;
  /** Messages of the partition's current chunk still to hand out before rotating. */
  budget: number;
}

/** The iterator returned by `consumer.stream()` (see the top of this file). */
export class MessageStream implements AsyncIterableIterator<ConsumerMessage> {
  readonly #host: StreamHost;
  #started = false;
  #done = false;
  #current: Current | null = null;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(host: StreamHost) {
    this.#host = host;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ConsumerMessage> {
    return this;
  }

  /** The next message; calls are served one after another. */
  next(): Promise<IteratorResult<ConsumerMessage>> {
    const run = this.#queue.then(
      () => this.#next(),
      () => this.#next(),
    );
    this.#queue = run.catch(() => {});
    return run;
  }

  async #next(): Promise<IteratorResult<ConsumerMessage>> {
    if (this.#done) return { done: true, value: undefined };
    if (!this.#started) {
      this.#started = true;
      try {
        await this.#host.start();
      } catch (err) {
        this.#done = true;
        throw err;
      }
    }
    const cur = this.#current;
    if (cur !== null) {
      this.#host.resolve(cur.p, cur.m, cur.epoch);
      if (cur.budget > 0 && this.#host.canContinue(cur.p, cur.epoch)) {
        const m = cur.p.shift();
        if (m !== undefined) {
          this.#current = { p: cur.p, m, epoch: cur.epoch, budget: cur.budget - 1 };
          return { done: false, value: m };
        }
      }
      this.#current = null;
      this.#host.release(cur.p);
    }
    for (;;) {
      const p = await this.#host.take();
      if (p === null) {
        this.#done = true;
        const err = this.#host.error();
        if (err !== null) throw err;
        return { done: true, value: undefined };
      }
      if (!this.#host.deliverable(p)) continue;
      p.acquire();
      const budget = p.frontChunkLength();
      const m = p.shift();
      if (m === undefined) {
        this.#host.release(p);
        continue;
      }
      this.#current = { p, m, epoch: p.epoch, budget: budget - 1 };
      return { done: false, value: m };
    }
  }

  /**
   * The consumer stopped while the loop holds a message (stop() or disconnect()
   * called from the loop body, or an abort): the claim ends without resolving
   * it, so stopping does not wait for a `next()` that would come only after.
   */
  abandon(): void {
    this.#done = true;
    const cur = this.#current;
    this.#current = null;
    if (cur !== null) this.#host.release(cur.p);
  }

  /** Leaving the loop: the current message is not resolved, and the consumer stops. */
  async return(): Promise<IteratorResult<ConsumerMessage>> {
    await this.#queue;
    this.#done = true;
    const cur = this.#current;
    this.#current = null;
    if (cur !== null) this.#host.release(cur.p);
    if (this.#started) await this.#host.stop();
    return { done: true, value: undefined };
  }
}
