import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Serdes, Stores, windowStoreKey, type StateStoreContext } from '../../src/index.js';

const S = Serdes.String();

interface Logged {
  key: Buffer;
  value: Buffer | null;
}

function context(log: Logged[], restorers: Map<string, (k: Buffer, v: Buffer | null) => void>): StateStoreContext {
  return {
    applicationId: 'app',
    taskId: { subtopology: 0, partition: 0 },
    defaultKeySerde: undefined,
    defaultValueSerde: undefined,
    changelogTopic: (store) => `app-${store}-changelog`,
    logChange: (_store, key, value) => void log.push({ key, value }),
    registerRestore: (store, fn) => void restorers.set(store, fn),
  };
}

test('key-value store: the changelog carries the serialized key and value; replaying it rebuilds the store', () => {
  const log: Logged[] = [];
  const store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('kv'), S, Serdes.Int32()).build();
  store.init(context(log, new Map()));
  store.put('a', 1);
  store.put('b', 2);
  store.put('a', 3);
  assert.equal(store.delete('b'), 2);
  assert.equal(store.putIfAbsent('a', 9), 3);
  assert.deepEqual(log.map((l) => [l.key.toString(), l.value === null ? null : l.value.readInt32BE(0)]), [
    ['a', 1],
    ['b', 2],
    ['a', 3],
    ['b', null],
  ]);
  const restorers = new Map<string, (k: Buffer, v: Buffer | null) => void>();
  const copy = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('kv'), S, Serdes.Int32()).build();
  copy.init(context([], restorers));
  for (const l of log) restorers.get('kv')?.(l.key, l.value);
  assert.deepEqual(copy.all(), [{ key: 'a', value: 3 }]);
  store.close();
  assert.throws(() => store.get('a'), /not open/);
});

test('window store: Kafka\'s changelog key layout, retention relative to the newest window, restore from the changelog', () => {
  const log: Logged[] = [];
  const store = Stores.windowStoreBuilder(Stores.inMemoryWindowStore('w', 100, 10), S, Serdes.Int32()).build();
  store.init(context(log, new Map()));
  store.put('k', 1, 0);
  store.put('k', 2, 50);
  store.put('j', 3, 50);
  assert.deepEqual(log[0].key, windowStoreKey(Buffer.from('k'), 0));
  assert.deepEqual(log[0].key, Buffer.concat([Buffer.from('k'), Buffer.alloc(8), Buffer.alloc(4)]));
  assert.deepEqual(store.fetchRange('k', 0, 100), [
    { windowStart: 0, value: 1 },
    { windowStart: 50, value: 2 },
  ]);
  store.put('k', 4, 100); // observed time 100: windows starting at or before 0 are past retention
  assert.equal(store.fetch('k', 0), null);
  store.put('k', 5, 0); // too old: ignored, not logged
  assert.equal(store.fetch('k', 0), null);
  assert.equal(log.length, 4);

  const restorers = new Map<string, (k: Buffer, v: Buffer | null) => void>();
  const copy = Stores.windowStoreBuilder(Stores.inMemoryWindowStore('w', 100, 10), S, Serdes.Int32()).build();
  copy.init(context([], restorers));
  for (const l of log) restorers.get('w')?.(l.key, l.value);
  assert.deepEqual(
    copy.all().map((e) => `${e.key.key}@${e.key.window.start}-${e.key.window.end}=${e.value}`),
    ['j@50-60=3', 'k@50-60=2', 'k@100-110=4'],
  );
});
