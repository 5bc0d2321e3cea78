/**
 * Caps the cleaner's I/O at log.cleaner.io.max.bytes.per.second (Kafka's
 * Throttler): after every chunk the cleaner reports the bytes it read and
 * wrote; once per check interval the rate since the last check is compared
 * with the cap, and the cleaner sleeps as long as it takes to bring it back
 * down. Measured with a monotonic clock, not the log's Clock: this paces real
 * I/O, and a simulated clock would never let the sleep end.
 */
import { performance } from 'node:perf_hooks';

/** How often the rate is checked. */
const CHECK_INTERVAL_MS = 300;

/** Sleeps to keep a byte rate at most `maxBytesPerSecond()`. */
export class Throttler {
  #maxBytesPerSecond: () => number;
  #sleep: (ms: number) => Promise<void>;
  #periodStart = performance.now();
  #bytes = 0;

  /** `maxBytesPerSecond` is read at every check (it is a dynamic config); Infinity or <= 0 means no cap. */
  constructor(maxBytesPerSecond: () => number, sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms).unref())) {
    this.#maxBytesPerSecond = maxBytesPerSecond;
    this.#sleep = sleep;
  }

  /** Accounts `bytes` and sleeps if the rate since the last check is above the cap. */
  async maybeThrottle(bytes: number): Promise<void> {
    const max = this.#maxBytesPerSecond();
    this.#bytes += bytes;
    if (!(max > 0) || !Number.isFinite(max)) return;
    const now = performance.now();
    const elapsed = now - this.#periodStart;
    if (elapsed < CHECK_INTERVAL_MS) return;
    const neededMs = (this.#bytes / max) * 1000;
    if (neededMs > elapsed) await this.#sleep(Math.min(neededMs - elapsed, 10_000));
    this.#periodStart = performance.now();
    this.#bytes = 0;
  }
}
