// Topic metadata survives kill -9 (the single-node metadata log, docs/metadata-log.md).
//
// 1. Hundreds of topics created through three third-party paths — the kafkajs admin
//    (CreateTopics), confluent-kafka's AdminClient (CreateTopics, AlterConfigs) and
//    Metadata auto-create by kcat and by a kafkajs producer — then SIGKILL right after the
//    last acknowledgement, restart: every topic is there with its partition count, its
//    altered config and its records, seen by both confluent-kafka and kafkajs.
// 2. SIGKILL in the middle of a stream of creates: every acknowledged topic is there, the
//    one in flight is whole or absent, and every partition of every topic takes a record.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { kafkajs } from '../support/kafkajs-driver.js';
import { uniqueTopic } from '../support/records.js';
import { kcatConsume, kcatMetadata, kcatProduce } from '../support/run-kcat.js';
import { runPython } from '../support/run-python.js';
import { startSamsa, type SamsaProcess } from '../support/samsa-process.js';
import { needsSamsa } from '../support/target.js';
import { waitFor } from '../support/wait-for.js';

interface Outcome {
  error_code: number;
  error_name: string | null;
  message?: string;
}
interface AdminResult {
  results: Array<{
    op: string;
    topics?: Record<string, Outcome & { partitions?: number }>;
    result?: Outcome & { configs?: Record<string, { value: string | null; is_default: boolean }> };
  }>;
}

function confluentAdmin(bootstrap: string, ops: unknown[]): Promise<AdminResult> {
  return runPython<AdminResult>('confluent_admin', { bootstrap, ops, timeout_s: 60 }, 120_000);
}

async function withSamsa(t: TestContext, fn: (samsa: SamsaProcess) => Promise<void>): Promise<void> {
  const samsa = await startSamsa();
  t.after(() => samsa.stop());
  try {
    await fn(samsa);
  } catch (err) {
    process.stderr.write(`\n--- samsa log tail (${t.name}) ---\n${samsa.logTail()}\n--- end of log tail ---\n`);
    throw err;
  }
}

/** Every topic and its partition count, as confluent-kafka's AdminClient lists them. */
async function confluentTopics(bootstrap: string): Promise<Map<string, number>> {
  const listed = await confluentAdmin(bootstrap, [{ op: 'list_topics' }]);
  const topics = listed.results[0]?.topics ?? {};
  return new Map(Object.entries(topics).map(([name, t]) => [name, t.partitions ?? -1]));
}

test('topics from kafkajs admin, confluent-kafka AdminClient and auto-create survive kill -9', { timeout: 240_000 }, async (t) => {
  if (!needsSamsa(t)) return;
  await withSamsa(t, async (samsa) => {
    const prefix = uniqueTopic('meta');
    const expected = new Map<string, number>();

    const admin = kafkajs(samsa.bootstrap).admin();
    await admin.connect();
    try {
      for (let batch = 0; batch < 3; batch++) {
        const topics = Array.from({ length: 50 }, (_, i) => ({ topic: `${prefix}-kjs-${batch}-${i}`, numPartitions: 1 + (i % 3), replicationFactor: 1 }));
        assert.equal(await admin.createTopics({ topics, waitForLeaders: false, timeout: 60_000 }), true);
        for (const topic of topics) expected.set(topic.topic, topic.numPartitions);
      }
    } finally {
      await admin.disconnect();
    }

    const confluentTopicsToCreate = Array.from({ length: 150 }, (_, i) => ({ name: `${prefix}-ck-${i}`, partitions: 1 + (i % 4) }));
    const altered = `${prefix}-ck-0`;
    const created = await confluentAdmin(samsa.bootstrap, [
      { op: 'create_topics', topics: confluentTopicsToCreate },
      { op: 'alter_configs', topic: altered, configs: { 'retention.ms': '123456789' } },
    ]);
    for (const [name, outcome] of Object.entries(created.results[0]?.topics ?? {})) assert.equal(outcome.error_code, 0, `create ${name}: ${outcome.message}`);
    assert.equal(created.results[1]?.result?.error_code, 0, 'alter_configs');
    for (const topic of confluentTopicsToCreate) expected.set(topic.name, topic.partitions);

    // Metadata auto-create (num.partitions = 1): librdkafka through kcat -L -t, and kcat's producer.
    for (let i = 0; i < 10; i++) {
      const name = `${prefix}-auto-kcat-${i}`;
      const md = await kcatMetadata(samsa.bootstrap, name);
      assert.equal(md.partitions.length, 1, `kcat auto-create ${name}`);
      expected.set(name, 1);
    }
    const producedTo = `${prefix}-auto-produced`;
    await kcatProduce(samsa.bootstrap, producedTo, [{ key: null, value: Buffer.from('kept').toString('base64'), headers: [], timestamp: null }]);
    expected.set(producedTo, 1);
    // kafkajs's producer auto-creates through Metadata too (allowAutoTopicCreation).
    const producer = kafkajs(samsa.bootstrap).producer({ allowAutoTopicCreation: true });
    await producer.connect();
    try {
      for (let i = 0; i < 10; i++) {
        const name = `${prefix}-auto-kjs-${i}`;
        await waitFor(
          async () => {
            try {
              await producer.send({ topic: name, messages: [{ value: `v${i}` }], acks: -1 });
              return true;
            } catch {
              return false;
            }
          },
          { timeoutMs: 30_000, message: `kafkajs produce to auto-created ${name}` },
        );
        expected.set(name, 1);
      }
    } finally {
      await producer.disconnect();
    }

    // Straight after the last acknowledgement: no clean shutdown, no chance to flush anything.
    await samsa.kill9();
    await samsa.restart();

    const listed = await confluentTopics(samsa.bootstrap);
    for (const [name, partitions] of expected) assert.equal(listed.get(name), partitions, `confluent-kafka sees ${name} with ${partitions} partitions`);
    assert.equal([...listed.keys()].filter((n) => n.startsWith(prefix)).length, expected.size, 'no extra topics');

    const check = kafkajs(samsa.bootstrap).admin();
    await check.connect();
    try {
      const names = new Set(await check.listTopics());
      for (const name of expected.keys()) assert.ok(names.has(name), `kafkajs lists ${name}`);
      const sample = [...expected.keys()].filter((_, i) => i % 25 === 0);
      const md = await check.fetchTopicMetadata({ topics: sample });
      for (const topic of md.topics) assert.equal(topic.partitions.length, expected.get(topic.name), `kafkajs partitions of ${topic.name}`);
    } finally {
      await check.disconnect();
    }
    const configs = await confluentAdmin(samsa.bootstrap, [{ op: 'describe_configs', topic: altered }]);
    assert.equal(configs.results[0]?.result?.configs?.['retention.ms']?.value, '123456789', 'altered config survived');
    const records = await kcatConsume(samsa.bootstrap, producedTo, { count: 1 });
    assert.equal(Buffer.from(records[0]!.value!, 'base64').toString(), 'kept');
  });
});

