// Issue 5: "metadata refresh on leader change", against a broker implementation nobody here
// wrote. librdkafka's mock cluster (3 brokers, hosted through its public C API by
// tests/clients/mock_cluster_ctl.py, since kcat's mock cannot move leaders) moves the leader of
// a partition while our idempotent producer sends to it and our consumer reads it. The old
// leader answers NOT_LEADER_OR_FOLLOWER; both must refresh metadata and carry on with the new
// one: every send acknowledged, every record stored exactly once and in send order, and the
// consumer delivers all of them in offset order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConsumerMessage } from '@samsa/client';
import { uniqueTopic } from '../support/records.js';
import { startPython } from '../support/run-python.js';
import { capturingLogger, samsaKafka } from '../support/samsa-client-driver.js';
import { waitFor } from '../support/wait-for.js';

interface CtlLine {
  bootstrap?: string;
  cmd?: string;
  err?: number;
  error?: string;
}

test('leaders move under our producer and consumer (librdkafka mock, 3 brokers): metadata refreshed, nothing lost, duplicated or reordered', { timeout: 120_000 }, async (t) => {
  const ctl = startPython('mock_cluster_ctl', { brokers: 3 });
  t.after(() => {
    ctl.child.stdin.end();
    ctl.child.kill();
  });
  const lines = (): CtlLine[] => ctl.lines as CtlLine[];
  await waitFor(() => lines().some((l) => l.bootstrap !== undefined || l.error !== undefined), { timeoutMs: 15_000, message: `mock cluster started (stderr: ${ctl.stderr()})` });
  const started = lines().find((l) => l.bootstrap !== undefined);
  assert.ok(started?.bootstrap, `mock cluster: ${JSON.stringify(lines())}`);
  const bootstrap = started.bootstrap.split(',')[0];
  let answered = 1;
  const command = async (cmd: string): Promise<void> => {
    ctl.child.stdin.write(`${cmd}\n`);
    answered++;
    await waitFor(() => lines().length >= answered, { timeoutMs: 10_000, message: `mock answered "${cmd}"` });
    const answer = lines()[answered - 1];
    assert.equal(answer.err, 0, `"${cmd}": ${JSON.stringify(answer)}`);
  };

  const topic = uniqueTopic('leader-move');
  await command(`topic ${topic} 1 3`);
  await command(`leader ${topic} 0 1`);

  // Debug lines too: they show the clients met the moves (retried batches, fetch loops per node).
  const log = capturingLogger();
  const debug: string[] = [];
  const kafka = samsaKafka(bootstrap, { ...log, debug: (message: string, extra?: Record<string, unknown>) => void debug.push(`${message} ${JSON.stringify(extra ?? {}, (_, v: unknown) => (v instanceof Error ? v.message : v))}`) });
  const producer = kafka.producer({ lingerMs: 1, retry: { retries: 20, initialRetryTimeMs: 50, maxRetryTimeMs: 500 } });
  const consumer = kafka.consumer({ autoOffsetReset: 'earliest', maxWaitTimeMs: 100, retry: { retries: 20, initialRetryTimeMs: 50, maxRetryTimeMs: 500 } });
  t.after(() => Promise.all([producer.disconnect(), consumer.disconnect()]));
  await producer.connect();
  assert.equal(producer.idempotent, true);
  await consumer.connect();
  await consumer.assign([{ topic, partitions: [0] }]);
  const got: ConsumerMessage[] = [];
  await consumer.run({ eachMessage: async ({ message }) => void got.push(message) });

  // 600 values in 60 awaited sends of 10, in order; the leader moves to broker 2 after send 20
  // and to broker 3 after send 40, while sends and fetches are in flight.
  const values: string[] = [];
  const moves = new Map([
    [20, 2],
    [40, 3],
  ]);
  for (let s = 0; s < 60; s++) {
    const messages = Array.from({ length: 10 }, (_, i) => ({ value: `v${s * 10 + i}` }));
    values.push(...messages.map((m) => m.value));
    const sent = producer.send({ topic, messages });
    const to = moves.get(s);
    if (to !== undefined) await command(`leader ${topic} 0 ${to}`);
    const meta = await sent;
    assert.equal(meta[0]?.errorCode ?? 0, 0);
  }
  await waitFor(() => got.length >= values.length, { timeoutMs: 30_000, message: `the consumer read all ${values.length} records (has ${got.length})` });
  await new Promise((r) => setTimeout(r, 300)); // a duplicate would arrive now
  assert.deepEqual(
    got.map((m) => String(m.value)),
    values,
    'every record once, in send order',
  );
  assert.deepEqual(
    got.map((m) => m.offset),
    values.map((_, i) => i),
    'offsets 0..n-1 without gaps',
  );
  assert.ok(log.warnings.every((w) => !/duplicate|sequence/i.test(w)), `no sequence trouble: ${log.warnings.join('\n')}`);
  // The moves were met, not slept through: the old leader refused both clients.
  const notLeader = (prefix: string): number => debug.filter((d) => d.startsWith(prefix) && d.includes('NOT_LEADER_OR_FOLLOWER')).length;
  assert.ok(notLeader('retrying batches') >= 2, `the producer retried after each move:\n${debug.join('\n')}`);
  assert.ok(notLeader('fetch error') >= 1, `the consumer was turned away by an old leader:\n${debug.join('\n')}`);
});
