// The metadata layer against the fake cluster: bootstrap order, one socket per broker,
// shared refreshes, topic errors and retries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { ErrorCode } from '@samsa/protocol';
import { Cluster } from '../../src/cluster/cluster.js';
import { KafkaError } from '../../src/kafka-error.js';
import { silentLogger } from '../../src/logger.js';
import { retryPolicy } from '../../src/retry.js';
import { startFakeCluster } from '../../test-support/fake-cluster.js';

/** A port nothing listens on (bound, read, closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function cluster(brokers: string[], retries = 2): Cluster {
  return new Cluster({
    clientId: 'unit',
    brokers,
    connectionTimeoutMs: 5_000,
    requestTimeoutMs: 5_000,
    retry: retryPolicy({ retries, initialRetryTimeMs: 1, maxRetryTimeMs: 5 }),
    logger: silentLogger,
    allowAutoTopicCreation: false,
  });
}

test('bootstrap skips an unreachable address; the bootstrap socket becomes the broker’s connection', async (t) => {
  const fake = await startFakeCluster({ topics: { t: 2 } });
  t.after(() => fake.stop());
  const c = cluster([`127.0.0.1:${await closedPort()}`, fake.bootstrap]);
  t.after(() => c.close());
  await c.connect();
  assert.deepEqual(c.brokers().map((b) => [b.nodeId, b.port]), [[0, fake.ports[0]]]);
  const md = await c.topicMetadata('t');
  assert.deepEqual(md.partitions.map((p) => p.leaderId), [0, 0]);
  assert.deepEqual(md.availablePartitions, [0, 1]);
  assert.ok(c.readyConnection(0) !== undefined);
  await c.openConnection(0);
  assert.equal(fake.acceptedConnections(), 1, 'one socket for bootstrap and broker 0');
});

test('concurrent lookups share one Metadata request; cached metadata costs none', async (t) => {
  const fake = await startFakeCluster({ topics: { a: 1, b: 3 } });
  t.after(() => fake.stop());
  const c = cluster([fake.bootstrap]);
  t.after(() => c.close());
  await c.connect();
  const before = fake.metadataRequests();
  const [a1, a2] = await Promise.all([c.topicMetadata('a'), c.topicMetadata('a')]);
  assert.equal(a1, a2);
  assert.equal(fake.metadataRequests() - before, 1);
  await c.topicMetadata('a');
  assert.equal(fake.metadataRequests() - before, 1, 'served from the cache');
  const b = await c.topicMetadata('b');
  assert.equal(b.partitions.length, 3);
  assert.equal(c.leaderOf('b', 2), 0);
  assert.equal(c.leaderOf('b', 7), -1);
  assert.equal(c.leaderOf('nope', 0), -1);
});

test('an unknown topic is retried, then reported as a KafkaError of Metadata', async (t) => {
  const fake = await startFakeCluster({ topics: {} });
  t.after(() => fake.stop());
  const c = cluster([fake.bootstrap], 2);
  t.after(() => c.close());
  await c.connect();
  const before = fake.metadataRequests();
  await assert.rejects(c.topicMetadata('missing'), (e: unknown) => {
    assert.ok(e instanceof KafkaError);
    assert.equal(e.code, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal(e.apiName, 'Metadata');
    assert.equal(e.topic, 'missing');
    return true;
  });
  assert.equal(fake.metadataRequests() - before, 3, 'first try and two retries');
});

test('no reachable bootstrap broker: connect fails with a ConnectionError after its retries', async (t) => {
  const c = cluster([`127.0.0.1:${await closedPort()}`], 1);
  t.after(() => c.close());
  await assert.rejects(c.connect(), /cannot connect to 127\.0\.0\.1/);
});

test('a refresh after the broker dropped every connection reconnects', async (t) => {
  const fake = await startFakeCluster({ topics: { t: 1 } });
  t.after(() => fake.stop());
  const c = cluster([fake.bootstrap]);
  t.after(() => c.close());
  await c.connect();
  fake.dropConnections();
  await assert.doesNotReject(c.topicMetadata('t', { refresh: true }));
  assert.ok(fake.acceptedConnections() >= 2);
});
