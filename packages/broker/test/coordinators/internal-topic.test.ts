import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogManager } from '@samsa/storage';
import { BrokerConfig, TopicConfigs } from '../../src/config/effective-config.js';
import { parseProperties } from '../../src/config/properties.js';
import { InternalTopic, type InternalTopicRecord } from '../../src/coordinators/internal-topic.js';
import { offsetsPartitionFor } from '../../src/coordinators/group/java-hash.js';
import { FileMetadataStore } from '../../src/metadata/metadata-store.js';
import { TopicManager } from '../../src/topic-manager.js';

const NAME = '__test_internal';

/** A real metadata store, log manager and topic manager in a temporary directory. */
async function open(dir: string, loadBufferBytes = 1 << 20): Promise<{ topic: InternalTopic; logs: LogManager; appended: string[] }> {
  const config = BrokerConfig.fromProperties(parseProperties(''));
  const metadata = await FileMetadataStore.open(dir);
  const logs = await LogManager.open({ logDirs: [dir], defaultConfig: TopicConfigs.toLogConfig(new Map(), config) });
  const topics = new TopicManager(metadata, logs, config);
  await topics.reconcile();
  const appended: string[] = [];
  const topic = new InternalTopic({
    name: NAME,
    metadata,
    topics,
    numPartitions: 3,
    configs: new Map([['cleanup.policy', 'compact']]),
    loadBufferBytes,
    nowMs: () => 1_700_000_000_000,
    onAppend: (name, partition) => appended.push(`${name}-${partition}`),
  });
  return { topic, logs, appended };
}

const rec = (key: string, value: string | null): InternalTopicRecord => ({ key: Buffer.from(key), value: value === null ? null : Buffer.from(value) });

async function readBack(topic: InternalTopic): Promise<Array<{ partition: number; key: string; value: string | null; control: boolean; txn: boolean }>> {
  const out: Array<{ partition: number; key: string; value: string | null; control: boolean; txn: boolean }> = [];
  await topic.readAll(
    (batch, partition, fromOffset) => {
      for (const r of batch.records) {
        if (r.offset < fromOffset) continue;
        out.push({ partition, key: batch.isControl ? '' : String(r.key), value: r.value === null ? null : String(r.value), control: batch.isControl, txn: batch.isTransactional });
      }
    },
    (err) => assert.fail(`bad record: ${String(err)}`),
  );
  return out;
}

test('created once on first append, with its configs; records go to the owner partition and read back in order', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-internal-topic-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const { topic, logs, appended } = await open(dir);
  assert.equal(topic.partitionFor('owner-a'), null, 'no topic before the first need');
  assert.deepEqual(await readBack(topic), []);
  // Concurrent first appends share one creation.
  await Promise.all([topic.append('owner-a', [rec('a1', 'v1'), rec('a2', 'v2')]), topic.append('owner-b', [rec('b1', 'v')])]);
  await topic.append('owner-a', [rec('a1', null)]);
  const pa = offsetsPartitionFor('owner-a', 3);
  const pb = offsetsPartitionFor('owner-b', 3);
  assert.equal(topic.partitionFor('owner-a'), pa);
  assert.equal(await topic.ensureTopic(), 3);
  assert.deepEqual(appended.sort(), [`${NAME}-${pa}`, `${NAME}-${pa}`, `${NAME}-${pb}`].sort());
  const read = await readBack(topic);
  assert.deepEqual(
    read.filter((r) => r.partition === pa).map((r) => [r.key, r.value]),
    [
      ['a1', 'v1'],
      ['a2', 'v2'],
      ['a1', null],
    ],
  );
  assert.deepEqual(read.filter((r) => r.partition === pb).map((r) => [r.key, r.value]), [['b1', 'v']]);

  await logs.close();

  // Reopened from disk: the same records, the topic not created again.
  const again = await open(dir);
  try {
    assert.equal(again.topic.partitionFor('owner-a'), pa);
    assert.deepEqual(await readBack(again.topic), read);
  } finally {
    await again.logs.close();
  }
});

test('transactional appends carry the producer; a small load buffer still reads every batch once', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-internal-topic-'));
  const { topic, logs } = await open(dir, 64);
  // after hooks run in the order they are added: close the logs, then remove their directory.
  t.after(() => logs.close());
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (let i = 0; i < 20; i++) await topic.append('owner', [rec(`k${i}`, `v${i}`)]);
  await topic.append('owner', [rec('t1', 'x')], { producerId: 7, producerEpoch: 0 });
  const partition = offsetsPartitionFor('owner', 3);
  const log = logs.get(NAME, partition);
  assert.ok(log);
  await log.appendMarker({ producerId: 7, producerEpoch: 0, coordinatorEpoch: 0, aborted: false, timestampMs: 1 });
  const read = await readBack(topic);
  assert.deepEqual(
    read.filter((r) => !r.control).map((r) => r.key),
    [...Array.from({ length: 20 }, (_, i) => `k${i}`), 't1'],
  );
  assert.deepEqual(
    read.map((r) => r.txn),
    [...Array.from({ length: 20 }, () => false), true, true],
  );
  assert.equal(read.filter((r) => r.control).length, 1);
});
