// Our producer against a real Samsa broker process: records written with every codec read
// back byte for byte with plain Fetch requests, idempotent batches (producer id, sequences),
// auto-created and missing topics, typed broker errors, and a broker killed with SIGKILL and
// restarted in the middle of a stream of sends.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Admin, ClientError, KafkaError } from '@samsa/client';
import { ErrorCode } from '@samsa/protocol';
import { assertSameRecords } from '../support/assert-records.js';
import { fetchTopic } from '../support/fetch-partitions.js';
import { javaDefaultPartition } from '../support/murmur2.js';
import { allCodecs, byPosition, sampleRecords, uniqueTopic, type WireRecord } from '../support/records.js';
import { capturingLogger, fetchedRecords, samsaKafka, samsaProduce } from '../support/samsa-client-driver.js';
import { startSamsa, type SamsaProcess } from '../support/samsa-process.js';

describe('producer against a Samsa broker', { timeout: 240_000 }, () => {
  let samsa: SamsaProcess | undefined;
  let admin: Admin | undefined;
  before(async () => {
    samsa = await startSamsa();
    admin = await Admin.connect(samsa.bootstrap);
  });
  after(async () => {
    admin?.close();
    await samsa?.stop();
  });
  const broker = (): { samsa: SamsaProcess; admin: Admin } => {
    if (samsa === undefined || admin === undefined) throw new Error('broker did not start');
    return { samsa, admin };
  };

  for (const codec of allCodecs) {
    test(`records written with ${codec} read back identically; batches are idempotent`, { timeout: 60_000 }, async () => {
      const { samsa: s, admin: a } = broker();
      const topic = uniqueTopic(`producer-${codec}`);
      await a.createTopics([{ name: topic, numPartitions: 3 }]);
      const written: WireRecord[] = [0, 1, 2].flatMap((p) => sampleRecords(`${codec}-${p}`, p));
      const log = capturingLogger();
      const results = await samsaProduce(s.bootstrap, topic, written, { compression: codec }, log);
      assert.deepEqual(
        results.map((r) => [r.partition, r.baseOffset]),
        [
          [0, 0],
          [1, 0],
          [2, 0],
        ],
      );
      assert.deepEqual(log.warnings, [], 'no warnings (the broker implements InitProducerId)');
      const fetched = await fetchTopic(s.bootstrap, topic);
      assertSameRecords(written, byPosition(fetchedRecords(fetched)), { withTimestamps: true, label: `samsa/${codec}` });
      for (const batches of fetched.partitions) {
        assert.ok(batches.length >= 1);
        let sequence = 0;
        for (const b of batches) {
          assert.equal(b.compression, allCodecs.indexOf(codec), 'codec of the stored batch');
          assert.ok(b.producerId >= 0, 'idempotent batch carries a producer id');
          assert.equal(b.baseSequence, sequence);
          sequence += b.records.length;
        }
      }
    });
  }

  test('keyed records of 100 concurrent sends: Java placement, per-key order, batched by linger', { timeout: 60_000 }, async () => {
    const { samsa: s, admin: a } = broker();
    const topic = uniqueTopic('producer-keys');
    await a.createTopics([{ name: topic, numPartitions: 5 }]);
    const producer = samsaKafka(s.bootstrap).producer({ lingerMs: 50 });
    await producer.connect();
    try {
      const sends = Array.from({ length: 100 }, (_, i) => producer.send({ topic, messages: [{ key: `user-${i % 10}`, value: String(i) }] }));
      await Promise.all(sends);
    } finally {
      await producer.disconnect();
    }
    const fetched = await fetchTopic(s.bootstrap, topic);
    const read = fetchedRecords(fetched);
    assert.equal(read.length, 100);
    const batchCount = fetched.partitions.reduce((n, p) => n + p.length, 0);
    assert.ok(batchCount < 100, `concurrent sends share batches (${batchCount} batches for 100 sends)`);
    const byKey = new Map<string, number[]>();
    const partitionOf = new Map<string, number>();
    for (const r of byPosition(read)) {
      const key = Buffer.from(r.key ?? '', 'base64').toString();
      byKey.set(key, [...(byKey.get(key) ?? []), Number(Buffer.from(r.value ?? '', 'base64').toString())]);
      assert.equal(r.partition, javaDefaultPartition(Buffer.from(key), 5), `${key} where Java puts it`);
      partitionOf.set(key, r.partition);
    }
    assert.ok(new Set(partitionOf.values()).size > 1, 'keys spread over partitions');
    for (const [key, seq] of byKey) assert.deepEqual(seq, [...seq].sort((x, y) => x - y), `${key} in send order`);
  });

  test('acks 1 and acks 0 on a non-idempotent producer (topic made with kafka.admin())', { timeout: 60_000 }, async () => {
    const { samsa: s } = broker();
    const topic = uniqueTopic('producer-acks');
    const kafka = samsaKafka(s.bootstrap);
    const a = kafka.admin();
    await a.connect();
    try {
      await a.createTopics([{ name: topic, numPartitions: 1 }]);
    } finally {
      await a.disconnect();
    }
    const producer = kafka.producer({ idempotent: false, acks: 1 });
    await producer.connect();
    try {
      const [one] = await producer.send({ topic, messages: [{ value: 'acks=1' }] });
      assert.equal(one.baseOffset, 0);
      const [zero] = await producer.send({ topic, acks: 0, messages: [{ value: 'acks=0' }] });
      assert.equal(zero.baseOffset, -1);
      const [all] = await producer.send({ topic, acks: -1, messages: [{ value: 'acks=all' }] });
      assert.equal(all.baseOffset, 2, 'acks=0 record was written before the next');
    } finally {
      await producer.disconnect();
    }
    const fetched = await fetchTopic(s.bootstrap, topic);
    assert.deepEqual(
      fetchedRecords(fetched).map((r) => Buffer.from(r.value ?? '', 'base64').toString()),
      ['acks=1', 'acks=0', 'acks=all'],
    );
    assert.ok(fetched.partitions[0].every((b) => b.producerId === -1));
  });

  test('topics: auto-created on first send; a missing one with auto-creation off is a typed error', { timeout: 60_000 }, async () => {
    const { samsa: s } = broker();
    const created = uniqueTopic('producer-auto');
    const producer = samsaKafka(s.bootstrap).producer({ retry: { retries: 2, initialRetryTimeMs: 50, maxRetryTimeMs: 100 } });
    await producer.connect();
    try {
      const [md] = await producer.send({ topic: created, messages: [{ value: 'hello' }] });
      assert.equal(md.baseOffset, 0);
    } finally {
      await producer.disconnect();
    }
    const strict = samsaKafka(s.bootstrap).producer({ allowAutoTopicCreation: false, retry: { retries: 2, initialRetryTimeMs: 50, maxRetryTimeMs: 100 } });
    await strict.connect();
    try {
      const missing = uniqueTopic('producer-missing');
      await assert.rejects(strict.send({ topic: missing, messages: [{ value: 'x' }] }), (e: unknown) => {
        assert.ok(e instanceof KafkaError, String(e));
        assert.equal(e.code, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        assert.equal(e.topic, missing);
        assert.equal(e.apiName, 'Metadata');
        return true;
      });
      await assert.rejects(strict.send({ topic: created, messages: [{ value: 'x', partition: 5 }] }), (e: unknown) => e instanceof ClientError && e.code === 'SAMSA_ERR_INVALID_MESSAGE');
    } finally {
      await strict.disconnect();
    }
  });

  test('a record over max.message.bytes fails with MESSAGE_TOO_LARGE; the producer goes on', { timeout: 60_000 }, async () => {
    const { samsa: s, admin: a } = broker();
    const topic = uniqueTopic('producer-too-large');
    await a.createTopics([{ name: topic, numPartitions: 1, configs: { 'max.message.bytes': '2000' } }]);
    const producer = samsaKafka(s.bootstrap).producer();
    await producer.connect();
    try {
      await assert.rejects(producer.send({ topic, messages: [{ value: Buffer.alloc(10_000, 7) }] }), (e: unknown) => {
        assert.ok(e instanceof KafkaError, String(e));
        assert.equal(e.type, 'MESSAGE_TOO_LARGE');
        assert.equal(e.retriable, false);
        assert.equal(e.partition, 0);
        return true;
      });
      const [md] = await producer.send({ topic, messages: [{ value: 'small' }] });
      assert.equal(md.baseOffset, 0);
    } finally {
      await producer.disconnect();
    }
  });
});

test('broker killed with SIGKILL and restarted mid-stream: every acknowledged send is there once, in order', { timeout: 180_000 }, async (t) => {
  const samsa = await startSamsa();
  t.after(() => samsa.stop());
  const admin = await Admin.connect(samsa.bootstrap);
  const topic = uniqueTopic('producer-restart');
  await admin.createTopics([{ name: topic, numPartitions: 2 }]);
  admin.close();
  const log = capturingLogger();
  const producer = samsaKafka(samsa.bootstrap, log).producer({ retry: { retries: 30, initialRetryTimeMs: 100, maxRetryTimeMs: 1_000 } });
  await producer.connect();
  const acked: Array<{ value: string; partition: number; offset: number }> = [];
  try {
    const total = 120;
    let restarted: Promise<void> | null = null;
    for (let i = 0; i < total; i++) {
      // Two sends in flight at a time, one per partition, so a kill can hit requests in flight.
      const value = `v${i}`;
      const [a, b] = await Promise.all([
        producer.send({ topic, messages: [{ value: `${value}-p0`, partition: 0 }] }),
        producer.send({ topic, messages: [{ value: `${value}-p1`, partition: 1 }] }),
      ]);
      acked.push({ value: `${value}-p0`, partition: 0, offset: a[0].baseOffset }, { value: `${value}-p1`, partition: 1, offset: b[0].baseOffset });
      if (i === 40) restarted = samsa.kill9().then(() => samsa.restart());
    }
    await restarted;
  } catch (err) {
    process.stderr.write(`\n--- samsa log tail ---\n${samsa.logTail()}\n--- producer warnings ---\n${log.warnings.join('\n')}\n`);
    throw err;
  } finally {
    await producer.disconnect();
  }
  const read = fetchedRecords(await fetchTopic(samsa.bootstrap, topic));
  for (const p of [0, 1]) {
    const values = read.filter((r) => r.partition === p).map((r) => Buffer.from(r.value ?? '', 'base64').toString());
    const expected = acked.filter((x) => x.partition === p).map((x) => x.value);
    assert.deepEqual(values, expected, `partition ${p}: each acknowledged value once, in send order`);
    for (const x of acked.filter((y) => y.partition === p && y.offset >= 0)) assert.equal(values[x.offset], x.value, `${x.value} at its acknowledged offset`);
  }
});
