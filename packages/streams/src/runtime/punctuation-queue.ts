/**
 * Punctuation schedules of one task for one kind of time, with Kafka's
 * timing rules:
 *
 * - stream time: aligned to 0, so the first punctuation fires with the
 *   first record processed; wall-clock time: first after one interval.
 * - Each firing gets the current time; the next one is the first multiple
 *   of the interval (from the schedule's start) after it, so a gap of
 *   several intervals gives one punctuation, not a burst.
 */
import type { Cancellable, Punctuator } from '../processor/processor.js';

interface Schedule {
  next: number;
  readonly intervalMs: number;
  readonly punctuator: Punctuator;
  /** Runs the punctuator as its processor node (so forward() reaches that node's children). */
  readonly run: (punctuator: Punctuator, timestamp: number) => void;
  cancelled: boolean;
}

export class PunctuationQueue {
  readonly #schedules: Schedule[] = [];

  add(firstAt: number, intervalMs: number, punctuator: Punctuator, run: Schedule['run']): Cancellable {
    if (!Number.isSafeInteger(intervalMs) || intervalMs < 1) throw new RangeError(`punctuation interval must be a whole number of ms >= 1, got ${String(intervalMs)}`);
    const s: Schedule = { next: firstAt, intervalMs, punctuator, run, cancelled: false };
    this.#schedules.push(s);
    return {
      cancel: () => {
        s.cancelled = true;
        const i = this.#schedules.indexOf(s);
        if (i >= 0) this.#schedules.splice(i, 1);
      },
    };
  }

  /** Fires every schedule due at `now`; returns whether any fired. */
  mayPunctuate(now: number): boolean {
    let fired = false;
    for (const s of [...this.#schedules].sort((a, b) => a.next - b.next)) {
      if (s.cancelled || s.next > now) continue;
      const missed = Math.floor((now - s.next) / s.intervalMs);
      s.next += (missed + 1) * s.intervalMs;
      s.run(s.punctuator, now);
      fired = true;
    }
    return fired;
  }

  get size(): number {
    return this.#schedules.length;
  }
}
