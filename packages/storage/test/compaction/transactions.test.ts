// Compaction of transactional data (issue 4), one test per rule of batch-filter.ts: aborted data is
// removed and never mapped; committed transactional data is compacted like any other; a marker
// stays while a batch of its transaction does, then gets a delete horizon and goes after it (with
// its aborted-transaction entry, in memory and after a restart); a read_committed consumer sees
// the latest committed value per key; the last batch and marker of a producer keep its state
// through a rebuild from the log; nothing at or past the last stable offset is touched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode } from '@samsa/protocol';
import { ManualClock } from '../../src/clock.js';
import { CleanerManager } from '../../src/compaction/cleaner-manager.js';
import { LogCleaner } from '../../src/compaction/log-cleaner.js';
import type { SwapFaultPoint } from '../../src/compaction/segment-swap.js';
import { StorageError } from '../../src/errors.js';
import { defaultLogConfig, type LogConfig } from '../../src/log-config.js';
import { PartitionLog } from '../../src/partition-log.js';
import { FaultyFs } from '../../test-support/faulty-fs.js';
import { keyedBatch, marker, readAllBatches, readAllRecords, readCommittedRecords, type KV } from '../../test-support/keyed-batches.js';
import { makeTempDir } from '../../test-support/tmp-dir.js';

const DELETE_RETENTION_MS = 10_000;
const CONFIG: Partial<LogConfig> = { cleanupPolicy: 'compact', minCleanableDirtyRatio: 0, segmentBytes: 1024, indexIntervalBytes: 100, deleteRetentionMs: DELETE_RETENTION_MS };

interface Ctx {
  dir: string;
  clock: ManualClock;
  fs: FaultyFs;
  log: PartitionLog;
  cleaner: CleanerManager;
  /** Closes cleanly and opens again. */
  reopen: () => Promise<PartitionLog>;
  /** Kills the process and opens again (the `.txnindex` files are loaded as they are). */
  reopenAfterCrash: () => Promise<PartitionLog>;
  /** Kills the process, deletes every producer snapshot and opens again: producer state then comes from the log alone. */
  reopenFromLogOnly: () => Promise<PartitionLog>;
}

