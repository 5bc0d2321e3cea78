import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ManualClock } from '../src/clock.js';
import { defaultLogConfig } from '../src/log-config.js';
import { LogManager } from '../src/log-manager.js';
import { parsePartitionDirName } from '../src/partition-log.js';
import { makeBatch } from '../test-support/batches.js';
import { makeTempDir } from '../test-support/tmp-dir.js';

test('partition dir names parse the partition after the last dash', () => {
  assert.deepEqual(parsePartitionDirName('my-topic.v1_x-12'), { topic: 'my-topic.v1_x', partition: 12 });
  assert.equal(parsePartitionDirName('no-partition-'), null);
  assert.equal(parsePartitionDirName('bad/name-1'), null);
});

test('LogManager creates, finds after restart, spreads over dirs, deletes and runs retention', async () => {
  const { dir, cleanup } = await makeTempDir();
  const dirs = [join(dir, 'a'), join(dir, 'b')];
  const clock = new ManualClock();
  const messages: string[] = [];
  try {
    let mgr = await LogManager.open({ logDirs: dirs, defaultConfig: defaultLogConfig, clock, log: (m) => messages.push(m) });
    const p0 = await mgr.getOrCreate('orders-eu', 0, defaultLogConfig);
    const [p1, p1again] = await Promise.all([mgr.getOrCreate('orders-eu', 1, defaultLogConfig), mgr.getOrCreate('orders-eu', 1, defaultLogConfig)]);
    assert.equal(p1, p1again, 'concurrent getOrCreate shares one log');
    await p0.append(makeBatch(3));
    await p1.append(makeBatch(5));
    assert.deepEqual((await readdir(dirs[0])).filter((n) => n.startsWith('orders')).length, 1);
    assert.deepEqual((await readdir(dirs[1])).filter((n) => n.startsWith('orders')).length, 1);
    await mgr.close();

    await mkdir(join(dirs[0], 'gone-0-delete'));
    mgr = await LogManager.open({
      logDirs: dirs,
      defaultConfig: defaultLogConfig,
      topicConfigs: (t) => (t === 'orders-eu' ? { retentionMs: 1000, segmentBytes: 100 } : {}),
      clock,
    });
    assert.equal(mgr.partitions().length, 2);
    assert.equal(mgr.get('orders-eu', 0)?.logEndOffset, 3);
    assert.equal(mgr.get('orders-eu', 1)?.logEndOffset, 5);
    assert.equal(mgr.get('orders-eu', 1)?.config.retentionMs, 1000);
    assert.ok(!(await readdir(dirs[0])).includes('gone-0-delete'));
    clock.advance(1_000_000);
    assert.equal(await mgr.runRetention(), 2);
    assert.equal(mgr.get('orders-eu', 0)?.logStartOffset, 3);
    await mgr.deletePartition('orders-eu', 0);
    assert.equal(mgr.get('orders-eu', 0), undefined);
    mgr.startBackgroundTasks();
    await mgr.close();
    const all = [...(await readdir(dirs[0])), ...(await readdir(dirs[1]))];
    assert.deepEqual(all.filter((n) => n.startsWith('orders')), ['orders-eu-1']);
  } finally {
    await cleanup();
  }
});

test('flush.messages triggers fdatasync per the policy', async () => {
  const { FaultyFs } = await import('../test-support/faulty-fs.js');
  const { dir, cleanup } = await makeTempDir();
  const fs = new FaultyFs();
  try {
    const mgr = await LogManager.open({ logDirs: [dir], defaultConfig: defaultLogConfig, fs });
    const log = await mgr.getOrCreate('f', 0, { ...defaultLogConfig, flushMessages: 4 });
    await log.append(makeBatch(2));
    assert.equal(fs.datasyncs, 0);
    await log.append(makeBatch(2));
    assert.equal(fs.datasyncs, 1);
    await mgr.close();
  } finally {
    await cleanup();
  }
});
