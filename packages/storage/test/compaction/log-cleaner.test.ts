// Cleaning segments of a real log on the real disk: what stays, at which offsets, in which batches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { CompressionCodec, ErrorCode, RecordBatchHeader } from '@samsa/protocol';
import { ManualClock } from '../../src/clock.js';
import { CleanerManager } from '../../src/compaction/cleaner-manager.js';
import { LogCleaner } from '../../src/compaction/log-cleaner.js';
import { readCleanerCheckpoint } from '../../src/compaction/cleaner-checkpoint.js';
import { StorageError } from '../../src/errors.js';
import { nodeFs } from '../../src/fs.js';
import { defaultLogConfig, type LogConfig } from '../../src/log-config.js';
import { PartitionLog } from '../../src/partition-log.js';
import { FaultyFs } from '../../test-support/faulty-fs.js';
import { keyedBatch, readAllBatches, readAllRecords, type KV } from '../../test-support/keyed-batches.js';
import { makeTempDir } from '../../test-support/tmp-dir.js';

const COMPACT: Partial<LogConfig> = { cleanupPolicy: 'compact', minCleanableDirtyRatio: 0, segmentBytes: 1024, indexIntervalBytes: 100 };

interface Ctx {
  dir: string;
  clock: ManualClock;
  fs: FaultyFs;
  log: PartitionLog;
  cleaner: CleanerManager;
  config: LogConfig;
  reopen: () => Promise<PartitionLog>;
}

async function withCompactedLog(config: Partial<LogConfig>, fn: (ctx: Ctx) => Promise<void>): Promise<void> {
  const { dir, cleanup } = await makeTempDir('samsa-compact-');
  const clock = new ManualClock();
  const fs = new FaultyFs();
  const cfg: LogConfig = { ...defaultLogConfig, ...COMPACT, ...config };
  const open = (): Promise<PartitionLog> => PartitionLog.open({ dir, topic: 'compacted', partition: 0, config: cfg, fs, clock });
  const ctx: Ctx = {
    dir,
    clock,
    fs,
    config: cfg,
    log: await open(),
    cleaner: new CleanerManager({ fs, clock }),
    reopen: async () => {
      await ctx.log.close();
      ctx.log = await open();
      ctx.cleaner = new CleanerManager({ fs, clock });
      return ctx.log;
    },
  };
  try {
    await fn(ctx);
  } finally {
    await ctx.cleaner.close();
    await ctx.log.close().catch(() => undefined);
    await fs.crash('process');
    await cleanup();
  }
}

/** Appends one batch per entry of `batches`; returns the offsets of every record, in order. */
async function appendAll(log: PartitionLog, batches: KV[][], opts: { compression?: CompressionCodec; timestamp?: number } = {}): Promise<number[]> {
  const offsets: number[] = [];
  for (const records of batches) {
    const r = await log.append(await keyedBatch(records, opts));
    for (let i = 0; i < records.length; i++) offsets.push(r.baseOffset + i);
  }
  return offsets;
}

/** Latest value per key among `written` (offset-aligned), tombstones as null. */
function latest(written: Array<KV & { offset: number }>): Map<string, { offset: number; value: string | null }> {
  const m = new Map<string, { offset: number; value: string | null }>();
  for (const r of written) if (r.key !== null) m.set(r.key, { offset: r.offset, value: r.value });
  return m;
}

