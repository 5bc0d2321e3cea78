import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Serdes, StreamsBuilder, TopologyTestDriver, type KeyValueStore } from '../../src/index.js';

const S = Serdes.String();
const L = Serdes.Int64();

function wordCount(): StreamsBuilder {
  const b = new StreamsBuilder();
  b.stream('streams-plaintext-input', { keySerde: S, valueSerde: S })
    .flatMapValues((line) => line.toLowerCase().split(/\W+/).filter((w) => w !== ''))
    .groupBy((_k, word) => word, { keySerde: S, valueSerde: S })
    .count({ storeName: 'counts-store' })
    .toStream()
    .to('streams-wordcount-output', { keySerde: S, valueSerde: L });
  return b;
}

test('word count: every update is emitted, through the repartition topic, and the store and changelog agree', () => {
  const driver = new TopologyTestDriver(wordCount().build(), { applicationId: 'wordcount' });
  const input = driver.createInputTopic('streams-plaintext-input', S, S);
  input.pipeValueList(['all streams lead to kafka', 'hello kafka streams', 'join kafka summit']);
  const output = driver.createOutputTopic('streams-wordcount-output', S, L).readKeyValuesToList();
  // Kafka's tutorial, with the record cache off: one update per word occurrence.
  assert.deepEqual(
    output.map((r) => `${r.key}:${r.value}`),
    ['all:1', 'streams:1', 'lead:1', 'to:1', 'kafka:1', 'hello:1', 'kafka:2', 'streams:2', 'join:1', 'kafka:3', 'summit:1'],
  );
  const store = driver.getKeyValueStore<string, number>('counts-store');
  assert.equal(store.get('kafka'), 3);
  assert.equal(store.get('nope'), null);
  assert.deepEqual(store.range('k', 'm').map((e) => `${e.key}=${e.value}`), ['kafka=3', 'lead=1']);
  assert.equal(store.approximateNumEntries(), 8);
  assert.ok(driver.producedTopicNames().includes('wordcount-counts-store-repartition'));
  const changelog = driver.createOutputTopic('wordcount-counts-store-changelog', S, L).readKeyValuesToMap();
  assert.deepEqual(Object.fromEntries(changelog), Object.fromEntries(store.all().map((e) => [e.key, e.value])));
  driver.close();
});

test('reduce and aggregate; null keys and null values are dropped from aggregations and counted', () => {
  const b = new StreamsBuilder();
  const s = b.stream('in', { keySerde: S, valueSerde: Serdes.Int32() });
  s.groupByKey().reduce((a, v) => a + v, { storeName: 'sums', valueSerde: Serdes.Int32() }).toStream().to('sums', { valueSerde: Serdes.Int32() });
  s.groupByKey()
    .aggregate(
      () => ({ n: 0, max: -Infinity }),
      (_k, v, agg) => ({ n: agg.n + 1, max: Math.max(agg.max, v) }),
      { storeName: 'stats', valueSerde: Serdes.JSON<{ n: number; max: number }>() },
    )
    .toStream()
    .to('stats', { valueSerde: Serdes.JSON<{ n: number; max: number }>() });
  const warnings: string[] = [];
  const driver = new TopologyTestDriver(b.build(), { logger: { debug() {}, info() {}, warn: (m) => void warnings.push(m), error() {} } });
  const input = driver.createInputTopic('in', S, Serdes.Int32());
  input.pipeInput('a', 5);
  input.pipeInput('b', 1);
  input.pipeInput('a', 7);
  input.pipeInput(null, 100);
  input.pipeInput('a', null);
  assert.deepEqual(driver.createOutputTopic('sums', S, Serdes.Int32()).readKeyValuesToList(), [
    { key: 'a', value: 5 },
    { key: 'b', value: 1 },
    { key: 'a', value: 12 },
  ]);
  assert.deepEqual(driver.createOutputTopic('stats', S, Serdes.JSON<{ n: number; max: number }>()).readKeyValuesToMap(), new Map([
    ['a', { n: 2, max: 7 }],
    ['b', { n: 1, max: 1 }],
  ]));
  assert.equal(warnings.length, 4, warnings.join('\n'));
  driver.close();
});

test('logging: false keeps the store but writes no changelog', () => {
  const b = new StreamsBuilder();
  b.stream('in', { keySerde: S, valueSerde: S }).groupByKey().count({ storeName: 'quiet', logging: false });
  const driver = new TopologyTestDriver(b.build(), { applicationId: 'app' });
  driver.createInputTopic('in', S, S).pipeInput('k', 'v');
  assert.equal(driver.getKeyValueStore<string, number>('quiet').get('k'), 1);
  assert.deepEqual(driver.producedTopicNames(), []);
  driver.close();
});

test('KTable: latest value per key from a topic, filter turns dropped keys into deletes, mapValues, toStream', () => {
  const b = new StreamsBuilder();
  const table = b.table('users', { keySerde: S, valueSerde: Serdes.Int32() }, { storeName: 'users-store' });
  table.toStream().to('all', { valueSerde: Serdes.Int32() });
  table
    .filter((_k, age) => age >= 18, { storeName: 'adults' })
    .mapValues((age) => `age ${age}`)
    .toStream()
    .to('adults', { valueSerde: S });
  const driver = new TopologyTestDriver(b.build(), { applicationId: 'app' });
  const users = driver.createInputTopic('users', S, Serdes.Int32());
  users.pipeInput('ann', 30);
  users.pipeInput('bob', 12);
  users.pipeInput('ann', 31);
  users.pipeInput('bob', 18);
  users.pipeInput('ann', null);
  users.pipeInput(null, 50);
  assert.deepEqual(driver.createOutputTopic('adults', S, S).readKeyValuesToList(), [
    { key: 'ann', value: 'age 30' },
    { key: 'bob', value: null },
    { key: 'ann', value: 'age 31' },
    { key: 'bob', value: 'age 18' },
    { key: 'ann', value: null },
  ]);
  assert.equal(driver.createOutputTopic('all', S, Serdes.Int32()).getQueueSize(), 5);
  const store = driver.getKeyValueStore<string, number>('users-store');
  assert.equal(store.get('ann'), null);
  assert.equal(store.get('bob'), 18);
  const adults = driver.getKeyValueStore<string, number>('adults');
  assert.deepEqual(adults.all(), [{ key: 'bob', value: 18 }]);
  assert.deepEqual(driver.createOutputTopic('app-users-store-changelog', S, Serdes.Int32()).readKeyValuesToList().at(-1), { key: 'ann', value: null });
  driver.close();
});

test('stores iterate keys in the order of their serialized bytes (as Kafka\'s stores)', () => {
  const b = new StreamsBuilder();
  b.stream('in', { keySerde: Serdes.Int32(), valueSerde: S }).groupByKey().count({ storeName: 'by-int' });
  const driver = new TopologyTestDriver(b.build());
  const input = driver.createInputTopic('in', Serdes.Int32(), S);
  for (const k of [3, -1, 256, 0]) input.pipeInput(k, 'x');
  const store: KeyValueStore<number, number> = driver.getKeyValueStore('by-int');
  // Big-endian two's complement: non-negative numbers first, then negative ones.
  assert.deepEqual(store.all().map((e) => e.key), [0, 3, 256, -1]);
  assert.deepEqual(store.range(1, 300).map((e) => e.key), [3, 256]);
  driver.close();
});
