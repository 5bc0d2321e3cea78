// Issue 10: a librdkafka consumer with fetch.max.bytes below max.partition.fetch.bytes got
// responses as large as max.partition.fetch.bytes, dropped them as larger than it can receive,
// and fetched the same offset forever. Kafka caps each partition by what is left of the
// response's MaxBytes, with only the response's first batch allowed to exceed it (KIP-74).
// Large batches written by librdkafka are read to the end by librdkafka under such limits.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runPython } from '../support/run-python.js';
import { startSamsa } from '../support/samsa-process.js';
import type { PythonConsumeResult } from '../support/clients.js';

interface ProduceResult {
  delivered: Array<{ partition: number; offset: number; error: string | null } | null>;
}

test('librdkafka with fetch.max.bytes < max.partition.fetch.bytes consumes large batches to the end (KIP-74)', { timeout: 180_000 }, async (t) => {
  const samsa = await startSamsa({ settings: { 'num.partitions': 2 } });
  t.after(() => samsa.stop());
  const topic = 'large-batches';
  // 2 partitions x 24 records of 120 KB, lingered into batches of up to ~1 MB (librdkafka's batch.size).
  const value = (i: number): string => Buffer.from(`${String(i).padStart(4, '0')}:${'v'.repeat(120_000)}`).toString('base64');
  const records = Array.from({ length: 48 }, (_, i) => ({ key: null, value: value(i), headers: [], timestamp: null, partition: i % 2 }));
  const produced = await runPython<ProduceResult>(
    'confluent_produce',
    { bootstrap: samsa.bootstrap, topic, records, config: { 'linger.ms': 200, 'batch.size': 1_000_000 } },
    90_000,
  );
  assert.ok(
    produced.delivered.every((d) => d !== null && d.error === null),
    `every record acknowledged: ${JSON.stringify(produced.delivered.filter((d) => d === null || d.error !== null))}`,
  );

  const consumed = await runPython<PythonConsumeResult>(
    'confluent_consume',
    {
      bootstrap: samsa.bootstrap,
      topic,
      timeout_s: 60,
      config: {
        'fetch.max.bytes': 1_000_000,
        'max.partition.fetch.bytes': 20_000_000,
        // What librdkafka accepts per response: a response above fetch.max.bytes (plus one oversized first batch) is dropped.
        'receive.message.max.bytes': 1_100_000,
      },
    },
    90_000,
  );
  assert.deepEqual(consumed.errors, []);
  assert.equal(consumed.timed_out, false, `stopped at ${consumed.records.length} of 48 records: a response larger than fetch.max.bytes was dropped`);
  const seen = consumed.records.map((r) => Buffer.from(r.value ?? '', 'base64').toString().slice(0, 4)).sort();
  assert.deepEqual(seen, Array.from({ length: 48 }, (_, i) => String(i).padStart(4, '0')));
});
