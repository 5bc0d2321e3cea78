// One partition's buffer and positions, and the ready queue: a partition is handed to one
// taker at a time and only while deliverable; seeks start a new epoch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConsumerMessage } from '../../src/consumer/consumer-message.js';
import { AssignedPartition } from '../../src/consumer/partition-state.js';
import { ReadyQueue } from '../../src/consumer/ready-queue.js';

function msg(offset: number, size = 10): ConsumerMessage {
  return { topic: 't', partition: 0, offset, timestamp: 0, timestampType: 'CreateTime', key: null, value: null, headers: {}, headerList: [], leaderEpoch: -1, size };
}

test('buffer: chunks in order, byte and message counts, dropBelow, seek clears and bumps the epoch', () => {
  const p = new AssignedPartition('t', 0);
  p.push([msg(0), msg(1)]);
  p.push([msg(2, 30)]);
  assert.equal(p.bufferedBytes, 50);
  assert.equal(p.frontChunkLength(), 2);
  assert.equal(p.shift()?.offset, 0);
  assert.deepEqual(p.frontChunk().map((m) => m.offset), [1]);
  p.dropBelow(2);
  assert.equal(p.peek()?.offset, 2);
  assert.equal(p.bufferedCount, 1);
  const epoch = p.epoch;
  p.seek(10);
  assert.equal(p.bufferedBytes, 0);
  assert.equal(p.fetchOffset, 10);
  assert.equal(p.resolvedOffset, 10);
  assert.equal(p.epoch, epoch + 1);
});

test('idle() waits for the worker holding the partition', async () => {
  const p = new AssignedPartition('t', 0);
  p.acquire();
  assert.throws(() => p.acquire());
  let idle = false;
  const waiting = p.idle().then(() => {
    idle = true;
  });
  await Promise.resolve();
  assert.equal(idle, false);
  p.release();
  await waiting;
  assert.equal(idle, true);
});

test('ready queue: FIFO, no duplicates, eligibility checked on offer and on take, close ends takers', async () => {
  const a = new AssignedPartition('t', 0);
  const b = new AssignedPartition('t', 1);
  const blocked = new Set<AssignedPartition>();
  const q = new ReadyQueue((p) => !blocked.has(p));
  q.offer(a);
  q.offer(b);
  q.offer(a);
  blocked.add(a);
  assert.equal(await q.take(), b, 'a became ineligible while queued');
  blocked.delete(a);
  const waiting = q.take();
  q.offer(a);
  assert.equal(await waiting, a);
  const pending = q.take();
  q.close();
  assert.equal(await pending, null);
  q.offer(b);
  assert.equal(await q.take(), null);
});
