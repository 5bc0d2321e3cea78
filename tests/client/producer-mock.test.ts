// Our producer against librdkafka's mock cluster (3 brokers, hosted by kcat): the mock
// implements InitProducerId and checks idempotent sequences itself, and spreads partition
// leaders over its brokers, so this exercises the idempotent producer and per-broker routing
// against an implementation that is not ours. Records are read back with plain Fetch
// requests and with confluent-kafka (librdkafka's consumer).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertSameRecords } from '../support/assert-records.js';
import type { PythonConsumeResult } from '../support/clients.js';
import { fetchTopic } from '../support/fetch-partitions.js';
import { startMockCluster, type MockCluster } from '../support/mock-cluster.js';
import { allCodecs, b64, byPosition, sampleRecords, uniqueTopic, type WireRecord } from '../support/records.js';
import { runPython } from '../support/run-python.js';
import { capturingLogger, fetchedRecords, samsaKafka, toSamsaMessage } from '../support/samsa-client-driver.js';

/** The mock auto-creates topics with this many partitions (librdkafka 2.0.2). */
const MOCK_PARTITIONS = 4;

describe('producer against the librdkafka mock cluster', { timeout: 240_000 }, () => {
  let mock: MockCluster | undefined;
  before(async () => {
    mock = await startMockCluster(3);
  });
  after(() => mock?.stop());
  const bootstrap = (): string => {
    if (mock === undefined) throw new Error('mock did not start');
    return mock.bootstrap;
  };

  test('idempotent sends over 4 partitions led by 3 brokers: producer id, gapless sequences, records intact', { timeout: 90_000 }, async (t) => {
    const topic = uniqueTopic('mock-idempotent');
    const log = capturingLogger();
    const producer = samsaKafka(bootstrap(), log).producer({ batchSize: 4_096, lingerMs: 2 });
    await producer.connect();
    const written: WireRecord[] = [];
    try {
      assert.equal(producer.idempotent, true);
      // Many concurrent sends: several batches per partition, up to 5 in flight each.
      const sends: Array<Promise<unknown>> = [];
      for (let i = 0; i < 400; i++) {
        const r: WireRecord = {
          key: b64(`key-${i}`),
          value: b64(`value-${i}-${'z'.repeat(i % 50)}`),
          headers: [['n', b64(String(i))]],
          timestamp: Date.now() - 1_000,
          partition: i % MOCK_PARTITIONS,
        };
        written.push(r);
        sends.push(producer.send({ topic, messages: [toSamsaMessage(r)] }));
      }
      await Promise.all(sends);
    } catch (err) {
      t.diagnostic(mock?.logTail() ?? '');
      throw err;
    } finally {
      await producer.disconnect();
    }
    assert.deepEqual(log.warnings, []);
    const fetched = await fetchTopic(bootstrap(), topic);
    assert.equal(fetched.partitions.length, MOCK_PARTITIONS);
    const pids = new Set<number>();
    fetched.partitions.forEach((batches, p) => {
      assert.ok(batches.length > 1, `partition ${p}: several batches`);
      let sequence = 0;
      for (const b of batches) {
        pids.add(b.producerId);
        assert.ok(b.producerId >= 0);
        assert.equal(b.baseSequence, sequence, `partition ${p} sequence`);
        sequence += b.records.length;
      }
    });
    assert.equal(pids.size, 1, 'one producer id throughout');
    // Sends of one partition keep their order: the expected log is the writes grouped by partition.
    const expected = [...Array(MOCK_PARTITIONS).keys()].flatMap((p) => written.filter((r) => r.partition === p));
    assertSameRecords(expected, byPosition(fetchedRecords(fetched)), { withTimestamps: true, label: 'mock fetch' });
  });

  for (const codec of allCodecs) {
    test(`${codec}: confluent-kafka reads back what we wrote`, { timeout: 90_000 }, async () => {
      const topic = uniqueTopic(`mock-${codec}`);
      const written = sampleRecords(`mock-${codec}`, 1);
      const producer = samsaKafka(bootstrap()).producer({ compression: codec });
      await producer.connect();
      try {
        const [md] = await producer.send({ topic, messages: written.map(toSamsaMessage) });
        assert.equal(md.partition, 1);
      } finally {
        await producer.disconnect();
      }
      const result = await runPython<PythonConsumeResult>('confluent_consume', { bootstrap: bootstrap(), topic, partitions: [1], count: written.length, timeout_s: 45 }, 60_000);
      assert.deepEqual(result.errors, []);
      assertSameRecords(written, byPosition(result.records), { withTimestamps: true, label: `mock/${codec}/confluent` });
    });
  }
});