test('cleaning keeps the latest record per key at its original offset and merges small segments', async () => {
  await withCompactedLog({}, async ({ log, cleaner, dir }) => {
    const written: Array<KV & { offset: number }> = [];
    for (let round = 0; round < 20; round++) {
      const batch: KV[] = Array.from({ length: 4 }, (_, i) => ({ key: `k${(round * 4 + i) % 7}`, value: `r${round}-${i}`.padEnd(40, '.') }));
      const [first] = await appendAll(log, [batch]);
      batch.forEach((r, i) => written.push({ ...r, offset: first + i }));
    }
    await log.roll();
    const segmentsBefore = log.segmentCount;
    assert.ok(segmentsBefore > 4, `several segments (${segmentsBefore})`);
    const sizeBefore = log.sizeInBytes;
    const result = await cleaner.runOnce([log]);
    assert.ok(result !== null && result.status === 'done', 'a clean ran');
    assert.equal(result.reason, 'dirty-ratio');
    assert.equal(result.endOffset, log.logEndOffset);
    assert.ok(log.sizeInBytes < sizeBefore / 2, `cleaned: ${sizeBefore} -> ${log.sizeInBytes} bytes`);
    // Groups are sized by their sources, so full segments are cleaned one by one; the next clean merges the small results.
    for (let round = 20; round < 24; round++) {
      const batch: KV[] = [{ key: `k${round % 7}`, value: `r${round}`.padEnd(40, '.') }];
      const [first] = await appendAll(log, [batch]);
      written.push({ ...batch[0], offset: first });
    }
    await log.roll();
    const second = await cleaner.runOnce([log]);
    assert.equal(second?.status, 'done');
    assert.ok(log.segmentCount <= 2, `small cleaned segments merged: ${segmentsBefore} -> ${log.segmentCount}`);
    const records = await readAllRecords(log);
    const want = latest(written);
    assert.deepEqual(
      records.map((r) => [r.offset, r.key, r.value]),
      [...want.values()].sort((a, b) => a.offset - b.offset).map((v) => [v.offset, [...want].find(([, x]) => x === v)?.[0], v.value]),
    );
    assert.equal(log.logEndOffset, 84, 'the log end offset does not move');
    assert.equal(await readCleanerCheckpoint(nodeFs, log.dir), 84);
    const files = await readdir(log.dir);
    assert.deepEqual(files.filter((f) => f.endsWith('.cleaned') || f.endsWith('.swap')), [], 'no leftovers');
    assert.ok(dir.length > 0);
  });
});

test('a rewritten batch keeps its base offset, last offset delta, codec, producer fields and leader epoch', async () => {
  for (const codec of [CompressionCodec.None, CompressionCodec.Gzip, CompressionCodec.Snappy, CompressionCodec.Lz4, CompressionCodec.Zstd]) {
    await withCompactedLog({}, async ({ log, cleaner }) => {
      // First batch: a, b, c, d; a and d are overwritten later, so b, c stay in a rebuilt batch.
      await log.append(await keyedBatch([{ key: 'a', value: '1' }, { key: 'b', value: '2' }, { key: 'c', value: '3' }, { key: 'd', value: '4' }], { compression: codec }), { leaderEpoch: 7 });
      await log.append(await keyedBatch([{ key: 'a', value: '5' }, { key: 'd', value: '6' }], { compression: codec }));
      await log.roll();
      await cleaner.runOnce([log]);
      const batches = await readAllBatches(log);
      assert.equal(batches.length, 2, `codec ${codec}`);
      const [b0, b1] = batches;
      assert.deepEqual([b0.baseOffset, b0.lastOffset, b0.lastOffsetDelta, b0.compression, b0.partitionLeaderEpoch], [0, 3, 3, codec, 7]);
      assert.deepEqual(b0.records.map((r) => [r.offset, r.key?.toString(), r.value?.toString()]), [[1, 'b', '2'], [2, 'c', '3']]);
      assert.equal(b1.baseOffset, 4);
      assert.deepEqual(b1.records.map((r) => r.offset), [4, 5]);
      // A consumer at offset 0 or 3 gets the batch spanning them.
      const at3 = await log.read(3, 1 << 20);
      assert.equal(new RecordBatchHeader(at3.buffers[0], 0).baseOffset, 0);
    });
  }
});

test('records without a key are dropped and record timestamps survive', async () => {
  await withCompactedLog({}, async ({ log, cleaner }) => {
    const t0 = 1_700_000_000_000;
    await log.append(await keyedBatch([{ key: null, value: 'x', timestamp: t0 + 5 }, { key: 'k', value: 'y', timestamp: t0 + 9 }, { key: null, value: 'z', timestamp: t0 + 3 }], { timestamp: t0 }));
    await log.roll();
    await cleaner.runOnce([log]);
    const recs = await readAllRecords(log);
    assert.deepEqual(recs.map((r) => [r.offset, r.key, r.value, r.timestamp]), [[1, 'k', 'y', t0 + 9]]);
    const [b] = await readAllBatches(log);
    assert.equal(b.maxTimestamp, t0 + 9, 'max timestamp of the kept records');
  });
});

