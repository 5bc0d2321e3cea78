// What our producer writes, third-party consumers read identically: keys (binary and UTF-8),
// null values, empty values, headers (order and null values kept) and explicit timestamps,
// with every codec — confluent-kafka (librdkafka) for all five, kafkajs for the two it
// decodes (none, gzip). And keyed records land where librdkafka's murmur2_random puts them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Admin } from '@samsa/client';
import { assertSameRecords } from '../support/assert-records.js';
import type { PythonConsumeResult } from '../support/clients.js';
import { kafkajsConsume } from '../support/kafkajs-driver.js';
import { javaDefaultPartition } from '../support/murmur2.js';
import { allCodecs, b64, byPosition, sampleRecords, unb64, uniqueTopic, type WireRecord } from '../support/records.js';
import { kcatConsume } from '../support/run-kcat.js';
import { runPython } from '../support/run-python.js';
import { samsaProduce } from '../support/samsa-client-driver.js';
import { startSamsa, type SamsaProcess } from '../support/samsa-process.js';

describe('third-party clients read what our producer wrote', { timeout: 600_000 }, () => {
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
  const broker = (): { bootstrap: string; admin: Admin; samsa: SamsaProcess } => {
    if (samsa === undefined || admin === undefined) throw new Error('broker did not start');
    return { bootstrap: samsa.bootstrap, admin, samsa };
  };

  for (const codec of allCodecs) {
    test(`${codec}: confluent-kafka${codec === 'none' || codec === 'gzip' ? ' and kafkajs' : ''} read identical records`, { timeout: 120_000 }, async (t) => {
      const { bootstrap, admin: a, samsa: s } = broker();
      const topic = uniqueTopic(`interop-${codec}`);
      await a.createTopics([{ name: topic, numPartitions: 2 }]);
      const written = [...sampleRecords(`${codec}-0`, 0), ...sampleRecords(`${codec}-1`, 1)];
      try {
        await samsaProduce(bootstrap, topic, written, { compression: codec });
        const confluent = await runPython<PythonConsumeResult>('confluent_consume', { bootstrap, topic, count: written.length, timeout_s: 45 }, 60_000);
        assert.deepEqual(confluent.errors, []);
        assertSameRecords(written, byPosition(confluent.records), { withTimestamps: true, label: `confluent-kafka/${codec}` });
        if (codec === 'none' || codec === 'gzip') {
          const kafkajs = await kafkajsConsume(bootstrap, topic, written.length);
          assertSameRecords(written, byPosition(kafkajs), { withTimestamps: true, label: `kafkajs/${codec}` });
        }
      } catch (err) {
        t.diagnostic(s.logTail());
        throw err;
      }
    });
  }

  test('keyed records: the same partitions as librdkafka’s murmur2_random (and Java’s default)', { timeout: 120_000 }, async () => {
    const { bootstrap, admin: a } = broker();
    const partitions = 7;
    const ours = uniqueTopic('interop-keys-samsa');
    const theirs = uniqueTopic('interop-keys-rdkafka');
    await a.createTopics([
      { name: ours, numPartitions: partitions },
      { name: theirs, numPartitions: partitions },
    ]);
    // 300 keys of lengths 1..60: every murmur2 tail length, binary and UTF-8 bytes.
    const records: WireRecord[] = Array.from({ length: 300 }, (_, i) => {
      const key = i % 3 === 0 ? Buffer.from(Array.from({ length: 1 + (i % 13) }, (_, j) => (i * 31 + j * 7) & 0xff)) : Buffer.from(`ключ-${i}-${'k'.repeat(i % 47)}`);
      return { key: b64(key), value: b64(String(i)), headers: [], timestamp: null };
    });
    await samsaProduce(bootstrap, ours, records);
    const delivered = await runPython<{ delivered: Array<{ partition: number; error: string | null }> }>(
      'confluent_produce',
      { bootstrap, topic: theirs, records, partitioner: 'murmur2_random', acks: 'all' },
      60_000,
    );
    assert.deepEqual(delivered.delivered.filter((d) => d.error !== null), []);
    const placement = async (topic: string): Promise<Map<string, number>> => {
      const read = await kcatConsume(bootstrap, topic);
      assert.equal(read.length, records.length, `${topic}: every record`);
      return new Map(read.map((r) => [r.key ?? '', r.partition]));
    };
    const mine = await placement(ours);
    const librdkafka = await placement(theirs);
    for (const r of records) {
      const key = r.key ?? '';
      assert.equal(mine.get(key), librdkafka.get(key), `key ${unb64(key).toString('hex')}: ours vs librdkafka`);
      assert.equal(mine.get(key), javaDefaultPartition(unb64(key), partitions), `key ${unb64(key).toString('hex')}: Java`);
    }
    assert.ok(new Set(mine.values()).size === partitions, 'every partition used');
  });
});
