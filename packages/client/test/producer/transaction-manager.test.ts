// Transactions of the producer against the fake cluster's transaction and group
// coordinators (test-support/fake-cluster.ts): the request sequence of commit and
// abort, the call/state table, retries of every coordinator request, fencing, abortable
// errors and the epoch bump after lost sequence numbers, sendOffsets. No assertion
// depends on timing; every wait is bounded.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ErrorCode, RecordBatchHeader } from '@samsa/protocol';
import { ClientError, Kafka, KafkaError, TransactionError, type Logger, type Producer, type ProducerOptions, type TransactionErrorCode } from '../../src/index.js';
import { callVerdict } from '../../src/producer/transaction-manager.js';
import { decide } from '../../src/producer/transaction-requests.js';
import { startFakeCluster, type FakeCluster, type FakeClusterOptions, type TxnCall } from '../../test-support/fake-cluster.js';

function capture(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug: () => {}, info: () => {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
}

interface Setup {
  fake: FakeCluster;
  kafka: Kafka;
  log: ReturnType<typeof capture>;
  /** A transactional producer, not connected yet (disconnected after the test). */
  producer(options?: ProducerOptions): Producer;
}

async function start(t: TestContext, cluster: FakeClusterOptions = {}): Promise<Setup> {
  const fake = await startFakeCluster({ topics: { t: 3 }, ...cluster });
  t.after(() => fake.stop());
  const log = capture();
  const kafka = new Kafka({ brokers: [fake.bootstrap], clientId: 'unit', logger: log, requestTimeoutMs: 10_000 });
  return {
    fake,
    kafka,
    log,
    producer(options = {}) {
      const p = kafka.producer({ transactionalId: 'tx-1', retry: { initialRetryTimeMs: 5, maxRetryTimeMs: 20 }, ...options });
      t.after(() => p.disconnect());
      return p;
    },
  };
}

async function connected(t: TestContext, cluster: FakeClusterOptions = {}, options: ProducerOptions = {}): Promise<Setup & { p: Producer }> {
  const s = await start(t, cluster);
  const p = s.producer(options);
  await p.connect();
  return { ...s, p };
}

/** Polls `cond` every 5 ms, failing with `message` after `timeoutMs`. */
async function waitFor(cond: () => boolean, message: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${message}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const values = (records: Array<{ value: Buffer | null }>): string[] => records.map((r) => r.value?.toString() ?? '<null>');

/** Rejects unless `promise` rejects with a TransactionError of `code`; returns the error. */
async function txnError(promise: Promise<unknown>, code: TransactionErrorCode): Promise<TransactionError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof TransactionError, `expected a TransactionError ${code}, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected a TransactionError ${code}, but it succeeded`);
}

const count = (log: string[], name: string): number => log.filter((x) => x === name).length;

test('commit: InitProducerId at connect, AddPartitionsToTxn before a partition’s first batch, EndTxn after every batch', async (t) => {
  const { fake, p } = await connected(t);
  assert.equal(p.transactional, true);
  assert.equal(p.idempotent, true);
  assert.deepEqual(fake.requestLog(), ['FindCoordinator', 'InitProducerId']);
  const txn = await p.transaction();
  assert.equal(txn.isActive(), true);
  const [m0, m1] = await txn.send({ topic: 't', messages: [{ value: 'a', partition: 0 }, { value: 'b', partition: 1 }] });
  assert.deepEqual([m0.partition, m0.baseOffset, m1.partition, m1.baseOffset], [0, 0, 1, 0]);
  // A plain send joins the active transaction; partition 0 is in it already.
  await p.send({ topic: 't', messages: [{ value: 'c', partition: 0 }] });
  await txn.sendBatch({ topicMessages: [{ topic: 't', messages: [{ value: 'd', partition: 2 }] }] });
  await txn.commit();
  assert.equal(txn.isActive(), false);
  assert.deepEqual(fake.requestLog(), ['FindCoordinator', 'InitProducerId', 'AddPartitionsToTxn', 'Produce', 'Produce', 'AddPartitionsToTxn', 'Produce', 'EndTxn(commit)']);
  const state = fake.txnState('tx-1');
  assert.equal(state?.state, 'CompleteCommit');
  assert.deepEqual(state?.partitions, ['t-0', 't-1', 't-2']);
  const headers = fake.batches('t', 0).map((b) => new RecordBatchHeader(b, 0));
  assert.deepEqual(
    headers.map((h) => [h.isTransactional, h.producerId, h.producerEpoch, h.baseSequence]),
    [
      [true, state?.producerId, 0, 0],
      [true, state?.producerId, 0, 1],
    ],
  );
  assert.deepEqual(values(await fake.records('t', 0, 'read_committed')), ['a', 'c']);
});

