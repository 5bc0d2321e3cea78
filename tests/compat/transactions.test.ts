// Issue 4, transactions with third-party clients: confluent-kafka-python writes committed and
// aborted transactions interleaved over 3 partitions; a read_committed consumer sees exactly
// the committed records, a read_uncommitted one sees every record written.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PythonConsumeResult } from '../support/clients.js';
import { uniqueTopic, unb64 } from '../support/records.js';
import { runPython } from '../support/run-python.js';
import { needsSamsa, withTarget } from '../support/target.js';

interface TxnResult {
  committed: string[];
  aborted: string[];
  error?: string;
}

const values = (r: PythonConsumeResult): string[] => r.records.map((rec) => unb64(rec.value ?? '').toString());

test('confluent-kafka transactions: read_committed sees exactly the committed records', { timeout: 120_000 }, async (t) => {
  if (!needsSamsa(t)) return;
  await withTarget(t, {}, async (target) => {
    const topic = uniqueTopic('txn-interleaved');
    await target.createTopic(topic, { partitions: 3 });
    const transactions = [
      { commit: true, count: 7 },
      { commit: false, count: 5 },
      { commit: true, count: 4 },
      { commit: false, count: 9 },
      { commit: false, count: 2 },
      { commit: true, count: 6 },
    ];
    const produced = await runPython<TxnResult>('confluent_transactions', { bootstrap: target.bootstrap, topic, partitions: 3, transactional_id: `${topic}-tx`, transactions }, 90_000);
    assert.equal(produced.error, undefined, `producer failed: ${produced.error}`);
    assert.equal(produced.committed.length, 17);
    assert.equal(produced.aborted.length, 16);

    const committedRead = await runPython<PythonConsumeResult>('confluent_consume', { bootstrap: target.bootstrap, topic, timeout_s: 30, config: { 'isolation.level': 'read_committed' } }, 60_000);
    assert.deepEqual(committedRead.errors, []);
    assert.deepEqual(values(committedRead).sort(), [...produced.committed].sort(), 'read_committed: exactly the committed records');
    for (let p = 0; p < 3; p++) {
      const inPartition = committedRead.records.filter((r) => r.partition === p).map((r) => unb64(r.value ?? '').toString());
      const expected = produced.committed.filter((v) => Number(v.split('-r')[1]) % 3 === p);
      assert.deepEqual(inPartition, expected, `partition ${p} keeps production order`);
    }

    const uncommittedRead = await runPython<PythonConsumeResult>('confluent_consume', { bootstrap: target.bootstrap, topic, timeout_s: 30, config: { 'isolation.level': 'read_uncommitted' } }, 60_000);
    assert.deepEqual(values(uncommittedRead).sort(), [...produced.committed, ...produced.aborted].sort(), 'read_uncommitted: every record written');
  });
});
