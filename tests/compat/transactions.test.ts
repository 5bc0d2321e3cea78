// Issue 4, transactions with third-party clients: confluent-kafka-python writes committed and
// aborted transactions interleaved over 3 partitions; a read_committed consumer sees exactly
// the committed records, a read_uncommitted one sees every record written. A consume-transform-
// produce loop (send_offsets_to_transaction) across a broker kill -9 leaves output and committed
// input offsets consistent. kafkajs transactions: send + sendOffsets, commit and abort.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Kafka } from 'kafkajs';
import type { PythonConsumeResult } from '../support/clients.js';
import { uniqueTopic, unb64 } from '../support/records.js';
import { runPython, startPython } from '../support/run-python.js';
import { needsSamsa, withTarget } from '../support/target.js';
import { waitFor, withTimeout } from '../support/wait-for.js';

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

test('consume-transform-produce across a broker kill -9: every input once in the output, offsets consistent', { timeout: 300_000 }, async (t) => {
  if (!needsSamsa(t)) return;
  await withTarget(t, {}, async (target) => {
    const samsa = target.samsa;
    if (samsa === null) throw new Error('needs Samsa');
    const input = uniqueTopic('ctp-in');
    const output = uniqueTopic('ctp-out');
    const group = `${input}-group`;
    const total = 600;
    await target.createTopic(input, { partitions: 2 });
    await target.createTopic(output, { partitions: 2 });
    const inputs = Array.from({ length: total }, (_, i) => `value-${i}`);
    const kafka = new Kafka({ clientId: 'samsa-ctp', brokers: [target.bootstrap], logLevel: 0 });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: input, messages: inputs.map((value, i) => ({ value, partition: i % 2 })) });
    await producer.disconnect();

    const ctp = startPython('confluent_ctp', { bootstrap: target.bootstrap, input, output, group, transactional_id: `${input}-tx`, total, batch: 20, timeout_s: 240 });
    t.after(() => {
      ctp.child.kill('SIGKILL');
    });
    const txns = (): number => (ctp.lines as Array<{ committed_txns?: number }>).filter((l) => l.committed_txns !== undefined).length;
    try {
      await waitFor(() => txns() >= 5, { timeoutMs: 90_000, message: '5 committed transactions before the kill' });
      await samsa.kill9();
      await samsa.restart();
      const code = await withTimeout(ctp.exit, 240_000, 'consume-transform-produce loop to finish');
      assert.equal(code, 0, ctp.stderr().slice(-3000));
    } catch (err) {
      process.stderr.write(`--- ctp stderr ---\n${ctp.stderr().slice(-4000)}\n`);
      throw err;
    }
    const final = (ctp.lines as Array<{ done?: boolean; error?: string; committed?: number; aborts?: number; txns?: number }>).at(-1);
    assert.equal(final?.error, undefined, `loop failed: ${final?.error}`);
    assert.equal(final?.committed, total, 'committed input offsets cover every input record');

    const read = await runPython<PythonConsumeResult>('confluent_consume', { bootstrap: target.bootstrap, topic: output, timeout_s: 60, config: { 'isolation.level': 'read_committed' } }, 90_000);
    assert.deepEqual(read.errors, []);
    const got = values(read).sort();
    assert.deepEqual(got, inputs.map((v) => v.toUpperCase()).sort(), 'each input exactly once in the committed output');
    t.diagnostic(`${final?.txns} transactions committed, ${final?.aborts} aborted and retried`);
  });
});

test('kafkajs transactions: send and sendOffsets, commit and abort', { timeout: 120_000 }, async (t) => {
  if (!needsSamsa(t)) return;
  await withTarget(t, {}, async (target) => {
    const topic = uniqueTopic('txn-kafkajs');
    const source = uniqueTopic('txn-kafkajs-src');
    await target.createTopic(topic, { partitions: 2 });
    await target.createTopic(source, { partitions: 1 });
    const kafka = new Kafka({ clientId: 'samsa-kafkajs-txn', brokers: [target.bootstrap], logLevel: 0 });
    const producer = kafka.producer({ transactionalId: `${topic}-tx`, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const committed = await producer.transaction();
      await committed.send({ topic, messages: [{ value: 'c1', partition: 0 }, { value: 'c2', partition: 1 }] });
      await committed.sendOffsets({ consumerGroupId: 'kafkajs-txn-group', topics: [{ topic: source, partitions: [{ partition: 0, offset: '17' }] }] });
      await committed.commit();
      const aborted = await producer.transaction();
      await aborted.send({ topic, messages: [{ value: 'a1', partition: 0 }, { value: 'a2', partition: 1 }] });
      await aborted.sendOffsets({ consumerGroupId: 'kafkajs-txn-group', topics: [{ topic: source, partitions: [{ partition: 0, offset: '99' }] }] });
      await aborted.abort();
      const last = await producer.transaction();
      await last.send({ topic, messages: [{ value: 'c3', partition: 0 }] });
      await last.commit();
    } finally {
      await producer.disconnect();
    }
    const readCommitted = await runPython<PythonConsumeResult>('confluent_consume', { bootstrap: target.bootstrap, topic, timeout_s: 30, config: { 'isolation.level': 'read_committed' } }, 60_000);
    assert.deepEqual(values(readCommitted).sort(), ['c1', 'c2', 'c3']);
    const readAll = await runPython<PythonConsumeResult>('confluent_consume', { bootstrap: target.bootstrap, topic, timeout_s: 30, config: { 'isolation.level': 'read_uncommitted' } }, 60_000);
    assert.deepEqual(values(readAll).sort(), ['a1', 'a2', 'c1', 'c2', 'c3']);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchOffsets({ groupId: 'kafkajs-txn-group', topics: [source] });
      assert.equal(offsets[0].partitions[0].offset, '17', 'the committed transaction\'s offset, not the aborted one\'s');
    } finally {
      await admin.disconnect();
    }
  });
});
