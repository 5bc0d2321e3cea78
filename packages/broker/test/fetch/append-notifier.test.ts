import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppendNotifier, partitionKey } from '../../src/fetch/append-notifier.js';

test('an append wakes a waiter on that partition only', async () => {
  const n = new AppendNotifier();
  let woke = false;
  const wait = n.wait([partitionKey('t', 0)], 60_000).then(() => (woke = true));
  n.notify('t', 1);
  n.notify('u', 0);
  await Promise.resolve();
  assert.equal(woke, false);
  n.notify('t', 0);
  await wait;
  assert.equal(woke, true);
});

test('times out, close ends every wait, and later waits end at once', { timeout: 5_000 }, async () => {
  const n = new AppendNotifier();
  await n.wait([partitionKey('t', 0)], 5);
  const waits = [n.wait([partitionKey('a', 0)], 60_000), n.wait([partitionKey('b', 0), partitionKey('c', 1)], 60_000)];
  n.close();
  await Promise.all(waits);
  // Would hang past the test's timeout if a closed notifier still waited.
  await n.wait([partitionKey('a', 0)], 3_600_000);
});

test('beyond the waiter limit a wait resolves at once', async () => {
  const n = new AppendNotifier(1);
  const first = n.wait([partitionKey('t', 0)], 60_000);
  await n.wait([partitionKey('t', 0)], 60_000);
  n.close();
  await first;
});
