import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileMetadataStore } from '../../src/metadata/metadata-store.js';

test('topics survive reopen with ids, partition counts and configs', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-meta-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const a = await FileMetadataStore.open(dir);
  const created = await a.createTopic('orders', 3, new Map([['retention.ms', '1000']]));
  assert.match(created.topicId, /^[0-9a-f]{32}$/);
  await a.setPartitionCount('orders', 5);
  await a.createTopic('gone', 1, new Map());
  await a.deleteTopic('gone');
  await assert.rejects(a.createTopic('orders', 1, new Map()));

  const b = await FileMetadataStore.open(dir);
  assert.equal(b.clusterId, a.clusterId);
  const orders = b.topic('orders');
  assert.ok(orders);
  assert.equal(orders.partitions, 5);
  assert.equal(orders.topicId, created.topicId);
  assert.equal(orders.configs.get('retention.ms'), '1000');
  assert.equal(b.topicById(created.topicId)?.name, 'orders');
  assert.equal(b.topic('gone'), undefined);
  assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.tmp')), []);
});

test('a given cluster id is used on first open only', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-meta-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const a = await FileMetadataStore.open(dir, { clusterId: 'first' });
  assert.equal(a.clusterId, 'first');
  const b = await FileMetadataStore.open(dir, { clusterId: 'second' });
  assert.equal(b.clusterId, 'first');
});
