// Issue 4, idempotent producer with third-party clients:
//  - librdkafka (confluent-kafka-python, enable.idempotence, acks=all, 5 in flight) keeps
//    producing over 3 partitions while the broker is killed with SIGKILL and restarted three
//    times; afterwards every acknowledged value is in the log exactly once, at the offset its
//    ack reported, and each partition holds its values in production order.
//  - kafkajs and @platformatic/kafka idempotent producers: records land once, and the broker's
//    producer state (DescribeProducers) shows the client's producer id and sequence.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Producer, stringSerializers } from '@platformatic/kafka';
import { Connection, parseHostPort } from '@samsa/client';
import { DescribeProducersApi } from '@samsa/protocol';
import type { PythonConsumeResult } from '../support/clients.js';
import { kafkajs } from '../support/kafkajs-driver.js';
import { uniqueTopic, unb64 } from '../support/records.js';
import { runPython, startPython } from '../support/run-python.js';
import { needsSamsa, withTarget } from '../support/target.js';
import { waitFor, withTimeout } from '../support/wait-for.js';

interface AckLine {
  n?: number;
  partition?: number;
  offset?: number;
  error?: string;
  done?: boolean;
  produced?: number;
}

const partitions = 3;
const kills = 5;
const acksBetweenKills = 600;

/** Producer states per partition, as the broker reports them. */
async function describeProducers(bootstrap: string, topic: string, partitionCount: number): Promise<Array<Array<{ producerId: number; lastSequence: number }>>> {
  const { host, port } = parseHostPort(bootstrap);
  const conn = await Connection.open(host, port);
  try {
    const res = await conn.send(DescribeProducersApi, 0, { topics: [{ name: topic, partitionIndexes: [...Array(partitionCount).keys()] }] });
    return res.topics[0].partitions.map((p) => p.activeProducers.map((a) => ({ producerId: a.producerId, lastSequence: a.lastSequence })));
  } finally {
    conn.close();
  }
}

test('librdkafka idempotent producer over repeated kill -9 (5 times): every acknowledged record exactly once, in order', { timeout: 300_000 }, async (t) => {
  if (!needsSamsa(t)) return;
  await withTarget(t, {}, async (target) => {
    const samsa = target.samsa;
    if (samsa === null) throw new Error('needs Samsa');
    const topic = uniqueTopic('idempotent-kill');
    await target.createTopic(topic, { partitions });
    const producer = startPython('confluent_durability_produce', {
      bootstrap: target.bootstrap,
      topic,
      partitions,
      // Many records in flight at each kill: retries of batches the dead broker had written
      // must be recognised as duplicates by the restarted one.
      flush_every: 2000,
      config: { 'enable.idempotence': true, 'max.in.flight.requests.per.connection': 5, 'linger.ms': 5, 'batch.num.messages': 50 },
    });
    t.after(() => {
      producer.child.kill('SIGKILL');
    });
    const acked = (): AckLine[] => (producer.lines as AckLine[]).filter((l) => l.offset !== undefined);
    try {
      for (let k = 0; k < kills; k++) {
        const goal = acked().length + acksBetweenKills;
        await waitFor(() => acked().length >= goal, { timeoutMs: 90_000, message: `${goal} acknowledged records before kill ${k + 1}` });
        await samsa.kill9();
        await samsa.restart();
      }
      const goal = acked().length + acksBetweenKills;
      await waitFor(() => acked().length >= goal, { timeoutMs: 90_000, message: `${goal} acknowledged records after the last restart` });
      producer.child.stdin.end();
      const code = await withTimeout(producer.exit, 120_000, 'producer exit after stdin EOF');
      assert.equal(code, 0, `producer exit code\n${producer.stderr().slice(-3000)}`);
    } catch (err) {
      process.stderr.write(`--- producer stderr ---\n${producer.stderr().slice(-4000)}\n`);
      throw err;
    }

    const lines = producer.lines as AckLine[];
    const produced = lines.find((l) => l.done === true)?.produced;
    assert.ok(produced !== undefined, 'producer reported its total');
    assert.deepEqual(lines.filter((l) => l.error !== undefined), [], 'no record failed');
    const ackAt = new Map<number, { partition: number; offset: number }>();
    for (const l of acked()) {
      if (l.n === undefined || l.offset === undefined || l.partition === undefined) continue;
      assert.equal(ackAt.has(l.n), false, `value ${l.n} acknowledged twice`);
      ackAt.set(l.n, { partition: l.partition, offset: l.offset });
    }
    assert.equal(ackAt.size, produced, 'every produced value acknowledged');

    const read = await runPython<PythonConsumeResult>('confluent_consume', { bootstrap: target.bootstrap, topic, timeout_s: 90 }, 120_000);
    assert.deepEqual(read.errors, [], 'consumer errors');
    const seen = new Map<number, { partition: number; offset: number }>();
    const lastInPartition = new Map<number, number>();
    for (const r of read.records) {
      const n = Number(unb64(r.value ?? '').toString());
      assert.ok(Number.isInteger(n) && n >= 1 && n <= produced, `p${r.partition}@${r.offset}: unexpected value ${String(n)}`);
      const before = seen.get(n);
      assert.equal(before, undefined, `value ${n} is in the log twice: p${before?.partition}@${before?.offset} and p${r.partition}@${r.offset}`);
      seen.set(n, { partition: r.partition, offset: r.offset });
      const last = lastInPartition.get(r.partition) ?? 0;
      assert.ok(n > last, `partition ${r.partition} holds ${n} after ${last}: out of production order`);
      lastInPartition.set(r.partition, n);
    }
    for (const [n, at] of ackAt) assert.deepEqual(seen.get(n), at, `acknowledged value ${n}`);
    assert.equal(read.records.length, produced, 'the log holds exactly the produced values');
    t.diagnostic(`${produced} values produced over ${kills} kills, each in the log exactly once`);
  });
});

