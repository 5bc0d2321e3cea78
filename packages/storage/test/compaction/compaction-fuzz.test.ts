// Op-fuzz of compaction against a reference model: "the latest value of every key, at its
// original offset". A seeded random sequence of keyed appends (tombstones, compressed batches, an
// idempotent producer), rolls, cleans, clock ticks, DeleteRecords, process kills, and kills in the
// middle of a swap runs against the real log on the real disk. After every step, reading the log
// from its start must give records that the model holds at those very offsets, every key's latest
// value, every record of the active segment, and no tombstone past its earliest possible horizon
// unless cleaned. On failure the seed is printed as SAMSA_SEED=<n>; rerun with that env var.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { CompressionCodec } from '@samsa/protocol';
import { ManualClock } from '../../src/clock.js';
import { CleanerManager } from '../../src/compaction/cleaner-manager.js';
import type { SwapFaultPoint } from '../../src/compaction/segment-swap.js';
import { defaultLogConfig, type LogConfig } from '../../src/log-config.js';
import { PartitionLog } from '../../src/partition-log.js';
import { FaultyFs } from '../../test-support/faulty-fs.js';
import { keyedBatch, readAllRecords, type KV } from '../../test-support/keyed-batches.js';
import { makeTempDir } from '../../test-support/tmp-dir.js';

/** mulberry32. */
function rng(seed: number): { int: (n: number) => number; pick: <T>(xs: readonly T[]) => T; chance: (p: number) => boolean } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { int: (n) => Math.floor(next() * n), pick: (xs) => xs[Math.floor(next() * xs.length)], chance: (p) => next() < p };
}

interface ModelRecord {
  key: string;
  value: string | null;
  appendedAtMs: number;
}

const DELETE_RETENTION_MS = 30_000;
const SWAP_POINTS: SwapFaultPoint[] = ['compaction.swap.started', 'compaction.swap.committed', 'compaction.swap.sources-deleted', 'compaction.swap.renamed'];