async function withLog(fn: (ctx: Ctx) => Promise<void>): Promise<void> {
  const { dir, cleanup } = await makeTempDir('samsa-compact-txn-');
  const clock = new ManualClock();
  const fs = new FaultyFs();
  const config: LogConfig = { ...defaultLogConfig, ...CONFIG };
  const open = (): Promise<PartitionLog> => PartitionLog.open({ dir, topic: 'ctxn', partition: 0, config, fs, clock });
  const ctx: Ctx = {
    dir,
    clock,
    fs,
    log: await open(),
    cleaner: new CleanerManager({ fs, clock }),
    reopen: async () => {
      await ctx.cleaner.close();
      await ctx.log.close();
      ctx.log = await open();
      ctx.cleaner = new CleanerManager({ fs, clock });
      return ctx.log;
    },
    reopenAfterCrash: async () => {
      await ctx.cleaner.close();
      await fs.crash('process');
      ctx.log = await open();
      ctx.cleaner = new CleanerManager({ fs, clock });
      return ctx.log;
    },
    reopenFromLogOnly: async () => {
      await ctx.cleaner.close();
      await fs.crash('process');
      const partDir = join(dir, 'ctxn-0');
      for (const f of await readdir(partDir)) if (f.endsWith('.snapshot')) await unlink(join(partDir, f));
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

/** A transactional producer writing through the log directly. */
function txnProducer(log: () => PartitionLog, id: number): { send: (records: KV[]) => Promise<number>; end: (aborted: boolean) => Promise<number> } {
  let sequence = 0;
  return {
    async send(records) {
      const r = await log().append(await keyedBatch(records, { producer: { id, epoch: 0, sequence }, transactional: true }));
      sequence += records.length;
      return r.baseOffset;
    },
    async end(aborted) {
      return (await marker(log(), id, 0, aborted)).baseOffset;
    },
  };
}

const plain = async (log: PartitionLog, records: KV[]): Promise<number> => (await log.append(await keyedBatch(records))).baseOffset;
const triples = (recs: ReadonlyArray<{ offset: number; key: string | null; value: string | null }>): Array<[number, string | null, string | null]> =>
  recs.map((r) => [r.offset, r.key, r.value]);
/** [baseOffset, transactional, control, record count, delete horizon] of every batch. */
async function batchShapes(log: PartitionLog): Promise<Array<[number, boolean, boolean, number, boolean]>> {
  return (await readAllBatches(log)).map((b) => [b.baseOffset, b.isTransactional, b.isControl, b.records.length, b.hasDeleteHorizon]);
}

test('records of an aborted transaction are removed and never enter the key map; the marker and its entry go after the horizon', async () => {
  await withLog(async (ctx) => {
    const p = txnProducer(() => ctx.log, 50);
    await plain(ctx.log, [{ key: 'a', value: '1' }, { key: 'b', value: '1' }]); // 0-1
    await p.send([{ key: 'a', value: 'x' }, { key: 'b', value: 'y' }, { key: 'c', value: 'z' }]); // 2-4
    assert.equal(await p.end(true), 5);
    await p.send([{ key: 'd', value: 'committed' }]); // 6
    assert.equal(await p.end(false), 7);
    await ctx.log.roll();
    const [entry] = ctx.log.abortedTransactions(0, 8);
    assert.deepEqual([entry.producerId, entry.firstOffset, entry.lastOffset], [50, 2, 5]);

    const first = await ctx.cleaner.runOnce([ctx.log]);
    assert.equal(first?.status, 'done');
    const cleanedAt = ctx.clock.nowMs();
    // The aborted values did not supersede a=1 and b=1 (never mapped); their batch went whole.
    assert.deepEqual(triples(await readAllRecords(ctx.log)), [[0, 'a', '1'], [1, 'b', '1'], [6, 'd', 'committed']]);
    assert.deepEqual(triples(await readCommittedRecords(ctx.log)), [[0, 'a', '1'], [1, 'b', '1'], [6, 'd', 'committed']]);
    // The ABORT marker has nothing of its transaction left: kept with a horizon; the COMMIT marker's batch stays, so does it.
    assert.deepEqual(await batchShapes(ctx.log), [[0, false, false, 2, false], [5, true, true, 1, true], [6, true, false, 1, false], [7, true, true, 1, false]]);
    const [abortMarker] = (await readAllBatches(ctx.log)).filter((b) => b.baseOffset === 5);
    assert.equal(abortMarker.baseTimestamp, cleanedAt + DELETE_RETENTION_MS);
    assert.equal(abortMarker.records[0].timestamp, 1_700_000_000_000, 'the marker record keeps its timestamp');
    assert.equal(first.earliestTombstoneHorizon, cleanedAt + DELETE_RETENTION_MS, 'the marker horizon schedules a clean');
    assert.deepEqual(ctx.log.abortedTransactions(0, 8), [entry], 'the entry stays while its marker does');

    ctx.clock.advance(DELETE_RETENTION_MS - 1);
    assert.deepEqual(await ctx.cleaner.candidates([ctx.log]), []);
    ctx.clock.advance(1);
    const [due] = await ctx.cleaner.candidates([ctx.log]);
    assert.equal(due?.reason, 'delete-horizon');
    await ctx.cleaner.runOnce([ctx.log]);
    assert.deepEqual(await batchShapes(ctx.log), [[0, false, false, 2, false], [6, true, false, 1, false], [7, true, true, 1, false]]);
    assert.deepEqual(ctx.log.abortedTransactions(0, 8), [], 'the entry went with its marker');
    assert.deepEqual(await ctx.cleaner.candidates([ctx.log]), [], 'nothing left to do');
    await ctx.reopen();
    assert.deepEqual(ctx.log.abortedTransactions(0, 8), [], 'and stays gone after a restart');
    assert.deepEqual(triples(await readCommittedRecords(ctx.log)), [[0, 'a', '1'], [1, 'b', '1'], [6, 'd', 'committed']]);
  });
});

test('committed transactional records are mapped and compacted like any other, tombstones included', async () => {
  await withLog(async (ctx) => {
    const p = txnProducer(() => ctx.log, 51);
    await p.send([{ key: 'a', value: 't1' }, { key: 'b', value: 't1' }, { key: 'c', value: 't1' }]); // 0-2
    await p.end(false); // 3
    await plain(ctx.log, [{ key: 'a', value: 'p2' }]); // 4
    await p.send([{ key: 'b', value: 't3' }, { key: 'c', value: null }]); // 5-6
    await p.end(false); // 7
    await plain(ctx.log, [{ key: 'z', value: 'p' }]); // 8
    await ctx.log.roll();
    await ctx.cleaner.runOnce([ctx.log]);
    assert.deepEqual(triples(await readAllRecords(ctx.log)), [[4, 'a', 'p2'], [5, 'b', 't3'], [6, 'c', null], [8, 'z', 'p']]);
    // The first transaction's batch went, so its marker got a horizon; the second's tombstone got one too,
    // in a rebuilt batch that is still transactional.
    assert.deepEqual(await batchShapes(ctx.log), [[3, true, true, 1, true], [4, false, false, 1, false], [5, true, false, 2, true], [7, true, true, 1, false], [8, false, false, 1, false]]);
    assert.deepEqual(triples(await readCommittedRecords(ctx.log)), [[4, 'a', 'p2'], [5, 'b', 't3'], [6, 'c', null], [8, 'z', 'p']]);
    ctx.clock.advance(DELETE_RETENTION_MS);
    assert.equal((await ctx.cleaner.runOnce([ctx.log]))?.reason, 'delete-horizon');
    assert.deepEqual(await batchShapes(ctx.log), [[4, false, false, 1, false], [5, true, false, 1, true], [7, true, true, 1, false], [8, false, false, 1, false]]);
    assert.deepEqual(triples(await readCommittedRecords(ctx.log)), [[4, 'a', 'p2'], [5, 'b', 't3'], [8, 'z', 'p']]);
  });
});

test('a marker stays while a batch of its transaction remains in an earlier segment, then gets a horizon and goes', async () => {
  await withLog(async (ctx) => {
    const big = (tag: string): string => tag.padEnd(600, '.');
    const p = txnProducer(() => ctx.log, 52);
    await p.send([{ key: 'k', value: big('v1') }]); // 0
    await ctx.log.roll();
    await p.end(false); // 1
    await plain(ctx.log, [{ key: 'x', value: big('x') }]); // 2
    await ctx.log.roll();
    await p.send([{ key: 'y', value: 'y' }]); // 3: the producer's last data batch is elsewhere
    await p.end(false); // 4
    await ctx.log.roll();
    await ctx.cleaner.runOnce([ctx.log]);
    assert.ok(ctx.log.segmentCount >= 3, 'the data and its marker stay in different segments');
    assert.deepEqual(await batchShapes(ctx.log), [[0, true, false, 1, false], [1, true, true, 1, false], [2, false, false, 1, false], [3, true, false, 1, false], [4, true, true, 1, false]]);

    await plain(ctx.log, [{ key: 'k', value: big('v2') }]); // 5 supersedes 0
    await ctx.log.roll();
    const second = await ctx.cleaner.runOnce([ctx.log]);
    const horizon = ctx.clock.nowMs() + DELETE_RETENTION_MS;
    assert.equal(second?.earliestTombstoneHorizon, horizon);
    assert.deepEqual(await batchShapes(ctx.log), [[1, true, true, 1, true], [2, false, false, 1, false], [3, true, false, 1, false], [4, true, true, 1, false], [5, false, false, 1, false]]);

    ctx.clock.advance(DELETE_RETENTION_MS);
    await ctx.cleaner.runOnce([ctx.log]);
    assert.deepEqual(await batchShapes(ctx.log), [[2, false, false, 1, false], [3, true, false, 1, false], [4, true, true, 1, false], [5, false, false, 1, false]]);
    assert.deepEqual(triples(await readCommittedRecords(ctx.log)).map(([o, k]) => [o, k]), [[2, 'x'], [3, 'y'], [5, 'k']]);
  });
});

test('a read_committed consumer gets exactly the latest committed value per key after cleaning; interleaved producers', async () => {
  await withLog(async (ctx) => {
    const p1 = txnProducer(() => ctx.log, 53);
    const p2 = txnProducer(() => ctx.log, 54);
    await p1.send([{ key: 'a', value: '1a' }]); // 0
    await p2.send([{ key: 'a', value: '2a' }, { key: 'b', value: '2b' }]); // 1-2
    await plain(ctx.log, [{ key: 'c', value: 'p' }]); // 3
    await p1.send([{ key: 'b', value: '1b' }]); // 4
    await p2.end(true); // 5
    await p1.end(false); // 6
    await p2.send([{ key: 'c', value: '2c' }]); // 7
    await p2.end(false); // 8
    await p1.send([{ key: 'a', value: '1a-aborted' }]); // 9
    await p1.end(true); // 10
    await plain(ctx.log, [{ key: 'd', value: 'p' }]); // 11
    await ctx.log.roll();
    assert.deepEqual(triples(await readCommittedRecords(ctx.log)), [[0, 'a', '1a'], [3, 'c', 'p'], [4, 'b', '1b'], [7, 'c', '2c'], [11, 'd', 'p']], 'before cleaning');
    await ctx.cleaner.runOnce([ctx.log]);
    const want: Array<[number, string, string]> = [[0, 'a', '1a'], [4, 'b', '1b'], [7, 'c', '2c'], [11, 'd', 'p']];
    assert.deepEqual(triples(await readCommittedRecords(ctx.log)), want);
    assert.deepEqual(triples(await readAllRecords(ctx.log)), want, 'read_uncommitted: no aborted record is left');
    // p1's aborted batch at 9 is its last data batch: kept empty, so its ABORT marker and entry stay too.
    assert.deepEqual(await batchShapes(ctx.log), [
      [0, true, false, 1, false],
      [4, true, false, 1, false],
      [5, true, true, 1, true],
      [6, true, true, 1, false],
      [7, true, false, 1, false],
      [8, true, true, 1, false],
      [9, true, false, 0, false],
      [10, true, true, 1, false],
      [11, false, false, 1, false],
    ]);
    assert.deepEqual(ctx.log.abortedTransactions(0, 12).map((t) => [t.producerId, t.firstOffset, t.lastOffset]), [[54, 1, 5], [53, 9, 10]]);
    await ctx.reopen();
    assert.deepEqual(triples(await readCommittedRecords(ctx.log)), want, 'the same after a restart');
  });
});

test("a transactional producer's last batch and the marker closing it keep producer state when it is rebuilt from the log", async () => {
  await withLog(async (ctx) => {
    const p = txnProducer(() => ctx.log, 55);
    await p.send([{ key: 'a', value: '1' }]); // 0
    await p.end(false); // 1
    await p.send([{ key: 'a', value: '2' }]); // 2
    await p.end(true); // 3
    await plain(ctx.log, [{ key: 'a', value: '3' }]); // 4
    await ctx.log.roll();
    await ctx.cleaner.runOnce([ctx.log]);
    assert.deepEqual(await batchShapes(ctx.log), [[1, true, true, 1, true], [2, true, false, 0, false], [3, true, true, 1, false], [4, false, false, 1, false]]);
    await ctx.reopenFromLogOnly();
    // The empty aborted batch reopens the transaction on replay and its kept marker closes it again.
    assert.equal(ctx.log.lastStableOffset, 5, 'no transaction left open');
    assert.deepEqual(ctx.log.abortedTransactions(0, 5).map((t) => [t.producerId, t.firstOffset, t.lastOffset]), [[55, 2, 3]]);
    // The sequence survived: the next batch is accepted, a gap is not.
    const next = await ctx.log.append(await keyedBatch([{ key: 'b', value: 'n' }], { producer: { id: 55, epoch: 0, sequence: 2 }, transactional: true }));
    assert.equal(next.baseOffset, 5);
    await assert.rejects(
      ctx.log.append(await keyedBatch([{ key: 'b', value: 'gap' }], { producer: { id: 55, epoch: 0, sequence: 9 }, transactional: true })),
      (err: unknown) => err instanceof StorageError && err.code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    );
    await marker(ctx.log, 55, 0, false);
    assert.deepEqual(triples(await readCommittedRecords(ctx.log)), [[4, 'a', '3'], [5, 'b', 'n']]);
  });
});

test("a producer's last marker of its epoch stays past its horizon while the producer is tracked; earlier ones go", async () => {
  await withLog(async (ctx) => {
    const p = txnProducer(() => ctx.log, 56);
    await p.send([{ key: 'a', value: '1' }]); // 0
    await p.end(false); // 1, epoch 0
    // A fencing bump (InitProducerId): an ABORT marker at epoch 1 with no open transaction; the producer has no data batch in epoch 1.
    await marker(ctx.log, 56, 1, true); // 2
    await plain(ctx.log, [{ key: 'a', value: '2' }]); // 3
    await ctx.log.roll();
    await ctx.cleaner.runOnce([ctx.log]);
    assert.deepEqual(await batchShapes(ctx.log), [[1, true, true, 1, true], [2, true, true, 1, true], [3, false, false, 1, false]]);
    ctx.clock.advance(DELETE_RETENTION_MS);
    await ctx.cleaner.runOnce([ctx.log]);
    assert.deepEqual(await batchShapes(ctx.log), [[2, true, true, 1, true], [3, false, false, 1, false]], 'the epoch-1 marker stays for fencing');
    await ctx.reopenFromLogOnly();
    assert.equal(ctx.log.producerState.entry(56)?.producerEpoch, 1, 'the epoch survives a rebuild from the log');
    await assert.rejects(
      ctx.log.append(await keyedBatch([{ key: 'z', value: 'zombie' }], { producer: { id: 56, epoch: 0, sequence: 2 }, transactional: true })),
      (err: unknown) => err instanceof StorageError && err.code === ErrorCode.INVALID_PRODUCER_EPOCH,
    );
    // Once the producer is forgotten (producer.id.expiration.ms), the next clean removes the marker.
    assert.equal(ctx.log.removeExpiredProducers(0), 1);
    await plain(ctx.log, [{ key: 'b', value: '1' }]);
    await ctx.log.roll();
    await ctx.cleaner.runOnce([ctx.log]);
    assert.deepEqual(await batchShapes(ctx.log), [[3, false, false, 1, false], [4, false, false, 1, false]]);
  });
});

test('a producer with no sequenced data (transactional offset commits) keeps only its last mapped marker', async () => {
  await withLog(async (ctx) => {
    const q = 57;
    const commitOffsets = async (value: string): Promise<void> => {
      await ctx.log.append(await keyedBatch([{ key: 'offsets', value }], { producer: { id: q, epoch: 0, sequence: -1 }, transactional: true }), { origin: 'coordinator' });
      await marker(ctx.log, q, 0, false);
    };
    await commitOffsets('o1'); // 0, 1
    await commitOffsets('o2'); // 2, 3
    await commitOffsets('o3'); // 4, 5
    await plain(ctx.log, [{ key: 'offsets', value: 'final' }]); // 6
    await ctx.log.roll();
    await ctx.cleaner.runOnce([ctx.log]);
    assert.deepEqual(await batchShapes(ctx.log), [[1, true, true, 1, true], [3, true, true, 1, true], [5, true, true, 1, true], [6, false, false, 1, false]]);
    ctx.clock.advance(DELETE_RETENTION_MS);
    await commitOffsets('o4'); // 7, 8
    await ctx.log.roll();
    await ctx.cleaner.runOnce([ctx.log]);
    assert.deepEqual((await batchShapes(ctx.log)).map((b) => b[0]), [7, 8], 'past their horizon, with a later marker of the producer mapped: gone');
    await plain(ctx.log, [{ key: 'offsets', value: 'final2' }]); // 9
    await ctx.log.roll();
    await ctx.cleaner.runOnce([ctx.log]);
    assert.deepEqual(await batchShapes(ctx.log), [[8, true, true, 1, true], [9, false, false, 1, false]]);
    ctx.clock.advance(DELETE_RETENTION_MS);
    await plain(ctx.log, [{ key: 'other', value: '1' }]); // 10
    await ctx.log.roll();
    await ctx.cleaner.runOnce([ctx.log]);
    assert.deepEqual((await batchShapes(ctx.log)).map((b) => b[0]), [8, 9, 10], 'the last marker stays past its horizon for the epoch');
  });
});

test('a clean whose range ends inside a segment leaves every batch at or past the last stable offset as it is', async () => {
  await withLog(async (ctx) => {
    const p = txnProducer(() => ctx.log, 58);
    await plain(ctx.log, [{ key: null, value: 'keyless-before' }]); // 0
    await p.send([{ key: 'k', value: 'open' }]); // 1: opens a transaction
    await plain(ctx.log, [{ key: null, value: 'keyless-after' }]); // 2
    await ctx.log.roll();
    assert.equal(ctx.log.lastStableOffset, 1);
    // A range as left by a checkpoint inside the segment: the cleaner rewrites the whole segment.
    const cleaner = new LogCleaner({ fs: ctx.fs, clock: ctx.clock });
    const r = await cleaner.clean(ctx.log, { firstDirtyOffset: 3, firstUncleanableOffset: 3, cleanBytes: 0, dirtyBytes: 0, dirtyRatio: 0, compactionDelayMs: 0 }, 'delete-horizon');
    assert.equal(r.status, 'done');
    assert.deepEqual(triples(await readAllRecords(ctx.log)), [[1, 'k', 'open'], [2, null, 'keyless-after']], 'below the LSO the keyless record went; past it nothing changed');
    await p.end(false);
    assert.deepEqual(triples(await readCommittedRecords(ctx.log)), [[1, 'k', 'open'], [2, null, 'keyless-after']]);
  });
});

for (const point of ['compaction.swap.started', 'compaction.swap.committed', 'compaction.swap.sources-deleted', 'compaction.swap.renamed'] as SwapFaultPoint[]) {
  for (const crash of ['process', 'power'] as const) {
    test(`a ${crash} crash at ${point} never brings back the entry of a marker the clean removed`, async () => {
      await withLog(async (ctx) => {
        const p = txnProducer(() => ctx.log, 59);
        await p.send([{ key: 'a', value: 'x' }]); // 0
        await p.end(true); // 1
        await plain(ctx.log, [{ key: 'a', value: '1' }]); // 2
        await p.send([{ key: 'b', value: 'y' }]); // 3
        await p.end(false); // 4
        await ctx.log.roll();
        await ctx.cleaner.runOnce([ctx.log]);
        assert.deepEqual((await batchShapes(ctx.log)).map((b) => b[0]), [1, 2, 3, 4]);
        assert.equal(ctx.log.abortedTransactions(0, 5).length, 1);
        ctx.clock.advance(DELETE_RETENTION_MS);
        await plain(ctx.log, [{ key: 'c', value: '1' }]); // 5: dirty, so a fresh cleaner cleans
        await ctx.log.roll();
        const crashing = new CleanerManager({
          fs: ctx.fs,
          clock: ctx.clock,
          probe: async (at) => {
            if (at !== point) return;
            await ctx.fs.crash(crash);
            throw new Error(`injected ${crash} crash at ${at}`);
          },
        });
        assert.equal(await crashing.runOnce([ctx.log]), null, 'the clean failed');
        await crashing.close();
        await ctx.reopenAfterCrash();
        const markerKept = (await batchShapes(ctx.log)).some((b) => b[0] === 1);
        assert.equal(markerKept, point === 'compaction.swap.started', 'the swap committed unless the crash came first');
        assert.equal(ctx.log.abortedTransactions(0, 5).length, markerKept ? 1 : 0, 'the entry is there exactly when its marker is');
        assert.deepEqual(triples(await readCommittedRecords(ctx.log)), [[2, 'a', '1'], [3, 'b', 'y'], [5, 'c', '1']]);
        assert.deepEqual((await readdir(join(ctx.dir, 'ctxn-0'))).filter((f) => f.endsWith('.cleaned') || f.endsWith('.swap')), []);
      });
    });
  }
}
