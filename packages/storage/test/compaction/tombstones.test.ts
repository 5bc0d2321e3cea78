// Tombstones: kept by the first clean with a delete horizon (KIP-534), removed by a clean after it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/clock.js';
import { CleanerManager } from '../../src/compaction/cleaner-manager.js';
import { nodeFs } from '../../src/fs.js';
import { defaultLogConfig, type LogConfig } from '../../src/log-config.js';
import { PartitionLog } from '../../src/partition-log.js';
import { keyedBatch, readAllBatches, readAllRecords } from '../../test-support/keyed-batches.js';
import { makeTempDir } from '../../test-support/tmp-dir.js';

const DELETE_RETENTION_MS = 10_000;

async function withLog(fn: (log: PartitionLog, clock: ManualClock, reopen: () => Promise<PartitionLog>) => Promise<void>): Promise<void> {
  const { dir, cleanup } = await makeTempDir('samsa-tombstones-');
  const clock = new ManualClock();
  const config: LogConfig = { ...defaultLogConfig, cleanupPolicy: 'compact', minCleanableDirtyRatio: 0.5, deleteRetentionMs: DELETE_RETENTION_MS, segmentBytes: 4096 };
  let log = await PartitionLog.open({ dir, topic: 't', partition: 0, config, clock });
  try {
    await fn(log, clock, async () => {
      await log.close();
      log = await PartitionLog.open({ dir, topic: 't', partition: 0, config, clock });
      return log;
    });
  } finally {
    await log.close().catch(() => undefined);
    await cleanup();
  }
}

test('a tombstone gets a delete horizon on the first clean and disappears after delete.retention.ms', async () => {
  await withLog(async (log, clock) => {
    const cleaner = new CleanerManager({ fs: nodeFs, clock });
    const t0 = clock.nowMs();
    await log.append(await keyedBatch([{ key: 'gone', value: 'v1' }, { key: 'kept', value: 'v1' }], { timestamp: t0 }));
    await log.append(await keyedBatch([{ key: 'gone', value: null, timestamp: t0 + 7 }, { key: 'other', value: 'x', timestamp: t0 + 3 }], { timestamp: t0 }));
    await log.roll();
    const first = await cleaner.runOnce([log]);
    assert.equal(first?.status, 'done');
    const cleanedAt = clock.nowMs();
    assert.equal(first.earliestTombstoneHorizon, cleanedAt + DELETE_RETENTION_MS);
    const batches = await readAllBatches(log);
    assert.deepEqual(batches.map((b) => [b.baseOffset, b.hasDeleteHorizon]), [[0, false], [2, true]]);
    assert.equal(batches[1].baseTimestamp, cleanedAt + DELETE_RETENTION_MS, 'baseTimestamp holds the horizon');
    assert.deepEqual(
      batches[1].records.map((r) => [r.offset, r.key?.toString(), r.value, r.timestamp]),
      [[2, 'gone', null, t0 + 7], [3, 'other', Buffer.from('x'), t0 + 3]],
      'record timestamps are unchanged (deltas from the horizon)',
    );
    assert.deepEqual((await readAllRecords(log)).map((r) => [r.key, r.value]), [['kept', 'v1'], ['gone', null], ['other', 'x']]);

    // Not due yet: nothing to clean (the log is clean).
    clock.advance(DELETE_RETENTION_MS - 1);
    assert.deepEqual(await cleaner.candidates([log]), []);
    clock.advance(1);
    const [due] = await cleaner.candidates([log]);
    assert.equal(due?.reason, 'delete-horizon');
    const second = await cleaner.runOnce([log]);
    assert.equal(second?.status, 'done');
    assert.equal(second.earliestTombstoneHorizon, -1);
    assert.deepEqual((await readAllRecords(log)).map((r) => [r.offset, r.key, r.value]), [[1, 'kept', 'v1'], [3, 'other', 'x']]);
    assert.deepEqual(await cleaner.candidates([log]), [], 'nothing left to do');
    await cleaner.close();
  });
});

test('a tombstone superseded by a later value goes at once; the horizon survives a restart in the batch', async () => {
  await withLog(async (log0, clock, reopen) => {
    let log = log0;
    const cleaner = new CleanerManager({ fs: nodeFs, clock });
    await log.append(await keyedBatch([{ key: 'a', value: null }]));
    await log.append(await keyedBatch([{ key: 'b', value: null }]));
    await log.append(await keyedBatch([{ key: 'a', value: 'back' }]));
    await log.roll();
    await cleaner.runOnce([log]);
    assert.deepEqual((await readAllRecords(log)).map((r) => [r.offset, r.key, r.value]), [[1, 'b', null], [2, 'a', 'back']]);
    await cleaner.close();
    log = await reopen();
    // After a restart the cleaner no longer knows the horizon; the next clean the dirty ratio starts removes it.
    const fresh = new CleanerManager({ fs: nodeFs, clock });
    clock.advance(DELETE_RETENTION_MS);
    assert.deepEqual(await fresh.candidates([log]), []);
    for (let i = 1; i <= 4; i++) await log.append(await keyedBatch([{ key: 'c', value: String(i) }]));
    await log.roll();
    const r = await fresh.runOnce([log]);
    assert.equal(r?.reason, 'dirty-ratio');
    assert.deepEqual((await readAllRecords(log)).map((x) => [x.offset, x.key, x.value]), [[2, 'a', 'back'], [6, 'c', '4']]);
    await fresh.close();
  });
});