test('the active segment, and records above the min.compaction.lag.ms limit, are never cleaned', async () => {
  await withCompactedLog({ minCompactionLagMs: 60_000 }, async ({ log, cleaner, clock }) => {
    const ts = () => clock.nowMs();
    await appendAll(log, [[{ key: 'a', value: 'old' }]], { timestamp: ts() });
    await log.roll();
    clock.advance(120_000);
    await appendAll(log, [[{ key: 'a', value: 'mid' }]], { timestamp: ts() });
    await log.roll();
    await appendAll(log, [[{ key: 'a', value: 'new' }]], { timestamp: ts() });
    // Segment 0 is old enough, segment 1 is not, segment 2 is active.
    const r = await cleaner.runOnce([log]);
    assert.ok(r !== null && r.status === 'done');
    assert.equal(r.endOffset, 1);
    assert.deepEqual((await readAllRecords(log)).map((x) => x.value), ['old', 'mid', 'new'], 'segment 0 is only cleaned against itself');
    clock.advance(120_000);
    await log.roll();
    await cleaner.runOnce([log]);
    assert.deepEqual((await readAllRecords(log)).map((x) => [x.offset, x.value]), [[2, 'new']]);
  });
});

test("an idempotent producer's last batch stays as an empty batch, so its sequence survives an unclean restart", async () => {
  await withCompactedLog({}, async (ctx) => {
    const producer = { id: 42, epoch: 0, sequence: 0 };
    await ctx.log.append(await keyedBatch([{ key: 'a', value: '1' }, { key: 'b', value: '1' }], { producer: { ...producer, sequence: 0 } }));
    await ctx.log.append(await keyedBatch([{ key: 'a', value: '2' }], { producer: { ...producer, sequence: 2 } }));
    // A plain producer overwrites everything the idempotent one wrote.
    await ctx.log.append(await keyedBatch([{ key: 'a', value: '3' }, { key: 'b', value: '3' }]));
    await ctx.log.roll();
    await ctx.cleaner.runOnce([ctx.log]);
    const batches = await readAllBatches(ctx.log);
    assert.deepEqual(
      batches.map((b) => [b.baseOffset, b.lastOffset, b.records.length, b.producerId, b.baseSequence]),
      [[2, 2, 0, 42, 2], [3, 4, 2, -1, -1]],
      'the first batch goes, the producer\'s last one stays empty with its offsets and sequence',
    );
    // Unclean restart without snapshots: the producer state comes from the log alone.
    await ctx.fs.crash('process');
    for (const f of await readdir(ctx.dir + '/compacted-0')) if (f.endsWith('.snapshot')) await nodeFs.unlink(`${ctx.dir}/compacted-0/${f}`);
    ctx.log = await PartitionLog.open({ dir: ctx.dir, topic: 'compacted', partition: 0, config: ctx.config, fs: ctx.fs, clock: ctx.clock });
    const next = await ctx.log.append(await keyedBatch([{ key: 'c', value: '4' }], { producer: { ...producer, sequence: 3 } }));
    assert.equal(next.baseOffset, 5);
    await assert.rejects(
      ctx.log.append(await keyedBatch([{ key: 'c', value: '5' }], { producer: { ...producer, sequence: 9 } })),
      (err: unknown) => err instanceof StorageError && err.code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    );
    // Once the producer has a later batch, the next clean drops the empty one.
    await ctx.log.roll();
    const again = new CleanerManager({ fs: ctx.fs, clock: ctx.clock });
    assert.equal((await again.runOnce([ctx.log]))?.status, 'done');
    assert.deepEqual((await readAllBatches(ctx.log)).map((b) => [b.baseOffset, b.records.length]), [[3, 2], [5, 1]]);
    await again.close();
  });
});

