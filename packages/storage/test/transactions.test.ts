import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeControlRecordBatch, encodeRecordBatchSync, ErrorCode } from '@samsa/protocol';
import { ManualClock } from '../src/clock.js';
import { StorageError } from '../src/errors.js';
import { nodeFs, type Fs } from '../src/fs.js';
import { defaultLogConfig, type LogConfig } from '../src/log-config.js';
import { PartitionLog } from '../src/partition-log.js';
import { decodeTxnIndexEntries, encodeTxnIndexEntries } from '../src/txn-index.js';
import { makeTempDir } from '../test-support/tmp-dir.js';

function txnBatch(pid: number, epoch: number, seq: number, count = 2): Buffer {
  const records = [];
  for (let i = 0; i < count; i++) records.push({ key: Buffer.from(`k${i}`), value: Buffer.from(`p${pid}s${seq + i}`), timestamp: 1_700_000_000_000 });
  return encodeRecordBatchSync({ baseTimestamp: 1_700_000_000_000, producerId: pid, producerEpoch: epoch, baseSequence: seq, isTransactional: true, records });
}

function plainBatch(): Buffer {
  return encodeRecordBatchSync({ baseTimestamp: 1, records: [{ key: null, value: Buffer.from('plain'), timestamp: 1 }] });
}

const marker = (producerId: number, producerEpoch: number, aborted: boolean, coordinatorEpoch = 0) => ({ producerId, producerEpoch, aborted, coordinatorEpoch, timestampMs: 1_700_000_000_000 });

async function withLog(
  config: Partial<LogConfig>,
  fn: (ctx: { log: PartitionLog; dir: string; reopen: (opts?: { unclean?: boolean }) => Promise<PartitionLog> }) => Promise<void>,
): Promise<void> {
  const { dir, cleanup } = await makeTempDir();
  const clock = new ManualClock();
  const cfg = { ...defaultLogConfig, ...config };
  const open = (): Promise<PartitionLog> => PartitionLog.open({ dir, topic: 'txn', partition: 0, config: cfg, clock });
  const ctx = {
    dir,
    log: await open(),
    reopen: async (opts?: { unclean?: boolean }) => {
      if (opts?.unclean) await ctx.log.flush();
      else await ctx.log.close();
      ctx.log = await open();
      return ctx.log;
    },
  };
  try {
    await fn(ctx);
  } finally {
    await ctx.log.close().catch(() => undefined);
    await cleanup();
  }
}

async function rejectsWith(p: Promise<unknown>, code: number): Promise<void> {
  await assert.rejects(p, (err: unknown) => err instanceof StorageError && err.code === code);
}

test('the last stable offset stops at the oldest open transaction and moves on its marker', async () => {
  await withLog({}, async ({ log }) => {
    await log.append(plainBatch()); // 0
    await log.append(txnBatch(1, 0, 0)); // 1-2, txn of producer 1 opens at 1
    await log.append(txnBatch(2, 0, 0)); // 3-4, txn of producer 2 opens at 3
    assert.equal(log.highWatermark, 5);
    assert.equal(log.lastStableOffset, 1);
    const m = await log.appendMarker(marker(1, 0, false)); // 5
    assert.equal(m.baseOffset, 5);
    assert.equal(log.lastStableOffset, 3);
    await log.appendMarker(marker(2, 0, true)); // 6
    assert.equal(log.lastStableOffset, 7);
    assert.deepEqual(log.abortedTransactions(0, 7), [{ producerId: 2, firstOffset: 3, lastOffset: 6, lastStableOffset: 7 }]);
    assert.deepEqual(log.abortedTransactions(7, 100), []);
    assert.deepEqual(log.abortedTransactions(0, 3), [], 'a fetch ending before the transaction does not need it');
  });
});

test('markers are checked: stale epochs and fenced coordinators are refused, repeats are harmless', async () => {
  await withLog({}, async ({ log }) => {
    await log.append(txnBatch(1, 3, 0));
    await rejectsWith(log.appendMarker(marker(1, 2, true)), ErrorCode.INVALID_PRODUCER_EPOCH);
    await log.appendMarker(marker(1, 3, true, 5));
    await rejectsWith(log.appendMarker(marker(1, 3, true, 4)), ErrorCode.TRANSACTION_COORDINATOR_FENCED);
    // A retried EndTxn writes the marker again: nothing is open, nothing is added to the index.
    await log.appendMarker(marker(1, 3, true, 5));
    assert.equal(log.abortedTransactions(0, 100).length, 1);
    // Clients may not write control batches.
    const control = encodeControlRecordBatch({ type: 'COMMIT', producerId: 1, producerEpoch: 3, coordinatorEpoch: 5, timestamp: 1 });
    await rejectsWith(log.append(control), ErrorCode.INVALID_RECORD);
    // A coordinator's transactional write (offset commits) has no sequence: only the epoch is checked.
    const offsetCommit = (epoch: number) =>
      encodeRecordBatchSync({ baseTimestamp: 1, producerId: 1, producerEpoch: epoch, baseSequence: -1, isTransactional: true, records: [{ key: Buffer.from('k'), value: Buffer.from('v'), timestamp: 1 }] });
    const written = await log.append(offsetCommit(3), { origin: 'coordinator' });
    assert.equal(log.lastStableOffset, written.baseOffset, 'it opens a transaction like any transactional write');
    await rejectsWith(log.append(offsetCommit(2), { origin: 'coordinator' }), ErrorCode.INVALID_PRODUCER_EPOCH);
  });
});

