// Op-fuzz of the producer and transaction state of PartitionLog against a reference model.
// A seeded random sequence of idempotent and transactional appends from a few producers,
// retries of earlier batches, COMMIT/ABORT markers, rolls, clean restarts, process kills
// (the log is abandoned without close, as kill -9 leaves it) and truncations runs against the
// real log on the real disk. After every step the last stable offset, the aborted
// transactions and the answer to every append (offsets, duplicate or error) must be the
// model's. On failure the seed is printed as SAMSA_SEED=<n>; rerun with that env var.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeRecordBatchSync } from '@samsa/protocol';
import { ManualClock } from '../src/clock.js';
import { StorageError } from '../src/errors.js';
import { defaultLogConfig } from '../src/log-config.js';
import { PartitionLog } from '../src/partition-log.js';
import type { AbortedTxn } from '../src/txn-index.js';
import { makeTempDir } from '../test-support/tmp-dir.js';

function rng(seed: number): { int: (n: number) => number } {
  let a = seed >>> 0;
  return {
    int: (n) => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
    },
  };
}

interface ModelProducer {
  epoch: number;
  nextSeq: number;
  /** Last five batches: [firstSeq, count, firstOffset]. */
  recent: Array<[number, number, number]>;
  txnFirstOffset: number;
}

class Model {
  logEndOffset = 0;
  producers = new Map<number, ModelProducer>();
  aborted: AbortedTxn[] = [];
  /** Every batch: offset range and who wrote it, to rebuild after truncation. */
  history: Array<{ first: number; last: number; pid: number; seq: number; count: number; txn: boolean; marker?: 'COMMIT' | 'ABORT'; epoch: number }> = [];

  lastStableOffset(): number {
    let lso = this.logEndOffset;
    for (const p of this.producers.values()) if (p.txnFirstOffset >= 0 && p.txnFirstOffset < lso) lso = p.txnFirstOffset;
    return lso;
  }

  producer(pid: number): ModelProducer {
    let p = this.producers.get(pid);
    if (p === undefined) this.producers.set(pid, (p = { epoch: 0, nextSeq: 0, recent: [], txnFirstOffset: -1 }));
    return p;
  }

  apply(h: Model['history'][number]): void {
    const p = this.producer(h.pid);
    if (h.epoch !== p.epoch) {
      p.epoch = h.epoch;
      p.recent = [];
      p.nextSeq = 0;
    }
    if (h.marker !== undefined) {
      if (p.txnFirstOffset >= 0) {
        if (h.marker === 'ABORT') {
          const first = p.txnFirstOffset;
          p.txnFirstOffset = -1;
          const lsoAfter = (() => {
            let lso = -1;
            for (const q of this.producers.values()) if (q.txnFirstOffset >= 0 && (lso < 0 || q.txnFirstOffset < lso)) lso = q.txnFirstOffset;
            return lso >= 0 ? lso : h.first + 1;
          })();
          this.aborted.push({ producerId: h.pid, firstOffset: first, lastOffset: h.first, lastStableOffset: lsoAfter });
        } else {
          p.txnFirstOffset = -1;
        }
      }
    } else {
      p.recent.push([h.seq, h.count, h.first]);
      if (p.recent.length > 5) p.recent.shift();
      p.nextSeq = h.seq + h.count;
      if (h.txn && p.txnFirstOffset < 0) p.txnFirstOffset = h.first;
    }
    this.logEndOffset = h.last + 1;
  }

  rebuild(upTo: number): void {
    const kept = this.history.filter((h) => h.last < upTo);
    this.history = [];
    this.producers.clear();
    this.aborted = [];
    this.logEndOffset = 0;
    for (const h of kept) {
      this.history.push(h);
      this.apply(h);
    }
  }
}

function batch(pid: number, epoch: number, seq: number, count: number, txn: boolean): Buffer {
  const records = Array.from({ length: count }, (_, i) => ({ key: null, value: Buffer.from(`${pid}:${seq + i}`), timestamp: 1 }));
  return encodeRecordBatchSync({ baseTimestamp: 1, producerId: pid, producerEpoch: epoch, baseSequence: seq, isTransactional: txn, records });
}

