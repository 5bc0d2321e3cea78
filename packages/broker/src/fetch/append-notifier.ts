/**
 * Wakes fetch long-polls when data arrives. A fetch that has fewer than
 * min.bytes registers on each partition it reads; the first append to any of
 * them, or its max.wait.ms timer, or broker shutdown ends the wait, and the
 * fetch reads again. No timers poll the log.
 *
 * A wait that cannot be armed (no partitions to wait on, the waiter bound
 * reached, a closed notifier, no time left) says so at once with 'refused'
 * instead of resolving as if woken: a caller that looped on a wait resolving
 * at once would spin on microtasks and starve every socket and timer until
 * its deadline (issue 16).
 */
import { clampTimerDelay } from '../timer-delay.js';

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** Why a wait ended: an append to one of its partitions, its timer, shutdown, or it never started. */
export type WaitOutcome = 'appended' | 'timeout' | 'closed' | 'refused';

type Waiter = (outcome: WaitOutcome) => void;

export class AppendNotifier {
  readonly #waiters = new Map<string, Set<Waiter>>();
  readonly #all = new Set<Waiter>();
  /** Bound on concurrent waiting fetches: beyond it a wait is refused and the fetch answers with what it has. */
  readonly #maxWaiters: number;
  #closed = false;

  constructor(maxWaiters = 100_000) {
    this.#maxWaiters = maxWaiters;
  }

  /** Fetches waiting right now. */
  get waiting(): number {
    return this.#all.size;
  }

  notify(topic: string, partition: number): void {
    const set = this.#waiters.get(partitionKey(topic, partition));
    if (!set) return;
    for (const w of [...set]) w('appended');
  }

  /**
   * Ends on the first append to any of `keys`, after `timeoutMs` (clamped to
   * what Node timers accept), or on close(). Refused, at once, when there is
   * nothing to wait on, no time, no room, or the notifier is closed.
   */
  wait(keys: readonly string[], timeoutMs: number): Promise<WaitOutcome> {
    if (this.#closed) return Promise.resolve('closed');
    if (!(timeoutMs > 0) || keys.length === 0 || this.#all.size >= this.#maxWaiters) return Promise.resolve('refused');
    return new Promise((resolve) => {
      const done: Waiter = (outcome) => {
        clearTimeout(timer);
        this.#all.delete(done);
        for (const k of keys) {
          const set = this.#waiters.get(k);
          if (set) {
            set.delete(done);
            if (set.size === 0) this.#waiters.delete(k);
          }
        }
        resolve(outcome);
      };
      const timer = setTimeout(done, clampTimerDelay(timeoutMs), 'timeout');
      this.#all.add(done);
      for (const k of keys) {
        let set = this.#waiters.get(k);
        if (!set) this.#waiters.set(k, (set = new Set()));
        set.add(done);
      }
    });
  }

  /** Ends every wait, and every later one at once (shutdown). */
  close(): void {
    this.#closed = true;
    for (const w of [...this.#all]) w('closed');
  }
}
