// Test helper (not a test file): a GroupTimers whose clock only moves when told to, firing due
// timers in due-time order (then creation order), including timers set by a firing timer.
import type { GroupTimers, TimerHandle } from '../../../src/coordinators/group/timers.js';

interface Pending {
  id: number;
  due: number;
  fn: () => void;
}

export class ManualTimers implements GroupTimers {
  #now = 1_700_000_000_000;
  #nextId = 0;
  readonly #pending = new Map<number, Pending>();

  nowMs(): number {
    return this.#now;
  }

  set(delayMs: number, fn: () => void): TimerHandle {
    const id = ++this.#nextId;
    this.#pending.set(id, { id, due: this.#now + Math.max(0, delayMs), fn });
    return { id };
  }

  clear(handle: TimerHandle | null): void {
    if (handle !== null) this.#pending.delete(handle.id);
  }

  /** Timers not yet fired. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Moves the clock forward by `ms`, firing every timer that comes due on the way. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      let next: Pending | undefined;
      for (const p of this.#pending.values()) {
        if (p.due <= target && (next === undefined || p.due < next.due || (p.due === next.due && p.id < next.id))) next = p;
      }
      if (next === undefined) break;
      this.#pending.delete(next.id);
      this.#now = Math.max(this.#now, next.due);
      next.fn();
    }
    this.#now = target;
  }
}
