// read_committed against Samsa with transactions written by confluent-kafka-python
// (tests/clients/confluent_transactions.py): committed and aborted transactions interleaved
// over 3 partitions. Our consumer with read_committed (the default) sees exactly the committed
// records, in order per partition; with read_uncommitted it sees every record; control
// records (the markers) never reach the application either way.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Admin, type ConsumerMessage } from '@samsa/client';
import { uniqueTopic } from '../support/records.js';
import { runPython } from '../support/run-python.js';
import { capturingLogger, samsaKafka } from '../support/samsa-client-driver.js';
import { startSamsa, type SamsaProcess } from '../support/samsa-process.js';
import { waitFor } from '../support/wait-for.js';
import { uniqueGroup } from './consumer-scenarios.js';

interface TxnResult {
  committed: string[];
  aborted: string[];
  error?: string;
}

describe('read_committed against transactions written by librdkafka', { timeout: 300_000 }, () => {
  let samsa: SamsaProcess | undefined;
  before(async () => {
    samsa = await startSamsa({ settings: { 'group.initial.rebalance.delay.ms': 0 } });
  });
  after(() => samsa?.stop());

  test('read_committed skips aborted transactions; read_uncommitted sees them; markers are never delivered', { timeout: 180_000 }, async (t) => {
    const s = samsa;
    if (s === undefined) throw new Error('broker did not start');
    const topic = uniqueTopic('txn-read');
    const admin = await Admin.connect(s.bootstrap);
    try {
      await admin.createTopics([{ name: topic, numPartitions: 3 }]);
    } finally {
      admin.close();
    }
    const written = await runPython<TxnResult>(
      'confluent_transactions',
      {
        bootstrap: s.bootstrap,
        topic,
        partitions: 3,
        transactional_id: `txn-${topic}`,
        transactions: [
          { commit: true, count: 7 },
          { commit: false, count: 6 },
          { commit: true, count: 5 },
          { commit: false, count: 4 },
          { commit: false, count: 3 },
          { commit: true, count: 8 },
        ],
      },
      120_000,
    );
    assert.equal(written.error, undefined, written.error);
    const byPartition = (values: string[]): string[][] => [0, 1, 2].map((p) => values.filter((v) => Number(/-r(\d+)$/.exec(v)?.[1]) % 3 === p));

    const read = async (isolationLevel: 'read_committed' | 'read_uncommitted', expected: number): Promise<ConsumerMessage[]> => {
      const log = capturingLogger();
      const consumer = samsaKafka(s.bootstrap, log).consumer({ groupId: uniqueGroup(`txn-${isolationLevel}`), isolationLevel, maxWaitTimeMs: 100 });
      t.after(() => consumer.disconnect());
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      const got: ConsumerMessage[] = [];
      await consumer.run({ eachBatch: async ({ batch }) => void got.push(...batch.messages) });
      await waitFor(() => got.length >= expected, { timeoutMs: 30_000, message: `${isolationLevel}: ${expected} records` });
      await consumer.disconnect();
      assert.equal(got.length, expected, `${isolationLevel}: no more than ${expected} records`);
      assert.deepEqual(log.warnings, []);
      return got;
    };

    const committed = await read('read_committed', written.committed.length);
    assert.deepEqual(
      [0, 1, 2].map((p) => committed.filter((m) => m.partition === p).map((m) => String(m.value))),
      byPartition(written.committed),
      'exactly the committed records, in order per partition',
    );
    const all = await read('read_uncommitted', written.committed.length + written.aborted.length);
    const everything = [...written.committed, ...written.aborted];
    assert.deepEqual(all.map((m) => String(m.value)).sort(), everything.sort(), 'read_uncommitted: committed and aborted records');
    // Every transaction wrote to every partition and ended with a marker there, so the last
    // record of a partition (in the 6th transaction) comes after 5 markers: its offset is
    // records + 5 - 1. Markers take offsets but are never delivered.
    for (const p of [0, 1, 2]) {
      const mine = all.filter((m) => m.partition === p);
      assert.equal(Math.max(...mine.map((m) => m.offset)), mine.length + 5 - 1, `partition ${p}: offsets skip the markers`);
    }
    assert.ok(all.every((m) => m.key !== null && String(m.key).startsWith('k')), 'no control record delivered');
  });
});
