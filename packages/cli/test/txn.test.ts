// `samsa txn list|describe|producers` and `samsa cluster describe` against an
// embedded broker holding an ongoing, a committed and an aborted transaction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '@samsa/broker';
import { Admin, Connection } from '@samsa/client';
import { rows, samsa } from '../test-support/run-samsa.js';
import { beginTransaction } from '../test-support/transactions.js';

test('samsa txn list, describe and producers show the broker\'s transactions', { timeout: 120_000 }, async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const b = ['--bootstrap-server', broker.bootstrap];
  const admin = await Admin.connect(broker.bootstrap, { timeoutMs: 10_000 });
  t.after(() => admin.close());
  await admin.createTopics([{ name: 'tx', numPartitions: 2 }]);
  const conn = await Connection.open('127.0.0.1', broker.port);
  t.after(() => conn.close());

  const committed = await beginTransaction(conn, 'done', 'tx', [0], 2);
  await committed.end(true);
  const aborted = await beginTransaction(conn, 'dropped', 'tx', [1]);
  await aborted.end(false);
  // Opened last: partition 0 holds 2 records and a COMMIT marker before it, so its transaction starts at offset 3.
  const open = await beginTransaction(conn, 'open', 'tx', [0, 1]);

  // list: every id, then filtered
  const listed = await samsa(['txn', 'list', ...b]);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /^TransactionalId\s+Coordinator\s+ProducerId\s+TransactionState\n/);
  const node = (await admin.describeCluster()).controllerId;
  assert.deepEqual(rows(listed.stdout), [
    ['done', String(node), String(committed.producerId), 'CompleteCommit'],
    ['dropped', String(node), String(aborted.producerId), 'CompleteAbort'],
    ['open', String(node), String(open.producerId), 'Ongoing'],
  ]);
  const ongoing = await samsa(['txn', 'list', '--state', 'ongoing', ...b]);
  assert.equal(ongoing.code, 0, ongoing.stderr);
  assert.deepEqual(rows(ongoing.stdout).map((r) => r[0]), ['open']);
  const completed = await samsa(['txn', 'list', '--state', 'CompleteCommit,CompleteAbort', ...b]);
  assert.deepEqual(rows(completed.stdout).map((r) => r[0]), ['done', 'dropped']);
  const byProducer = await samsa(['txn', 'list', '--producer-id', String(aborted.producerId), ...b]);
  assert.deepEqual(rows(byProducer.stdout).map((r) => r[0]), ['dropped']);
  const longRunning = await samsa(['txn', 'list', '--min-duration-ms', '3600000', ...b]);
  assert.equal(longRunning.code, 0, longRunning.stderr);
  assert.deepEqual(rows(longRunning.stdout), [], 'nothing has been running for an hour');

  // describe: the found ones as rows, one error line for the unknown id, exit code 1
  const described = await samsa(['txn', 'describe', 'open', 'nope', 'done', ...b]);
  assert.equal(described.code, 1);
  assert.equal(described.stderr, "samsa: transactional id 'nope' does not exist (list them with 'samsa txn list')\n");
  assert.match(described.stdout, /^CoordinatorId\s+TransactionalId\s+ProducerId\s+ProducerEpoch\s+TransactionState\s+TransactionTimeoutMs\s+CurrentTransactionStartTimeMs\s+TransactionDurationMs\s+TopicPartitions\n/);
  const [openRow, doneRow] = rows(described.stdout);
  assert.deepEqual([openRow.slice(0, 6), openRow[8]], [[String(node), 'open', String(open.producerId), String(open.producerEpoch), 'Ongoing', '60000'], 'tx-0,tx-1']);
  assert.ok(Number(openRow[6]) > 0 && Number(openRow[7]) >= 0, `start time and duration of a running transaction: ${openRow.join(' ')}`);
  assert.deepEqual(doneRow, [String(node), 'done', String(committed.producerId), String(committed.producerEpoch), 'CompleteCommit', '60000', '-', '-', '-']);
  const one = await samsa(['txn', 'describe', 'dropped', ...b]);
  assert.equal(one.code, 0, one.stderr);
  assert.equal(rows(one.stdout)[0][4], 'CompleteAbort');

  // producers: each partition's producer state
  const producers = await samsa(['txn', 'producers', '--topic', 'tx', ...b]);
  assert.equal(producers.code, 0, producers.stderr);
  assert.match(producers.stdout, /^Topic\s+Partition\s+ProducerId\s+ProducerEpoch\s+LatestCoordinatorEpoch\s+LastSequence\s+LastTimestamp\s+CurrentTransactionStartOffset\n/);
  const byKey = new Map(rows(producers.stdout).map((r) => [`${r[0]}-${r[1]}/${r[2]}`, r]));
  assert.equal(byKey.size, 4, producers.stdout);
  assert.equal(byKey.get(`tx-0/${open.producerId}`)?.[7], '3', 'the open transaction starts after 2 records and a marker');
  assert.equal(byKey.get(`tx-1/${open.producerId}`)?.[7], '2', 'after 1 record and a marker');
  assert.equal(byKey.get(`tx-0/${committed.producerId}`)?.[7], '-', 'no open transaction');
  assert.equal(byKey.get(`tx-0/${committed.producerId}`)?.[5], '1', 'last sequence of a 2-record batch');
  const onePartition = await samsa(['txn', 'describe-producers', '--topic', 'tx:1', ...b]);
  assert.equal(onePartition.code, 0, onePartition.stderr);
  assert.deepEqual(rows(onePartition.stdout).map((r) => [r[1], r[2]]).sort(), [['1', String(aborted.producerId)], ['1', String(open.producerId)]].sort());
  const noPartition = await samsa(['txn', 'producers', '--topic', 'tx:5', ...b]);
  assert.equal(noPartition.code, 1);
  assert.equal(noPartition.stderr, 'samsa: topic tx has no partition 5 (it has 2: 0-1)\n');
  const noTopic = await samsa(['txn', 'producers', '--topic', 'ghost', ...b]);
  assert.equal(noTopic.code, 1);
  assert.match(noTopic.stderr, /^samsa: ghost: UNKNOWN_TOPIC_OR_PARTITION.*\n$/);

  await open.end(true);
  const after = await samsa(['txn', 'list', '--state', 'Ongoing', ...b]);
  assert.deepEqual(rows(after.stdout), []);
});

test('samsa cluster describe shows the cluster id, controller and brokers', { timeout: 60_000 }, async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const r = await samsa(['cluster', 'describe', '-b', broker.bootstrap]);
  assert.equal(r.code, 0, r.stderr);
  const admin = await Admin.connect(broker.bootstrap, { timeoutMs: 10_000 });
  const cluster = await admin.describeCluster();
  admin.close();
  const [head, brokers] = r.stdout.split('\n\n');
  assert.equal(head, `Cluster ID: ${cluster.clusterId}\nController: ${cluster.controllerId} (${broker.bootstrap})\nBrokers: 1`);
  assert.match(brokers, /^ID\s+HOST\s+PORT\s+RACK\n/);
  assert.deepEqual(rows(brokers), [[String(cluster.controllerId), '127.0.0.1', String(broker.port), '-']]);
});
