// Issue 14, Samsa Streams against a real Samsa broker: the word count of Kafka's tutorial, fed by
// confluent-kafka-python (librdkafka), read back by confluent-kafka with read_committed. Checked:
// the exact sequence of counts per word (one update per occurrence, no duplicate, no gap), the
// internal topics' names, partition counts and configs, and state restored from the changelog
// when a new instance takes over (the counts continue instead of starting again).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Kafka, silentLogger } from '@samsa/client';
import { KafkaStreams, Serdes, StreamsBuilder, type ProcessingGuarantee, type Topology } from '@samsa/streams';
import type { PythonConsumeResult } from '../support/clients.js';
import { b64, uniqueTopic, unb64 } from '../support/records.js';
import { runPython } from '../support/run-python.js';
import { startSamsa, type SamsaProcess } from '../support/samsa-process.js';
import { waitFor } from '../support/wait-for.js';

const S = Serdes.String();
const L = Serdes.Int64();

function wordCount(input: string, output: string): Topology {
  const builder = new StreamsBuilder();
  builder
    .stream(input, { keySerde: S, valueSerde: S })
    .flatMapValues((line) => line.toLowerCase().split(/\W+/).filter((w) => w !== ''))
    .groupBy((_key, word) => word, { keySerde: S, valueSerde: S })
    .count({ storeName: 'counts-store' })
    .toStream()
    .to(output, { keySerde: S, valueSerde: L });
  return builder.build();
}

const FIRST_LINES = ['all streams lead to Kafka', 'hello Kafka Streams', 'join Kafka summit', 'streams of streams', 'to be or not to be'];
const SECOND_LINES = ['Kafka again', 'more streams please', 'be kind'];

/** Occurrences of every word in `lines`. */
function counts(lines: string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of lines) for (const w of line.toLowerCase().split(/\W+/).filter((x) => x !== '')) out.set(w, (out.get(w) ?? 0) + 1);
  return out;
}

async function produceLines(bootstrap: string, topic: string, lines: string[], offset: number): Promise<void> {
  const records = lines.map((line, i) => ({ key: b64(`line-${offset + i}`), value: b64(line), headers: [], timestamp: null }));
  const result = await runPython<{ delivered: Array<{ error: string | null }>; undelivered: number }>('confluent_produce', { bootstrap, topic, records }, 60_000);
  assert.deepEqual(result.delivered.map((d) => d.error), lines.map(() => null), 'confluent-kafka delivered every line');
}

/** The output as confluent-kafka (read_committed) sees it: per word, the counts in offset order. */
async function readCounts(bootstrap: string, topic: string): Promise<Map<string, number[]>> {
  const read = await runPython<PythonConsumeResult>('confluent_consume', { bootstrap, topic, timeout_s: 20, config: { 'isolation.level': 'read_committed' } }, 40_000);
  assert.deepEqual(read.errors, []);
  const out = new Map<string, number[]>();
  const ordered = [...read.records].sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  for (const r of ordered) {
    const word = unb64(r.key ?? '').toString();
    const value = Number(unb64(r.value ?? '').readBigInt64BE(0));
    out.set(word, [...(out.get(word) ?? []), value]);
  }
  return out;
}

function expectedSequences(total: Map<string, number>): Map<string, number[]> {
  return new Map([...total].map(([w, n]) => [w, Array.from({ length: n }, (_, i) => i + 1)]));
}

function sortedEntries<V>(m: Map<string, V>): Array<[string, V]> {
  return [...m].sort(([a], [b]) => (a < b ? -1 : 1));
}

async function runApp(bootstrap: string, appId: string, topology: Topology, guarantee: ProcessingGuarantee): Promise<KafkaStreams> {
  const app = new KafkaStreams(topology, {
    applicationId: appId,
    brokers: bootstrap,
    processingGuarantee: guarantee,
    logger: silentLogger,
    consumer: { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, maxWaitTimeMs: 100 },
  });
  await app.start();
  return app;
}

