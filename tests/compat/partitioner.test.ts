// Acceptance 2: keyed records from librdkafka (partitioner=murmur2_random) and kafkajs
// (DefaultPartitioner, Java-compatible since v2) land in the partition Java's default
// partitioner computes: toPositive(murmur2(key)) % numPartitions (tests/support/murmur2.ts).
// The partitions are read back from the broker with kcat, not taken from the clients.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { kafkajsProduce } from '../support/kafkajs-driver.js';
import { javaDefaultPartition } from '../support/murmur2.js';
import { b64, unb64, uniqueTopic, type WireRecord } from '../support/records.js';
import { kcatConsume } from '../support/run-kcat.js';
import { runPython } from '../support/run-python.js';
import { logOnFailure, startTarget, type Target } from '../support/target.js';

const keyCount = 200;

/** 200 keys of lengths 1..40 (every murmur2 tail length), some binary. */
function keyedRecords(): WireRecord[] {
  const records: WireRecord[] = [];
  for (let i = 0; i < keyCount; i++) {
    const key = i % 5 === 0 ? Buffer.from([i, 255 - i, 0, i * 7 + 1].slice(0, 1 + (i % 4))) : Buffer.from(`k${i}-${'x'.repeat(i % 37)}`);
    records.push({ key: b64(Buffer.concat([key, Buffer.from([i & 0xff])])), value: b64(String(i)), headers: [], timestamp: null });
  }
  return records;
}

async function assertJavaPartitions(target: Target, topic: string, partitions: number, records: WireRecord[]): Promise<void> {
  const read = await kcatConsume(target.bootstrap, topic);
  assert.equal(read.length, records.length, 'every keyed record read back');
  const used = new Set<number>();
  for (const r of read) {
    if (r.key === null) throw new Error('keyed record without key');
    const expected = javaDefaultPartition(unb64(r.key), partitions);
    assert.equal(r.partition, expected, `key ${unb64(r.key).toString('hex')} (${partitions} partitions)`);
    used.add(r.partition);
  }
  assert.ok(used.size > 1, 'keys spread over several partitions');
}

describe('keyed records land where Java’s default partitioner puts them', { timeout: 180_000 }, () => {
  let target: Target | undefined;
  before(async () => {
    target = await startTarget();
  });
  after(() => target?.stop());

  test('librdkafka murmur2_random (confluent-kafka)', { timeout: 60_000 }, async (t) => {
    if (target === undefined) throw new Error('target did not start');
    const tg = target;
    await logOnFailure(tg, t, async () => {
      const topic = uniqueTopic('part-rdkafka');
      // 7 on Samsa; the mock ignores the count and auto-creates 4 partitions.
      const partitions = await tg.createTopic(topic, { partitions: 7 });
      if (tg.kind === 'samsa') assert.equal(partitions, 7);
      const records = keyedRecords();
      const result = await runPython<{ delivered: Array<{ partition: number; error: string | null }> }>(
        'confluent_produce',
        { bootstrap: tg.bootstrap, topic, records, partitioner: 'murmur2_random', acks: 'all' },
        60_000,
      );
      assert.deepEqual(result.delivered.filter((d) => d.error !== null), [], 'all delivered');
      await assertJavaPartitions(tg, topic, partitions, records);
    });
  });

  test('kafkajs DefaultPartitioner', { timeout: 60_000 }, async (t) => {
    if (target === undefined) throw new Error('target did not start');
    const tg = target;
    await logOnFailure(tg, t, async () => {
      const topic = uniqueTopic('part-kafkajs');
      const partitions = await tg.createTopic(topic, { partitions: 7 });
      if (tg.kind === 'samsa') assert.equal(partitions, 7);
      const records = keyedRecords();
      await kafkajsProduce(tg.bootstrap, topic, records);
      await assertJavaPartitions(tg, topic, partitions, records);
    });
  });
});