test('abort: EndTxn(abort) after the batches; read_committed drops them; sequences continue in the next transaction', async (t) => {
  const { fake, p } = await connected(t);
  const first = await p.transaction();
  await first.send({ topic: 't', messages: [{ value: 'a', partition: 0 }, { value: 'b', partition: 0 }] });
  await first.abort();
  assert.equal(first.isActive(), false);
  const second = await p.transaction();
  await second.send({ topic: 't', messages: [{ value: 'c', partition: 0 }] });
  await second.commit();
  assert.deepEqual(fake.requestLog().slice(2), ['AddPartitionsToTxn', 'Produce', 'EndTxn(abort)', 'AddPartitionsToTxn', 'Produce', 'EndTxn(commit)']);
  assert.deepEqual(values(await fake.records('t', 0, 'read_committed')), ['c']);
  assert.deepEqual(values(await fake.records('t', 0)), ['a', 'b', 'c']);
  const h = new RecordBatchHeader(fake.batches('t', 0)[1], 0);
  assert.deepEqual([h.producerEpoch, h.baseSequence], [0, 2], 'same epoch, the sequence continues');
});

test('one transaction at a time: calls in the wrong state fail with SAMSA_ERR_TXN_STATE and change nothing', async (t) => {
  const { fake, p, kafka } = await connected(t);
  await txnError(p.send({ topic: 't', messages: [{ value: 'x' }] }), 'SAMSA_ERR_TXN_STATE');
  const txn = await p.transaction();
  await txnError(p.transaction(), 'SAMSA_ERR_TXN_STATE');
  // Nothing added: commit ends the transaction without asking the coordinator.
  await txn.commit();
  assert.deepEqual(fake.requestLog(), ['FindCoordinator', 'InitProducerId']);
  await txnError(txn.send({ topic: 't', messages: [{ value: 'late' }] }), 'SAMSA_ERR_TXN_STATE');
  await txnError(txn.sendOffsets({ consumerGroupId: 'g', topics: [{ topic: 't', partitions: [{ partition: 0, offset: 1 }] }] }), 'SAMSA_ERR_TXN_STATE');
  await txnError(txn.commit(), 'SAMSA_ERR_TXN_STATE');
  await txnError(txn.abort(), 'SAMSA_ERR_TXN_STATE');
  const next = await p.transaction();
  await txnError(txn.commit(), 'SAMSA_ERR_TXN_STATE'); // an old handle cannot end the new transaction
  assert.equal(next.isActive(), true);
  await next.send({ topic: 't', messages: [{ value: 'y', partition: 0 }] });
  await next.commit();

  await assert.rejects(() => kafka.producer().transaction(), (err: unknown) => err instanceof ClientError && err.code === 'SAMSA_ERR_NOT_CONNECTED');
  const plain = kafka.producer();
  await plain.connect();
  t.after(() => plain.disconnect());
  await assert.rejects(() => plain.transaction(), (err: unknown) => err instanceof ClientError && err.code === 'SAMSA_ERR_INVALID_CONFIG');
  const configError = (err: unknown): boolean => err instanceof ClientError && err.code === 'SAMSA_ERR_INVALID_CONFIG';
  assert.throws(() => kafka.producer({ transactionalId: 'x', idempotent: false }), configError);
  assert.throws(() => kafka.producer({ transactionalId: 'x', acks: 1 }), configError);
  assert.throws(() => kafka.producer({ transactionalId: 'x', maxInFlightRequests: 6 }), configError);
  assert.throws(() => kafka.producer({ transactionalId: '' }), configError);
  assert.throws(() => kafka.producer({ transactionTimeoutMs: 1000 }), configError);
  assert.throws(() => kafka.producer({ transactionalId: 'x', transactionTimeoutMs: 0 }), configError);
});