async function runSeed(seed: number, steps: number): Promise<void> {
  const r = rng(seed);
  const { dir, cleanup } = await makeTempDir();
  const clock = new ManualClock();
  const config = { ...defaultLogConfig, segmentBytes: 600 };
  const open = (): Promise<PartitionLog> => PartitionLog.open({ dir, topic: 'fuzz', partition: 0, config, clock });
  let log = await open();
  const m = new Model();
  const abandoned: PartitionLog[] = [];
  try {
    for (let step = 0; step < steps; step++) {
      const op = r.int(100);
      const pid = 1 + r.int(3);
      const p = m.producer(pid);
      const where = `seed ${seed} step ${step}`;
      if (op < 45) {
        // A new batch, transactional for odd producer ids.
        const txn = pid % 2 === 1;
        const count = 1 + r.int(3);
        const res = await log.append(batch(pid, p.epoch, p.nextSeq, count, txn));
        assert.equal(res.baseOffset, m.logEndOffset, `${where}: offset of a new batch`);
        assert.equal(res.duplicate, false, where);
        const h = { first: res.baseOffset, last: res.lastOffset, pid, seq: p.nextSeq, count, txn, epoch: p.epoch };
        m.history.push(h);
        m.apply(h);
      } else if (op < 55 && p.recent.length > 0) {
        // A retry of one of the last five batches: answered with its original offset.
        const [seq, count, first] = p.recent[r.int(p.recent.length)];
        const res = await log.append(batch(pid, p.epoch, seq, count, pid % 2 === 1));
        assert.deepEqual([res.duplicate, res.baseOffset], [true, first], `${where}: retry of seq ${seq}`);
      } else if (op < 60) {
        // A gap: refused, nothing changes.
        await assert.rejects(log.append(batch(pid, p.epoch, p.nextSeq + 2, 1, pid % 2 === 1)), (e: unknown) => e instanceof StorageError, where);
      } else if (op < 72) {
        const aborted = r.int(2) === 0;
        const res = await log.appendMarker({ producerId: pid, producerEpoch: p.epoch, coordinatorEpoch: 0, aborted, timestampMs: 1 });
        const h = { first: res.baseOffset, last: res.lastOffset, pid, seq: -1, count: 1, txn: true, marker: aborted ? ('ABORT' as const) : ('COMMIT' as const), epoch: p.epoch };
        m.history.push(h);
        m.apply(h);
      } else if (op < 75 && p.txnFirstOffset < 0) {
        // A new epoch (InitProducerId after a fence) starts at sequence 0.
        const count = 1;
        const res = await log.append(batch(pid, p.epoch + 1, 0, count, pid % 2 === 1));
        const h = { first: res.baseOffset, last: res.lastOffset, pid, seq: 0, count, txn: pid % 2 === 1, epoch: p.epoch + 1 };
        m.history.push(h);
        m.apply(h);
      } else if (op < 82) {
        await log.roll();
      } else if (op < 88) {
        await log.close();
        log = await open();
      } else if (op < 94) {
        abandoned.push(log);
        log = await open();
      } else if (m.logEndOffset > 0) {
        const to = r.int(m.logEndOffset);
        await log.truncateTo(to);
        // The log cuts at a batch boundary: the batch holding `to` goes whole.
        const cut = m.history.find((h) => h.last >= to)?.first ?? m.logEndOffset;
        m.rebuild(cut);
        assert.equal(log.logEndOffset, m.logEndOffset, `${where}: end after truncateTo(${to})`);
      }
      assert.equal(log.logEndOffset, m.logEndOffset, `${where}: log end offset`);
      assert.equal(log.lastStableOffset, m.lastStableOffset(), `${where}: last stable offset`);
      assert.deepEqual(log.abortedTransactions(0, Number.MAX_SAFE_INTEGER), m.aborted, `${where}: aborted transactions`);
    }
  } finally {
    await log.close().catch(() => undefined);
    for (const a of abandoned) await a.close().catch(() => undefined);
    await cleanup();
  }
}

test('producer and transaction state match the model through restarts, kills and truncation', { timeout: 120_000 }, async () => {
  const fixed = process.env.SAMSA_SEED;
  const seeds = fixed !== undefined ? [Number(fixed)] : Array.from({ length: 12 }, (_, i) => 1000 + i);
  for (const seed of seeds) {
    try {
      await runSeed(seed, 250);
    } catch (err) {
      process.stderr.write(`SAMSA_SEED=${seed}\n`);
      throw err;
    }
  }
});
