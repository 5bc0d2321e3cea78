import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Serdes, StreamsBuilder, StreamsError, Suppressed, TimeWindows, TopologyTestDriver, WindowedSerdes } from '../../src/index.js';

const S = Serdes.String();
const L = Serdes.Int64();
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

test('suppress(untilWindowCloses) emits one final result per window, when stream time passes end + grace', () => {
  const b = new StreamsBuilder();
  b.stream('clicks', { keySerde: S, valueSerde: S })
    .groupByKey()
    .windowedBy(TimeWindows.ofSizeAndGrace(10, 5))
    .count({ storeName: 'counts' })
    .suppress(Suppressed.untilWindowCloses())
    .toStream()
    .to('final', { keySerde: WindowedSerdes.timeWindowed(S, 10), valueSerde: L });
  const topology = b.build();
  assert.match(topology.describe().toString(), /Processor: KTABLE-SUPPRESS-0000000002 \(stores: \[KTABLE-SUPPRESS-STATE-STORE-0000000003\]\)/);
  const driver = new TopologyTestDriver(topology, { applicationId: 'app', logger: quiet });
  const input = driver.createInputTopic('clicks', S, S);
  const output = driver.createOutputTopic('final', WindowedSerdes.timeWindowed(S, 10), L);
  const results = () => output.readRecordsToList().map((r) => `${r.key?.key}[${r.key?.window.start},${r.key?.window.end})=${r.value}@${r.timestamp}`);
  for (const ts of [1, 12, 8]) input.pipeInput('k', 'x', ts);
  assert.deepEqual(results(), [], 'nothing before a window closes');
  input.pipeInput('k', 'x', 16); // stream time 16: [0,10) closed (10 <= 16 - 5)
  assert.deepEqual(results(), ['k[0,10)=2@8']);
  for (const ts of [3, 21, 14]) input.pipeInput('k', 'x', ts); // 3 is late: dropped by the aggregation
  input.pipeInput('other', 'x', 24);
  assert.deepEqual(results(), []);
  input.pipeInput('k', 'x', 30); // stream time 30: [10,20) closed; [20,30) still open until 35
  assert.deepEqual(results(), ['k[10,20)=3@14']);
  input.pipeInput('k', 'x', 40); // stream time 40: [20,30) closed; [30,40) open until 45
  assert.deepEqual(results(), ['k[20,30)=1@21', 'other[20,30)=1@24']);
  // The buffer is changelogged: puts, then a tombstone per emitted window.
  const changelog = driver.createOutputTopic('app-KTABLE-SUPPRESS-STATE-STORE-0000000003-changelog', Serdes.Bytes(), Serdes.Bytes()).readRecordsToList();
  assert.equal(changelog.filter((r) => r.value === null).length, 4);
  assert.equal(changelog.filter((r) => r.value !== null).length, 9);
  driver.close();
});

test('suppress is refused on a table that is not windowed', () => {
  const b = new StreamsBuilder();
  const counts = b.stream('in', { keySerde: S, valueSerde: S }).groupByKey().count();
  assert.throws(() => counts.suppress(Suppressed.untilWindowCloses()), (err: unknown) => err instanceof StreamsError && err.code === 'SAMSA_ERR_STREAMS_TOPOLOGY' && /windowed table/.test(err.message));
});