test('sendOffsets refuses bad offsets before sending anything', async (t) => {
  const { fake, p } = await connected(t);
  const txn = await p.transaction();
  const invalid = (err: unknown): boolean => err instanceof ClientError && err.code === 'SAMSA_ERR_INVALID_MESSAGE';
  await assert.rejects(() => txn.sendOffsets({ consumerGroupId: 'g', topics: [{ topic: 't', partitions: [{ partition: 0, offset: -1 }] }] }), invalid);
  await assert.rejects(() => txn.sendOffsets({ consumerGroupId: '', topics: [] }), invalid);
  await assert.rejects(() => txn.sendOffsets({ consumerGroupId: 'g', topics: [{ topic: 't', partitions: [{ partition: 0, offset: '1x' }] }] }), invalid);
  assert.equal(count(fake.requestLog(), 'AddOffsetsToTxn'), 0);
  assert.equal(txn.isActive(), true);
  await txn.abort();
});

test('the call/state table and the coordinator error table, as data', () => {
  assert.equal(callVerdict('ready', 'begin'), 'ok');
  assert.equal(callVerdict('inTransaction', 'begin'), 'state');
  assert.equal(callVerdict('abortableError', 'commit'), 'abortable');
  assert.equal(callVerdict('abortableError', 'abort'), 'ok');
  assert.equal(callVerdict('aborting', 'send'), 'aborted');
  assert.equal(callVerdict('committing', 'commit'), 'again');
  for (const call of ['begin', 'send', 'commit', 'abort'] as const) assert.equal(callVerdict('fatalError', call), 'fatal');
  const e = (code: number): KafkaError => new KafkaError(code);
  assert.equal(decide('InitProducerId', e(ErrorCode.CONCURRENT_TRANSACTIONS)), 'retry-soon');
  assert.equal(decide('AddPartitionsToTxn', e(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)), 'retry');
  assert.equal(decide('EndTxn', e(ErrorCode.NOT_COORDINATOR)), 'rediscover');
  assert.equal(decide('EndTxn', e(ErrorCode.PRODUCER_FENCED)), 'fatal');
  assert.equal(decide('AddOffsetsToTxn', e(ErrorCode.INVALID_PRODUCER_EPOCH)), 'fatal');
  assert.equal(decide('TxnOffsetCommit', e(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)), 'fatal');
  assert.equal(decide('AddPartitionsToTxn', e(ErrorCode.TOPIC_AUTHORIZATION_FAILED)), 'abortable');
  assert.equal(decide('InitProducerId', e(ErrorCode.INVALID_TRANSACTION_TIMEOUT)), 'fatal');
});

test('connect retries InitProducerId through CONCURRENT_TRANSACTIONS, COORDINATOR_LOAD_IN_PROGRESS and NOT_COORDINATOR, finding the moved coordinator', async (t) => {
  const s = await start(t, { nodes: 2 });
  const calls: TxnCall[] = [];
  s.fake.setTxnFaults((call) => {
    calls.push(call);
    if (call.api !== 'InitProducerId') return undefined;
    if (call.number === 1) return { errorCode: ErrorCode.CONCURRENT_TRANSACTIONS };
    if (call.number === 2) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS };
    if (call.number === 3) {
      s.fake.setTxnCoordinator(1);
      return { errorCode: ErrorCode.NOT_COORDINATOR };
    }
    return undefined;
  });
  const p = s.producer();
  await p.connect();
  assert.deepEqual(
    calls.map((c) => `${c.api}@${c.node}`),
    ['FindCoordinator@0', 'InitProducerId@0', 'InitProducerId@0', 'InitProducerId@0', 'FindCoordinator@0', 'InitProducerId@1'],
  );
  const txn = await p.transaction();
  await txn.send({ topic: 't', messages: [{ value: 'a', partition: 0 }] });
  await txn.commit();
  assert.equal(calls.filter((c) => c.api === 'EndTxn' && c.node === 1).length, 1);
  assert.equal(s.fake.txnState('tx-1')?.state, 'CompleteCommit');
});

