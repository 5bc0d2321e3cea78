import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Serdes, StreamsBuilder, StreamsError, TopologyTestDriver } from '../../src/index.js';

const S = Serdes.String();

// Kafka's join semantics page (cwiki "Kafka Streams Join Semantics"): one key, records processed
// in timestamp order; the stream is STREAM_1, the table is built from STREAM_2.
const STREAM = new Map<number, string | null>([
  [1, null],
  [3, 'A'],
  [5, 'B'],
  [7, null],
  [9, 'C'],
  [12, null],
  [15, 'D'],
]);
const TABLE = new Map<number, string | null>([
  [2, null],
  [4, 'a'],
  [6, 'b'],
  [8, null],
  [10, 'c'],
  [11, null],
  [13, null],
  [14, 'd'],
]);

function runJoin(left: boolean): Array<[number, string]> {
  const b = new StreamsBuilder();
  const table = b.table('right', { keySerde: S, valueSerde: S });
  const stream = b.stream('left', { keySerde: S, valueSerde: S });
  const joiner = (v: string, t: string | null) => `[${v}, ${t}]`;
  (left ? stream.leftJoin(table, joiner) : stream.join(table, joiner)).to('out', { valueSerde: S });
  const driver = new TopologyTestDriver(b.build(), { logger: { debug() {}, info() {}, warn() {}, error() {} } });
  const l = driver.createInputTopic('left', S, S);
  const r = driver.createInputTopic('right', S, S);
  for (let ts = 1; ts <= 15; ts++) {
    if (STREAM.has(ts)) l.pipeInput('k', STREAM.get(ts) as string | null, ts);
    if (TABLE.has(ts)) r.pipeInput('k', TABLE.get(ts) as string | null, ts);
  }
  const out = driver.createOutputTopic('out', S, S).readRecordsToList().map((rec): [number, string] => [rec.timestamp, rec.value as string]);
  driver.close();
  return out;
}

test('KStream-KTable inner join reproduces the documented result table', () => {
  assert.deepEqual(runJoin(false), [
    [5, '[B, a]'],
    [15, '[D, d]'],
  ]);
});

test('KStream-KTable left join reproduces the documented result table', () => {
  assert.deepEqual(runJoin(true), [
    [3, '[A, null]'],
    [5, '[B, a]'],
    [9, '[C, null]'],
    [15, '[D, d]'],
  ]);
});

test('a join puts both sides in one sub-topology and declares them co-partitioned; a key change repartitions the stream first', () => {
  const b = new StreamsBuilder();
  const users = b.table('users', { keySerde: S, valueSerde: S }, { storeName: 'users' });
  b.stream('clicks', { keySerde: S, valueSerde: S })
    .selectKey((_k, v) => v)
    .join(users, (click, user) => `${user}:${click}`, { keySerde: S })
    .to('enriched', { valueSerde: S });
  const topology = b.build();
  const joinSub = topology.subtopologies().find((s) => s.stores.includes('users'));
  assert.ok(joinSub !== undefined);
  assert.deepEqual([...joinSub.sourceTopics].sort(), ['KSTREAM-KEY-SELECT-0000000003-repartition', 'users']);
  assert.deepEqual(topology.copartitionGroups(), [['KSTREAM-KEY-SELECT-0000000003-repartition', 'users']]);
  const driver = new TopologyTestDriver(topology);
  driver.createInputTopic('users', S, S).pipeInput('u1', 'Ann');
  driver.createInputTopic('clicks', S, S).pipeInput('x', 'u1');
  assert.deepEqual(driver.createOutputTopic('enriched', S, S).readKeyValuesToList(), [{ key: 'u1', value: 'Ann:u1' }]);
  driver.close();
});

test('joining a derived table that has no store is refused with a hint', () => {
  const b = new StreamsBuilder();
  const table = b.table('t', { keySerde: S, valueSerde: S }).mapValues((v) => v.length);
  assert.throws(
    () => b.stream('s', { keySerde: S, valueSerde: S }).join(table, (v, n) => `${v}${n}`),
    (err: unknown) => err instanceof StreamsError && err.code === 'SAMSA_ERR_STREAMS_TOPOLOGY' && /Materialized/.test(err.message),
  );
});

function runTableJoin(kind: 'inner' | 'left' | 'outer'): Array<[number, string | null]> {
  const b = new StreamsBuilder();
  const left = b.table('left', { keySerde: S, valueSerde: S });
  const right = b.table('right', { keySerde: S, valueSerde: S });
  const joiner = (l: string | null, r: string | null) => `${l} - ${r}`;
  const joined = kind === 'inner' ? left.join(right, joiner) : kind === 'left' ? left.leftJoin(right, joiner) : left.outerJoin(right, joiner);
  joined.toStream().to('out', { valueSerde: S });
  const driver = new TopologyTestDriver(b.build());
  const l = driver.createInputTopic('left', S, S);
  const r = driver.createInputTopic('right', S, S);
  const out: Array<[number, string | null]> = [];
  const output = driver.createOutputTopic('out', S, S);
  for (let ts = 1; ts <= 15; ts++) {
    if (STREAM.has(ts)) l.pipeInput('k', STREAM.get(ts) as string | null, ts);
    if (TABLE.has(ts)) r.pipeInput('k', TABLE.get(ts) as string | null, ts);
    for (const rec of output.readRecordsToList()) out.push([ts, rec.value]);
  }
  driver.close();
  return out;
}

// The KTable-KTable table of the same page (both inputs as tables; "null" is a delete of the
// joined key, a blank row no output). Rows 1-10 are the page's table for 0.10.2 and later;
// rows 11-15 follow the same rules (Kafka's KTableKTable*Join processors).
test('KTable-KTable inner join reproduces the documented result table', () => {
  assert.deepEqual(runTableJoin('inner'), [
    [4, 'A - a'],
    [5, 'B - a'],
    [6, 'B - b'],
    [7, null],
    [10, 'C - c'],
    [11, null],
    [15, 'D - d'],
  ]);
});

test('KTable-KTable left join reproduces the documented result table', () => {
  assert.deepEqual(runTableJoin('left'), [
    [3, 'A - null'],
    [4, 'A - a'],
    [5, 'B - a'],
    [6, 'B - b'],
    [7, null],
    [9, 'C - null'],
    [10, 'C - c'],
    [11, 'C - null'],
    [12, null],
    [15, 'D - d'],
  ]);
});

test('KTable-KTable outer join reproduces the documented result table', () => {
  assert.deepEqual(runTableJoin('outer'), [
    [3, 'A - null'],
    [4, 'A - a'],
    [5, 'B - a'],
    [6, 'B - b'],
    [7, 'null - b'],
    [8, null],
    [9, 'C - null'],
    [10, 'C - c'],
    [11, 'C - null'],
    [12, null],
    [14, 'null - d'],
    [15, 'D - d'],
  ]);
});
