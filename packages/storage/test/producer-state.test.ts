import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeRecordBatchSync, ErrorCode } from '@samsa/protocol';
import { ManualClock } from '../src/clock.js';
import { StorageError } from '../src/errors.js';
import { defaultLogConfig, type LogConfig } from '../src/log-config.js';
import { CLEAN_SHUTDOWN_FILE, PartitionLog } from '../src/partition-log.js';
import { batchProducerInfo, inSequence, ProducerStateManager } from '../src/producer-state.js';
import { decodeAll } from '../test-support/batches.js';
import { makeTempDir } from '../test-support/tmp-dir.js';

/** A batch of `count` records from producer `pid` at `epoch`, starting at sequence `seq`. */
function idempotentBatch(pid: number, epoch: number, seq: number, count = 2, prefix = `p${pid}e${epoch}s${seq}`): Buffer {
  const records = [];
  for (let i = 0; i < count; i++) records.push({ key: Buffer.from(`k${i}`), value: Buffer.from(`${prefix}-${i}`), timestamp: 1_700_000_000_000 });
  return encodeRecordBatchSync({ baseTimestamp: 1_700_000_000_000, producerId: pid, producerEpoch: epoch, baseSequence: seq, records });
}

async function withLog(
  config: Partial<LogConfig>,
  fn: (ctx: { log: PartitionLog; dir: string; clock: ManualClock; reopen: (opts?: { unclean?: boolean }) => Promise<PartitionLog> }) => Promise<void>,
): Promise<void> {
  const { dir, cleanup } = await makeTempDir();
  const clock = new ManualClock();
  const cfg = { ...defaultLogConfig, ...config };
  const open = (): Promise<PartitionLog> => PartitionLog.open({ dir, topic: 'idem', partition: 0, config: cfg, clock });
  const ctx = {
    dir,
    clock,
    log: await open(),
    reopen: async (opts?: { unclean?: boolean }) => {
      if (opts?.unclean) {
        // Leave the files as a killed process would: no close, no marker, no final snapshot.
        await ctx.log.flush();
      } else {
        await ctx.log.close();
      }
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
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof StorageError, `expected a StorageError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  });
}

test('a retried batch is answered with its original offsets and written once', async () => {
  await withLog({}, async ({ log }) => {
    const a = await log.append(idempotentBatch(7, 0, 0, 3));
    const b = await log.append(idempotentBatch(7, 0, 3, 2));
    assert.deepEqual([a.baseOffset, a.lastOffset, a.duplicate], [0, 2, false]);
    assert.deepEqual([b.baseOffset, b.lastOffset, b.duplicate], [3, 4, false]);
    const again = await log.append(idempotentBatch(7, 0, 0, 3));
    assert.deepEqual([again.baseOffset, again.lastOffset, again.duplicate], [0, 2, true]);
    assert.equal(log.logEndOffset, 5);
    const read = await log.read(0, 1 << 20);
    assert.equal((await decodeAll(read.buffers)).length, 5);
  });
});

test('retries merged into the same write as their original are duplicates too', async () => {
  await withLog({}, async ({ log }) => {
    const results = await Promise.all([
      log.append(idempotentBatch(1, 0, 0, 2)),
      log.append(idempotentBatch(1, 0, 2, 2)),
      log.append(idempotentBatch(1, 0, 0, 2)),
      log.append(idempotentBatch(1, 0, 4, 1)),
    ]);
    assert.deepEqual(results.map((r) => [r.baseOffset, r.duplicate]), [[0, false], [2, false], [0, true], [4, false]]);
    assert.equal(log.logEndOffset, 5);
  });
});

test('only the last five batches are remembered as duplicates', async () => {
  await withLog({}, async ({ log }) => {
    for (let i = 0; i < 6; i++) await log.append(idempotentBatch(3, 0, i, 1));
    assert.equal((await log.append(idempotentBatch(3, 0, 1, 1))).duplicate, true);
    // Sequence 0 fell out of the cache: Kafka treats it as out of order.
    await rejectsWith(log.append(idempotentBatch(3, 0, 0, 1)), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  });
});

test('sequence gaps, stale epochs and unknown producers are refused with Kafka error codes', async () => {
  await withLog({}, async ({ log }) => {
    await rejectsWith(log.append(idempotentBatch(9, 0, 5)), ErrorCode.UNKNOWN_PRODUCER_ID);
    await log.append(idempotentBatch(9, 0, 0, 2));
    await rejectsWith(log.append(idempotentBatch(9, 0, 3)), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    // A new epoch must start at sequence 0 ...
    await rejectsWith(log.append(idempotentBatch(9, 1, 2)), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    await log.append(idempotentBatch(9, 1, 0, 1));
    // ... and then the old epoch is fenced.
    await rejectsWith(log.append(idempotentBatch(9, 0, 2)), ErrorCode.INVALID_PRODUCER_EPOCH);
    assert.equal(log.logEndOffset, 3);
    // A refused batch does not disturb others in the same write.
    const [ok, bad] = await Promise.allSettled([log.append(idempotentBatch(9, 1, 1, 1)), log.append(idempotentBatch(9, 1, 7, 1))]);
    assert.equal(ok.status, 'fulfilled');
    assert.equal(bad.status, 'rejected');
  });
});

test('sequence numbers wrap from int32 max to 0', () => {
  assert.ok(inSequence(0x7fffffff, 0));
  const info = batchProducerInfo(0, 1, 0, 0x7ffffffe, 3);
  assert.equal(info.lastSequence, 1);
  const s = new ProducerStateManager();
  const session = s.begin();
  session.record(batchProducerInfo(0, 1, 0, 0, 0), 0, 0, 0, 0);
  session.commit();
  // An entry whose last sequence is int32 max accepts 0 next.
  const e = s.entry(1);
  assert.ok(e);
  e.batches[0].lastSequence = 0x7fffffff;
  assert.deepEqual(s.begin().check(batchProducerInfo(0, 1, 0, 0, 0)), { kind: 'append' });
});

test('plain batches without a producer id are never checked', async () => {
  await withLog({}, async ({ log }) => {
    const plain = encodeRecordBatchSync({ baseTimestamp: 1, records: [{ key: null, value: Buffer.from('x'), timestamp: 1 }] });
    await log.append(plain);
    await log.append(Buffer.from(plain));
    assert.equal(log.logEndOffset, 2);
    assert.equal(log.producerState.size, 0);
  });
});

test('an append with two producer batches is refused', async () => {
  await withLog({}, async ({ log }) => {
    await rejectsWith(log.append(Buffer.concat([idempotentBatch(1, 0, 0), idempotentBatch(1, 0, 2)])), ErrorCode.INVALID_RECORD);
  });
});

test('producer state survives a clean restart through the snapshot', async () => {
  await withLog({}, async ({ log, dir, reopen }) => {
    await log.append(idempotentBatch(5, 2, 0, 4));
    const reopened = await reopen();
    assert.ok((await readdir(join(dir, 'idem-0'))).includes('00000000000000000004.snapshot'));
    assert.equal((await reopened.append(idempotentBatch(5, 2, 0, 4))).duplicate, true);
    assert.equal((await reopened.append(idempotentBatch(5, 2, 4, 1))).baseOffset, 4);
    await rejectsWith(reopened.append(idempotentBatch(5, 1, 5, 1)), ErrorCode.INVALID_PRODUCER_EPOCH);
  });
});

test('after an unclean stop the state is the last roll snapshot plus a replay of the active segment', async () => {
  await withLog({ segmentBytes: 400 }, async ({ log, dir, reopen }) => {
    let seq = 0;
    for (let i = 0; i < 12; i++) {
      await log.append(idempotentBatch(11, 0, seq, 2));
      seq += 2;
    }
    assert.ok(log.segmentCount > 2, 'the test needs several segments');
    const reopened = await reopen({ unclean: true });
    assert.equal(reopened.openInfo.cleanShutdown, false);
    const names = await readdir(join(dir, 'idem-0'));
    assert.ok(!names.includes(CLEAN_SHUTDOWN_FILE));
    assert.equal((await reopened.append(idempotentBatch(11, 0, seq - 2, 2))).duplicate, true);
    assert.equal((await reopened.append(idempotentBatch(11, 0, seq, 1))).baseOffset, 24);
  });
});

test('without any snapshot the whole log is replayed', async () => {
  await withLog({ segmentBytes: 400 }, async ({ log, dir, reopen }) => {
    for (let i = 0; i < 8; i++) await log.append(idempotentBatch(2, 0, i * 2, 2));
    await log.close();
    for (const name of await readdir(join(dir, 'idem-0'))) if (name.endsWith('.snapshot')) await writeFile(join(dir, 'idem-0', name), 'garbage');
    const reopened = await reopen();
    assert.equal((await reopened.append(idempotentBatch(2, 0, 14, 2))).duplicate, true);
    await rejectsWith(reopened.append(idempotentBatch(2, 0, 20, 1)), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  });
});

test('truncation forgets the producer batches past the cut', async () => {
  await withLog({}, async ({ log }) => {
    await log.append(idempotentBatch(4, 0, 0, 2));
    await log.append(idempotentBatch(4, 0, 2, 2));
    await log.truncateTo(2);
    const again = await log.append(idempotentBatch(4, 0, 2, 2));
    assert.deepEqual([again.baseOffset, again.duplicate], [2, false]);
  });
});

test('idle producers expire after producer.id.expiration.ms', async () => {
  await withLog({}, async ({ log, clock }) => {
    await log.append(idempotentBatch(6, 0, 0, 1));
    clock.advance(1000);
    assert.equal(log.removeExpiredProducers(5000), 0);
    clock.advance(4000);
    assert.equal(log.removeExpiredProducers(5000), 1);
    await rejectsWith(log.append(idempotentBatch(6, 0, 1, 1)), ErrorCode.UNKNOWN_PRODUCER_ID);
  });
});

test('a snapshot round-trips and rejects damaged bytes', () => {
  const s = new ProducerStateManager();
  const session = s.begin();
  for (let i = 0; i < 7; i++) session.record(batchProducerInfo(0, 42, 3, i * 10, 9), i * 10, i * 10 + 9, 1000 + i, 2000);
  session.record(batchProducerInfo(0x10, 43, 0, 0, 0), 70, 70, 5, 6);
  session.commit();
  const bytes = s.encodeSnapshot();
  const t = new ProducerStateManager();
  assert.ok(t.loadSnapshot(bytes));
  assert.deepEqual([...t.entries()], [...s.entries()]);
  assert.equal(t.entry(42)?.batches.length, 5);
  assert.equal(t.entry(43)?.currentTxnFirstOffset, 70);
  for (let i = 0; i < bytes.length; i += 7) {
    const bad = Buffer.from(bytes);
    bad[i] ^= 0x40;
    assert.equal(t.loadSnapshot(bad), false, `flipped byte ${i}`);
    assert.equal(t.size, 0);
  }
  assert.equal(t.loadSnapshot(bytes.subarray(0, bytes.length - 1)), false);
});
