/**
 * The partitions that have messages to deliver, in the order they became
 * ready, for the delivery workers (run) or the iterator to take one at a
 * time. A partition is in the queue at most once, and a worker that takes
 * it owns it until it releases it, so each partition is handled by one
 * worker at a time (order within a partition) while up to N partitions are
 * handled at once (N workers). Whether a partition is deliverable is
 * re-checked when it is taken: it may have been paused, revoked or taken
 * off in the meantime.
 */
import type { AssignedPartition } from './partition-state.js';

/** FIFO of deliverable partitions with waiting takers. */
export class ReadyQueue {
  readonly #eligible: (p: AssignedPartition) => boolean;
  readonly #queue: AssignedPartition[] = [];
  readonly #queued = new Set<AssignedPartition>();
  readonly #takers: Array<(p: AssignedPartition | null) => void> = [];
  #closed = false;

  constructor(eligible: (p: AssignedPartition) => boolean) {
    this.#eligible = eligible;
  }

  /** Queues `p` if it is deliverable and not queued already. */
  offer(p: AssignedPartition): void {
    if (this.#closed || this.#queued.has(p) || !this.#eligible(p)) return;
    const taker = this.#takers.shift();
    if (taker !== undefined) {
      taker(p);
      return;
    }
    this.#queue.push(p);
    this.#queued.add(p);
  }

  /** The next deliverable partition; null once the queue is closed. */
  take(): Promise<AssignedPartition | null> {
    while (this.#queue.length > 0) {
      const p = this.#queue.shift() as AssignedPartition;
      this.#queued.delete(p);
      if (this.#eligible(p)) return Promise.resolve(p);
    }
    if (this.#closed) return Promise.resolve(null);
    return new Promise((resolve) => this.#takers.push(resolve));
  }

  /** Ends every waiting and future take with null. */
  close(): void {
    this.#closed = true;
    this.#queue.length = 0;
    this.#queued.clear();
    for (const t of this.#takers.splice(0)) t(null);
  }
}
