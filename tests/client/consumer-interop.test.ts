// What third-party producers wrote, our consumer reads identically: keys (binary and UTF-8),
// null and empty values, headers (order, repeats and null values kept) and explicit
// timestamps, with every codec: confluent-kafka (librdkafka) for all five, kafkajs for the two
// it writes (none, gzip).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Admin, type Logger } from '@samsa/client';
import { assertSameRecords } from '../support/assert-records.js';
import { kafkajsProduce } from '../support/kafkajs-driver.js';
import { allCodecs, b64, byPosition, sampleRecords, uniqueTopic, type ConsumedRecord, type WireRecord } from '../support/records.js';
import { runPython } from '../support/run-python.js';
import { capturingLogger, samsaKafka } from '../support/samsa-client-driver.js';
import { startSamsa, type SamsaProcess } from '../support/samsa-process.js';
import { waitFor } from '../support/wait-for.js';
import { toConsumed } from './consumer-scenarios.js';

/** Reads `count` records of every partition of `topic` from the beginning with our consumer (no group). */
async function samsaConsume(bootstrap: string, topic: string, count: number, logger: Logger): Promise<ConsumedRecord[]> {
  const consumer = samsaKafka(bootstrap, logger).consumer({ autoOffsetReset: 'earliest', maxWaitTimeMs: 100 });
  await consumer.connect();
  try {
    await consumer.assign([{ topic }]);
    const out: ConsumedRecord[] = [];
    await consumer.run({ eachBatch: async ({ batch }) => void out.push(...batch.messages.map(toConsumed)) });
    await waitFor(() => out.length >= count, { timeoutMs: 30_000, message: `our consumer read ${count} records of ${topic}` });
    return out;
  } finally {
    await consumer.disconnect();
  }
}

/** The sample records plus one with a repeated header name and a null header value. */
function records(tag: string, partition: number): WireRecord[] {
  return [
    ...sampleRecords(`${tag}-${partition}`, partition),
    {
      key: b64(`repeat-${tag}`),
      value: b64('headers'),
      headers: [
        ['dup', b64('first')],
        ['nil', null],
        ['dup', b64('second')],
      ],
      timestamp: Date.now() - 30_000,
      partition,
    },
  ];
}

describe('our consumer reads what third-party producers wrote', { timeout: 600_000 }, () => {
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
    test(`${codec}: records written by confluent-kafka${codec === 'none' || codec === 'gzip' ? ' and kafkajs' : ''} read identically`, { timeout: 120_000 }, async (t) => {
      const { bootstrap, admin: a, samsa: s } = broker();
      try {
        const topic = uniqueTopic(`consume-rdkafka-${codec}`);
        await a.createTopics([{ name: topic, numPartitions: 2 }]);
        const written = [...records(codec, 0), ...records(codec, 1)];
        const delivered = await runPython<{ delivered: Array<{ error: string | null }> }>('confluent_produce', { bootstrap, topic, records: written, compression: codec }, 60_000);
        assert.deepEqual(
          delivered.delivered.filter((d) => d.error !== null),
          [],
        );
        const log = capturingLogger();
        const read = await samsaConsume(bootstrap, topic, written.length, log);
        assertSameRecords(written, byPosition(read), { withTimestamps: true, label: `confluent-kafka/${codec} -> samsa` });
        const repeated = read.find((r) => r.value === b64('headers'));
        assert.deepEqual(repeated?.headers, [
          ['dup', b64('first')],
          ['nil', null],
          ['dup', b64('second')],
        ]);
        assert.deepEqual(log.warnings, []);
        if (codec === 'none' || codec === 'gzip') {
          const topic2 = uniqueTopic(`consume-kafkajs-${codec}`);
          await a.createTopics([{ name: topic2, numPartitions: 2 }]);
          // kafkajs headers are an object: no repeated names, no null values.
          const simple = [...sampleRecords(`kjs-${codec}-0`, 0), ...sampleRecords(`kjs-${codec}-1`, 1)];
          await kafkajsProduce(bootstrap, topic2, simple, { compression: codec });
          assertSameRecords(simple, byPosition(await samsaConsume(bootstrap, topic2, simple.length, log)), { withTimestamps: true, label: `kafkajs/${codec} -> samsa` });
        }
      } catch (err) {
        t.diagnostic(s.logTail());
        throw err;
      }
    });
  }
});