test('AddPartitionsToTxn: batches wait while it is retried (CONCURRENT_TRANSACTIONS, load in progress, a lost answer)', async (t) => {
  const { fake, p } = await connected(t, {
    onTxnRequest: (call) => {
      if (call.api !== 'AddPartitionsToTxn') return undefined;
      if (call.number <= 2) return { errorCode: ErrorCode.CONCURRENT_TRANSACTIONS };
      if (call.number === 3) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS };
      if (call.number === 4) return { closeConnection: 'after-apply' };
      return undefined;
    },
  });
  const txn = await p.transaction();
  await txn.send({ topic: 't', messages: [{ value: 'a', partition: 0 }, { value: 'b', partition: 1 }] });
  const log = fake.requestLog();
  assert.equal(count(log, 'AddPartitionsToTxn'), 5);
  assert.ok(log.indexOf('Produce') > log.lastIndexOf('AddPartitionsToTxn'), `no Produce before AddPartitionsToTxn succeeded: ${log.join(', ')}`);
  assert.equal(count(log, 'FindCoordinator'), 2, 'the lost connection makes the producer look the coordinator up again');
  await txn.commit();
  assert.deepEqual(values(await fake.records('t', 1, 'read_committed')), ['b']);
});

test('EndTxn is retried after NOT_COORDINATOR and after a lost answer (the repeated commit is answered NONE)', async (t) => {
  const s = await start(t, { nodes: 2 });
  s.fake.setTxnFaults((call) => {
    if (call.api !== 'EndTxn') return undefined;
    if (call.number === 1) {
      s.fake.setTxnCoordinator(1);
      return { errorCode: ErrorCode.NOT_COORDINATOR };
    }
    if (call.number === 2) return { closeConnection: 'after-apply' };
    return undefined;
  });
  const p = s.producer();
  await p.connect();
  const txn = await p.transaction();
  await txn.send({ topic: 't', messages: [{ value: 'a', partition: 0 }] });
  await txn.commit();
  assert.equal(count(s.fake.requestLog(), 'EndTxn(commit)'), 3);
  assert.deepEqual(values(await s.fake.records('t', 0, 'read_committed')), ['a']);
});

test('fencing: a second producer with the same transactional id fences the first, which fails fatally for good', async (t) => {
  const s = await start(t);
  const first = s.producer();
  await first.connect();
  const txn = await first.transaction();
  await txn.send({ topic: 't', messages: [{ value: 'zombie', partition: 0 }] });

  const second = s.producer();
  await second.connect(); // InitProducerId: epoch 1, the first producer's transaction is aborted

  // A new partition needs AddPartitionsToTxn, which the coordinator refuses with PRODUCER_FENCED.
  const fatal = await txnError(txn.send({ topic: 't', messages: [{ value: 'zombie-2', partition: 1 }] }), 'SAMSA_ERR_TXN_FATAL');
  assert.equal(fatal.fatal, true);
  assert.equal(fatal.fenced, true);
  assert.equal(fatal.transactionalId, 'tx-1');
  assert.ok(fatal.cause instanceof KafkaError && fatal.cause.code === ErrorCode.PRODUCER_FENCED, String(fatal.cause));
  assert.match(fatal.message, /fenced/);
  // Everything afterwards fails with the same error, also after a reconnect.
  for (const call of [() => txn.commit(), () => txn.abort(), () => first.transaction(), () => first.send({ topic: 't', messages: [{ value: 'x' }] })]) {
    assert.equal(await txnError(call(), 'SAMSA_ERR_TXN_FATAL'), fatal);
  }
  assert.equal(txn.isActive(), false);
  await first.disconnect();
  assert.equal(await txnError(first.connect(), 'SAMSA_ERR_TXN_FATAL'), fatal);
  assert.equal(await txnError(first.transaction(), 'SAMSA_ERR_TXN_FATAL'), fatal);
  assert.equal(await txnError(first.send({ topic: 't', messages: [{ value: 'x' }] }), 'SAMSA_ERR_TXN_FATAL'), fatal);

  const txn2 = await second.transaction();
  await txn2.send({ topic: 't', messages: [{ value: 'new', partition: 0 }] });
  await txn2.commit();
  assert.deepEqual(values(await s.fake.records('t', 0, 'read_committed')), ['new']);
  assert.deepEqual(values(await s.fake.records('t', 0)), ['zombie', 'new']);
});

test('fencing seen by EndTxn(commit) is fatal', async (t) => {
  const s = await start(t);
  const first = s.producer();
  await first.connect();
  const txn = await first.transaction();
  await txn.send({ topic: 't', messages: [{ value: 'zombie', partition: 0 }] });
  await s.producer().connect();
  const err = await txnError(txn.commit(), 'SAMSA_ERR_TXN_FATAL');
  assert.equal(err.fenced, true);
  assert.equal(s.fake.txnState('tx-1')?.producerEpoch, 1);
});

