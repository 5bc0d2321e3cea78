import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppendNotifier, partitionKey } from '../../src/fetch/append-notifier.js';
import { clampTimerDelay, MAX_TIMER_DELAY_MS } from '../../src/timer-delay.js';

test('an append wakes a waiter on that partition only', async () => {
  const n = new AppendNotifier();
  let outcome: string | null = null;
  const wait = n.wait([partitionKey('t', 0)], 60_000).then((o) => (outcome = o));
  n.notify('t', 1);
  n.notify('u', 0);
  await Promise.resolve();
  assert.equal(outcome, null);
  n.notify('t', 0);
  await wait;
  assert.equal(outcome, 'appended');
  assert.equal(n.waiting, 0);
});

test('times out, close ends every wait, and later waits end at once', { timeout: 5_000 }, async () => {
  const n = new AppendNotifier();
  assert.equal(await n.wait([partitionKey('t', 0)], 5), 'timeout');
  const waits = [n.wait([partitionKey('a', 0)], 60_000), n.wait([partitionKey('b', 0), partitionKey('c', 1)], 60_000)];
  n.close();
  assert.deepEqual(await Promise.all(waits), ['closed', 'closed']);
  // Would hang past the test's timeout if a closed notifier still waited.
  assert.equal(await n.wait([partitionKey('a', 0)], 3_600_000), 'closed');
});

test('a wait with nothing to wait on, no time or no room is refused, never reported as woken', async () => {
  const n = new AppendNotifier(1);
  assert.equal(await n.wait([], 60_000), 'refused', 'no partitions: no append could ever end it');
  assert.equal(await n.wait([partitionKey('t', 0)], 0), 'refused');
  assert.equal(await n.wait([partitionKey('t', 0)], -5), 'refused');
  assert.equal(await n.wait([partitionKey('t', 0)], Number.NaN), 'refused');
  const first = n.wait([partitionKey('t', 0)], 60_000);
  assert.equal(await n.wait([partitionKey('t', 0)], 60_000), 'refused', 'beyond the waiter bound');
  assert.equal(n.waiting, 1);
  n.close();
  assert.equal(await first, 'closed');
});

test('a wait longer than Node timers allow is clamped, not turned into a 1 ms timer', { timeout: 5_000 }, async () => {
  const n = new AppendNotifier();
  let outcome: string | null = null;
  void n.wait([partitionKey('t', 0)], 2 ** 31 + 5).then((o) => (outcome = o));
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(outcome, null, 'an overflowing timer would have fired after 1 ms');
  n.notify('t', 0);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(outcome, 'appended');
});

test('clampTimerDelay keeps delays within what Node timers honour', () => {
  assert.equal(clampTimerDelay(-1), 0);
  assert.equal(clampTimerDelay(Number.NaN), 0);
  assert.equal(clampTimerDelay(1500), 1500);
  assert.equal(clampTimerDelay(2 ** 31 - 1), MAX_TIMER_DELAY_MS);
  assert.equal(clampTimerDelay(2 ** 40), MAX_TIMER_DELAY_MS);
  assert.equal(clampTimerDelay(Number.POSITIVE_INFINITY), MAX_TIMER_DELAY_MS);
});