test('kill -9 during a stream of creates: acknowledged topics whole, the one in flight whole or absent', { timeout: 240_000 }, async (t) => {
  if (!needsSamsa(t)) return;
  await withSamsa(t, async (samsa) => {
    const prefix = uniqueTopic('inflight');
    const partitions = 3;
    const acknowledged: string[] = [];
    const attempted: string[] = [];
    let stop = false;
    const admin = kafkajs(samsa.bootstrap).admin();
    await admin.connect();
    const creating = (async () => {
      for (let i = 0; !stop; i++) {
        const name = `${prefix}-${i}`;
        attempted.push(name);
        try {
          await admin.createTopics({ topics: [{ topic: name, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: false, timeout: 10_000 });
        } catch {
          return; // the broker died under this request
        }
        acknowledged.push(name);
      }
    })();
    await waitFor(() => acknowledged.length >= 60, { timeoutMs: 120_000, message: '60 topics created before the kill' });
    await samsa.kill9();
    stop = true;
    await creating;
    await admin.disconnect().catch(() => undefined);
    await samsa.restart();

    const listed = await confluentTopics(samsa.bootstrap);
    for (const name of acknowledged) assert.equal(listed.get(name), partitions, `acknowledged ${name} is whole`);
    const ours = [...listed.keys()].filter((n) => n.startsWith(`${prefix}-`));
    for (const name of ours) {
      assert.ok(attempted.includes(name), `${name} was asked for`);
      assert.equal(listed.get(name), partitions, `${name} has all its partitions`);
    }
    assert.ok(ours.length <= acknowledged.length + 1, `at most the one in-flight create beyond the ${acknowledged.length} acknowledged (found ${ours.length})`);

    // Every partition of every topic is served: one record each with librdkafka's producer
    // (kcat), read back by kafkajs's metadata of the offsets.
    const last = ours.sort((a, b) => Number(a.slice(prefix.length + 1)) - Number(b.slice(prefix.length + 1))).slice(-5);
    for (const name of last) {
      for (let p = 0; p < partitions; p++) {
        await kcatProduce(samsa.bootstrap, name, [{ key: null, value: Buffer.from(`p${p}`).toString('base64'), headers: [], timestamp: null, partition: p }]);
      }
    }
    const check = kafkajs(samsa.bootstrap).admin();
    await check.connect();
    try {
      for (const name of last) {
        const offsets = await check.fetchTopicOffsets(name);
        assert.deepEqual(
          offsets.map((o) => [o.partition, o.high]).sort((a, b) => Number(a[0]) - Number(b[0])),
          Array.from({ length: partitions }, (_, p) => [p, '1']),
          `one record in each partition of ${name}`,
        );
      }
    } finally {
      await check.disconnect();
    }
  });
});
