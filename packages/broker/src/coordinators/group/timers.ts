/**
 * Time for the group coordinator: the clock it reads and the timers it sets
 * (session timeouts, join delays, rebalance and sync timeouts). Injected so
 * the state machine runs deterministically under a manual clock in tests.
 */

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

/** Node timers overflow above 2^31-1 ms (and then fire after 1 ms). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Clamps a delay to what Node timers accept. */
export function clampDelay(delayMs: number): number {
  if (!Number.isFinite(delayMs) || delayMs < 0) return 0;
  return Math.min(delayMs, MAX_TIMER_MS);
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
      }, clampDelay(delayMs));
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
