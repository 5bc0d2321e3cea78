// Issue 14, the Processor API against a real Samsa broker: kafkajs writes events with headers; a
// processor keeps a count in a store, forwards each event (headers kept, one added) to an echo
// topic and, from a wall-clock punctuation, the running total to a ticks topic. confluent-kafka
// reads both back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Kafka as KafkaJs, logLevel } from 'kafkajs';
import { Kafka, silentLogger } from '@samsa/client';
import { KafkaStreams, Serdes, StreamRecord, Stores, Topology, type KeyValueStore, type Processor, type ProcessorContext } from '@samsa/streams';
import type { PythonConsumeResult } from '../support/clients.js';
import { uniqueTopic, unb64 } from '../support/records.js';
import { runPython } from '../support/run-python.js';
import { startSamsa } from '../support/samsa-process.js';
import { waitFor } from '../support/wait-for.js';

const S = Serdes.String();

test('Processor API on a broker: store, forwarded headers, wall-clock punctuation output', { timeout: 120_000 }, async (t) => {
  const samsa = await startSamsa();
  t.after(() => samsa.stop());
  const admin = new Kafka({ brokers: samsa.bootstrap, logger: silentLogger }).admin();
  await admin.connect();
  t.after(() => admin.disconnect());
  const events = uniqueTopic('events');
  const echo = uniqueTopic('echo');
  const ticks = uniqueTopic('ticks');
  await admin.createTopics([events, echo, ticks].map((name) => ({ name, numPartitions: 1, replicationFactor: 1 })));

  const topology = new Topology()
    .addSource('events', events, { keySerde: S, valueSerde: S })
    .addProcessor(
      'counter',
      (): Processor<string, string, string, string> => {
        let ctx: ProcessorContext<string, string>;
        let store: KeyValueStore<string, number>;
        let lastTicked = -1;
        return {
          init(context) {
            ctx = context;
            store = context.getStateStore('total');
            context.schedule(100, 'WALL_CLOCK_TIME', (now) => {
              const total = store.get('all') ?? 0;
              if (total !== lastTicked) ctx.forward(new StreamRecord('total', String(total), now), 'ticks');
              lastTicked = total;
            });
          },
          process(record) {
            store.put('all', (store.get('all') ?? 0) + 1);
            const meta = ctx.recordMetadata();
            ctx.forward(record.withValue(`${record.value}@${meta?.offset}`).withHeaders([...record.headers, { key: 'seen-by', value: Buffer.from('counter') }]), 'echo');
          },
        };
      },
      'events',
    )
    .addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore('total'), S, Serdes.Int32()), 'counter')
    .addSink('echo', echo, { keySerde: S, valueSerde: S }, 'counter')
    .addSink('ticks', ticks, { keySerde: S, valueSerde: S }, 'counter');
  const app = new KafkaStreams(topology, {
    applicationId: uniqueTopic('papi'),
    brokers: samsa.bootstrap,
    logger: silentLogger,
    wallClockTickMs: 50,
    consumer: { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, maxWaitTimeMs: 100 },
  });
  await app.start();
  t.after(() => app.close());

  const producer = new KafkaJs({ clientId: 'papi-events', brokers: [samsa.bootstrap], logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  await producer.send({ topic: events, messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i % 3}`, value: `e${i}`, headers: { trace: `t${i}` } })) });
  await producer.disconnect();

  const read = (topic: string) => runPython<PythonConsumeResult>('confluent_consume', { bootstrap: samsa.bootstrap, topic, timeout_s: 10 }, 30_000);
  let tickValues: string[] = [];
  await waitFor(
    async () => {
      tickValues = (await read(ticks)).records.map((r) => unb64(r.value ?? '').toString());
      return tickValues.includes('10');
    },
    { timeoutMs: 30_000, intervalMs: 300, message: `a tick with the total 10 (ticks so far ${JSON.stringify(tickValues)})` },
  );
  assert.deepEqual([...tickValues].sort((a, b) => Number(a) - Number(b)), [...new Set(tickValues)].sort((a, b) => Number(a) - Number(b)), 'a tick only when the total changed');
  assert.ok(tickValues.every((v, i) => i === 0 || Number(v) > Number(tickValues[i - 1])), `ticks increase: ${JSON.stringify(tickValues)}`);

  const echoed = (await read(echo)).records;
  assert.deepEqual(
    echoed.map((r) => unb64(r.value ?? '').toString()),
    Array.from({ length: 10 }, (_, i) => `e${i}@${i}`),
  );
  assert.deepEqual(
    echoed[4].headers.map(([k, v]) => [k, v === null ? null : unb64(v).toString()]),
    [
      ['trace', 't4'],
      ['seen-by', 'counter'],
    ],
  );
  assert.equal(app.keyValueStore<string, number>('total').get('all'), 10);
  assert.ok(app.metrics().punctuations > 0);
  await app.close();
});
