import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Serdes, StreamsBuilder, StreamsError, TopologyTestDriver, type KStream } from '../../src/index.js';

const S = Serdes.String();
const I = Serdes.Int32();

function run(build: (b: StreamsBuilder) => void, input: Array<[string | null, string | null]>, outputs: string[]): Map<string, Array<{ key: string | null; value: string | null }>> {
  const b = new StreamsBuilder();
  build(b);
  const driver = new TopologyTestDriver(b.build(), { defaultKeySerde: S, defaultValueSerde: S });
  try {
    const inTopic = driver.createInputTopic('in', S, S);
    for (const [k, v] of input) inTopic.pipeInput(k, v);
    return new Map(outputs.map((t) => [t, driver.createOutputTopic(t, S, S).readKeyValuesToList()]));
  } finally {
    driver.close();
  }
}

const kv = (key: string | null, value: string | null) => ({ key, value });

test('filter, filterNot, map, mapValues, selectKey, flatMap, flatMapValues', () => {
  const out = run(
    (b) => {
      const s = b.stream<string, string>('in');
      s.filter((_k, v) => v.startsWith('a')).to('filter');
      s.filterNot((_k, v) => v.startsWith('a')).to('filterNot');
      s.map((k, v) => [v, k] as const).to('map');
      s.mapValues((v, k) => `${k}:${v.toUpperCase()}`).to('mapValues');
      s.selectKey((_k, v) => v.slice(0, 1)).to('selectKey');
      s.flatMap((k, v) => v.split(',').map((x, i) => [`${k}${i}`, x] as const)).to('flatMap');
      s.flatMapValues((v) => v.split(',')).to('flatMapValues');
    },
    [
      ['k1', 'a,b'],
      ['k2', 'c'],
    ],
    ['filter', 'filterNot', 'map', 'mapValues', 'selectKey', 'flatMap', 'flatMapValues'],
  );
  assert.deepEqual(out.get('filter'), [kv('k1', 'a,b')]);
  assert.deepEqual(out.get('filterNot'), [kv('k2', 'c')]);
  assert.deepEqual(out.get('map'), [kv('a,b', 'k1'), kv('c', 'k2')]);
  assert.deepEqual(out.get('mapValues'), [kv('k1', 'k1:A,B'), kv('k2', 'k2:C')]);
  assert.deepEqual(out.get('selectKey'), [kv('a', 'a,b'), kv('c', 'c')]);
  assert.deepEqual(out.get('flatMap'), [kv('k10', 'a'), kv('k11', 'b'), kv('k20', 'c')]);
  assert.deepEqual(out.get('flatMapValues'), [kv('k1', 'a'), kv('k1', 'b'), kv('k2', 'c')]);
});

test('peek and foreach see every record; merge passes both inputs on, children in the order they were added (as Kafka)', () => {
  const peeked: string[] = [];
  const each: string[] = [];
  const out = run(
    (b) => {
      const s = b.stream<string, string>('in').peek((k, v) => peeked.push(`${k}=${v}`));
      s.foreach((k, v) => each.push(`${k}=${v}`));
      const upper = s.mapValues((v) => v.toUpperCase());
      s.merge(upper).to('merged');
    },
    [
      ['a', 'x'],
      ['b', 'y'],
    ],
    ['merged'],
  );
  assert.deepEqual(peeked, ['a=x', 'b=y']);
  assert.deepEqual(each, ['a=x', 'b=y']);
  // s's children are foreach, mapValues, merge: the upper-cased copy reaches merge first.
  assert.deepEqual(out.get('merged'), [kv('a', 'X'), kv('a', 'x'), kv('b', 'Y'), kv('b', 'y')]);
});

test('split: the first matching branch takes a record; names as in Kafka; chains; default branch', () => {
  let branches: Record<string, KStream<string, string>> = {};
  const out = run(
    (b) => {
      branches = b
        .stream<string, string>('in')
        .split({ name: 'route-' })
        .branch((_k, v) => v.startsWith('a'), { name: 'a' })
        .branch((_k, v) => v.length > 3)
        .branch((_k, v) => v === 'bye', { chain: (s) => void s.mapValues((v) => `${v}!`).to('chained') })
        .defaultBranch();
      branches['route-a'].to('a');
      branches['route-2'].to('long');
      branches['route-0'].to('rest');
    },
    [
      ['1', 'apple'],
      ['2', 'banana'],
      ['3', 'bye'],
      ['4', 'kiwi'],
      ['5', 'fig'],
    ],
    ['a', 'long', 'rest', 'chained'],
  );
  assert.deepEqual(Object.keys(branches).sort(), ['route-0', 'route-2', 'route-a']);
  assert.deepEqual(out.get('a'), [kv('1', 'apple')]);
  assert.deepEqual(out.get('long'), [kv('2', 'banana'), kv('4', 'kiwi')]);
  assert.deepEqual(out.get('chained'), [kv('3', 'bye!')]);
  assert.deepEqual(out.get('rest'), [kv('5', 'fig')]);
});

