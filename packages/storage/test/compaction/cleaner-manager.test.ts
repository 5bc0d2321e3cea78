// The background cleaner as LogManager runs it: it picks the dirtiest partition, keeps going when
// one partition fails, cleans by itself every log.cleaner.backoff.ms, and gets out of the way of
// partition deletion and shutdown. compact,delete logs still get time retention; compact ones not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open as openFile } from 'node:fs/promises';
import { ManualClock } from '../../src/clock.js';
import { defaultLogConfig, type LogConfig } from '../../src/log-config.js';
import { LogManager } from '../../src/log-manager.js';
import type { PartitionLog } from '../../src/partition-log.js';
import { keyedBatch, readAllRecords } from '../../test-support/keyed-batches.js';
import { makeTempDir } from '../../test-support/tmp-dir.js';
import { waitFor } from '../../test-support/wait-for.js';

const COMPACT: LogConfig = { ...defaultLogConfig, cleanupPolicy: 'compact', minCleanableDirtyRatio: 0.1, segmentBytes: 2048 };

/** `rounds` overwrites of `keys` keys, then a roll so all of it is sealed. */
async function overwrite(log: PartitionLog, keys: number, rounds: number, ts?: number): Promise<void> {
  for (let r = 0; r < rounds; r++) {
    await log.append(await keyedBatch(Array.from({ length: keys }, (_, k) => ({ key: `k${k}`, value: `round ${r}`.padEnd(50, '.') })), { timestamp: ts }));
  }
  await log.roll();
}

test('a failing partition is logged and skipped; the others are still cleaned', async () => {
  const { dir, cleanup } = await makeTempDir('samsa-cleaner-mgr-');
  const messages: Array<{ msg: string; fields?: Record<string, unknown> }> = [];
  const mgr = await LogManager.open({ logDirs: [dir], defaultConfig: COMPACT, clock: new ManualClock(), log: (msg, fields) => messages.push({ msg, fields }) });
  try {
    const bad = await mgr.getOrCreate('bad', 0, COMPACT);
    const good = await mgr.getOrCreate('good', 0, COMPACT);
    await overwrite(bad, 5, 40);
    await overwrite(good, 5, 20);
    // Corrupt a record byte of the first batch of bad's first (sealed) segment: its CRC no longer matches.
    const f = await openFile(bad.segmentsForCleaning()[0].logPath, 'r+');
    await f.write(Buffer.from([0xff]), 0, 1, 100);
    await f.close();
    // Both are fully dirty; whichever goes first, one pass fails (bad) and one cleans (good).
    const results = [await mgr.runCleaner(), await mgr.runCleaner()];
    assert.deepEqual(results.map((r) => r?.status ?? 'failed').sort(), ['done', 'failed']);
    const failure = messages.find((m) => m.msg === 'log cleaner failed on partition');
    assert.equal(failure?.fields?.topic, 'bad');
    assert.match(String(failure?.fields?.error), /CRC/);
    assert.deepEqual((await readAllRecords(good)).map((r) => r.value?.trim()), Array(5).fill('round 19'.padEnd(50, '.')));
    assert.equal(await mgr.runCleaner(), null, 'the failed partition waits before it is tried again');
  } finally {
    await mgr.close();
    await cleanup();
  }
});

test('the background loop cleans by itself; deleting a partition or closing stops a clean in progress', async () => {
  const { dir, cleanup } = await makeTempDir('samsa-cleaner-mgr-');
  const messages: string[] = [];
  const mgr = await LogManager.open({ logDirs: [dir], defaultConfig: COMPACT, log: (msg) => messages.push(msg), cleaner: { backoffMs: () => 20 } });
  try {
    const log = await mgr.getOrCreate('auto', 0, COMPACT);
    await overwrite(log, 10, 30);
    mgr.startBackgroundTasks();
    await waitFor(() => messages.includes('cleaned partition log'), { timeoutMs: 30_000, message: 'the background cleaner cleaned the partition' });
    assert.deepEqual((await readAllRecords(log)).map((r) => r.key), Array.from({ length: 10 }, (_, k) => `k${k}`));
    // Deletion while dirty data waits: whatever the cleaner is doing, deletion wins and nothing throws.
    await overwrite(log, 10, 30);
    await mgr.deletePartition('auto', 0);
    assert.equal(mgr.get('auto', 0), undefined);
    const other = await mgr.getOrCreate('other', 0, COMPACT);
    await overwrite(other, 10, 30);
  } finally {
    await mgr.close();
    await cleanup();
  }
  assert.ok(!messages.includes('log cleaner failed on partition'), messages.join('\n'));
});

test('retention: compact,delete logs lose old segments by time, compact-only logs do not', async () => {
  const { dir, cleanup } = await makeTempDir('samsa-cleaner-mgr-');
  const clock = new ManualClock();
  const mgr = await LogManager.open({ logDirs: [dir], defaultConfig: COMPACT, clock, cleaner: { enabled: false } });
  try {
    const both = await mgr.getOrCreate('both', 0, { ...COMPACT, cleanupPolicy: 'compact,delete', retentionMs: 1000 });
    const compactOnly = await mgr.getOrCreate('compact', 0, { ...COMPACT, retentionMs: 1000 });
    await overwrite(both, 5, 10, clock.nowMs());
    await overwrite(compactOnly, 5, 10, clock.nowMs());
    clock.advance(10_000);
    await mgr.runRetention();
    assert.ok(both.logStartOffset > 0, 'compact,delete: time retention applies');
    assert.equal(compactOnly.logStartOffset, 0, 'compact: no time retention');
    assert.equal(await mgr.runCleaner(), null, 'log.cleaner.enable=false: no cleaning');
  } finally {
    await mgr.close();
    await cleanup();
  }
});
