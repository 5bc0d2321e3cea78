// Issue 14, Samsa Streams runtime failures against a real Samsa broker: a missing source topic
// and a join of topics that are not co-partitioned stop start() with a clear error; an undeserializable record (written by kafkajs) stops a
// logAndFail application with nothing of its batch committed, and the next instance with
// logAndContinue skips exactly that record and processes the rest.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Kafka as KafkaJs, logLevel } from 'kafkajs';
import { Kafka, silentLogger } from '@samsa/client';
import { KafkaStreams, Serdes, StreamsBuilder, StreamsError, type StreamsState } from '@samsa/streams';
import type { PythonConsumeResult } from '../support/clients.js';
import { uniqueTopic, unb64 } from '../support/records.js';
import { runPython } from '../support/run-python.js';
import { startSamsa } from '../support/samsa-process.js';
import { waitFor } from '../support/wait-for.js';

test('runtime errors: missing source topic, then logAndFail vs logAndContinue on an undeserializable record', { timeout: 180_000 }, async (t) => {
  const samsa = await startSamsa();
  t.after(() => samsa.stop());
  const kafka = new Kafka({ brokers: samsa.bootstrap, logger: silentLogger });
  const admin = kafka.admin();
  await admin.connect();
  t.after(() => admin.disconnect());
  const input = uniqueTopic('json-in');
  const output = uniqueTopic('json-out');
  const appId = uniqueTopic('errors-app');
  const topology = () => {
    const b = new StreamsBuilder();
    b.stream(input, { keySerde: Serdes.String(), valueSerde: Serdes.JSON<{ amount: number }>() })
      .mapValues((v) => String(v.amount * 2))
      .to(output, { valueSerde: Serdes.String() });
    return b.build();
  };
  const config = (handler: 'logAndFail' | 'logAndContinue') => ({
    applicationId: appId,
    brokers: samsa.bootstrap,
    processingGuarantee: 'exactly_once_v2' as const,
    deserializationExceptionHandler: handler,
    logger: silentLogger,
    consumer: { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, maxWaitTimeMs: 100 },
  });

  const early = new KafkaStreams(topology(), config('logAndFail'));
  await assert.rejects(early.start(), (err: unknown) => err instanceof StreamsError && err.code === 'SAMSA_ERR_STREAMS_TOPICS' && err.message.includes(input));
  await waitFor(() => early.state === 'ERROR', { timeoutMs: 10_000, message: 'the instance ends in ERROR' });

  // A join of topics with different partition counts cannot be run by tasks.
  const clicks = uniqueTopic('clicks');
  const users = uniqueTopic('users');
  await admin.createTopics([
    { name: clicks, numPartitions: 2, replicationFactor: 1 },
    { name: users, numPartitions: 3, replicationFactor: 1 },
  ]);
  const joinBuilder = new StreamsBuilder();
  const usersTable = joinBuilder.table(users, { keySerde: Serdes.String(), valueSerde: Serdes.String() });
  joinBuilder.stream(clicks, { keySerde: Serdes.String(), valueSerde: Serdes.String() }).join(usersTable, (c, u) => `${u}:${c}`).to(output, { valueSerde: Serdes.String() });
  const notCopartitioned = new KafkaStreams(joinBuilder.build(), { ...config('logAndFail'), applicationId: `${appId}-join` });
  await assert.rejects(notCopartitioned.start(), (err: unknown) => err instanceof StreamsError && err.code === 'SAMSA_ERR_STREAMS_TOPICS' && /not co-partitioned/.test(err.message));

  await admin.createTopics([
    { name: input, numPartitions: 1, replicationFactor: 1 },
    { name: output, numPartitions: 1, replicationFactor: 1 },
  ]);
  const producer = new KafkaJs({ clientId: 'streams-errors', brokers: [samsa.bootstrap], logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  await producer.send({
    topic: input,
    messages: [
      { key: 'a', value: '{"amount":1}' },
      { key: 'b', value: '{"amount":2}' },
      { key: 'c', value: 'not json' },
      { key: 'd', value: '{"amount":4}' },
    ],
  });
  await producer.disconnect();

  // In one fetched batch with the bad record: nothing of that batch may be committed.
  const failing = new KafkaStreams(topology(), config('logAndFail'));
  const states: StreamsState[] = [];
  failing.onStateChange((next) => states.push(next));
  await failing.start().catch(() => {});
  await waitFor(() => failing.state === 'ERROR', { timeoutMs: 30_000, message: 'logAndFail moves the instance to ERROR' });
  assert.ok(failing.error instanceof StreamsError && failing.error.code === 'SAMSA_ERR_STREAMS_SERDE', String(failing.error));
  assert.match(failing.error.message, new RegExp(`${input}-0 offset 2`));
  assert.deepEqual(states.slice(-2), ['PENDING_ERROR', 'ERROR']);
  const committedAfterFailure = await admin.fetchOffsets(appId, [input]);
  assert.ok(committedAfterFailure.every((o) => o.offset <= 2), `nothing at or after the bad record is committed: ${JSON.stringify(committedAfterFailure)}`);

  const skipping = new KafkaStreams(topology(), config('logAndContinue'));
  await skipping.start();
  t.after(() => skipping.close());
  let values: string[] = [];
  await waitFor(
    async () => {
      const read = await runPython<PythonConsumeResult>('confluent_consume', { bootstrap: samsa.bootstrap, topic: output, timeout_s: 10, config: { 'isolation.level': 'read_committed' } }, 30_000);
      values = read.records.map((r) => `${unb64(r.key ?? '').toString()}=${unb64(r.value ?? '').toString()}`);
      return values.length >= 3;
    },
    { timeoutMs: 60_000, intervalMs: 500, message: `three outputs (have ${JSON.stringify(values)})` },
  );
  assert.deepEqual(values, ['a=2', 'b=4', 'd=8']);
  await waitFor(() => skipping.metrics().droppedRecords === 1, { timeoutMs: 10_000, message: 'the skipped record is counted' });
  await skipping.close();
});