test('a non-transactional write from a producer with an open transaction is refused', async () => {
  await withLog({}, async ({ log }) => {
    await log.append(txnBatch(4, 0, 0));
    const idempotent = encodeRecordBatchSync({ baseTimestamp: 1, producerId: 4, producerEpoch: 0, baseSequence: 2, records: [{ key: null, value: Buffer.from('x'), timestamp: 1 }] });
    await rejectsWith(log.append(idempotent), ErrorCode.INVALID_TXN_STATE);
  });
});

test('open transactions and aborted ranges survive clean and unclean restarts', async () => {
  await withLog({ segmentBytes: 500 }, async ({ log, dir, reopen }) => {
    let seq = 0;
    for (let i = 0; i < 6; i++) {
      await log.append(txnBatch(7, 0, seq));
      seq += 2;
      await log.appendMarker(marker(7, 0, i % 2 === 0));
    }
    await log.append(txnBatch(7, 0, seq)); // left open
    seq += 2;
    const openAt = log.logEndOffset - 2;
    assert.ok(log.segmentCount > 2, 'several segments');
    const abortedBefore = log.abortedTransactions(0, Number.MAX_SAFE_INTEGER);
    assert.equal(abortedBefore.length, 3);
    assert.equal(log.lastStableOffset, openAt);
    const names = await readdir(join(dir, 'txn-0'));
    assert.ok(names.some((n) => n.endsWith('.txnindex')), 'index files written');

    let reopened = await reopen();
    assert.deepEqual(reopened.abortedTransactions(0, Number.MAX_SAFE_INTEGER), abortedBefore);
    assert.equal(reopened.lastStableOffset, openAt);

    reopened = await reopen({ unclean: true });
    assert.deepEqual(reopened.abortedTransactions(0, Number.MAX_SAFE_INTEGER), abortedBefore);
    assert.equal(reopened.lastStableOffset, openAt);
    await reopened.appendMarker(marker(7, 0, true));
    assert.equal(reopened.lastStableOffset, reopened.logEndOffset);
    assert.equal(reopened.abortedTransactions(openAt, Number.MAX_SAFE_INTEGER).length, 1);
  });
});

test('truncation removes the aborted ranges whose markers it cut and reopens their transactions', async () => {
  await withLog({}, async ({ log }) => {
    await log.append(txnBatch(1, 0, 0)); // 0-1
    await log.appendMarker(marker(1, 0, true)); // 2
    assert.equal(log.abortedTransactions(0, 10).length, 1);
    await log.truncateTo(2);
    assert.deepEqual(log.abortedTransactions(0, 10), []);
    assert.equal(log.lastStableOffset, 0, 'the transaction is open again');
  });
});

test('the txnindex format round-trips and a damaged tail is ignored', () => {
  const entries = [
    { producerId: 1, firstOffset: 0, lastOffset: 5, lastStableOffset: 6 },
    { producerId: 2, firstOffset: 3, lastOffset: 9, lastStableOffset: 10 },
  ];
  const bytes = encodeTxnIndexEntries(entries);
  assert.equal(bytes.length, 68);
  assert.deepEqual(decodeTxnIndexEntries(bytes), entries);
  assert.deepEqual(decodeTxnIndexEntries(bytes.subarray(0, 50)), entries.slice(0, 1));
  const bad = Buffer.from(bytes);
  bad.writeInt16BE(7, 34);
  assert.deepEqual(decodeTxnIndexEntries(bad), entries.slice(0, 1));
});

test('an aborted range is listed before the last stable offset passes its ABORT marker, even while its index file is written', async () => {
  const { dir, cleanup } = await makeTempDir();
  // Holds the .txnindex file open until released, so the test can look at the
  // log while the entry is being written, as a concurrent fetch would.
  let reached!: () => void;
  const atIndexWrite = new Promise<void>((r) => (reached = r));
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const fs: Fs = {
    ...nodeFs,
    open: async (path) => {
      if (path.endsWith('.txnindex')) {
        reached();
        await released;
      }
      return nodeFs.open(path);
    },
  };
  const log = await PartitionLog.open({ dir, topic: 'txn', partition: 0, config: defaultLogConfig, clock: new ManualClock(), fs });
  try {
    await log.append(txnBatch(7, 0, 0)); // 0-1
    const abort = log.appendMarker(marker(7, 0, true)); // 2
    await atIndexWrite;
    const lso = log.lastStableOffset;
    const listed = log.abortedTransactions(0, lso);
    assert.ok(lso <= 0 || listed.some((e) => e.producerId === 7 && e.firstOffset === 0), `LSO ${lso} exposes offsets 0-1, listed aborted: ${JSON.stringify(listed)}`);
    release();
    await abort;
    assert.equal(log.lastStableOffset, 3);
    assert.deepEqual(log.abortedTransactions(0, 3), [{ producerId: 7, firstOffset: 0, lastOffset: 2, lastStableOffset: 3 }]);
  } finally {
    release();
    await log.close().catch(() => undefined);
    await cleanup();
  }
});