test('INVALID_PRODUCER_EPOCH on Produce is abortable; the abort’s EndTxn then reports the fencing as fatal', async (t) => {
  const s = await start(t);
  const first = s.producer();
  await first.connect();
  const txn = await first.transaction();
  await txn.send({ topic: 't', messages: [{ value: 'a', partition: 0 }] });
  await s.producer().connect();
  await assert.rejects(
    () => txn.send({ topic: 't', messages: [{ value: 'b', partition: 0 }] }),
    (err: unknown) => err instanceof KafkaError && err.code === ErrorCode.INVALID_PRODUCER_EPOCH,
  );
  const abortable = await txnError(txn.commit(), 'SAMSA_ERR_TXN_ABORTABLE');
  assert.ok(abortable.cause instanceof KafkaError && abortable.cause.code === ErrorCode.INVALID_PRODUCER_EPOCH);
  const fatal = await txnError(txn.abort(), 'SAMSA_ERR_TXN_FATAL');
  assert.equal(fatal.fenced, true);
});

test('TRANSACTIONAL_ID_AUTHORIZATION_FAILED at connect is fatal', async (t) => {
  const s = await start(t, { onTxnRequest: (call) => (call.api === 'InitProducerId' ? { errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED } : undefined) });
  const p = s.producer();
  const err = await txnError(p.connect(), 'SAMSA_ERR_TXN_FATAL');
  assert.match(err.message, /not authorized/);
  assert.equal(await txnError(p.connect(), 'SAMSA_ERR_TXN_FATAL'), err);
  assert.equal(count(s.fake.requestLog(), 'InitProducerId'), 1, 'not retried');
});

