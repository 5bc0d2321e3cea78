/**
 * Time source for the log. Injected (never read from globals inside the log)
 * so that segment.ms rolling, retention.ms and flush.ms are deterministic in
 * tests and in the op-fuzz.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  nowMs(): number;
}

/** The wall clock. */
export const systemClock: Clock = { nowMs: () => Date.now() };

/** A clock that only moves when told to; for tests and simulations. */
export class ManualClock implements Clock {
  #now: number;

  constructor(startMs = 1_700_000_000_000) {
    this.#now = startMs;
  }

  nowMs(): number {
    return this.#now;
  }

  /** Moves time forward by `ms` (must be >= 0). */
  advance(ms: number): void {
    if (ms < 0) throw new RangeError('ManualClock cannot go backwards');
    this.#now += ms;
  }

  /** Sets the time; it may not go backwards. */
  set(ms: number): void {
    if (ms < this.#now) throw new RangeError('ManualClock cannot go backwards');
    this.#now = ms;
  }
}