async function runSeed(seed: number, steps: number): Promise<void> {
  const r = rng(seed);
  const { dir, cleanup } = await makeTempDir('samsa-compact-fuzz-');
  const clock = new ManualClock();
  const fs = new FaultyFs();
  const config: LogConfig = {
    ...defaultLogConfig,
    cleanupPolicy: 'compact',
    segmentBytes: r.pick([400, 1200, 5000]),
    indexIntervalBytes: r.pick([0, 100, 700]),
    segmentIndexBytes: r.pick([48, 4096]),
    minCleanableDirtyRatio: r.pick([0, 0.3, 0.6]),
    deleteRetentionMs: DELETE_RETENTION_MS,
  };
  const open = (): Promise<PartitionLog> => PartitionLog.open({ dir, topic: 'cfuzz', partition: 0, config, fs, clock });
  let crashAt: SwapFaultPoint | null = null;
  const newCleaner = (): CleanerManager =>
    new CleanerManager({
      fs,
      clock,
      // A small map now and then, so some cleans stop where the map filled up.
      dedupeBufferBytes: () => r.pick([1 << 20, 24 * 16, 24 * 64]),
      probe: async (p) => {
        if (p !== crashAt) return;
        crashAt = null;
        await fs.crash('process');
        throw new Error(`injected crash at ${p}`);
      },
    });
  let log = await open();
  let cleaner = newCleaner();
  const model = new Map<number, ModelRecord>();
  let logStartOffset = 0;
  let logEndOffset = 0;
  const producer = { id: 9, epoch: 0, nextSequence: 0 };
  const trace: string[] = [];
  const stats = { cleans: 0, recordsRemoved: 0 };
  const keys = Array.from({ length: r.pick([3, 12, 40]) }, (_, i) => `key-${i}`);

  const check = async (op: string): Promise<void> => {
    assert.equal(log.logEndOffset, logEndOffset, `LEO after ${op}`);
    assert.equal(log.logStartOffset, logStartOffset, `log start offset after ${op}`);
    const records = await readAllRecords(log);
    let prev = -1;
    const present = new Set<number>();
    for (const rec of records) {
      assert.ok(rec.offset > prev, `offsets increase (${rec.offset} after ${prev})`);
      prev = rec.offset;
      const m = model.get(rec.offset);
      assert.ok(m !== undefined, `record at ${rec.offset} was written`);
      assert.deepEqual([rec.key, rec.value], [m.key, m.value], `record at ${rec.offset} unchanged`);
      present.add(rec.offset);
    }
    const latest = new Map<string, number>();
    for (const [offset, m] of model) if (offset >= logStartOffset && (latest.get(m.key) ?? -1) < offset) latest.set(m.key, offset);
    const activeBase = log.segmentBaseOffsets().at(-1) ?? 0;
    for (const [key, offset] of latest) {
      const m = model.get(offset) as ModelRecord;
      if (m.value !== null) assert.ok(present.has(offset), `latest value of ${key} (offset ${offset}) present after ${op}`);
      else if (clock.nowMs() < m.appendedAtMs + DELETE_RETENTION_MS) assert.ok(present.has(offset), `tombstone of ${key} at ${offset} kept until its horizon`);
    }
    for (const offset of model.keys()) if (offset >= Math.max(activeBase, logStartOffset)) assert.ok(present.has(offset), `active-segment record ${offset} present`);
  };

  try {
    for (let step = 0; step < steps; step++) {
      const op = r.pick(['append', 'append', 'append', 'append', 'idempotent', 'roll', 'roll', 'clean', 'clean', 'tick', 'kill', 'swapCrash', 'deleteRecords'] as const);
      trace.push(op);
      switch (op) {
        case 'append': {
          const n = 1 + r.int(4);
          const recs: KV[] = Array.from({ length: n }, () => ({ key: r.pick(keys), value: r.chance(0.15) ? null : `v${step}-${r.int(1000)}`.padEnd(r.int(60), '.') }));
          const res = await log.append(await keyedBatch(recs, { timestamp: clock.nowMs(), compression: r.pick([CompressionCodec.None, CompressionCodec.None, CompressionCodec.Gzip, CompressionCodec.Lz4]) }));
          assert.equal(res.baseOffset, logEndOffset);
          recs.forEach((x, i) => model.set(res.baseOffset + i, { key: x.key as string, value: x.value, appendedAtMs: clock.nowMs() }));
          logEndOffset += n;
          break;
        }
        case 'idempotent': {
          const n = 1 + r.int(3);
          const recs: KV[] = Array.from({ length: n }, () => ({ key: r.pick(keys), value: `p${step}` }));
          const res = await log.append(await keyedBatch(recs, { timestamp: clock.nowMs(), producer: { id: producer.id, epoch: producer.epoch, sequence: producer.nextSequence } }));
          assert.equal(res.duplicate, false);
          producer.nextSequence += n;
          recs.forEach((x, i) => model.set(res.baseOffset + i, { key: x.key as string, value: x.value, appendedAtMs: clock.nowMs() }));
          logEndOffset += n;
          break;
        }
        case 'roll':
          await log.roll();
          break;
        case 'clean': {
          const res = await cleaner.runOnce([log]);
          if (res !== null && res.status === 'done') {
            stats.cleans++;
            stats.recordsRemoved += res.recordsRead - res.recordsKept;
            // Below the end of a clean, every key appears once.
            const seen = new Set<string | null>();
            for (const rec of await readAllRecords(log)) {
              if (rec.offset >= res.endOffset) break;
              assert.ok(!seen.has(rec.key), `key ${rec.key} twice below the clean's end ${res.endOffset} (at ${rec.offset})`);
              seen.add(rec.key);
            }
            // Liveness: with no new data and no time passing, cleaning converges (each pass makes progress).
            let passes = 0;
            for (let again = await cleaner.runOnce([log]); again !== null; again = await cleaner.runOnce([log])) {
              assert.ok(again.status === 'done' && again.endOffset > again.firstDirtyOffset, `pass ${passes} made progress: ${JSON.stringify(again)}`);
              assert.ok(++passes < 200, 'cleaning converges');
            }
          }
          break;
        }
        case 'tick':
          clock.advance(r.int(20_000));
          break;
        case 'kill':
          await cleaner.close();
          await fs.crash('process');
          log = await open();
          cleaner = newCleaner();
          break;
        case 'swapCrash': {
          await log.roll();
          crashAt = r.pick(SWAP_POINTS);
          const res = await cleaner.runOnce([log]);
          if (crashAt === null) {
            // The crash happened: the log object is dead; open it again.
            assert.equal(res, null);
            await cleaner.close();
            log = await open();
            cleaner = newCleaner();
          }
          crashAt = null;
          break;
        }
        case 'deleteRecords': {
          if (r.int(3) !== 0) break;
          const offset = logStartOffset + r.int(Math.max(1, Math.floor((logEndOffset - logStartOffset) / 4)));
          logStartOffset = await log.deleteRecordsBefore(Math.min(offset, logEndOffset));
          break;
        }
      }
      await check(op);
      assert.deepEqual((await readdir(log.dir)).filter((f) => f.endsWith('.cleaned') || (f.endsWith('.swap') && op !== 'swapCrash')), [], `no leftovers after ${op}`);
    }
    // The idempotent producer still continues its sequence after a final unclean restart.
    await cleaner.close();
    await fs.crash('process');
    log = await open();
    const res = await log.append(await keyedBatch([{ key: 'last', value: 'x' }], { producer: { id: producer.id, epoch: producer.epoch, sequence: producer.nextSequence } }));
    assert.equal(res.baseOffset, logEndOffset);
    await log.close();
    if (process.env.SAMSA_FUZZ_STATS !== undefined) console.error(`seed ${seed}: ${JSON.stringify(stats)}`);
  } catch (err) {
    console.error(`SAMSA_SEED=${seed} (replay: SAMSA_SEED=${seed} node --test packages/storage/dist/test/compaction/compaction-fuzz.test.js)`);
    console.error(`last ops: ${trace.slice(-20).join(' ')}`);
    throw err;
  } finally {
    await cleaner.close();
    await fs.crash('process');
    await cleanup();
  }
}

const fixedSeed = process.env.SAMSA_SEED;
const seeds = fixedSeed !== undefined ? [Number(fixedSeed)] : Array.from({ length: Number(process.env.SAMSA_FUZZ_SEEDS ?? 5) }, () => Math.floor(Math.random() * 2 ** 31));

for (const seed of seeds) {
  test(`op-fuzz of compaction (seed ${seed})`, async () => {
    await runSeed(seed, 300);
  });
}
