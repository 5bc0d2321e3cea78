// Consumer and run options: defaults, the rebalance protocol that follows from the assignors,
// and one clear ClientError per mistake.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientError } from '../../src/client-error.js';
import { consumerSettings, runSettings } from '../../src/consumer/consumer-options.js';
import { silentLogger } from '../../src/logger.js';

const client = { clientId: 'unit', brokers: ['127.0.0.1:9092'], connectionTimeoutMs: 1000, requestTimeoutMs: 2000, retry: undefined, logger: silentLogger };

function rejects(options: object, pattern: RegExp): void {
  assert.throws(
    () => consumerSettings(client, options),
    (e: unknown) => e instanceof ClientError && e.code === 'SAMSA_ERR_INVALID_CONFIG' && pattern.test(e.message),
  );
}

test('defaults', () => {
  const s = consumerSettings(client, { groupId: 'g' });
  assert.equal(s.rebalanceProtocol, 'cooperative');
  assert.deepEqual(s.assigners.map((a) => a.name), ['cooperative-sticky']);
  assert.equal(s.sessionTimeoutMs, 30_000);
  assert.equal(s.heartbeatIntervalMs, 3_000);
  assert.equal(s.readCommitted, true);
  assert.equal(s.autoOffsetReset, 'latest');
  assert.equal(s.requestTimeoutMs, 2000, 'from the Kafka client');
  assert.equal(s.maxBufferedBytesPerPartition, s.maxBytesPerPartition);
  const r = runSettings({});
  assert.deepEqual(r, { autoCommit: true, autoCommitIntervalMs: 5000, autoCommitThreshold: 0, partitionsConsumedConcurrently: 1, eachBatchAutoResolve: true });
});

test('an eager assignor among the offered ones makes the protocol eager', () => {
  assert.equal(consumerSettings(client, { partitionAssigners: ['cooperative-sticky', 'range'] }).rebalanceProtocol, 'eager');
  assert.equal(consumerSettings(client, { readUncommitted: true }).readCommitted, false);
  assert.equal(consumerSettings(client, { isolationLevel: 'read_uncommitted' }).readCommitted, false);
});

test('mistakes are refused with the fix in the message', () => {
  rejects({ partitionAssigners: ['sticky'] }, /unknown assignor 'sticky'.*range, roundrobin, cooperative-sticky/);
  rejects({ partitionAssigners: [] }, /non-empty/);
  rejects({ partitionAssigners: ['range', 'range'] }, /listed twice/);
  rejects({ sessionTimeoutMs: 3000, heartbeatIntervalMs: 3000 }, /heartbeatIntervalMs .* must be below sessionTimeoutMs/);
  rejects({ groupId: '' }, /groupId must be a non-empty string/);
  rejects({ groupInstanceId: 'x' }, /groupInstanceId needs a groupId/);
  rejects({ isolationLevel: 'committed' }, /isolationLevel/);
  rejects({ readUncommitted: true, isolationLevel: 'read_committed' }, /contradicts/);
  rejects({ autoOffsetReset: 'smallest' }, /autoOffsetReset/);
  rejects({ maxBytes: 0 }, /maxBytes must be a whole number >= 1/);
  assert.throws(() => runSettings({ partitionsConsumedConcurrently: 0 }), /partitionsConsumedConcurrently/);
});
