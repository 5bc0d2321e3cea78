/**
 * Time windows for windowed aggregations (Kafka's TimeWindows):
 *
 * - tumbling: `TimeWindows.ofSizeWithNoGrace(size)`, back-to-back windows
 *   [n·size, (n+1)·size);
 * - hopping: `.advanceBy(advance)`, windows of `size` starting every
 *   `advance` ms, so a record falls into size/advance windows.
 *
 * Windows are aligned to the epoch. A window [start, end) accepts records
 * until stream time passes end + grace ("closes"); later records for it
 * are dropped as late and counted.
 */
import { StreamsError } from '../streams-error.js';

/** A window: start inclusive, end exclusive, in ms. */
export interface TimeWindow {
  readonly start: number;
  readonly end: number;
}

/** A key together with the window of its aggregate (Kafka's Windowed). */
export interface Windowed<K> {
  readonly key: K;
  readonly window: TimeWindow;
}

function ms(name: string, v: number, min: number): number {
  if (!Number.isSafeInteger(v) || v < min) throw new StreamsError('SAMSA_ERR_STREAMS_TOPOLOGY', `${name} must be a whole number of ms >= ${min}, got ${String(v)}`);
  return v;
}

export class TimeWindows {
  readonly sizeMs: number;
  readonly advanceMs: number;
  readonly graceMs: number;

  private constructor(sizeMs: number, advanceMs: number, graceMs: number) {
    this.sizeMs = sizeMs;
    this.advanceMs = advanceMs;
    this.graceMs = graceMs;
  }

  /** Tumbling windows of `sizeMs` that close as soon as stream time passes their end. */
  static ofSizeWithNoGrace(sizeMs: number): TimeWindows {
    return new TimeWindows(ms('window size', sizeMs, 1), sizeMs, 0);
  }

  /** Tumbling windows of `sizeMs` that accept out-of-order records until stream time passes end + `graceMs`. */
  static ofSizeAndGrace(sizeMs: number, graceMs: number): TimeWindows {
    return new TimeWindows(ms('window size', sizeMs, 1), sizeMs, ms('grace', graceMs, 0));
  }

  /** Hopping windows: a new window every `advanceMs` (0 < advance <= size). */
  advanceBy(advanceMs: number): TimeWindows {
    ms('advance', advanceMs, 1);
    if (advanceMs > this.sizeMs) throw new StreamsError('SAMSA_ERR_STREAMS_TOPOLOGY', `advance (${advanceMs} ms) must not exceed the window size (${this.sizeMs} ms)`);
    return new TimeWindows(this.sizeMs, advanceMs, this.graceMs);
  }

  /** The windows containing `timestamp`, by start, oldest first. */
  windowsFor(timestamp: number): TimeWindow[] {
    const out: TimeWindow[] = [];
    let start = Math.floor(Math.max(0, timestamp - this.sizeMs + this.advanceMs) / this.advanceMs) * this.advanceMs;
    for (; start <= timestamp; start += this.advanceMs) out.push({ start, end: start + this.sizeMs });
    return out;
  }
}
