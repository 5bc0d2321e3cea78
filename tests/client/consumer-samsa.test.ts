// Our consumer against a Samsa broker process: every delivery mode, commits and resuming
// from them, reset policies, manual assignment with seek/pause/resume, regular-expression
// subscriptions, bounded prefetch, per-partition order under concurrency, AbortSignals,
// handler retries, typed errors, and a broker SIGKILLed and restarted under a group.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Admin, ClientError, KafkaError, type ConsumerMessage } from '@samsa/client';
import { uniqueTopic } from '../support/records.js';
import { capturingLogger, samsaKafka } from '../support/samsa-client-driver.js';
import { startSamsa, type SamsaProcess } from '../support/samsa-process.js';
import { waitFor } from '../support/wait-for.js';
import { produceConsumeScenario, produceValues, uniqueGroup, type ScenarioTarget } from './consumer-scenarios.js';

describe('consumer against a Samsa broker', { timeout: 600_000 }, () => {
  let samsa: SamsaProcess | undefined;
  let admin: Admin | undefined;
  before(async () => {
    samsa = await startSamsa({ settings: { 'group.initial.rebalance.delay.ms': 0 } });
    admin = await Admin.connect(samsa.bootstrap);
  });
  after(async () => {
    admin?.close();
    await samsa?.stop();
  });
  const bootstrap = (): string => {
    if (samsa === undefined) throw new Error('broker did not start');
    return samsa.bootstrap;
  };
  const createTopic = async (name: string, partitions: number): Promise<number> => {
    if (admin === undefined) throw new Error('no admin');
    await admin.createTopics([{ name, numPartitions: partitions }]);
    return partitions;
  };
  const committed = async (groupId: string, topic: string): Promise<Record<number, number>> => {
    if (admin === undefined) throw new Error('no admin');
    const out: Record<number, number> = {};
    for (const o of await admin.fetchOffsets(groupId, [topic])) out[o.partition] = o.offset;
    return out;
  };
  const target: ScenarioTarget = { bootstrap, createTopic, logTail: () => samsa?.logTail() ?? '' };
  const quick = { maxWaitTimeMs: 100, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 500 };

  test('records read back identically through eachMessage, eachBatch and the iterator', { timeout: 60_000 }, (t) => produceConsumeScenario(t, target));

  test('commits: processed offsets committed on stop and resumed from; commitOffsets; latest reset', { timeout: 90_000 }, async (t) => {
    const topic = uniqueTopic('commits');
    await createTopic(topic, 2);
    const groupId = uniqueGroup('commits');
    const kafka = samsaKafka(bootstrap());
    const first = await produceValues(kafka, topic, 'a', 20, 2);
    const read = async (expected: number, opts: { fromBeginning?: boolean; autoCommit?: boolean } = {}): Promise<string[]> => {
      const consumer = kafka.consumer({ groupId, ...quick });
      t.after(() => consumer.disconnect());
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: opts.fromBeginning ?? true });
      const got: string[] = [];
      await consumer.run({ autoCommit: opts.autoCommit ?? true, eachMessage: async ({ message }) => void got.push(String(message.value)) });
      await waitFor(() => got.length >= expected, { timeoutMs: 30_000, message: `${expected} records read` });
      await consumer.disconnect();
      return got;
    };
    assert.deepEqual((await read(20)).sort(), [...first].sort());
    assert.deepEqual(await committed(groupId, topic), { 0: 10, 1: 10 }, 'stop committed every processed offset');
    const second = await produceValues(kafka, topic, 'b', 6, 2);
    assert.deepEqual((await read(6)).sort(), [...second].sort(), 'a new member resumes at the committed offsets');

    // Manual commits only: nothing is committed unless asked.
    const manual = kafka.consumer({ groupId, ...quick });
    t.after(() => manual.disconnect());
    await manual.connect();
    await manual.commitOffsets([{ topic, partition: 0, offset: '3' }]);
    assert.deepEqual(await committed(groupId, topic), { 0: 3, 1: 13 });
    await assert.rejects(manual.commitOffsets([{ topic, partition: 0, offset: -1 }]), (e: unknown) => e instanceof ClientError && e.code === 'SAMSA_ERR_INVALID_CONFIG');
    await manual.disconnect();

    // autoOffsetReset latest (the default): a new group starts at the end.
    const latestGroup = uniqueGroup('latest');
    const latest = kafka.consumer({ groupId: latestGroup, ...quick });
    t.after(() => latest.disconnect());
    await latest.connect();
    await latest.subscribe({ topics: [topic] });
    const got: string[] = [];
    let positioned = false;
    // Auto commit stores the start positions too, so the commit event says when both are known.
    latest.on(latest.events.COMMIT_OFFSETS, (e) => {
      if (e.payload.topics.flatMap((x) => x.partitions).length === 2) positioned = true;
    });
    await latest.run({ autoCommitIntervalMs: 100, eachMessage: async ({ message }) => void got.push(String(message.value)) });
    await waitFor(() => positioned, { timeoutMs: 30_000, message: 'start positions committed' });
    assert.deepEqual(await committed(latestGroup, topic), { 0: 13, 1: 13 }, 'latest = the log end');
    const third = await produceValues(kafka, topic, 'c', 4, 2);
    await waitFor(() => got.length >= 4, { timeoutMs: 30_000, message: 'records produced after the start' });
    assert.deepEqual(got.sort(), [...third].sort());
  });

  test('assign without a group: seek by offset and by timestamp, pause and resume', { timeout: 60_000 }, async (t) => {
    const topic = uniqueTopic('assign');
    await createTopic(topic, 2);
    const kafka = samsaKafka(bootstrap());
    const producer = kafka.producer();
    await producer.connect();
    const base = Date.now() - 100_000;
    await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ value: `p0-${i}`, partition: 0, timestamp: base + i * 1000 })) });
    const consumer = kafka.consumer({ ...quick, autoOffsetReset: 'earliest' });
    t.after(() => Promise.all([consumer.disconnect(), producer.disconnect()]));
    await consumer.connect();
    await consumer.assign([{ topic, partitions: [0, 1] }]);
    consumer.seek({ topic, partition: 0, offset: 5 });
    const got: ConsumerMessage[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void got.push(message) });
    await waitFor(() => got.length >= 5, { timeoutMs: 20_000, message: 'records from offset 5' });
    assert.deepEqual(
      got.map((m) => m.offset),
      [5, 6, 7, 8, 9],
    );
    // By timestamp: the first record at or after base + 7.5 s is offset 8.
    consumer.seek({ topic, partition: 0, timestamp: base + 7_500 });
    await waitFor(() => got.length >= 7, { timeoutMs: 20_000, message: 'records after the timestamp seek' });
    assert.deepEqual(
      got.slice(5).map((m) => m.offset),
      [8, 9],
    );
    // Pause partition 0; records produced to it wait while partition 1 keeps flowing.
    consumer.pause([{ topic, partitions: [0] }]);
    assert.deepEqual(consumer.paused(), [{ topic, partitions: [0] }]);
    await producer.send({ topic, messages: [{ value: 'held', partition: 0 }] });
    await producer.send({ topic, messages: [{ value: 'flows', partition: 1 }] });
    await waitFor(() => got.some((m) => String(m.value) === 'flows'), { timeoutMs: 20_000, message: 'partition 1 delivered while 0 is paused' });
    assert.ok(!got.some((m) => String(m.value) === 'held'), 'nothing from the paused partition');
    consumer.resume([{ topic }]);
    await waitFor(() => got.some((m) => String(m.value) === 'held'), { timeoutMs: 20_000, message: 'the resumed partition delivers' });
    assert.deepEqual(consumer.assignment(), [{ topic, partitions: [0, 1] }]);
    assert.equal(consumer.membership(), null, 'no group');
  });

  test('a regular-expression subscription picks up a topic created later', { timeout: 60_000 }, async (t) => {
    const prefix = uniqueTopic('regex');
    await createTopic(`${prefix}-one`, 1);
    const kafka = samsaKafka(bootstrap());
    const consumer = kafka.consumer({ groupId: uniqueGroup('regex'), ...quick, metadataMaxAgeMs: 500 });
    t.after(() => consumer.disconnect());
    await consumer.connect();
    await consumer.subscribe({ topics: [new RegExp(`^${prefix}-`)], fromBeginning: true });
    const got: string[] = [];
    await consumer.run({ eachMessage: async ({ topic, message }) => void got.push(`${topic}:${String(message.value)}`) });
    assert.deepEqual(consumer.assignment(), [{ topic: `${prefix}-one`, partitions: [0] }]);
    await createTopic(`${prefix}-two`, 2);
    await produceValues(kafka, `${prefix}-two`, 'x', 4, 2);
    await waitFor(() => got.length >= 4, { timeoutMs: 30_000, message: 'records of the new topic' });
    assert.ok(got.every((g) => g.startsWith(`${prefix}-two:`)));
    assert.deepEqual(consumer.assignment(), [
      { topic: `${prefix}-one`, partitions: [0] },
      { topic: `${prefix}-two`, partitions: [0, 1] },
    ]);
  });

  test('backpressure: a partition whose handler is stuck is fetched no further than its bound', { timeout: 90_000 }, async (t) => {
    const topic = uniqueTopic('backpressure');
    await createTopic(topic, 2);
    const kafka = samsaKafka(bootstrap());
    const producer = kafka.producer({ lingerMs: 5 });
    await producer.connect();
    t.after(() => producer.disconnect());
    const chunk = 'x'.repeat(1_000);
    // ~2 MB on partition 0, far more than the bound below.
    for (let i = 0; i < 20; i++) await producer.send({ topic, messages: Array.from({ length: 100 }, (_, j) => ({ value: `${i * 100 + j}:${chunk}`, partition: 0 })) });
    const bound = 64 * 1024;
    const consumer = kafka.consumer({ ...quick, autoOffsetReset: 'earliest', maxBytesPerPartition: bound, maxBufferedBytesPerPartition: bound });
    t.after(() => consumer.disconnect());
    const fetchedBytes = [0, 0];
    consumer.on(consumer.events.FETCH, (e) => {
      for (const p of e.payload.partitions) fetchedBytes[p.partition] += p.bytes;
    });
    await consumer.connect();
    await consumer.assign([{ topic }]);
    let release!: () => void;
    const stuck = new Promise<void>((resolve) => {
      release = resolve;
    });
    const partition1: string[] = [];
    let partition0 = 0;
    await consumer.run({
      partitionsConsumedConcurrently: 2,
      eachMessage: async ({ partition, message }) => {
        if (partition === 1) {
          partition1.push(String(message.value));
          return;
        }
        if (partition0++ === 0) await stuck;
      },
    });
    // Partition 1 flows meanwhile: five rounds, each waiting for its record, so the fetch loop
    // of the shared leader ran at least five more times while partition 0 was stuck.
    for (let i = 0; i < 5; i++) {
      await producer.send({ topic, messages: [{ value: `side-${i}`, partition: 1 }] });
      await waitFor(() => partition1.includes(`side-${i}`), { timeoutMs: 20_000, message: `partition 1 record ${i}` });
    }
    // Bound plus one response's worth (plus one record's size of slack).
    assert.ok(fetchedBytes[0] <= 2 * bound + 2_000, `partition 0 fetched ${fetchedBytes[0]} bytes while stuck (bound ${bound})`);
    release();
    await waitFor(() => partition0 >= 2_000, { timeoutMs: 60_000, message: 'partition 0 drains after the handler is released' });
  });

  test('per-partition order with bounded concurrency', { timeout: 60_000 }, async (t) => {
    const topic = uniqueTopic('concurrency');
    await createTopic(topic, 4);
    const kafka = samsaKafka(bootstrap());
    await produceValues(kafka, topic, 'v', 200, 4);
    const consumer = kafka.consumer({ ...quick, autoOffsetReset: 'earliest' });
    t.after(() => consumer.disconnect());
    await consumer.connect();
    await consumer.assign([{ topic }]);
    const active = new Set<number>();
    let maxActive = 0;
    const offsets: number[][] = [[], [], [], []];
    const violations: string[] = [];
    await consumer.run({
      partitionsConsumedConcurrently: 2,
      eachMessage: async ({ partition, message }) => {
        if (active.has(partition)) violations.push(`partition ${partition} handled twice at once`);
        active.add(partition);
        maxActive = Math.max(maxActive, active.size);
        await new Promise((resolve) => setImmediate(resolve));
        offsets[partition].push(message.offset);
        active.delete(partition);
      },
    });
    await waitFor(() => offsets.every((o) => o.length === 50), { timeoutMs: 30_000, message: 'all 200 records' });
    assert.deepEqual(violations, []);
    assert.ok(maxActive <= 2, `at most 2 partitions at once (saw ${maxActive})`);
    for (const o of offsets) assert.deepEqual(o, [...o].sort((a, b) => a - b), 'offsets in order');
  });

  test('AbortSignal: aborting stops run() (offsets committed) and ends the iterator', { timeout: 60_000 }, async (t) => {
    const topic = uniqueTopic('abort');
    await createTopic(topic, 1);
    const groupId = uniqueGroup('abort');
    const kafka = samsaKafka(bootstrap());
    await produceValues(kafka, topic, 'v', 5, 1);
    const consumer = kafka.consumer({ groupId, ...quick });
    t.after(() => consumer.disconnect());
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const controller = new AbortController();
    let stopped = false;
    consumer.on(consumer.events.STOP, () => {
      stopped = true;
    });
    let n = 0;
    await consumer.run({ signal: controller.signal, eachMessage: async () => void n++ });
    await waitFor(() => n === 5, { timeoutMs: 20_000, message: '5 records' });
    controller.abort();
    await waitFor(() => stopped, { timeoutMs: 20_000, message: 'STOP after abort' });
    assert.deepEqual(await committed(groupId, topic), { 0: 5 });

    const iterating = kafka.consumer({ ...quick, autoOffsetReset: 'earliest' });
    t.after(() => iterating.disconnect());
    await iterating.connect();
    await iterating.assign([{ topic }]);
    const stop = new AbortController();
    const seen: number[] = [];
    for await (const m of iterating.stream({ signal: stop.signal })) {
      seen.push(m.offset);
      if (seen.length === 3) stop.abort();
    }
    assert.deepEqual(seen, [0, 1, 2], 'the loop ends after the abort');
  });

  test('a failing handler is retried on the same message; when retries run out the consumer crashes with its error', { timeout: 60_000 }, async (t) => {
    const topic = uniqueTopic('retries');
    await createTopic(topic, 1);
    const kafka = samsaKafka(bootstrap(), capturingLogger());
    await produceValues(kafka, topic, 'v', 3, 1);
    const flaky = kafka.consumer({ ...quick, autoOffsetReset: 'earliest', retry: { retries: 3, initialRetryTimeMs: 10, maxRetryTimeMs: 20 } });
    t.after(() => flaky.disconnect());
    await flaky.connect();
    await flaky.assign([{ topic }]);
    const attempts = new Map<number, number>();
    const done: number[] = [];
    await flaky.run({
      eachMessage: async ({ message }) => {
        const n = (attempts.get(message.offset) ?? 0) + 1;
        attempts.set(message.offset, n);
        if (message.offset === 1 && n <= 2) throw new Error('transient');
        done.push(message.offset);
      },
    });
    await waitFor(() => done.length === 3, { timeoutMs: 20_000, message: 'all three handled' });
    assert.deepEqual(done, [0, 1, 2]);
    assert.equal(attempts.get(1), 3);
    await flaky.disconnect();

    const broken = kafka.consumer({ ...quick, autoOffsetReset: 'earliest', retry: { retries: 2, initialRetryTimeMs: 10, maxRetryTimeMs: 20 } });
    t.after(() => broken.disconnect());
    await broken.connect();
    await broken.assign([{ topic }]);
    const poison = new Error('poison');
    const crashes: Error[] = [];
    broken.on(broken.events.CRASH, (e) => crashes.push(e.payload.error));
    let calls = 0;
    await broken.run({
      eachMessage: async () => {
        calls++;
        throw poison;
      },
    });
    await waitFor(() => crashes.length === 1, { timeoutMs: 20_000, message: 'CRASH after the retries' });
    assert.equal(crashes[0], poison);
    assert.equal(calls, 3, 'first attempt plus 2 retries');
  });

  test('typed errors for misuse and for broker refusals', { timeout: 60_000 }, async (t) => {
    const kafka = samsaKafka(bootstrap());
    const isConfig = (e: unknown): boolean => e instanceof ClientError && e.code === 'SAMSA_ERR_INVALID_CONFIG';
    const noGroup = kafka.consumer();
    await assert.rejects(noGroup.subscribe({ topics: ['x'] }), (e: unknown) => isConfig(e) && /needs a groupId/.test((e as Error).message));
    await assert.rejects(noGroup.run({ eachMessage: async () => {} }), (e: unknown) => e instanceof ClientError && e.code === 'SAMSA_ERR_NOT_CONNECTED');
    assert.throws(() => kafka.consumer({ partitionAssigners: ['sticky' as 'range'] }), isConfig);
    await noGroup.connect();
    t.after(() => noGroup.disconnect());
    await assert.rejects(noGroup.commitOffsets([{ topic: 'x', partition: 0, offset: 1 }]), isConfig);
    await assert.rejects(noGroup.run({ eachMessage: async () => {} }), (e: unknown) => isConfig(e) && /subscribe\(\{ topics \}\) or assign/.test((e as Error).message));
    assert.throws(() => noGroup.seek({ topic: 'x', partition: -1, offset: 0 }), isConfig);

    // A topic that does not exist, with auto-creation off.
    const missing = uniqueTopic('missing');
    const strict = kafka.consumer({ allowAutoTopicCreation: false });
    t.after(() => strict.disconnect());
    await strict.connect();
    await strict.assign([{ topic: missing }]);
    await assert.rejects(strict.run({ eachMessage: async () => {} }), (e: unknown) => e instanceof KafkaError && e.type === 'UNKNOWN_TOPIC_OR_PARTITION' && e.topic === missing);

    // autoOffsetReset 'none' and no committed offset: the consumer crashes with a typed error.
    const topic = uniqueTopic('reset-none');
    await createTopic(topic, 1);
    const none = kafka.consumer({ groupId: uniqueGroup('none'), autoOffsetReset: 'none', ...quick });
    t.after(() => none.disconnect());
    const crashes: Error[] = [];
    none.on(none.events.CRASH, (e) => crashes.push(e.payload.error));
    await none.connect();
    await none.subscribe({ topics: [topic] });
    await none.run({ eachMessage: async () => {} });
    await waitFor(() => crashes.length > 0, { timeoutMs: 20_000, message: 'CRASH without a start offset' });
    const err = crashes[0];
    assert.ok(err instanceof KafkaError);
    assert.equal(err.type, 'OFFSET_OUT_OF_RANGE');
    assert.equal(err.topic, topic);
    assert.equal(err.partition, 0);
  });

  test('a group consumer keeps going across a broker SIGKILL and restart', { timeout: 120_000 }, async (t) => {
    const s = samsa;
    if (s === undefined) throw new Error('broker did not start');
    const topic = uniqueTopic('broker-restart');
    await createTopic(topic, 2);
    const log = capturingLogger();
    const kafka = samsaKafka(bootstrap(), log);
    const before = await produceValues(kafka, topic, 'before', 10, 2);
    const consumer = kafka.consumer({
      groupId: uniqueGroup('restart'),
      ...quick,
      retry: { retries: 10, initialRetryTimeMs: 100, maxRetryTimeMs: 1_000 },
    });
    const crashes: Error[] = [];
    consumer.on(consumer.events.CRASH, (e) => crashes.push(e.payload.error));
    t.after(() => consumer.disconnect());
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const got = new Set<string>();
    await consumer.run({ autoCommitIntervalMs: 200, eachMessage: async ({ message }) => void got.add(String(message.value)) });
    await waitFor(() => before.every((v) => got.has(v)), { timeoutMs: 20_000, message: 'records before the kill' });
    await s.kill9();
    await s.restart();
    admin?.close();
    // restart() may return before the listener is up again (it matches the first run's log line).
    await waitFor(
      async () => {
        admin = await Admin.connect(s.bootstrap);
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 100, message: 'the restarted broker accepts connections' },
    );
    const after = await produceValues(kafka, topic, 'after', 10, 2);
    await waitFor(() => after.every((v) => got.has(v)), { timeoutMs: 60_000, message: 'records produced after the restart are read' });
    assert.deepEqual(crashes, []);
  });
});
