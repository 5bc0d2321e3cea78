// Acceptance 4: 1 MiB records, a topic with 1,000 partitions, 50 concurrent connections.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { kafkajs, kafkajsProduce } from '../support/kafkajs-driver.js';
import { b64, binaryBytes, uniqueTopic, unb64, type WireRecord } from '../support/records.js';
import { kcatConsume } from '../support/run-kcat.js';
import { runPython } from '../support/run-python.js';
import type { PythonConsumeResult } from '../support/clients.js';
import { logOnFailure, startTarget, type Target } from '../support/target.js';
import { Partitioners } from 'kafkajs';

const sha = (b64value: string | null): string => (b64value === null ? 'null' : createHash('sha256').update(unb64(b64value)).digest('hex'));

describe('limits', { timeout: 360_000 }, () => {
  let target: Target | undefined;
  before(async () => {
    target = await startTarget();
  });
  after(() => target?.stop());

  test('1 MiB records through librdkafka and kafkajs', { timeout: 120_000 }, async (t) => {
    if (target === undefined) throw new Error('target did not start');
    const tg = target;
    await logOnFailure(tg, t, async () => {
      const topic = uniqueTopic('mib');
      // A 1 MiB value plus batch overhead exceeds the default max.message.bytes (1048588).
      await tg.createTopic(topic, { partitions: 1, configs: { 'max.message.bytes': '4194304' } });
      const mib = 1 << 20;
      const records: WireRecord[] = [
        { key: b64('rdkafka-1mib'), value: b64(binaryBytes(mib, 11)), headers: [['h', b64('1')]], timestamp: Date.now(), partition: 0 },
        { key: b64('rdkafka-1mib-zstd'), value: b64(binaryBytes(mib, 12)), headers: [], timestamp: Date.now(), partition: 0 },
      ];
      const r1 = await runPython<{ delivered: Array<{ error: string | null }> }>(
        'confluent_produce',
        { bootstrap: tg.bootstrap, topic, records: records.slice(0, 1), config: { 'message.max.bytes': 4_000_000 } },
        60_000,
      );
      const r2 = await runPython<{ delivered: Array<{ error: string | null }> }>(
        'confluent_produce',
        { bootstrap: tg.bootstrap, topic, records: records.slice(1), compression: 'zstd', config: { 'message.max.bytes': 4_000_000 } },
        60_000,
      );
      assert.deepEqual([...r1.delivered, ...r2.delivered].map((d) => d.error), [null, null]);
      const kjs: WireRecord = { key: b64('kafkajs-1mib'), value: b64(binaryBytes(mib, 13)), headers: [], timestamp: Date.now(), partition: 0 };
      await kafkajsProduce(tg.bootstrap, topic, [kjs]);
      const all = [...records, kjs];
      const read = await runPython<PythonConsumeResult>(
        'confluent_consume',
        { bootstrap: tg.bootstrap, topic, timeout_s: 60, config: { 'fetch.message.max.bytes': 4_000_000 } },
        90_000,
      );
      assert.deepEqual(read.errors, []);
      assert.deepEqual(
        read.records.map((r) => [r.key === null ? null : unb64(r.key).toString(), sha(r.value)]),
        all.map((r) => [r.key === null ? null : unb64(r.key).toString(), sha(r.value)]),
      );
      const viaKcat = await kcatConsume(tg.bootstrap, topic, { config: { 'fetch.message.max.bytes': 4_000_000 } });
      assert.deepEqual(viaKcat.map((r) => sha(r.value)), all.map((r) => sha(r.value)));
    });
  });

  test('a topic with 1,000 partitions: one record to each, all read back', { timeout: 180_000 }, async (t) => {
    if (target === undefined) throw new Error('target did not start');
    const tg = target;
    await logOnFailure(tg, t, async () => {
      const topic = uniqueTopic('p1000');
      // The mock auto-creates 4 partitions whatever is asked; Samsa must create all 1,000.
      const partitions = await tg.createTopic(topic, { partitions: 1000 });
      if (tg.kind === 'samsa') assert.equal(partitions, 1000);
      const records: WireRecord[] = [];
      for (let p = 0; p < partitions; p++) records.push({ key: b64(`p${p}`), value: b64(`value-${p}`), headers: [], timestamp: null, partition: p });
      const produced = await runPython<{ delivered: Array<{ partition: number; offset: number; error: string | null }> }>(
        'confluent_produce',
        { bootstrap: tg.bootstrap, topic, records, timeout_s: 90 },
        120_000,
      );
      assert.deepEqual(produced.delivered.filter((d) => d.error !== null), []);
      assert.deepEqual(produced.delivered.map((d) => [d.partition, d.offset]), records.map((r) => [r.partition, 0]));
      const read = await runPython<PythonConsumeResult>('confluent_consume', { bootstrap: tg.bootstrap, topic, timeout_s: 90 }, 120_000);
      assert.deepEqual(read.errors, []);
      const got = read.records.map((r) => [r.partition, r.offset, unb64(r.value ?? '').toString()]).sort((a, b) => Number(a[0]) - Number(b[0]));
      assert.deepEqual(got, records.map((r) => [r.partition, 0, `value-${String(r.partition)}`]));
    });
  });

  test('50 concurrent kafkajs connections producing at once', { timeout: 120_000 }, async (t) => {
    if (target === undefined) throw new Error('target did not start');
    const tg = target;
    await logOnFailure(tg, t, async () => {
      const topic = uniqueTopic('conn50');
      const partitions = await tg.createTopic(topic, { partitions: 4 });
      const clients = 50;
      const perClient = 10;
      const producers = Array.from({ length: clients }, (_, i) =>
        kafkajs(tg.bootstrap, `conn50-${i}`).producer({ createPartitioner: Partitioners.DefaultPartitioner }),
      );
      try {
        await Promise.all(producers.map((p) => p.connect()));
        await Promise.all(
          producers.map((p, i) =>
            p.send({
              topic,
              acks: -1,
              messages: Array.from({ length: perClient }, (_, j) => ({ key: `c${i}`, value: `c${i}-m${j}`, partition: (i + j) % partitions })),
            }),
          ),
        );
      } finally {
        await Promise.all(producers.map((p) => p.disconnect()));
      }
      const read = await kcatConsume(tg.bootstrap, topic);
      const values = read.map((r) => unb64(r.value ?? '').toString()).sort();
      const expected: string[] = [];
      for (let i = 0; i < clients; i++) for (let j = 0; j < perClient; j++) expected.push(`c${i}-m${j}`);
      assert.deepEqual(values, expected.sort());
    });
  });
});
