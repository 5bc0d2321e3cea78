// Crash-safety of the cleaned-segment swap: a crash at each named point, then the log is opened
// again and must hold either the old segments or the cleaned one, with every offset where it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ManualClock } from '../../src/clock.js';
import { CleanerManager } from '../../src/compaction/cleaner-manager.js';
import type { SwapFaultPoint } from '../../src/compaction/segment-swap.js';
import { defaultLogConfig, type LogConfig } from '../../src/log-config.js';
import { PartitionLog } from '../../src/partition-log.js';
import { FaultyFs } from '../../test-support/faulty-fs.js';
import { keyedBatch, readAllRecords, type ReadRecord } from '../../test-support/keyed-batches.js';
import { makeTempDir } from '../../test-support/tmp-dir.js';

const CONFIG: LogConfig = { ...defaultLogConfig, cleanupPolicy: 'compact', minCleanableDirtyRatio: 0, segmentBytes: 1 << 20, indexIntervalBytes: 50 };

/** Four sealed segments of overwritten keys, the last holding the newest value of every key. */
async function fill(log: PartitionLog): Promise<ReadRecord[]> {
  for (let seg = 0; seg < 4; seg++) {
    for (let i = 0; i < 6; i++) {
      const key = `k${i % 3}`;
      await log.append(await keyedBatch([{ key, value: `s${seg}-${i}` }, { key: `x${seg}`, value: `only-${seg}` }]));
    }
    await log.roll();
  }
  return readAllRecords(log);
}

/** Keeps, per key, the record with the highest offset. */
function latestPerKey(records: readonly ReadRecord[]): ReadRecord[] {
  const m = new Map<string | null, ReadRecord>();
  for (const r of records) m.set(r.key, r);
  return [...m.values()].sort((a, b) => a.offset - b.offset);
}

const leftovers = async (dir: string): Promise<string[]> => (await readdir(dir)).filter((f) => f.endsWith('.cleaned') || f.endsWith('.swap'));

for (const point of ['compaction.swap.started', 'compaction.swap.committed', 'compaction.swap.sources-deleted', 'compaction.swap.renamed'] as SwapFaultPoint[]) {
  for (const crash of ['process', 'power'] as const) {
    test(`a ${crash} crash at ${point} leaves the old or the cleaned log, never a mix`, async () => {
      const { dir, cleanup } = await makeTempDir('samsa-swap-');
      const fs = new FaultyFs();
      const clock = new ManualClock();
      const open = (): Promise<PartitionLog> => PartitionLog.open({ dir, topic: 'swap', partition: 0, config: CONFIG, fs, clock });
      let log = await open();
      try {
        const before = await fill(log);
        const messages: Array<Record<string, unknown>> = [];
        const cleaner = new CleanerManager({
          fs,
          clock,
          log: (msg, fields) => messages.push({ msg, ...fields }),
          probe: async (p) => {
            if (p !== point) return;
            await fs.crash(crash);
            throw new Error(`injected ${crash} crash at ${p}`);
          },
        });
        assert.equal(await cleaner.runOnce([log]), null, 'the clean failed');
        assert.equal(messages[0]?.msg, 'log cleaner failed on partition');
        log = await open();
        assert.deepEqual(await leftovers(log.dir), [], 'recovery left no .cleaned or .swap files');
        const after = await readAllRecords(log);
        const expected = point === 'compaction.swap.started' ? before : latestPerKey(before);
        assert.deepEqual(after, expected);
        assert.equal(log.logEndOffset, before[before.length - 1].offset + 1);
        // The log works on: appends after the recovered segments, and a later clean succeeds.
        await log.append(await keyedBatch([{ key: 'k0', value: 'after' }]));
        await log.roll();
        const again = new CleanerManager({ fs, clock });
        assert.equal((await again.runOnce([log]))?.status, 'done');
        const final = await readAllRecords(log);
        assert.deepEqual(final.map((r) => [r.key, r.value]).sort(), latestPerKey([...before, { offset: 1e9, key: 'k0', value: 'after', timestamp: 0 }]).map((r) => [r.key, r.value]).sort());
        await again.close();
        await cleaner.close();
      } finally {
        await log.close().catch(() => undefined);
        await fs.crash('process');
        await cleanup();
      }
    });
  }
}

test('open drops index swaps without a .log swap (a crash inside the commit step) and stray .cleaned files', async () => {
  const { dir, cleanup } = await makeTempDir('samsa-swap-');
  const clock = new ManualClock();
  let log = await PartitionLog.open({ dir, topic: 'swap', partition: 0, config: CONFIG, clock });
  try {
    const before = await fill(log);
    await log.close();
    const base = '00000000000000000000';
    await writeFile(join(log.dir, `${base}.index.swap`), Buffer.alloc(8));
    await writeFile(join(log.dir, `${base}.timeindex.swap`), Buffer.alloc(12));
    await writeFile(join(log.dir, `${base}.log.cleaned`), Buffer.alloc(100, 1));
    log = await PartitionLog.open({ dir, topic: 'swap', partition: 0, config: CONFIG, clock });
    assert.deepEqual(await leftovers(log.dir), []);
    assert.deepEqual(await readAllRecords(log), before);
  } finally {
    await log.close().catch(() => undefined);
    await cleanup();
  }
});