test('merged segments keep the aborted-transaction entries of the markers they keep, also after a restart', async () => {
  await withCompactedLog({}, async (ctx) => {
    const producer = { id: 7, epoch: 0, sequence: 0 };
    await ctx.log.append(await keyedBatch([{ key: 'a', value: 'txn' }], { producer, transactional: true }));
    await ctx.log.appendMarker({ producerId: 7, producerEpoch: 0, coordinatorEpoch: 0, aborted: false, timestampMs: 1_700_000_000_000 });
    await ctx.log.roll();
    await ctx.log.append(await keyedBatch([{ key: 'a', value: 'aborted' }], { producer: { ...producer, sequence: 1 }, transactional: true }));
    await ctx.log.roll();
    await ctx.log.appendMarker({ producerId: 7, producerEpoch: 0, coordinatorEpoch: 0, aborted: true, timestampMs: 1_700_000_000_000 });
    await ctx.log.append(await keyedBatch([{ key: 'a', value: 'plain' }]));
    await ctx.log.roll();
    await ctx.log.append(await keyedBatch([{ key: 'a', value: 'plain2' }]));
    await ctx.log.roll();
    const aborted = ctx.log.abortedTransactions(0, ctx.log.logEndOffset);
    assert.equal(aborted.length, 1);
    const segmentsBefore = ctx.log.segmentCount;
    await ctx.cleaner.runOnce([ctx.log]);
    assert.ok(ctx.log.segmentCount < segmentsBefore, 'small segments merged');
    const batches = await readAllBatches(ctx.log);
    // 0: committed, superseded: gone. 1: its COMMIT marker, nothing of its transaction left: horizon set.
    // 2: aborted, but the producer's last data batch: kept empty. 3: the ABORT marker of a transaction
    // with a batch left: kept as it is, with its entry. 4: superseded.
    assert.deepEqual(
      batches.map((b) => [b.baseOffset, b.isTransactional, b.isControl, b.records.length, b.hasDeleteHorizon]),
      [[1, true, true, 1, true], [2, true, false, 0, false], [3, true, true, 1, false], [5, false, false, 1, false]],
    );
    assert.deepEqual(ctx.log.abortedTransactions(0, ctx.log.logEndOffset), aborted);
    await ctx.reopen();
    assert.deepEqual(ctx.log.abortedTransactions(0, ctx.log.logEndOffset), aborted, 'the merged segment carries the aborted transaction after a restart');
  });
});

test('a log that changed during the clean is left alone, and reads in flight on replaced segments finish', async () => {
  await withCompactedLog({}, async ({ log, cleaner }) => {
    for (let i = 0; i < 30; i++) await appendAll(log, [[{ key: `k${i % 3}`, value: `v${i}`.padEnd(100, '.') }]]);
    await log.roll();
    const old = log.segmentsForCleaning()[0];
    assert.ok(old.acquire(), 'pin the first segment like a read in flight');
    const cleaning = cleaner.runOnce([log]);
    // The swap replaces the list before it waits for the old segment's readers.
    for (let i = 0; i < 1000 && log.segmentsForCleaning()[0] === old; i++) await new Promise((r) => setTimeout(r, 5));
    assert.notEqual(log.segmentsForCleaning()[0], old, 'swapped in');
    const r = await old.read(0, 1 << 20, Number.MAX_SAFE_INTEGER);
    assert.ok(r.found && r.data.length > 0, 'the old segment still reads through its open file');
    old.release();
    const result = await cleaning;
    assert.equal(result?.status, 'done');
    assert.deepEqual((await readAllRecords(log)).map((x) => x.offset), [27, 28, 29]);

    // DeleteRecords while the clean reads: the clean notices the deleted segments and stops without harm.
    for (let i = 0; i < 30; i++) await appendAll(log, [[{ key: `k${i % 3}`, value: `w${i}`.padEnd(100, '.') }]]);
    await log.roll();
    const [cand] = await cleaner.candidates([log]);
    assert.ok(cand !== undefined);
    const expected = new Map((await readAllRecords(log)).map((x) => [x.key, x.value]));
    const cut = log.segmentBaseOffsets()[3];
    let deleting: Promise<number> | null = null;
    const raced = await new LogCleaner({ fs: nodeFs, clock: new ManualClock() }).clean(log, cand.range, cand.reason, () => {
      deleting ??= log.deleteRecordsBefore(cut);
      return false;
    });
    await deleting;
    assert.equal(raced.status, 'aborted');
    assert.equal(log.logStartOffset, cut);
    const after = await readAllRecords(log);
    assert.deepEqual(new Map(after.map((x) => [x.key, x.value])), expected, 'the latest value per key is unchanged');
    assert.deepEqual((await readdir(log.dir)).filter((f) => f.endsWith('.cleaned') || f.endsWith('.swap')), []);
  });
});