test('kafkajs idempotent producer: records land once and the broker tracks its sequence', { timeout: 60_000 }, async (t) => {
  if (!needsSamsa(t)) return;
  await withTarget(t, {}, async (target) => {
    const topic = uniqueTopic('idempotent-kafkajs');
    await target.createTopic(topic, { partitions: 1 });
    const producer = kafkajs(target.bootstrap).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      for (let i = 0; i < 5; i++) {
        await producer.send({ topic, messages: Array.from({ length: 10 }, (_, j) => ({ value: `v${i * 10 + j}` })) });
      }
    } finally {
      await producer.disconnect();
    }
    const [states] = await describeProducers(target.bootstrap, topic, 1);
    assert.equal(states.length, 1, 'one idempotent producer known to the partition');
    assert.equal(states[0].lastSequence, 49, 'sequence numbers 0..49 were accepted in order');
    const read = await runPython<PythonConsumeResult>('confluent_consume', { bootstrap: target.bootstrap, topic, timeout_s: 30 }, 60_000);
    assert.deepEqual(read.records.map((r) => unb64(r.value ?? '').toString()), Array.from({ length: 50 }, (_, i) => `v${i}`));
  });
});

test('@platformatic/kafka idempotent producer: records land once and the broker tracks its sequence', { timeout: 60_000 }, async (t) => {
  if (!needsSamsa(t)) return;
  await withTarget(t, {}, async (target) => {
    const topic = uniqueTopic('idempotent-platformatic');
    await target.createTopic(topic, { partitions: 2 });
    const producer = new Producer({ clientId: 'samsa-idempotence', bootstrapBrokers: [target.bootstrap], serializers: stringSerializers, idempotent: true, timeout: 10_000 });
    try {
      for (let i = 0; i < 4; i++) {
        await producer.send({ messages: Array.from({ length: 6 }, (_, j) => ({ topic, partition: j % 2, value: `v${i * 6 + j}` })) });
      }
    } finally {
      await producer.close();
    }
    const states = await describeProducers(target.bootstrap, topic, 2);
    for (const [p, s] of states.entries()) {
      assert.equal(s.length, 1, `partition ${p}: one idempotent producer`);
      assert.equal(s[0].lastSequence, 11, `partition ${p}: 12 records accepted in sequence`);
    }
    const read = await runPython<PythonConsumeResult>('confluent_consume', { bootstrap: target.bootstrap, topic, timeout_s: 30 }, 60_000);
    assert.equal(read.records.length, 24);
    assert.equal(new Set(read.records.map((r) => unb64(r.value ?? '').toString())).size, 24);
  });
});
