import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, RecordBatchHeader, TimestampType } from '@samsa/protocol';
import { ManualClock } from '../src/clock.js';
import { OffsetOutOfRangeError, StorageError } from '../src/errors.js';
import { defaultLogConfig, type LogConfig } from '../src/log-config.js';
import { PartitionLog } from '../src/partition-log.js';
import { decodeAll, makeBatch } from '../test-support/batches.js';
import { makeTempDir } from '../test-support/tmp-dir.js';

async function withLog(
  config: Partial<LogConfig>,
  fn: (ctx: { log: PartitionLog; dir: string; clock: ManualClock; reopen: () => Promise<PartitionLog> }) => Promise<void>,
): Promise<void> {
  const { dir, cleanup } = await makeTempDir();
  const clock = new ManualClock();
  const cfg = { ...defaultLogConfig, ...config };
  const ctx = {
    dir,
    clock,
    log: await PartitionLog.open({ dir, topic: 'my.topic_name-x', partition: 3, config: cfg, clock }),
    reopen: async () => {
      await ctx.log.close();
      ctx.log = await PartitionLog.open({ dir, topic: 'my.topic_name-x', partition: 3, config: cfg, clock });
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

test('append assigns offsets and read returns the same batches', async () => {
  await withLog({}, async ({ log }) => {
    const r1 = await log.append(makeBatch(3, { prefix: 'a' }));
    assert.deepEqual([r1.baseOffset, r1.lastOffset, r1.recordCount, r1.logAppendTimeMs], [0, 2, 3, -1]);
    const r2 = await log.append(Buffer.concat([makeBatch(2, { prefix: 'b' }), makeBatch(4, { prefix: 'c' })]));
    assert.deepEqual([r2.baseOffset, r2.lastOffset, r2.recordCount], [3, 8, 6]);
    assert.equal(log.logEndOffset, 9);
    assert.equal(log.highWatermark, 9);
    const all = await log.read(0, 1 << 20);
    const recs = await decodeAll(all.buffers);
    assert.deepEqual(recs.map((r) => r.offset), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual(recs.map((r) => r.value?.toString()), ['a-0', 'a-1', 'a-2', 'b-0', 'b-1', 'c-0', 'c-1', 'c-2', 'c-3']);
    assert.equal(new RecordBatchHeader(all.buffers[0], 0).partitionLeaderEpoch, 0);
    assert.deepEqual([all.logStartOffset, all.highWatermark, all.logEndOffset], [0, 9, 9]);
  });
});

test('read from an offset inside a batch starts at that batch', async () => {
  await withLog({}, async ({ log }) => {
    for (let i = 0; i < 5; i++) await log.append(makeBatch(10, { prefix: `b${i}` }));
    const r = await log.read(27, 1 << 20);
    const first = new RecordBatchHeader(r.buffers[0], 0);
    assert.equal(first.baseOffset, 20);
    assert.equal((await decodeAll(r.buffers)).length, 30);
  });
});

test('maxBytes returns the first batch whole and then only whole batches that fit', async () => {
  await withLog({}, async ({ log }) => {
    const b = makeBatch(5, { valueBytes: 100 });
    const size = b.length;
    for (let i = 0; i < 4; i++) await log.append(Buffer.from(b));
    const tiny = await log.read(0, 1);
    assert.equal(tiny.bytes, size);
    const two = await log.read(0, size * 2 + size - 1);
    assert.equal(two.bytes, size * 2);
    const capped = await log.read(0, 1 << 20, { maxOffset: 10 });
    assert.equal(capped.bytes, size * 2);
    const none = await log.read(10, 1 << 20, { maxOffset: 10 });
    assert.equal(none.bytes, 0);
    assert.deepEqual(none.buffers, []);
  });
});

test('read outside [logStartOffset, logEndOffset] throws OFFSET_OUT_OF_RANGE; LEO reads are empty', async () => {
  await withLog({}, async ({ log }) => {
    await log.append(makeBatch(2));
    const atEnd = await log.read(2, 100);
    assert.equal(atEnd.bytes, 0);
    await assert.rejects(log.read(3, 100), (err: unknown) => {
      assert.ok(err instanceof OffsetOutOfRangeError);
      assert.ok(err instanceof StorageError);
      assert.equal(err.code, ErrorCode.OFFSET_OUT_OF_RANGE);
      return true;
    });
    await assert.rejects(log.read(-1, 100), OffsetOutOfRangeError);
  });
});

test('rolls by segment.bytes; index lookups work across segments; reopen keeps LEO', async () => {
  await withLog({ segmentBytes: 2048, indexIntervalBytes: 256 }, async ({ log, dir, reopen }) => {
    for (let i = 0; i < 60; i++) await log.append(makeBatch(3, { prefix: `r${i}`, valueBytes: 60 }));
    assert.ok(log.segmentCount > 5, `expected several segments, got ${log.segmentCount}`);
    const files = await readdir(join(dir, 'my.topic_name-x-3'));
    assert.ok(files.includes('00000000000000000000.log'));
    assert.ok(files.some((f) => /^\d{20}\.index$/.test(f)));
    for (const off of [0, 1, 50, 99, 100, 101, 150, 179]) {
      const r = await log.read(off, 1);
      const h = new RecordBatchHeader(r.buffers[0], 0);
      assert.ok(h.baseOffset <= off && off <= h.lastOffset, `offset ${off} in batch ${h.baseOffset}..${h.lastOffset}`);
    }
    const segs = log.segmentBaseOffsets();
    const again = await reopen();
    assert.equal(again.openInfo.cleanShutdown, true);
    assert.equal(again.openInfo.rebuiltSegments, 0);
    assert.equal(again.logEndOffset, 180);
    assert.deepEqual(again.segmentBaseOffsets(), segs);
    const recs = await decodeAll((await again.read(150, 1 << 20)).buffers);
    assert.equal(recs[0].offset, 150);
    const r = await again.append(makeBatch(1));
    assert.equal(r.baseOffset, 180);
  });
});

test('rolls by segment.ms using batch timestamps from the injected clock', async () => {
  await withLog({ segmentMs: 1000 }, async ({ log, clock }) => {
    await log.append(makeBatch(1, { timestamp: clock.nowMs() }));
    clock.advance(500);
    await log.append(makeBatch(1, { timestamp: clock.nowMs() }));
    assert.equal(log.segmentCount, 1);
    clock.advance(600);
    await log.append(makeBatch(1, { timestamp: clock.nowMs() }));
    assert.deepEqual(log.segmentBaseOffsets(), [0, 2]);
    clock.advance(1001);
    assert.equal(await log.maybeRoll(), true);
    assert.deepEqual(log.segmentBaseOffsets(), [0, 2, 3]);
    assert.equal(await log.maybeRoll(), false, 'an empty active segment never rolls');
  });
});

test('LogAppendTime stamps the clock time and the CRC stays valid', async () => {
  await withLog({ messageTimestampType: 'LogAppendTime' }, async ({ log, clock }) => {
    const r = await log.append(makeBatch(3, { timestamp: 5 }));
    assert.equal(r.logAppendTimeMs, clock.nowMs());
    assert.equal(r.maxTimestamp, clock.nowMs());
    const read = await log.read(0, 1000);
    const h = new RecordBatchHeader(read.buffers[0], 0);
    assert.equal(h.timestampType, TimestampType.LogAppendTime);
    assert.equal(h.computeCrc(), h.crc);
    const recs = await decodeAll(read.buffers);
    assert.ok(recs.every((x) => x.timestamp === clock.nowMs()));
  });
});

test('offsetForTimestamp and offsetOfMaxTimestamp answer with record offsets, across segments and reopen', async () => {
  await withLog({ segmentBytes: 2048, indexIntervalBytes: 128 }, async ({ log, reopen }) => {
    // batch i holds records with timestamps 1000*i + 0..9 (increasing)
    for (let i = 0; i < 30; i++) await log.append(makeBatch(10, { timestamp: 1000 * i, increasing: true, valueBytes: 20 }));
    assert.ok(log.segmentCount > 3);
    const check = async (l: PartitionLog): Promise<void> => {
      assert.deepEqual(await l.offsetForTimestamp(0), { offset: 0, timestamp: 0 });
      assert.deepEqual(await l.offsetForTimestamp(5005), { offset: 55, timestamp: 5005 });
      assert.deepEqual(await l.offsetForTimestamp(5010), { offset: 60, timestamp: 6000 });
      assert.deepEqual(await l.offsetForTimestamp(29009), { offset: 299, timestamp: 29009 });
      assert.equal(await l.offsetForTimestamp(29010), null);
      assert.deepEqual(await l.offsetOfMaxTimestamp(), { offset: 299, timestamp: 29009 });
    };
    await check(log);
    await check(await reopen());
  });
});

test('offsetOfMaxTimestamp picks the earliest record with the max timestamp; null when empty', async () => {
  await withLog({}, async ({ log }) => {
    assert.equal(await log.offsetOfMaxTimestamp(), null);
    await log.append(makeBatch(3, { timestamp: 100 }));
    await log.append(makeBatch(3, { timestamp: 500 }));
    await log.append(makeBatch(3, { timestamp: 200 }));
    assert.deepEqual(await log.offsetOfMaxTimestamp(), { offset: 3, timestamp: 500 });
    assert.deepEqual(await log.offsetForTimestamp(150), { offset: 3, timestamp: 500 });
  });
});

test('deleteRecordsBefore moves logStartOffset, deletes whole segments below it and survives reopen', async () => {
  await withLog({ segmentBytes: 1024 }, async ({ log, reopen }) => {
    for (let i = 0; i < 40; i++) await log.append(makeBatch(2, { valueBytes: 40 }));
    const before = log.segmentCount;
    assert.equal(await log.deleteRecordsBefore(31), 31);
    assert.equal(log.logStartOffset, 31);
    assert.ok(log.segmentCount < before);
    assert.ok(log.segmentBaseOffsets()[0] <= 31);
    await assert.rejects(log.read(30, 100), OffsetOutOfRangeError);
    const r = await log.read(31, 1);
    assert.ok(new RecordBatchHeader(r.buffers[0], 0).lastOffset >= 31);
    await assert.rejects(log.deleteRecordsBefore(81), OffsetOutOfRangeError);
    assert.equal(await log.deleteRecordsBefore(10), 31, 'moving backwards is a no-op');
    const again = await reopen();
    assert.equal(again.logStartOffset, 31);
    assert.equal(again.logEndOffset, 80);
    assert.equal(await again.deleteRecordsBefore(80), 80);
    assert.equal((await again.read(80, 100)).bytes, 0);
  });
});

test('retention by time deletes expired segments and rolls an expired active segment', async () => {
  await withLog({ segmentBytes: 1024, retentionMs: 10_000 }, async ({ log, clock }) => {
    for (let i = 0; i < 20; i++) await log.append(makeBatch(2, { timestamp: clock.nowMs(), valueBytes: 40 }));
    const oldSegments = log.segmentCount;
    clock.advance(5_000);
    for (let i = 0; i < 20; i++) await log.append(makeBatch(2, { timestamp: clock.nowMs(), valueBytes: 40 }));
    assert.equal(await log.applyRetention(), 0);
    clock.advance(5_001);
    const deleted = await log.applyRetention();
    assert.ok(deleted > 0 && deleted < oldSegments + 1, `deleted ${deleted}`);
    assert.ok(log.logStartOffset > 0 && log.logStartOffset <= 40);
    clock.advance(10_000);
    await log.applyRetention();
    assert.equal(log.logStartOffset, 80);
    assert.equal(log.logEndOffset, 80);
    assert.equal(log.segmentCount, 1);
    assert.equal(log.sizeInBytes, 0);
    const r = await log.append(makeBatch(1, { timestamp: clock.nowMs() }));
    assert.equal(r.baseOffset, 80);
  });
});

test('retention by bytes keeps the newest segments within the limit', async () => {
  await withLog({ segmentBytes: 1024, retentionBytes: 3000, retentionMs: -1 }, async ({ log }) => {
    for (let i = 0; i < 60; i++) await log.append(makeBatch(2, { valueBytes: 40 }));
    const total = log.sizeInBytes;
    const deleted = await log.applyRetention();
    assert.ok(deleted > 0);
    assert.ok(log.sizeInBytes <= 3000 + 1024, `size ${log.sizeInBytes} (was ${total})`);
    assert.ok(log.sizeInBytes > 3000 - 1024);
    assert.equal(log.logStartOffset, log.segmentBaseOffsets()[0]);
    assert.equal(await log.applyRetention(), 0);
  });
});

test('retention does nothing for cleanup.policy=compact', async () => {
  await withLog({ segmentBytes: 1024, retentionBytes: 0, cleanupPolicy: 'compact' }, async ({ log }) => {
    for (let i = 0; i < 30; i++) await log.append(makeBatch(2, { valueBytes: 40 }));
    assert.equal(await log.applyRetention(), 0);
  });
});

test('truncateTo drops everything at and after the offset (whole batches)', async () => {
  await withLog({ segmentBytes: 1024 }, async ({ log }) => {
    for (let i = 0; i < 30; i++) await log.append(makeBatch(2, { valueBytes: 40 }));
    await log.truncateTo(41);
    assert.equal(log.logEndOffset, 40, 'the batch containing 41 starts at 40');
    assert.equal(log.highWatermark, 40);
    const recs = await decodeAll((await log.read(38, 1 << 20)).buffers);
    assert.deepEqual(recs.map((r) => r.offset), [38, 39]);
    assert.equal((await log.append(makeBatch(1))).baseOffset, 40);
    await log.truncateTo(0);
    assert.deepEqual([log.logStartOffset, log.logEndOffset, log.segmentCount], [0, 0, 1]);
  });
});

test('concurrent appends are applied in call order', async () => {
  await withLog({ segmentBytes: 2048 }, async ({ log }) => {
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => log.append(makeBatch(1 + (i % 3), { prefix: `p${i}` }))));
    let next = 0;
    for (const [i, r] of results.entries()) {
      assert.equal(r.baseOffset, next, `append ${i}`);
      next = r.lastOffset + 1;
    }
  });
});

test('a batch above max.message.bytes is rejected with MESSAGE_TOO_LARGE', async () => {
  await withLog({ maxMessageBytes: 200 }, async ({ log }) => {
    await assert.rejects(log.append(makeBatch(10, { valueBytes: 100 })), (err: unknown) => err instanceof StorageError && err.code === ErrorCode.MESSAGE_TOO_LARGE);
    assert.equal(log.logEndOffset, 0);
  });
});

test('invalid topic names are refused', async () => {
  const { dir, cleanup } = await makeTempDir();
  try {
    await assert.rejects(PartitionLog.open({ dir, topic: '../etc', partition: 0, config: defaultLogConfig }), StorageError);
  } finally {
    await cleanup();
  }
});