test('a clean of a closed log stops without error; the cleaner checkpoint is reloaded after a restart', async () => {
  await withCompactedLog({}, async (ctx) => {
    for (let i = 0; i < 20; i++) await appendAll(ctx.log, [[{ key: `k${i % 2}`, value: `v${i}`.padEnd(100, '.') }]]);
    await ctx.log.roll();
    const messages: string[] = [];
    const watched = new CleanerManager({ fs: ctx.fs, clock: ctx.clock, log: (msg) => messages.push(msg) });
    const closing = watched.runOnce([ctx.log]);
    await ctx.reopen();
    const first = await closing;
    assert.ok(first === null || first.status === 'aborted' || first.status === 'done', `result ${JSON.stringify(first)}`);
    assert.ok(!messages.includes('log cleaner failed on partition'), messages.join(', '));
    assert.deepEqual((await readdir(ctx.log.dir)).filter((f) => f.endsWith('.cleaned') || f.endsWith('.swap')), []);
    await watched.close();
    const r = await ctx.cleaner.runOnce([ctx.log]);
    assert.ok(r?.status === 'done' || first?.status === 'done', 'cleaned once the log is open again');
    await ctx.reopen();
    assert.deepEqual(await ctx.cleaner.candidates([ctx.log]), [], 'nothing dirty after the restart');
    assert.deepEqual((await readAllRecords(ctx.log)).map((x) => x.value?.trim().replace(/\.+$/, '')), ['v18', 'v19']);
  });
});

test('max.compaction.lag.ms rolls the active segment and forces a clean below min.cleanable.dirty.ratio', async () => {
  await withCompactedLog({ maxCompactionLagMs: 1000, minCleanableDirtyRatio: 1, segmentBytes: 1 << 20 }, async ({ log, cleaner, clock }) => {
    const t0 = clock.nowMs();
    await appendAll(log, [[{ key: 'a', value: '1' }]], { timestamp: t0 });
    await appendAll(log, [[{ key: 'a', value: '2' }]], { timestamp: t0 + 10 });
    assert.equal(log.segmentCount, 1);
    await appendAll(log, [[{ key: 'b', value: '3' }]], { timestamp: t0 + 1500 });
    assert.equal(log.segmentCount, 2, 'batch timestamps span more than max.compaction.lag.ms: rolled');
    assert.deepEqual(await cleaner.candidates([log]), [], 'not overdue yet, and a ratio of 1 never exceeds 1');
    clock.advance(2000);
    const [due] = await cleaner.candidates([log]);
    assert.equal(due?.reason, 'max-lag');
    await cleaner.runOnce([log]);
    assert.deepEqual((await readAllRecords(log)).map((r) => [r.offset, r.value]), [[1, '2'], [2, '3']]);
  });
});

test('a clean that maps its whole range ends at the range end, even over gaps left by earlier cleans', async () => {
  await withCompactedLog({}, async ({ log, fs, clock }) => {
    // The batch of one keyless record at the segment's end is cleaned away: the segment then ends in a gap.
    await appendAll(log, [[{ key: 'k', value: '1' }], [{ key: null, value: 'x' }]]);
    await log.roll();
    const first = new CleanerManager({ fs, clock });
    assert.equal((await first.runOnce([log]))?.endOffset, 2);
    await first.close();
    // The checkpoint is lost (it is not fsynced): the next clean looks at everything again and must finish.
    await nodeFs.unlink(`${log.dir}/cleaner-offset-checkpoint`);
    const second = new CleanerManager({ fs, clock });
    const r = await second.runOnce([log]);
    assert.equal(r?.endOffset, 2, 'the range end, not the last record + 1');
    assert.equal(await second.runOnce([log]), null, 'nothing left to do');
    await second.close();
  });
});
