/**
 * Delays that arrive from the wire (max_wait_ms, session and rebalance
 * timeouts, transaction timeouts) end up in Node timers, which overflow above
 * 2^31-1 ms: such a timer fires after 1 ms, so a huge wait would turn into a
 * 1 ms poll. Every timer armed from a client's number goes through here.
 */

/** The longest delay Node's setTimeout honours (about 24.8 days). */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** `delayMs` as a delay Node timers honour: NaN and negatives become 0, the rest at most {@link MAX_TIMER_DELAY_MS}. */
export function clampTimerDelay(delayMs: number): number {
  if (!(delayMs > 0)) return 0;
  return Math.min(delayMs, MAX_TIMER_DELAY_MS);
}
