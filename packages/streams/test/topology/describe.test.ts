import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Serdes, StreamsBuilder, StreamsError, Topology } from '../../src/index.js';

test('the word count of Kafka\'s tutorial describes itself exactly as Kafka Streams prints it', () => {
  const builder = new StreamsBuilder();
  builder
    .stream<string, string>('streams-plaintext-input')
    .flatMapValues((value) => value.toLowerCase().split(/\W+/))
    .groupBy((_key, value) => value)
    .count({ storeName: 'counts-store' })
    .toStream()
    .to('streams-wordcount-output', { keySerde: Serdes.String(), valueSerde: Serdes.Int64() });
  const expected = [
    'Topologies:',
    '   Sub-topology: 0',
    '    Source: KSTREAM-SOURCE-0000000000 (topics: [streams-plaintext-input])',
    '      --> KSTREAM-FLATMAPVALUES-0000000001',
    '    Processor: KSTREAM-FLATMAPVALUES-0000000001 (stores: [])',
    '      --> KSTREAM-KEY-SELECT-0000000002',
    '      <-- KSTREAM-SOURCE-0000000000',
    '    Processor: KSTREAM-KEY-SELECT-0000000002 (stores: [])',
    '      --> KSTREAM-FILTER-0000000005',
    '      <-- KSTREAM-FLATMAPVALUES-0000000001',
    '    Processor: KSTREAM-FILTER-0000000005 (stores: [])',
    '      --> KSTREAM-SINK-0000000004',
    '      <-- KSTREAM-KEY-SELECT-0000000002',
    '    Sink: KSTREAM-SINK-0000000004 (topic: counts-store-repartition)',
    '      <-- KSTREAM-FILTER-0000000005',
    '',
    '  Sub-topology: 1',
    '    Source: KSTREAM-SOURCE-0000000006 (topics: [counts-store-repartition])',
    '      --> KSTREAM-AGGREGATE-0000000003',
    '    Processor: KSTREAM-AGGREGATE-0000000003 (stores: [counts-store])',
    '      --> KTABLE-TOSTREAM-0000000007',
    '      <-- KSTREAM-SOURCE-0000000006',
    '    Processor: KTABLE-TOSTREAM-0000000007 (stores: [])',
    '      --> KSTREAM-SINK-0000000008',
    '      <-- KSTREAM-AGGREGATE-0000000003',
    '    Sink: KSTREAM-SINK-0000000008 (topic: streams-wordcount-output)',
    '      <-- KTABLE-TOSTREAM-0000000007',
    '',
    '',
  ].join('\n');
  const topology = builder.build();
  assert.equal(topology.describe().toString(), expected);
  const subs = topology.describe().subtopologies;
  assert.equal(subs.length, 2);
  assert.deepEqual(subs[1].nodes.map((n) => n.type), ['Source', 'Processor', 'Processor', 'Sink']);
});

test('unnamed aggregations get Kafka\'s generated store and repartition names; Grouped names them', () => {
  const b1 = new StreamsBuilder();
  b1.stream<string, string>('in').selectKey((_k, v) => v).groupByKey().count();
  const t1 = b1.build();
  assert.deepEqual([...t1.internalTopics().keys()], ['KSTREAM-AGGREGATE-STATE-STORE-0000000002-repartition']);
  assert.deepEqual([...t1.storeBuilders().keys()], ['KSTREAM-AGGREGATE-STATE-STORE-0000000002']);
  assert.match(t1.describe().toString(), /Processor: KSTREAM-AGGREGATE-0000000003 \(stores: \[KSTREAM-AGGREGATE-STATE-STORE-0000000002\]\)/);

  const b2 = new StreamsBuilder();
  b2.stream<string, string>('in').groupBy((_k, v) => v, { name: 'by-word' }).count({ storeName: 'counts' });
  const t2 = b2.build();
  assert.deepEqual([...t2.internalTopics().keys()], ['by-word-repartition']);
  const text = t2.describe().toString();
  for (const n of ['by-word-key-select', 'by-word-repartition-filter', 'by-word-repartition-sink', 'by-word-repartition-source']) assert.ok(text.includes(n), `${n} in\n${text}`);

  // groupByKey without a key change needs no repartition: one sub-topology.
  const b3 = new StreamsBuilder();
  b3.stream<string, string>('in').mapValues((v) => v.length).groupByKey().count();
  assert.equal(b3.build().subtopologies().length, 1);
});

test('the Processor API topology: sub-topologies by connectivity and shared stores, numbered by sorted source names', () => {
  const t = new Topology();
  t.addSource('z-source', 'a');
  t.addSource('b-source', 'b');
  t.addProcessor('p1', () => ({ process() {} }), 'z-source');
  t.addProcessor('p2', () => ({ process() {} }), 'b-source');
  t.addSink('out', 'c', {}, 'p1', 'p2');
  t.addSource('lonely', 'd');
  t.addProcessor('p3', () => ({ process() {} }), 'lonely');
  const subs = t.subtopologies();
  assert.equal(subs.length, 2);
  assert.deepEqual(subs[0].sourceTopics.sort(), ['a', 'b']);
  assert.deepEqual(subs[1].sourceTopics, ['d']);
  assert.match(t.describe().toString(), /Sink: out \(topic: c\)\n {6}<-- p1, p2/);
});

test('bad topologies are refused with SAMSA_ERR_STREAMS_TOPOLOGY', () => {
  const isTopologyError = (err: unknown) => err instanceof StreamsError && err.code === 'SAMSA_ERR_STREAMS_TOPOLOGY';
  const t = new Topology();
  t.addSource('s', 'in');
  assert.throws(() => t.addSource('s', 'other'), isTopologyError);
  assert.throws(() => t.addSource('s2', 'in'), isTopologyError);
  assert.throws(() => t.addSource('s3', 'bad topic!'), isTopologyError);
  assert.throws(() => t.addProcessor('p', () => ({ process() {} }), 'missing'), isTopologyError);
  assert.throws(() => t.addProcessor('p', () => ({ process() {} })), isTopologyError);
  t.addSink('k', 'out', {}, 's');
  assert.throws(() => t.addProcessor('after-sink', () => ({ process() {} }), 'k'), isTopologyError);
  assert.throws(() => t.connectProcessorAndStateStores('s', 'x'), isTopologyError);
  assert.throws(() => new Topology().subtopologies(), isTopologyError);
  const b = new StreamsBuilder();
  b.stream('in').to('out');
  b.build();
  assert.throws(() => b.stream('again'), isTopologyError);
});
