import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Serdes, StreamsBuilder, TimeWindows, TopologyTestDriver, WindowedSerdes, type StoreBuilder } from '../../src/index.js';

const S = Serdes.String();
const L = Serdes.Int64();
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

function windowedCount(windows: TimeWindows, timestamps: number[]): { updates: string[]; dropped: number; store: string[] } {
  const b = new StreamsBuilder();
  b.stream('clicks', { keySerde: S, valueSerde: S })
    .groupByKey()
    .windowedBy(windows)
    .count({ storeName: 'clicks-per-window' })
    .toStream()
    .to('counts', { keySerde: WindowedSerdes.timeWindowed(S, windows.sizeMs), valueSerde: L });
  const driver = new TopologyTestDriver(b.build(), { logger: quiet });
  const input = driver.createInputTopic('clicks', S, S);
  for (const ts of timestamps) input.pipeInput('k', 'x', ts);
  const updates = driver
    .createOutputTopic('counts', WindowedSerdes.timeWindowed(S, windows.sizeMs), L)
    .readRecordsToList()
    .map((r) => `[${r.key?.window.start},${r.key?.window.end})=${r.value}@${r.timestamp}`);
  const store = driver.getWindowStore<string, number>('clicks-per-window').all().map((e) => `[${e.key.window.start},${e.key.window.end})=${e.value}`);
  const dropped = driver.metrics().droppedRecords;
  driver.close();
  return { updates, dropped, store };
}

test('tumbling windows with grace: out-of-order records within grace count, later ones are dropped and counted', () => {
  // Size 10, grace 5. Close time = largest timestamp seen - 5; a window [s, e) is open while e > close time.
  const r = windowedCount(TimeWindows.ofSizeAndGrace(10, 5), [1, 12, 8, 16, 3, 21, 14]);
  assert.deepEqual(r.updates, [
    '[0,10)=1@1',
    '[10,20)=1@12',
    '[0,10)=2@8', // out of order, stream time 12, close time 7 < 10: accepted
    '[10,20)=2@16',
    // 3: stream time 16, close time 11 >= 10: [0,10) is closed, the record is late
    '[20,30)=1@21',
    '[10,20)=3@14', // stream time 21, close time 16 < 20: still open
  ]);
  assert.equal(r.dropped, 1);
  // Retention is size + grace = 15 ms behind the newest window start (20): [0,10) is gone from the store.
  assert.deepEqual(r.store, ['[10,20)=3', '[20,30)=1']);
});

test('tumbling windows without grace close when stream time reaches their end', () => {
  const r = windowedCount(TimeWindows.ofSizeWithNoGrace(10), [1, 12, 8, 9, 19, 20, 19]);
  assert.deepEqual(r.updates, ['[0,10)=1@1', '[10,20)=1@12', '[10,20)=2@19', '[20,30)=1@20']);
  assert.equal(r.dropped, 3);
});

test('hopping windows: each record updates every window containing it', () => {
  const r = windowedCount(TimeWindows.ofSizeWithNoGrace(10).advanceBy(5), [7, 12, 3]);
  assert.deepEqual(r.updates, [
    '[0,10)=1@7',
    '[5,15)=1@7',
    '[5,15)=2@12',
    '[10,20)=1@12',
    // 3 belongs to [0,10) only (and [-5,5) does not exist): stream time 12, [0,10) closed at 10 <= 12
  ]);
  assert.equal(r.dropped, 1);
});

test('windowed stores get Kafka\'s changelog configs: compact,delete and retention + 1 day', () => {
  const b = new StreamsBuilder();
  b.stream('in', { keySerde: S, valueSerde: S }).groupByKey().windowedBy(TimeWindows.ofSizeAndGrace(60_000, 10_000)).count({ storeName: 'w' });
  b.stream('in2', { keySerde: S, valueSerde: S }).groupByKey().windowedBy(TimeWindows.ofSizeWithNoGrace(1000)).count({ storeName: 'kept', retentionMs: 3_600_000 });
  const stores = b.build().storeBuilders();
  const w = stores.get('w') as StoreBuilder;
  assert.equal(w.kind, 'window');
  assert.deepEqual(w.changelogDefaults, { 'cleanup.policy': 'compact,delete', 'retention.ms': String(70_000 + 86_400_000), 'message.timestamp.type': 'CreateTime' });
  assert.equal((stores.get('kept') as StoreBuilder).changelogDefaults['retention.ms'], String(3_600_000 + 86_400_000));
  assert.throws(() => new StreamsBuilder().stream('x', { keySerde: S, valueSerde: S }).groupByKey().windowedBy(TimeWindows.ofSizeAndGrace(100, 50)).count({ retentionMs: 120 }), /at least window size \+ grace/);
});

test('windowed keys use Kafka\'s TimeWindowedSerde bytes: inner key then the window start as int64', () => {
  const serde = WindowedSerdes.timeWindowed(S, 1000);
  const bytes = serde.serialize('t', { key: 'ab', window: { start: 5000, end: 6000 } }, []);
  assert.deepEqual(bytes, Buffer.concat([Buffer.from('ab'), Buffer.from('0000000000001388', 'hex')]));
  assert.deepEqual(serde.deserialize('t', bytes, []), { key: 'ab', window: { start: 5000, end: 6000 } });
});