test('split without a default branch drops unmatched records; unnamed branches are numbered from 1', () => {
  let keys: string[] = [];
  const out = run(
    (b) => {
      const r = b.stream<string, string>('in').split().branch((_k, v) => v === 'x').noDefaultBranch();
      keys = Object.keys(r);
      r['1'].to('x');
    },
    [
      ['a', 'x'],
      ['b', 'y'],
    ],
    ['x'],
  );
  assert.deepEqual(keys, ['1']);
  assert.deepEqual(out.get('x'), [kv('a', 'x')]);
});

test('to() with a topic extractor, Produced serdes and a partitioner; repartition() goes through <app>-<name>-repartition', () => {
  const b = new StreamsBuilder();
  const s = b.stream('in', { keySerde: S, valueSerde: S });
  s.to((k) => `out-${String(k)}`);
  s.mapValues((v) => v.length).to('lengths', { valueSerde: I, partitioner: () => 0 });
  s.repartition({ name: 'rekeyed' }).to('after-repartition');
  const driver = new TopologyTestDriver(b.build(), { applicationId: 'app' });
  const input = driver.createInputTopic('in', S, S);
  input.pipeInput('x', 'hello', 1000);
  input.pipeInput('y', 'hi', 2000);
  assert.deepEqual(driver.createOutputTopic('out-x', S, S).readKeyValuesToList(), [kv('x', 'hello')]);
  assert.deepEqual(driver.createOutputTopic('out-y', S, S).readKeyValuesToList(), [kv('y', 'hi')]);
  assert.deepEqual(driver.createOutputTopic('lengths', S, I).readValuesToList(), [5, 2]);
  assert.deepEqual(driver.createOutputTopic('app-rekeyed-repartition', S, S).readKeyValuesToList(), [kv('x', 'hello'), kv('y', 'hi')]);
  const after = driver.createOutputTopic('after-repartition', S, S).readRecordsToList();
  assert.deepEqual(after.map((r) => [r.key, r.value, r.timestamp]), [
    ['x', 'hello', 1000],
    ['y', 'hi', 2000],
  ]);
  driver.close();
});

test('headers and timestamps travel with records; a missing serde is a clear config error', () => {
  const b = new StreamsBuilder();
  // mapValues forgets the value serde (the type may change), so the sink names one.
  b.stream('in', { keySerde: S, valueSerde: S }).mapValues((v) => v + '!').to('out', { valueSerde: S });
  const driver = new TopologyTestDriver(b.build());
  driver.createInputTopic('in', S, S).pipeInput('k', 'v', 42, [{ key: 'trace', value: Buffer.from('t1') }]);
  const [r] = driver.createOutputTopic('out', S, S).readRecordsToList();
  assert.equal(r.timestamp, 42);
  assert.deepEqual(r.headers, [{ key: 'trace', value: Buffer.from('t1') }]);

  const b2 = new StreamsBuilder();
  b2.stream('in').to('out');
  assert.throws(
    () => new TopologyTestDriver(b2.build()),
    (err: unknown) => err instanceof StreamsError && err.code === 'SAMSA_ERR_STREAMS_CONFIG' && /no serde/.test(err.message),
  );
});

test('undeserializable input: logAndFail stops with SAMSA_ERR_STREAMS_SERDE, logAndContinue skips and counts', () => {
  const build = () => {
    const b = new StreamsBuilder();
    b.stream('in', { keySerde: S, valueSerde: Serdes.JSON<{ n: number }>() }).mapValues((v) => String(v.n)).to('out', { valueSerde: S });
    return b.build();
  };
  const failing = new TopologyTestDriver(build());
  const raw = failing.createInputTopic('in', S, Serdes.Bytes());
  assert.throws(() => raw.pipeInput('k', Buffer.from('{broken')), (err: unknown) => err instanceof StreamsError && err.code === 'SAMSA_ERR_STREAMS_SERDE' && /in-0 offset 0/.test(err.message));
  failing.close();

  const warnings: string[] = [];
  const logger = { debug() {}, info() {}, warn: (m: string) => void warnings.push(m), error() {} };
  const skipping = new TopologyTestDriver(build(), { deserializationExceptionHandler: 'logAndContinue', logger });
  const input = skipping.createInputTopic('in', S, Serdes.Bytes());
  input.pipeInput('a', Buffer.from('{"n":1}'));
  input.pipeInput('b', Buffer.from('{broken'));
  input.pipeInput('c', Buffer.from('{"n":3}'));
  assert.deepEqual(skipping.createOutputTopic('out', S, S).readKeyValuesToList(), [kv('a', '1'), kv('c', '3')]);
  assert.equal(skipping.metrics().droppedRecords, 1);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /in-0 offset 1/);
  skipping.close();
});
