// The producer against the scriptable fake cluster (test-support/fake-cluster.ts):
// results, batching and linger, retries and their ordering with and without
// idempotence, leader moves, failures and their error types. Every wait is
// bounded; no assertion depends on timing.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ErrorCode, RecordBatchHeader } from '@samsa/protocol';
import { ClientError, Kafka, KafkaError, type Logger, type Producer, type ProducerOptions } from '../../src/index.js';
import { incrementSequence } from '../../src/producer/sender.js';
import { startFakeCluster, type FakeCluster, type FakeClusterOptions } from '../../test-support/fake-cluster.js';

/** A logger that keeps warnings for assertions. */
function capture(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug: () => {}, info: () => {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
}

async function setup(
  t: TestContext,
  cluster: FakeClusterOptions,
  options: ProducerOptions = {},
): Promise<{ fake: FakeCluster; producer: Producer; log: ReturnType<typeof capture> }> {
  const fake = await startFakeCluster({ topics: { t: 1 }, ...cluster });
  t.after(() => fake.stop());
  const log = capture();
  const kafka = new Kafka({ brokers: [fake.bootstrap], clientId: 'unit', logger: log, requestTimeoutMs: 10_000 });
  const producer = kafka.producer({ retry: { initialRetryTimeMs: 5, maxRetryTimeMs: 20 }, ...options });
  await producer.connect();
  t.after(() => producer.disconnect());
  return { fake, producer, log };
}

/** Polls `cond` every event-loop turn (and every 5 ms), failing with `message` after `timeoutMs`. */
async function waitFor(cond: () => boolean, message: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${message}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const values = (records: Array<{ value: Buffer | null }>): string[] => records.map((r) => r.value?.toString() ?? '<null>');

test('send resolves with the offset of its own first record per partition', async (t) => {
  const { fake, producer } = await setup(t, { topics: { t: 3 } }, { lingerMs: 60_000 });
  // Two sends into the same open batches (long linger), then a flush sends them together.
  const a = producer.send({ topic: 't', messages: [{ value: 'a0', partition: 0 }, { value: 'a1', partition: 0 }, { value: 'a2', partition: 2 }] });
  const b = producer.send({ topic: 't', messages: [{ value: 'b0', partition: 0 }, { value: 'b1', partition: 1 }] });
  for (let i = 0; i < 5; i++) await nextTurn();
  assert.equal(fake.produceRequests(), 0, 'nothing sent while lingering');
  await producer.flush();
  assert.deepEqual(
    (await a).map((m) => [m.topicName, m.partition, m.baseOffset, m.errorCode]),
    [
      ['t', 0, 0, 0],
      ['t', 2, 0, 0],
    ],
  );
  assert.deepEqual((await b).map((m) => [m.partition, m.baseOffset]), [
    [0, 2],
    [1, 0],
  ]);
  assert.equal(fake.produceRequests(), 1, 'one request for all three partitions');
  assert.equal(fake.batches('t', 0).length, 1, 'both sends share one batch');
  assert.deepEqual(values(await fake.records('t', 0)), ['a0', 'a1', 'b0']);
});

test('batchSize splits a large send into ordered batches; headers, keys and timestamps arrive intact', async (t) => {
  const { fake, producer } = await setup(t, {}, { batchSize: 2_000 });
  const messages = Array.from({ length: 200 }, (_, i) => ({
    key: i % 3 === 0 ? null : `k${i}`,
    value: `value-${i}-${'x'.repeat(40)}`,
    headers: i % 2 === 0 ? { h: `v${i}`, many: ['1', '2'] } : [{ key: 'z', value: null }, { key: 'a', value: Buffer.from([0, 1]) }],
    timestamp: 1_700_000_000_000 + i,
    partition: 0,
  }));
  const [md] = await producer.send({ topic: 't', messages });
  assert.equal(md.baseOffset, 0);
  const batches = fake.batches('t', 0);
  assert.ok(batches.length >= 5, `split into ${batches.length} batches`);
  for (const b of batches) assert.ok(b.length <= 2_000, `batch of ${b.length} bytes`);
  const got = await fake.records('t', 0);
  assert.equal(got.length, 200);
  got.forEach((r, i) => {
    assert.equal(r.offset, i);
    assert.equal(r.value?.toString(), messages[i].value);
    assert.equal(r.key?.toString() ?? null, messages[i].key);
    assert.equal(r.timestamp, messages[i].timestamp);
    if (i % 2 === 0) {
      assert.deepEqual(r.headers.map((h) => [h.key, h.value?.toString()]), [
        ['h', `v${i}`],
        ['many', '1'],
        ['many', '2'],
      ]);
    } else {
      assert.deepEqual(r.headers.map((h) => [h.key, h.value]), [
        ['z', null],
        ['a', Buffer.from([0, 1])],
      ]);
    }
  });
});

test('every codec is written so it decodes back to the same records', async (t) => {
  const { fake, producer } = await setup(t, {});
  const codecs = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
  for (const compression of codecs) {
    await producer.send({ topic: 't', compression, messages: [{ key: compression, value: `${compression} `.repeat(500), headers: { c: compression } }] });
  }
  const batches = fake.batches('t', 0).map((b) => new RecordBatchHeader(b, 0).compression);
  assert.deepEqual(batches, [0, 1, 2, 3, 4]);
  const got = await fake.records('t', 0);
  assert.deepEqual(got.map((r) => r.key?.toString()), [...codecs]);
  got.forEach((r, i) => assert.equal(r.value?.toString(), `${codecs[i]} `.repeat(500)));
});

test('idempotent: batches carry the producer id and consecutive sequences', async (t) => {
  const { fake, producer } = await setup(t, { topics: { t: 2 } }, { batchSize: 200 });
  assert.equal(producer.idempotent, true);
  await producer.send({ topic: 't', messages: Array.from({ length: 30 }, (_, i) => ({ value: `v${i}`, partition: i % 2 })) });
  for (const p of [0, 1]) {
    const headers = fake.batches('t', p).map((b) => new RecordBatchHeader(b, 0));
    assert.ok(headers.length > 1);
    let next = 0;
    for (const h of headers) {
      assert.ok(h.producerId >= 1000, 'producer id from InitProducerId');
      assert.equal(h.producerEpoch, 0);
      assert.equal(h.baseSequence, next, `partition ${p} sequence`);
      next += h.recordCount;
    }
  }
});

test('idempotent retry keeps order: a failed first batch and the four behind it are resent in order, once', async (t) => {
  let failed = false;
  const { fake, producer } = await setup(
    t,
    {
      onProduce: (call) => {
        // The first batch (sequence 0) is refused once; the broker then refuses
        // sequences 1-4 as out of order because 0 is missing.
        if (!failed && call.baseSequence === 0) {
          failed = true;
          return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
        }
        return undefined;
      },
    },
    { batchSize: 1 },
  );
  fake.holdProduceResponses(true);
  // batchSize 1: every record is a batch of its own; five go out back to back.
  const sends = Array.from({ length: 5 }, (_, i) => producer.send({ topic: 't', messages: [{ value: `m${i}` }] }));
  await waitFor(() => fake.produceRequests() >= 5, 'five Produce requests in flight');
  fake.holdProduceResponses(false);
  const results = await Promise.all(sends);
  assert.deepEqual(values(await fake.records('t', 0)), ['m0', 'm1', 'm2', 'm3', 'm4'], 'each once, in send order');
  assert.deepEqual(results.map((r) => r[0].baseOffset), [0, 1, 2, 3, 4]);
  assert.ok(fake.produceRequests() >= 10, 'the five were sent again');
});

test('idempotent retry after a lost answer: the broker recognises the duplicate', async (t) => {
  let dropped = false;
  const { fake, producer } = await setup(t, {
    onProduce: (call) => {
      if (!dropped && call.baseSequence === 2) {
        dropped = true;
        return { closeConnection: 'after-append' };
      }
      return undefined;
    },
  });
  for (let i = 0; i < 5; i++) await producer.send({ topic: 't', messages: [{ value: `m${i}` }] });
  assert.equal(dropped, true);
  assert.deepEqual(values(await fake.records('t', 0)), ['m0', 'm1', 'm2', 'm3', 'm4'], 'written once although sent twice');
});

test('without idempotence a lost answer means a duplicate (at least once), in order with one request in flight', async (t) => {
  let dropped = false;
  const { fake, producer } = await setup(
    t,
    {
      onProduce: (call) => {
        if (!dropped && call.requestNumber === 3) {
          dropped = true;
          return { closeConnection: 'after-append' };
        }
        return undefined;
      },
    },
    { idempotent: false, maxInFlightRequests: 1 },
  );
  assert.equal(producer.idempotent, false);
  for (let i = 0; i < 5; i++) await producer.send({ topic: 't', messages: [{ value: `m${i}` }] });
  assert.deepEqual(values(await fake.records('t', 0)), ['m0', 'm1', 'm2', 'm2', 'm3', 'm4']);
  for (const b of fake.batches('t', 0)) assert.equal(new RecordBatchHeader(b, 0).producerId, -1);
});

test('the broker forgets the producer (UNKNOWN_PRODUCER_ID): new producer id, sequences from 0, order kept', async (t) => {
  let forgot = false;
  const { fake, producer, log } = await setup(t, {
    onProduce: (call) => {
      if (!forgot && call.baseSequence === 3) {
        forgot = true;
        return { errorCode: ErrorCode.UNKNOWN_PRODUCER_ID };
      }
      return undefined;
    },
  });
  for (let i = 0; i < 6; i++) await producer.send({ topic: 't', messages: [{ value: `m${i}` }] });
  assert.deepEqual(values(await fake.records('t', 0)), ['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
  const headers = fake.batches('t', 0).map((b) => new RecordBatchHeader(b, 0));
  assert.deepEqual(
    headers.map((h) => [h.producerId - headers[0].producerId, h.baseSequence]),
    [
      [0, 0],
      [0, 1],
      [0, 2],
      [1, 0],
      [1, 1],
      [1, 2],
    ],
    'm3 and later under the next producer id, from sequence 0',
  );
  assert.ok(log.warnings.some((w) => /resetting the idempotent producer id/.test(w)));
});

test('request timeout: the connection is replaced and the retry is recognised as a duplicate', async (t) => {
  const fake = await startFakeCluster({ topics: { t: 1 } });
  t.after(() => fake.stop());
  const log = capture();
  // 200 ms plus the client's 1 s grace for Produce answers.
  const producer = new Kafka({ brokers: fake.bootstrap, logger: log, requestTimeoutMs: 200 }).producer({ retry: { initialRetryTimeMs: 5, maxRetryTimeMs: 20 } });
  await producer.connect();
  t.after(() => producer.disconnect());
  fake.holdProduceResponses(true);
  const sent = producer.send({ topic: 't', messages: [{ value: 'slow' }] });
  await waitFor(() => fake.produceRequests() >= 2, 'the request to time out and be sent again');
  fake.holdProduceResponses(false);
  const [md] = await sent;
  assert.equal(md.baseOffset, 0);
  assert.ok(fake.acceptedConnections() >= 2, 'a new connection after the timeout');
  assert.deepEqual(values(await fake.records('t', 0)), ['slow'], 'written once');
});

test('a broker without InitProducerId: warning through the logger, then a non-idempotent producer', async (t) => {
  const { fake, producer, log } = await setup(t, { initProducerId: false });
  assert.equal(producer.idempotent, false);
  assert.equal(log.warnings.length, 1);
  assert.match(log.warnings[0], /does not support InitProducerId.*without idempotence/);
  await producer.send({ topic: 't', messages: [{ value: 'x' }] });
  const h = new RecordBatchHeader(fake.batches('t', 0)[0], 0);
  assert.deepEqual([h.producerId, h.producerEpoch, h.baseSequence], [-1, -1, -1]);
});

test('leader moves: NOT_LEADER_OR_FOLLOWER refreshes metadata and the batch goes to the new leader', async (t) => {
  const { fake, producer } = await setup(t, { nodes: 2, topics: { t: 2 } });
  await producer.send({ topic: 't', messages: [{ value: 'before', partition: 0 }] });
  const metadataBefore = fake.metadataRequests();
  fake.setLeader('t', 0, 1);
  const [md] = await producer.send({ topic: 't', messages: [{ value: 'after', partition: 0 }] });
  assert.equal(md.baseOffset, 1);
  assert.ok(fake.metadataRequests() > metadataBefore, 'metadata was refreshed');
  assert.deepEqual(values(await fake.records('t', 0)), ['before', 'after']);
});

test('retries run out: the send rejects with a typed, retriable KafkaError naming topic and partition', async (t) => {
  const { fake, producer } = await setup(
    t,
    { onProduce: () => ({ errorCode: ErrorCode.NOT_ENOUGH_REPLICAS }) },
    { retry: { retries: 2, initialRetryTimeMs: 1, maxRetryTimeMs: 2 } },
  );
  const err = await producer.send({ topic: 't', messages: [{ value: 'x' }] }).then(
    () => assert.fail('send should fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof KafkaError, String(err));
  assert.equal(err.code, ErrorCode.NOT_ENOUGH_REPLICAS);
  assert.equal(err.type, 'NOT_ENOUGH_REPLICAS');
  assert.equal(err.retriable, true);
  assert.equal(err.apiName, 'Produce');
  assert.equal(err.apiKey, 0);
  assert.equal(err.topic, 't');
  assert.equal(err.partition, 0);
  assert.equal(fake.produceRequests(), 3, 'one attempt and two retries');
});

test('a non-retriable error fails at once; the next send works under a new producer id', async (t) => {
  let refuse = true;
  const { fake, producer, log } = await setup(t, {
    onProduce: () => (refuse ? { errorCode: ErrorCode.INVALID_RECORD } : undefined),
  });
  await producer.send({ topic: 't', messages: [{ value: 'ok?' }] }).then(
    () => assert.fail('send should fail'),
    (e: unknown) => {
      assert.ok(e instanceof KafkaError);
      assert.equal(e.code, ErrorCode.INVALID_RECORD);
      assert.equal(e.retriable, false);
    },
  );
  assert.equal(fake.produceRequests(), 1);
  refuse = false;
  await producer.send({ topic: 't', messages: [{ value: 'next' }] });
  const h = new RecordBatchHeader(fake.batches('t', 0)[0], 0);
  assert.ok(h.producerId > 1000, 'a second producer id');
  assert.equal(h.baseSequence, 0);
  assert.ok(log.warnings.some((w) => /resetting the idempotent producer id/.test(w)));
});

test('a partition without a leader: the delivery timeout bounds the wait', async (t) => {
  const { fake, producer } = await setup(t, {}, { deliveryTimeoutMs: 300 });
  fake.setLeader('t', 0, 99); // not a broker: the client sees no leader
  const err = await producer.send({ topic: 't', messages: [{ value: 'x' }] }).then(
    () => assert.fail('send should fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof KafkaError, String(err));
  assert.equal(err.code, ErrorCode.REQUEST_TIMED_OUT);
  assert.match(err.message, /delivery timeout/);
});

test('acks=0 resolves without offsets and the records arrive', async (t) => {
  const { fake, producer } = await setup(t, {}, { idempotent: false });
  const [md] = await producer.send({ topic: 't', acks: 0, messages: [{ value: 'fire' }, { value: 'forget' }] });
  assert.equal(md.baseOffset, -1);
  await waitFor(() => fake.batches('t', 0).length === 1, 'the batch to arrive');
  assert.deepEqual(values(await fake.records('t', 0)), ['fire', 'forget']);
});

test('bad input is refused before anything is sent', async (t) => {
  const { fake, producer } = await setup(t, { topics: { t: 2 } });
  const refused = async (p: Promise<unknown>, code: string, pattern: RegExp): Promise<void> => {
    const err = await p.then(
      () => assert.fail('should be refused'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ClientError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, pattern);
  };
  await refused(producer.send({ topic: 't', messages: [{ value: 'ok' }, { value: 42 as unknown as string }] }), 'SAMSA_ERR_INVALID_MESSAGE', /value must be/);
  await refused(producer.send({ topic: 't', messages: [{ value: 'x', partition: 7 }] }), 'SAMSA_ERR_INVALID_MESSAGE', /partition 7 does not exist/);
  await refused(producer.send({ topic: 't', messages: [{ value: 'x', timestamp: 'soon' }] }), 'SAMSA_ERR_INVALID_MESSAGE', /timestamp/);
  await refused(producer.send({ topic: '', messages: [] }), 'SAMSA_ERR_INVALID_MESSAGE', /topic/);
  await refused(producer.send({ topic: 't', acks: 1, messages: [{ value: 'x' }] }), 'SAMSA_ERR_INVALID_CONFIG', /idempotence needs acks -1/);
  await refused(producer.send({ topic: 't', compression: 'brotli' as 'gzip', messages: [{ value: 'x' }] }), 'SAMSA_ERR_INVALID_CONFIG', /compression/);
  assert.equal(fake.produceRequests(), 0);
  assert.deepEqual(await producer.send({ topic: 't', messages: [] }), []);
});

test('options that contradict idempotent: true are refused; without it idempotence is off', () => {
  const kafka = new Kafka({ brokers: '127.0.0.1:1', logger: capture() });
  assert.throws(() => kafka.producer({ idempotent: true, acks: 1 }), (e: unknown) => e instanceof ClientError && /acks is 1/.test(e.message));
  assert.throws(() => kafka.producer({ idempotent: true, maxInFlightRequests: 6 }), /at most 5/);
  assert.throws(() => kafka.producer({ idempotent: true, retry: { retries: 0 } }), /retries/);
  assert.equal(kafka.producer({ acks: 1 }).idempotent, false);
  assert.equal(kafka.producer({ maxInFlightRequests: 10 }).idempotent, false);
  assert.equal(kafka.producer().idempotent, true);
  assert.throws(() => kafka.producer({ lingerMs: -1 }), /lingerMs/);
  assert.throws(() => new Kafka({ brokers: [] }), /brokers/);
  assert.throws(() => new Kafka({ brokers: ['nonsense'] }), /host:port/);
});

test('send before connect and after disconnect is refused with NOT_CONNECTED', async (t) => {
  const fake = await startFakeCluster({ topics: { t: 1 } });
  t.after(() => fake.stop());
  const producer = new Kafka({ brokers: fake.bootstrap, logger: capture() }).producer();
  await assert.rejects(producer.send({ topic: 't', messages: [{ value: 'x' }] }), (e: unknown) => e instanceof ClientError && e.code === 'SAMSA_ERR_NOT_CONNECTED');
  await producer.connect();
  await producer.send({ topic: 't', messages: [{ value: 'x' }] });
  await producer.disconnect();
  await assert.rejects(producer.send({ topic: 't', messages: [{ value: 'y' }] }), (e: unknown) => e instanceof ClientError && e.code === 'SAMSA_ERR_NOT_CONNECTED');
  // Connect again works.
  await producer.connect();
  await producer.send({ topic: 't', messages: [{ value: 'z' }] });
  await producer.disconnect();
  assert.deepEqual(values(await fake.records('t', 0)), ['x', 'z']);
});

test('disconnect delivers what is still lingering', async (t) => {
  const fake = await startFakeCluster({ topics: { t: 1 } });
  t.after(() => fake.stop());
  const producer = new Kafka({ brokers: fake.bootstrap, logger: capture() }).producer({ lingerMs: 60_000 });
  await producer.connect();
  const sent = producer.send({ topic: 't', messages: [{ value: 'late' }] });
  await producer.disconnect();
  assert.equal((await sent)[0].baseOffset, 0);
  assert.deepEqual(values(await fake.records('t', 0)), ['late']);
});

test('custom partitioner, explicit partitions, and keyed placement by murmur2', async (t) => {
  const { fake, producer } = await setup(t, { topics: { t: 4 } }, { partitioner: ({ key, partitionCount }) => (key === null ? 0 : key.length % partitionCount) });
  await producer.send({ topic: 't', messages: [{ key: 'abc', value: '3' }, { key: null, value: '0' }, { key: 'abcdef', value: '2' }, { key: 'x', value: 'explicit', partition: 3 }] });
  assert.deepEqual(values(await fake.records('t', 3)), ['3', 'explicit']);
  assert.deepEqual(values(await fake.records('t', 0)), ['0']);
  assert.deepEqual(values(await fake.records('t', 2)), ['2']);
  const bad = new Kafka({ brokers: fake.bootstrap, logger: capture() }).producer({ partitioner: () => 9 });
  await bad.connect();
  t.after(() => bad.disconnect());
  await assert.rejects(bad.send({ topic: 't', messages: [{ value: 'x' }] }), /partitioner returned 9/);
});

test('keyless records stick to a partition per batch (KIP-480)', async (t) => {
  const { fake, producer } = await setup(t, { topics: { t: 8 } }, { lingerMs: 60_000 });
  const sends = Array.from({ length: 20 }, (_, i) => producer.send({ topic: 't', messages: [{ value: `v${i}` }] }));
  await producer.flush();
  await Promise.all(sends);
  const used = [0, 1, 2, 3, 4, 5, 6, 7].filter((p) => fake.batches('t', p).length > 0);
  assert.equal(used.length, 1, 'one batch, one partition');
  assert.equal(fake.batches('t', used[0]).length, 1);
});

test('a small buffer makes sends wait for room instead of failing', async (t) => {
  const { fake, producer } = await setup(t, { topics: { t: 2 } }, { maxBufferedBytes: 4_000, batchSize: 1_000 });
  const sends = Array.from({ length: 40 }, (_, i) => producer.send({ topic: 't', messages: [{ value: 'y'.repeat(300), partition: i % 2, key: String(i) }] }));
  await Promise.all(sends);
  const got = [...(await fake.records('t', 0)), ...(await fake.records('t', 1))];
  assert.equal(got.length, 40);
});

test('sends append in call order per partition: waiting for metadata, waiting for room, or at once', async (t) => {
  const { fake, producer } = await setup(t, { topics: { u: 1 } }, { maxBufferedBytes: 2_000, batchSize: 1_000 });
  // 'u' is not cached yet: both wait for its metadata, the second behind the first.
  const sends = [producer.send({ topic: 'u', messages: [{ value: 'm0' }] }), producer.send({ topic: 'u', messages: [{ value: 'm1' }] })];
  await Promise.all(sends);
  // Now cached: the first sends append at once, later ones wait for room (answers are held), and
  // no send may overtake one that waits.
  fake.holdProduceResponses(true);
  const expected = ['m0', 'm1'];
  for (let i = 0; i < 30; i++) {
    const value = `v${i}`.padEnd(300, '.');
    expected.push(value);
    sends.push(producer.send({ topic: 'u', messages: [{ value }] }));
  }
  await waitFor(() => fake.produceRequests() >= 2, 'the first batches to be sent');
  fake.holdProduceResponses(false);
  await Promise.all(sends);
  assert.deepEqual(values(await fake.records('u', 0)), expected);
});

test('dropped connections are reopened and sending continues', async (t) => {
  const { fake, producer } = await setup(t, {});
  await producer.send({ topic: 't', messages: [{ value: 'a' }] });
  fake.dropConnections();
  await producer.send({ topic: 't', messages: [{ value: 'b' }] });
  assert.deepEqual(values(await fake.records('t', 0)), ['a', 'b']);
});

test('sequence numbers wrap from 2^31-1 to 0 as in Kafka', () => {
  assert.equal(incrementSequence(0, 5), 5);
  assert.equal(incrementSequence(0x7fffffff - 5, 5), 0x7fffffff);
  assert.equal(incrementSequence(0x7fffffff, 1), 0);
  assert.equal(incrementSequence(0x7fffffff - 1, 5), 3);
});
