import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Serdes,
  StreamRecord,
  Stores,
  Topology,
  TopologyTestDriver,
  lastHeader,
  taskIdString,
  type KeyValueStore,
  type Processor,
  type ProcessorContext,
} from '../../src/index.js';

const S = Serdes.String();
const L = Serdes.Int64();

test('a processor sees record metadata and headers, forwards to named children, and keeps state in a store', () => {
  const seen: string[] = [];
  const topology = new Topology()
    .addSource('src', ['in-a', 'in-b'], { keySerde: S, valueSerde: S })
    .addProcessor(
      'router',
      (): Processor<string, string, string, string> => {
        let ctx: ProcessorContext<string, string>;
        let store: KeyValueStore<string, number>;
        return {
          init(context) {
            ctx = context;
            store = context.getStateStore('seen-per-key');
          },
          process(record) {
            const meta = ctx.recordMetadata();
            seen.push(`${meta?.topic}/${meta?.partition}/${meta?.offset} task ${taskIdString(ctx.taskId)} tenant=${lastHeader(record.headers, 'tenant')?.toString()}`);
            const n = (store.get(record.key) ?? 0) + 1;
            store.put(record.key, n);
            const out = record.withValue(`${record.value}#${n}`).withHeaders([...record.headers, { key: 'hop', value: Buffer.from('router') }]);
            ctx.forward(out, n % 2 === 1 ? 'odd' : 'even');
          },
        };
      },
      'src',
    )
    .addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('seen-per-key'), S, L), 'router')
    .addSink('odd', 'odd-out', { keySerde: S, valueSerde: S }, 'router')
    .addSink('even', 'even-out', { keySerde: S, valueSerde: S }, 'router');
  const driver = new TopologyTestDriver(topology, { applicationId: 'papi' });
  const a = driver.createInputTopic('in-a', S, S);
  const b = driver.createInputTopic('in-b', S, S);
  a.pipeInput('k', 'v1', 10, [{ key: 'tenant', value: Buffer.from('t1') }]);
  b.pipeInput('k', 'v2', 11);
  a.pipeInput('k', 'v3', 12);
  assert.deepEqual(seen, ['in-a/0/0 task 0_0 tenant=t1', 'in-b/0/0 task 0_0 tenant=undefined', 'in-a/0/1 task 0_0 tenant=undefined']);
  const odd = driver.createOutputTopic('odd-out', S, S).readRecordsToList();
  assert.deepEqual(odd.map((r) => r.value), ['v1#1', 'v3#3']);
  assert.equal(lastHeader(odd[0].headers, 'hop')?.toString(), 'router');
  assert.deepEqual(driver.createOutputTopic('even-out', S, S).readValuesToList(), ['v2#2']);
  assert.equal(driver.getKeyValueStore<string, number>('seen-per-key').get('k'), 3);
  assert.deepEqual(driver.createOutputTopic('papi-seen-per-key-changelog', S, L).readValuesToList(), [1, 2, 3]);
  driver.close();
});

test('stream-time punctuation: first with the first record, then at interval multiples, one call per gap', () => {
  const fired: number[] = [];
  const topology = new Topology()
    .addSource('src', 'in', { keySerde: S, valueSerde: S })
    .addProcessor(
      'p',
      (): Processor<string, string> => ({
        init(ctx) {
          ctx.schedule(10, 'STREAM_TIME', (t) => fired.push(t));
        },
        process() {},
      }),
      'src',
    );
  const driver = new TopologyTestDriver(topology);
  const input = driver.createInputTopic('in', S, S);
  for (const ts of [3, 5, 9, 10, 8, 25, 26, 55]) input.pipeInput('k', 'v', ts);
  // 3: first (aligned to 0, next 10); 10: fires (next 20); 8 is out of order, stream time stays 10;
  // 25: fires once (next 30); 55: fires once for the gap (next 60).
  assert.deepEqual(fired, [3, 10, 25, 55]);
  driver.close();
});

test('wall-clock punctuation follows the driver\'s clock and can forward and cancel', () => {
  const topology = new Topology()
    .addSource('src', 'in', { keySerde: S, valueSerde: S })
    .addProcessor(
      'buffer',
      (): Processor<string, string, string, number> => {
        let ctx: ProcessorContext<string, number>;
        let count = 0;
        let ticks = 0;
        return {
          init(context) {
            ctx = context;
            const schedule = context.schedule(1000, 'WALL_CLOCK_TIME', (now) => {
              ctx.forward(new StreamRecord('count', count, now));
              if (++ticks === 3) schedule.cancel();
            });
          },
          process() {
            count++;
          },
        };
      },
      'src',
    )
    .addSink('out', 'counts', { keySerde: S, valueSerde: L }, 'buffer');
  const driver = new TopologyTestDriver(topology, { initialWallClockTimeMs: 5000 });
  const input = driver.createInputTopic('in', S, S);
  const output = driver.createOutputTopic('counts', S, L);
  input.pipeInput('a', 'x');
  driver.advanceWallClockTime(999);
  assert.equal(output.getQueueSize(), 0);
  driver.advanceWallClockTime(1);
  input.pipeInput('b', 'y');
  driver.advanceWallClockTime(2500);
  driver.advanceWallClockTime(1000);
  driver.advanceWallClockTime(5000);
  assert.deepEqual(output.readRecordsToList().map((r) => [r.value, r.timestamp]), [
    [1, 6000],
    [2, 8500],
    [2, 9500],
  ]);
  assert.equal(driver.metrics().punctuations, 3);
  driver.close();
});

test('a store used by a processor not connected to it is refused', () => {
  const topology = new Topology()
    .addSource('src', 'in', { keySerde: S, valueSerde: S })
    .addProcessor('owner', () => ({ process() {} }), 'src')
    .addProcessor(
      'intruder',
      (): Processor<string, string> => ({
        init(ctx) {
          ctx.getStateStore('private');
        },
        process() {},
      }),
      'src',
    )
    .addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('private'), S, S), 'owner');
  assert.throws(() => new TopologyTestDriver(topology), /not connected to store private/);
});
