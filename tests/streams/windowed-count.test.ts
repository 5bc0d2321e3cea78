// Issue 14, a windowed count against a real Samsa broker: confluent-kafka-python writes clicks
// with explicit event times, out of order, some late; Samsa Streams (exactly_once_v2) counts them
// per user in tumbling 10 s windows with 5 s grace. The read_committed output is exactly the
// expected sequence of window updates, the window store's changelog is created compact,delete
// with retention + 1 day, and a second instance restores the open windows from it. The same
// counts through suppress(untilWindowCloses) give one final result per window, the buffer
// surviving the restart through its changelog.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Kafka, silentLogger } from '@samsa/client';
import { KafkaStreams, Serdes, StreamsBuilder, Suppressed, TimeWindows, WindowedSerdes } from '@samsa/streams';
import type { PythonConsumeResult } from '../support/clients.js';
import { b64, uniqueTopic, unb64 } from '../support/records.js';
import { runPython } from '../support/run-python.js';
import { startSamsa } from '../support/samsa-process.js';
import { waitFor } from '../support/wait-for.js';

const S = Serdes.String();
const L = Serdes.Int64();
const WINDOW = TimeWindows.ofSizeAndGrace(10_000, 5_000);
const BASE = 1_700_000_000_000; // a multiple of 10 s

test('windowed count (exactly_once_v2): exact window updates with out-of-order and late clicks, restored by the next instance', { timeout: 180_000 }, async (t) => {
  const samsa = await startSamsa();
  t.after(() => samsa.stop());
  const kafka = new Kafka({ brokers: samsa.bootstrap, logger: silentLogger });
  const admin = kafka.admin();
  await admin.connect();
  t.after(() => admin.disconnect());
  const input = uniqueTopic('clicks');
  const output = uniqueTopic('clicks-per-window');
  const finals = uniqueTopic('clicks-final');
  const appId = uniqueTopic('windowed');
  // One partition keeps the event order the test describes (stream time is per task).
  await admin.createTopics([
    { name: input, numPartitions: 1, replicationFactor: 1 },
    { name: output, numPartitions: 1, replicationFactor: 1 },
    { name: finals, numPartitions: 1, replicationFactor: 1 },
  ]);
  const produce = async (clicks: Array<[string, number]>) => {
    const records = clicks.map(([user, offsetMs]) => ({ key: b64(user), value: b64('click'), headers: [], timestamp: BASE + offsetMs }));
    const r = await runPython<{ delivered: Array<{ error: string | null }> }>('confluent_produce', { bootstrap: samsa.bootstrap, topic: input, records }, 60_000);
    assert.ok(r.delivered.every((d) => d.error === null), JSON.stringify(r.delivered));
  };
  const start = async () => {
    const b = new StreamsBuilder();
    const counts = b.stream(input, { keySerde: S, valueSerde: S }).groupByKey().windowedBy(WINDOW).count({ storeName: 'clicks-store' });
    counts.toStream().to(output, { keySerde: WindowedSerdes.timeWindowed(S, 10_000), valueSerde: L });
    counts.suppress(Suppressed.untilWindowCloses('final-clicks')).toStream().to(finals, { keySerde: WindowedSerdes.timeWindowed(S, 10_000), valueSerde: L });
    const app = new KafkaStreams(b.build(), {
      applicationId: appId,
      brokers: samsa.bootstrap,
      processingGuarantee: 'exactly_once_v2',
      logger: silentLogger,
      consumer: { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, maxWaitTimeMs: 100 },
    });
    await app.start();
    return app;
  };
  const windowed = WindowedSerdes.timeWindowed(S, 10_000);
  let updates: string[] = [];
  const readUpdates = async (topic = output) => {
    const read = await runPython<PythonConsumeResult>('confluent_consume', { bootstrap: samsa.bootstrap, topic, timeout_s: 10, config: { 'isolation.level': 'read_committed' } }, 30_000);
    updates = read.records.map((r) => {
      const key = windowed.deserialize(output, unb64(r.key ?? ''), []);
      return `${key.key}[${(key.window.start - BASE) / 1000}s]=${Number(unb64(r.value ?? '').readBigInt64BE(0))}`;
    });
    return updates;
  };

  // ann: 1 s, 12 s, 8 s (late but within grace), 16 s; bob: 17 s; ann: 3 s is late (stream time 17, [0,10) closed at 15).
  await produce([
    ['ann', 1_000],
    ['ann', 12_000],
    ['ann', 8_000],
    ['ann', 16_000],
    ['bob', 17_000],
    ['ann', 3_000],
  ]);
  let app = await start();
  const first = ['ann[0s]=1', 'ann[10s]=1', 'ann[0s]=2', 'ann[10s]=2', 'bob[10s]=1'];
  await waitFor(async () => (await readUpdates()).length >= first.length && app.metrics().droppedRecords === 1, {
    timeoutMs: 60_000,
    intervalMs: 500,
    message: `first window updates (have ${JSON.stringify(updates)}, dropped ${app.metrics().droppedRecords})`,
  });
  assert.deepEqual(updates, first);
  // Stream time 17 s: only [0 s, 10 s) has closed (10 + 5 <= 17).
  assert.deepEqual(await readUpdates(finals), ['ann[0s]=2']);
  const changelog = `${appId}-clicks-store-changelog`;
  const configs = new Map((await admin.describeTopicConfigs(changelog)).map((c) => [c.name, c.value]));
  assert.equal(configs.get('cleanup.policy'), 'compact,delete');
  assert.equal(configs.get('retention.ms'), String(15_000 + 86_400_000));
  await app.close();

  // The next instance restores [10s,20s) for ann and bob from the changelog and keeps counting.
  await produce([
    ['ann', 19_000],
    ['bob', 25_000],
  ]);
  app = await start();
  t.after(() => app.close());
  const all = [...first, 'ann[10s]=3', 'bob[20s]=1'];
  await waitFor(async () => (await readUpdates()).length >= all.length, { timeoutMs: 60_000, intervalMs: 500, message: `window updates after the restart (have ${JSON.stringify(updates)})` });
  assert.deepEqual(updates, all);
  // Stream time 25 s closes [10 s, 20 s): its final counts come from the restored buffer and state.
  await waitFor(async () => (await readUpdates(finals)).length >= 3, { timeoutMs: 30_000, intervalMs: 500, message: `final results after the restart (have ${JSON.stringify(updates)})` });
  assert.deepEqual(updates[0], 'ann[0s]=2');
  assert.deepEqual(updates.slice(1).sort(), ['ann[10s]=3', 'bob[10s]=1']);
  assert.equal(updates.length, 3);
  assert.ok(app.metrics().restoredRecords >= 3, `restored ${app.metrics().restoredRecords}`);
  await app.close();
});