for (const guarantee of ['exactly_once_v2', 'at_least_once'] as const) {
  test(`word count (${guarantee}): exact counts from a confluent-kafka producer, internal topics as Kafka names them, state restored by the next instance`, { timeout: 240_000 }, async (t) => {
    const samsa: SamsaProcess = await startSamsa();
    t.after(() => samsa.stop());
    const kafka = new Kafka({ brokers: samsa.bootstrap, logger: silentLogger });
    const admin = kafka.admin();
    await admin.connect();
    t.after(() => admin.disconnect());
    const input = uniqueTopic('streams-plaintext-input');
    const output = uniqueTopic('streams-wordcount-output');
    const appId = uniqueTopic('wordcount');
    await admin.createTopics([
      { name: input, numPartitions: 3, replicationFactor: 1 },
      { name: output, numPartitions: 2, replicationFactor: 1 },
    ]);
    try {
      await produceLines(samsa.bootstrap, input, FIRST_LINES, 0);
      let app = await runApp(samsa.bootstrap, appId, wordCount(input, output), guarantee);
      const firstTotals = counts(FIRST_LINES);
      const firstExpected = sortedEntries(expectedSequences(firstTotals));
      let seen = new Map<string, number[]>();
      await waitFor(
        async () => {
          seen = await readCounts(samsa.bootstrap, output);
          return [...firstTotals].every(([w, n]) => (seen.get(w) ?? []).at(-1) === n);
        },
        { timeoutMs: 60_000, intervalMs: 500, message: `final counts of the first lines (last read: ${JSON.stringify(sortedEntries(seen))})` },
      );
      assert.deepEqual(sortedEntries(seen), firstExpected, 'one update per occurrence: 1, 2, ... n for each word');
      assert.equal(app.state, 'RUNNING');
      assert.equal(app.keyValueStore<string, number>('counts-store').get('kafka'), 3);

      const repartition = `${appId}-counts-store-repartition`;
      const changelog = `${appId}-counts-store-changelog`;
      const described = new Map((await admin.describeTopics([repartition, changelog])).map((d) => [d.name, d.partitions.length]));
      assert.deepEqual(Object.fromEntries(described), { [repartition]: 3, [changelog]: 3 });
      const config = async (topic: string, name: string) => (await admin.describeTopicConfigs(topic)).find((c) => c.name === name)?.value;
      assert.equal(await config(repartition, 'cleanup.policy'), 'delete');
      assert.equal(await config(repartition, 'retention.ms'), '-1');
      assert.equal(await config(changelog, 'cleanup.policy'), 'compact');

      // A new instance (same application id) takes over: it restores counts-store from the changelog.
      await app.close();
      assert.equal(app.state, 'NOT_RUNNING');
      await produceLines(samsa.bootstrap, input, SECOND_LINES, FIRST_LINES.length);
      app = await runApp(samsa.bootstrap, appId, wordCount(input, output), guarantee);
      t.after(() => app.close());
      assert.ok(app.metrics().restoredRecords >= firstTotals.size, `restored ${app.metrics().restoredRecords} changelog records`);
      const allTotals = counts([...FIRST_LINES, ...SECOND_LINES]);
      await waitFor(
        async () => {
          seen = await readCounts(samsa.bootstrap, output);
          return [...allTotals].every(([w, n]) => (seen.get(w) ?? []).at(-1) === n);
        },
        { timeoutMs: 60_000, intervalMs: 500, message: `final counts after the restart (last read: ${JSON.stringify(sortedEntries(seen))})` },
      );
      assert.deepEqual(sortedEntries(seen), sortedEntries(expectedSequences(allTotals)), 'counts continue from the restored state, exactly once each');
      assert.equal(app.keyValueStore<string, number>('counts-store').get('kafka'), 4);
      await app.close();
    } catch (err) {
      process.stderr.write(`\n--- samsa log tail ---\n${samsa.logTail()}\n`);
      throw err;
    }
  });
}
