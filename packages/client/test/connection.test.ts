// Request timeouts of one Connection (one timer per connection, armed for the
// earliest pending deadline) and the callback form of send, against the fake cluster.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { CompressionCodec, ProduceApi, ZERO_UUID, encodeRecordBatchSync, type ProduceRequest } from '@samsa/protocol';
import { Connection, ConnectionError } from '../src/index.js';
import { startFakeCluster, type FakeCluster } from '../test-support/fake-cluster.js';

const PRODUCE_VERSION = 9;

function produceRequest(): ProduceRequest {
  const now = Date.now();
  const records = encodeRecordBatchSync({ baseTimestamp: now, compression: CompressionCodec.None, records: [{ key: null, value: Buffer.from('v'), headers: [], timestamp: now }] });
  return { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 't', topicId: ZERO_UUID, partitionData: [{ index: 0, records }] }] };
}

async function setup(t: TestContext): Promise<{ fake: FakeCluster; conn: Connection }> {
  const fake = await startFakeCluster({ topics: { t: 1 }, initProducerId: false });
  t.after(() => fake.stop());
  const conn = await Connection.open('127.0.0.1', fake.ports[0], { timeoutMs: 10_000 });
  t.after(() => conn.close());
  return { fake, conn };
}

function isTimeoutOf(ms: number): (err: unknown) => boolean {
  return (err) => err instanceof ConnectionError && err.timedOut && new RegExp(`Produce request to 127\\.0\\.0\\.1:\\d+ timed out after ${ms} ms`).test(err.message);
}

test('a request times out at its own deadline when an earlier request armed the timer for a later one', async (t) => {
  const { fake, conn } = await setup(t);
  fake.holdProduceResponses(true);
  const started = Date.now();
  const slow = conn.send(ProduceApi, PRODUCE_VERSION, produceRequest(), { timeoutMs: 20_000 });
  const fast = conn.send(ProduceApi, PRODUCE_VERSION, produceRequest(), { timeoutMs: 200 });
  await assert.rejects(fast, isTimeoutOf(200));
  assert.ok(Date.now() - started < 5_000, `timed out after ${Date.now() - started} ms, not at the 200 ms deadline`);
  // A timeout fails every request pending on the connection (a late answer could not be matched) and closes it.
  await assert.rejects(slow, isTimeoutOf(200));
  assert.equal(conn.closed, true);
});

test('answered requests leave the connection open after their deadlines pass', async (t) => {
  const { conn } = await setup(t);
  const res = await conn.send(ProduceApi, PRODUCE_VERSION, produceRequest(), { timeoutMs: 100 });
  assert.equal(res.responses[0].partitionResponses[0].errorCode, 0);
  // The point of this test is time passing: the timer armed for the answered request fires with nothing pending.
  await sleep(300);
  assert.equal(conn.closed, false);
  const again = await conn.send(ProduceApi, PRODUCE_VERSION, produceRequest(), { timeoutMs: 100 });
  assert.equal(again.responses[0].partitionResponses[0].errorCode, 0);
});

test('sendWithCallback delivers the response, and on a closed connection calls back after returning', async (t) => {
  const { conn } = await setup(t);
  const res = await new Promise((resolve, reject) =>
    conn.sendWithCallback(ProduceApi, PRODUCE_VERSION, produceRequest(), undefined, (err, r) => (err === null ? resolve(r) : reject(err))),
  );
  assert.equal((res as { responses: Array<{ partitionResponses: Array<{ errorCode: number }> }> }).responses[0].partitionResponses[0].errorCode, 0);

  conn.close();
  const seen: { error?: Error | null } = {};
  conn.sendWithCallback(ProduceApi, PRODUCE_VERSION, produceRequest(), undefined, (err) => {
    seen.error = err;
  });
  assert.ok(!('error' in seen), 'the callback ran inside sendWithCallback');
  await Promise.resolve();
  assert.ok(seen.error instanceof ConnectionError && /closed by the client/.test(seen.error.message), String(seen.error));
});

test('closing the connection fails pending requests after close() returns', async (t) => {
  const { fake, conn } = await setup(t);
  fake.holdProduceResponses(true);
  const seen: { error?: Error | null } = {};
  conn.sendWithCallback(ProduceApi, PRODUCE_VERSION, produceRequest(), undefined, (err) => {
    seen.error = err;
  });
  const pending = conn.send(ProduceApi, PRODUCE_VERSION, produceRequest());
  conn.close();
  assert.ok(!('error' in seen), 'the callback ran inside close()');
  await assert.rejects(pending, /closed by the client/);
  assert.ok(seen.error instanceof ConnectionError, String(seen.error));
});
