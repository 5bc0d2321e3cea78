import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProducerIdManager } from '../../../src/coordinators/txn/producer-id-manager.js';

/** A store that reserves blocks in order and can be made to fail. */
function fakeStore(): { allocateProducerIdBlock(size: number): Promise<{ firstProducerId: number; size: number }>; calls: number; fail: boolean } {
  let next = 0;
  const store = {
    calls: 0,
    fail: false,
    async allocateProducerIdBlock(size: number) {
      store.calls++;
      await new Promise((r) => setImmediate(r));
      if (store.fail) throw new Error('disk full');
      const firstProducerId = next;
      next += size;
      return { firstProducerId, size };
    },
  };
  return store;
}

test('ids are unique and consecutive across blocks, also under concurrent callers', async () => {
  const store = fakeStore();
  const ids = new ProducerIdManager(store, 10);
  const got = await Promise.all(Array.from({ length: 35 }, () => ids.generate()));
  assert.deepEqual([...got].sort((a, b) => a - b), Array.from({ length: 35 }, (_, i) => i));
  assert.ok(store.calls >= 4 && store.calls <= 5, `${store.calls} blocks reserved for 35 ids`);
});

test('a failed reservation rejects that call and the next call retries', async () => {
  const store = fakeStore();
  const ids = new ProducerIdManager(store, 10);
  store.fail = true;
  await assert.rejects(ids.generate(), /disk full/);
  store.fail = false;
  assert.equal(await ids.generate(), 0);
});