test('an abortable AddPartitionsToTxn error fails the send; commit is refused; abort recovers without EndTxn', async (t) => {
  const { fake, p } = await connected(t, {
    onTxnRequest: (call) => (call.api === 'AddPartitionsToTxn' && call.number === 1 ? { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED } : undefined),
  });
  const txn = await p.transaction();
  const sendErr = await txnError(txn.send({ topic: 't', messages: [{ value: 'a', partition: 0 }] }), 'SAMSA_ERR_TXN_ABORTABLE');
  assert.ok(sendErr.cause instanceof KafkaError && sendErr.cause.code === ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  assert.equal(sendErr.abortable, true);
  assert.equal(await txnError(txn.commit(), 'SAMSA_ERR_TXN_ABORTABLE'), sendErr);
  await txnError(txn.send({ topic: 't', messages: [{ value: 'b', partition: 0 }] }), 'SAMSA_ERR_TXN_ABORTABLE');
  await txnError(p.transaction(), 'SAMSA_ERR_TXN_STATE');
  assert.equal(txn.isActive(), true);
  await txn.abort();
  assert.equal(fake.produceRequests(), 0);
  assert.equal(count(fake.requestLog(), 'EndTxn(abort)'), 0, 'nothing was added, so there is nothing to end');
  const next = await p.transaction();
  await next.send({ topic: 't', messages: [{ value: 'c', partition: 0 }] });
  await next.commit();
  assert.deepEqual(values(await fake.records('t', 0, 'read_committed')), ['c']);
});

test('a batch that fails for good makes the transaction abortable; the abort bumps the epoch and sequences restart at 0', async (t) => {
  // The second Produce request fails with a non-retriable error: its sequence numbers leave a gap.
  const { fake, p, log } = await connected(t, { onProduce: (call) => (call.requestNumber === 2 ? { errorCode: ErrorCode.INVALID_RECORD } : undefined) });
  const txn = await p.transaction();
  await txn.send({ topic: 't', messages: [{ value: 'a', partition: 0 }] });
  await assert.rejects(
    () => txn.send({ topic: 't', messages: [{ value: 'b', partition: 0 }] }),
    (err: unknown) => err instanceof KafkaError && err.code === ErrorCode.INVALID_RECORD,
  );
  const abortable = await txnError(txn.commit(), 'SAMSA_ERR_TXN_ABORTABLE');
  assert.ok(abortable.cause instanceof KafkaError && abortable.cause.code === ErrorCode.INVALID_RECORD);
  await txn.abort();
  assert.deepEqual(fake.requestLog().slice(-2), ['EndTxn(abort)', 'InitProducerId']);
  assert.ok(log.warnings.some((w) => /sequence numbers lost/.test(w)), log.warnings.join('\n'));
  const next = await p.transaction();
  await next.send({ topic: 't', messages: [{ value: 'c', partition: 0 }] });
  await next.commit();
  const last = new RecordBatchHeader(fake.batches('t', 0).at(-1) as Buffer, 0);
  assert.deepEqual([last.producerEpoch, last.baseSequence], [1, 0]);
  assert.deepEqual(values(await fake.records('t', 0, 'read_committed')), ['c']);
});

test('abort drops batches not sent yet (SAMSA_ERR_TXN_ABORTED) and ends the transaction', async (t) => {
  const { fake, p } = await connected(t, {}, { lingerMs: 60_000 });
  const txn = await p.transaction();
  const pending = txnError(txn.send({ topic: 't', messages: [{ value: 'never', partition: 0 }] }), 'SAMSA_ERR_TXN_ABORTED');
  for (let i = 0; i < 5; i++) await nextTurn();
  await txn.abort();
  await pending;
  assert.equal(fake.produceRequests(), 0);
  assert.deepEqual(fake.requestLog().slice(2), ['AddPartitionsToTxn', 'EndTxn(abort)']);
  const next = await p.transaction();
  const sent = next.send({ topic: 't', messages: [{ value: 'kept', partition: 0 }] });
  await next.commit(); // commit sends the lingering batch first
  await sent;
  assert.deepEqual(fake.requestLog().slice(-3), ['AddPartitionsToTxn', 'Produce', 'EndTxn(commit)']);
  assert.deepEqual(values(await fake.records('t', 0, 'read_committed')), ['kept']);
});

test('sendOffsets: AddOffsetsToTxn, then TxnOffsetCommit to the group coordinator; offsets count only when the transaction commits', async (t) => {
  const s = await start(t, { nodes: 2 });
  s.fake.setGroupCoordinator(1);
  const calls: TxnCall[] = [];
  s.fake.setTxnFaults((call) => {
    calls.push(call);
    // The third transaction's TxnOffsetCommit finds the group coordinator moved.
    if (call.api === 'TxnOffsetCommit' && call.number === 3) {
      s.fake.setGroupCoordinator(0);
      return { errorCode: ErrorCode.NOT_COORDINATOR };
    }
    return undefined;
  });
  const p = s.producer();
  await p.connect();
  const offsets = (offset: number | string) => ({ consumerGroupId: 'g', topics: [{ topic: 't', partitions: [{ partition: 0, offset }, { partition: 2, offset: 1 }] }] });

  const t1 = await p.transaction();
  await t1.send({ topic: 't', messages: [{ value: 'a', partition: 0 }] });
  await t1.sendOffsets(offsets('5'));
  await t1.commit();
  assert.deepEqual(s.fake.committedOffsets('g'), { 't-0': 5, 't-2': 1 });
  assert.deepEqual(
    calls.filter((c) => c.api !== 'InitProducerId' && c.api !== 'AddPartitionsToTxn').map((c) => `${c.api}@${c.node}:${c.key}`),
    ['FindCoordinator@0:tx-1', 'AddOffsetsToTxn@0:tx-1', 'FindCoordinator@0:g', 'TxnOffsetCommit@1:g', 'EndTxn@0:tx-1'],
  );

  const t2 = await p.transaction();
  await t2.sendOffsets(offsets(9));
  await t2.abort();
  assert.deepEqual(s.fake.committedOffsets('g'), { 't-0': 5, 't-2': 1 }, 'the aborted offsets are dropped');

  const t3 = await p.transaction();
  await t3.sendOffsets(offsets(12));
  await t3.commit();
  assert.deepEqual(s.fake.committedOffsets('g'), { 't-0': 12, 't-2': 1 });
  assert.deepEqual(calls.slice(-3).map((c) => `${c.api}@${c.node}`), ['FindCoordinator@0', 'TxnOffsetCommit@0', 'EndTxn@0']);
});

test('commit out of time on retriable errors is SAMSA_ERR_TXN_INCOMPLETE; only commit may follow, and it finishes', async (t) => {
  let loading = true;
  const { fake, p } = await connected(
    t,
    { onTxnRequest: (call) => (call.api === 'EndTxn' && loading ? { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS } : undefined) },
    { transactionTimeoutMs: 200 },
  );
  const txn = await p.transaction();
  await txn.send({ topic: 't', messages: [{ value: 'a', partition: 0 }] });
  const incomplete = await txnError(txn.commit(), 'SAMSA_ERR_TXN_INCOMPLETE');
  assert.equal(incomplete.retriable, true);
  assert.ok(incomplete.cause instanceof KafkaError && incomplete.cause.code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  assert.equal(txn.isActive(), true);
  await txnError(txn.abort(), 'SAMSA_ERR_TXN_STATE');
  await txnError(p.transaction(), 'SAMSA_ERR_TXN_STATE');
  loading = false;
  await txn.commit();
  assert.equal(txn.isActive(), false);
  assert.deepEqual(values(await fake.records('t', 0, 'read_committed')), ['a']);
});

test('concurrent sends and commit: sends called before commit() are part of the transaction', async (t) => {
  const { fake, p } = await connected(t, { topics: { t: 3 } });
  const txn = await p.transaction();
  const sends = Array.from({ length: 30 }, (_, i) => txn.send({ topic: 't', messages: [{ value: `v${i}`, partition: i % 3 }] }));
  await txn.commit();
  await Promise.all(sends);
  const all = (await Promise.all([0, 1, 2].map((q) => fake.records('t', q, 'read_committed')))).flatMap(values);
  assert.equal(all.length, 30);
  assert.equal(count(fake.requestLog(), 'AddPartitionsToTxn'), 1, 'the three partitions of the same turn in one request');
});

test('disconnect leaves an open transaction to the coordinator; the next producer with the id aborts it', async (t) => {
  const s = await start(t);
  const first = s.producer();
  await first.connect();
  const txn = await first.transaction();
  await txn.send({ topic: 't', messages: [{ value: 'left-open', partition: 0 }] });
  await first.disconnect();
  assert.equal(s.fake.txnState('tx-1')?.state, 'Ongoing');
  const second = s.producer();
  await second.connect();
  assert.equal(s.fake.txnState('tx-1')?.state, 'Empty');
  assert.deepEqual(values(await s.fake.records('t', 0, 'read_committed')), []);
});

test('a transaction belongs to its connection: after disconnect and connect its handle is refused', async (t) => {
  const { fake, p } = await connected(t);
  const old = await p.transaction();
  await old.send({ topic: 't', messages: [{ value: 'a', partition: 0 }] });
  await p.disconnect();
  await p.connect(); // InitProducerId again: the coordinator aborts the open transaction
  const current = await p.transaction();
  assert.equal(old.isActive(), false);
  const notConnected = (err: unknown): boolean => err instanceof ClientError && err.code === 'SAMSA_ERR_NOT_CONNECTED';
  await assert.rejects(() => old.send({ topic: 't', messages: [{ value: 'stale', partition: 0 }] }), notConnected);
  await assert.rejects(() => old.commit(), notConnected);
  await current.send({ topic: 't', messages: [{ value: 'b', partition: 0 }] });
  await current.commit();
  assert.deepEqual(values(await fake.records('t', 0, 'read_committed')), ['b']);
});

test('in a transaction a retriable failure of the first of five in-flight batches is retried in order; the refused ones behind it too', async (t) => {
  let failed = false;
  const { fake, p, log } = await connected(
    t,
    {
      onProduce: (call) => {
        // Sequence 0 is refused once; the broker then refuses 1-4 as out of order (0 is missing).
        if (!failed && call.baseSequence === 0) {
          failed = true;
          return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
        }
        return undefined;
      },
    },
    { batchSize: 1 },
  );
  const txn = await p.transaction();
  fake.holdProduceResponses(true);
  const sends = Array.from({ length: 5 }, (_, i) => txn.send({ topic: 't', messages: [{ value: `m${i}`, partition: 0 }] }));
  await waitFor(() => fake.produceRequests() >= 5, 'five Produce requests in flight');
  fake.holdProduceResponses(false);
  await Promise.all(sends);
  await txn.commit();
  assert.deepEqual(values(await fake.records('t', 0, 'read_committed')), ['m0', 'm1', 'm2', 'm3', 'm4']);
  assert.ok(fake.batches('t', 0).every((b) => new RecordBatchHeader(b, 0).producerEpoch === 0), 'no epoch bump');
  assert.deepEqual(log.warnings, []);
});
