/**
 * Wakes fetch long-polls when data arrives. A fetch that has fewer than
 * min.bytes registers on each partition it reads; the first append to any of
 * them (or its max.wait.ms timer, or broker shutdown) resolves the wait, and
 * the fetch reads again. No timers poll the log.
 */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

type Waiter = () => void;

export class AppendNotifier {
  readonly #waiters = new Map<string, Set<Waiter>>();
  readonly #all = new Set<Waiter>();
  /** Bound on concurrent waiting fetches: beyond it a fetch answers at once instead of waiting. */
  readonly #maxWaiters: number;
  #closed = false;

  constructor(maxWaiters = 100_000) {
    this.#maxWaiters = maxWaiters;
  }

  notify(topic: string, partition: number): void {
    const set = this.#waiters.get(partitionKey(topic, partition));
    if (!set) return;
    for (const w of [...set]) w();
  }

  /** Resolves on the first append to any of `keys`, after `timeoutMs`, or on close(). */
  wait(keys: readonly string[], timeoutMs: number): Promise<void> {
    if (this.#closed || timeoutMs <= 0 || keys.length === 0 || this.#all.size >= this.#maxWaiters) return Promise.resolve();
    return new Promise((resolve) => {
      const done: Waiter = () => {
        clearTimeout(timer);
        this.#all.delete(done);
        for (const k of keys) {
          const set = this.#waiters.get(k);
          if (set) {
            set.delete(done);
            if (set.size === 0) this.#waiters.delete(k);
          }
        }
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
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
    for (const w of [...this.#all]) w();
  }
}
