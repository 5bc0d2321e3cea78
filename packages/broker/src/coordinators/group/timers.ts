/**
 * Time for the group coordinator: the clock it reads and the timers it sets
 * (session timeouts, join delays, rebalance and sync timeouts). Injected so
 * the state machine runs deterministically under a manual clock in tests.
 */
import { clampTimerDelay } from '../../timer-delay.js';

/** A pending timer; pass it back to {@link GroupTimers.clear}. */
export interface TimerHandle {
  readonly id: number;
}

/** The coordinator's clock and timers. */
export interface GroupTimers {
  /** Milliseconds since the Unix epoch. */
  nowMs(): number;
  /** Calls `fn` once after `delayMs` (clamped to [0, 2^31-1]). */
  set(delayMs: number, fn: () => void): TimerHandle;
  /** Cancels a timer; a no-op if it already fired or was cleared. */
  clear(handle: TimerHandle | null): void;
}

/** Wall clock and unref'ed Node timers: a pending session timeout never keeps the process alive. */
export function systemGroupTimers(): GroupTimers {
  let nextId = 0;
  const live = new Map<number, NodeJS.Timeout>();
  return {
    nowMs: () => Date.now(),
    set(delayMs, fn) {
      const id = ++nextId;
      const t = setTimeout(() => {
        live.delete(id);
        fn();
      }, clampTimerDelay(delayMs));
      t.unref();
      live.set(id, t);
      return { id };
    },
    clear(handle) {
      if (handle === null) return;
      const t = live.get(handle.id);
      if (t !== undefined) {
        clearTimeout(t);
        live.delete(handle.id);
      }
    },
  };
}
