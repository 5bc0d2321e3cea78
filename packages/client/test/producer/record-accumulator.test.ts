// Batching rules of the accumulator, without a network.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompressionCodec } from '@samsa/protocol';
import { estimateRecordBytes, type BatchResult, type BatchSegment, type PendingRecord, type ProducerBatch, type SegmentOwner } from '../../src/producer/producer-batch.js';
import { RecordAccumulator } from '../../src/producer/record-accumulator.js';

const owner: SegmentOwner = {
  segmentDone: (_b: ProducerBatch, _s: BatchSegment, _r: BatchResult) => {},
  segmentFailed: () => {},
};

function rec(size: number, key: string | null = null): PendingRecord {
  return { key: key === null ? null : Buffer.from(key), value: Buffer.alloc(size, 1), headers: [], timestamp: 1_700_000_000_000 };
}

function accumulator(batchSize: number, maxBufferedBytes = 1 << 30): RecordAccumulator {
  return new RecordAccumulator({ batchSize, maxBufferedBytes, deliveryTimeoutMs: 120_000, now: () => 0, onEncoded: () => {}, onEncodeFailed: () => {} });
}

test('records share the open batch until it would exceed batchSize', () => {
  const acc = accumulator(1000);
  const r = rec(100);
  const bytes = estimateRecordBytes(r);
  const perBatch = Math.floor((1000 - 61) / bytes);
  for (let i = 0; i < perBatch * 3; i++) acc.append('t', 0, r, bytes, -1, CompressionCodec.None, owner);
  const q = acc.queueOf('t', 0);
  const all = [...q.queue, ...(q.open ? [q.open] : [])];
  assert.deepEqual(all.map((b) => b.recordCount), [perBatch, perBatch, perBatch]);
  for (const b of all) assert.ok(b.estimatedBytes <= 1000);
  // Sealed batches are encoded (none: synchronously) and ready to send, in order.
  assert.ok(q.queue.every((b) => b.state === 'ready' && b.buffer !== null));
  assert.deepEqual(all.map((b) => b.id), [...all.map((b) => b.id)].sort((a, b) => a - b));
});

test('a record larger than batchSize gets a batch of its own, sealed at once', () => {
  const acc = accumulator(500);
  const small = rec(10);
  acc.append('t', 0, small, estimateRecordBytes(small), -1, CompressionCodec.None, owner);
  const big = rec(2000);
  acc.append('t', 0, big, estimateRecordBytes(big), -1, CompressionCodec.None, owner);
  const q = acc.queueOf('t', 0);
  assert.deepEqual(q.queue.map((b) => b.recordCount), [1, 1]);
  assert.equal(q.open, null);
});

test('a change of acks or compression starts a new batch; partitions are independent', () => {
  const acc = accumulator(100_000);
  const r = rec(10);
  const n = estimateRecordBytes(r);
  acc.append('t', 0, r, n, -1, CompressionCodec.None, owner);
  acc.append('t', 1, r, n, -1, CompressionCodec.None, owner);
  assert.equal(acc.wouldOpenBatch('t', 0, n, -1, CompressionCodec.None), false);
  assert.equal(acc.wouldOpenBatch('t', 0, n, 1, CompressionCodec.None), true);
  assert.equal(acc.wouldOpenBatch('t', 0, n, -1, CompressionCodec.Lz4), true);
  acc.append('t', 0, r, n, -1, CompressionCodec.Lz4, owner);
  acc.append('t', 0, r, n, 1, CompressionCodec.Lz4, owner);
  const q0 = acc.queueOf('t', 0);
  assert.deepEqual(
    [...q0.queue, q0.open].map((b) => [b?.acks, b?.compression, b?.recordCount]),
    [
      [-1, CompressionCodec.None, 1],
      [-1, CompressionCodec.Lz4, 1],
      [1, CompressionCodec.Lz4, 1],
    ],
  );
  assert.equal(acc.queueOf('t', 1).open?.recordCount, 1);
});

test('one send’s consecutive records form one segment; another send’s records a new one', () => {
  const acc = accumulator(100_000);
  const other: SegmentOwner = { segmentDone: () => {}, segmentFailed: () => {} };
  const r = rec(10);
  const n = estimateRecordBytes(r);
  const a = acc.append('t', 0, r, n, -1, CompressionCodec.None, owner);
  const b = acc.append('t', 0, r, n, -1, CompressionCodec.None, owner);
  const c = acc.append('t', 0, r, n, -1, CompressionCodec.None, other);
  assert.equal(a.isNew, true);
  assert.equal(b.isNew, false);
  assert.equal(c.isNew, true);
  assert.deepEqual(a.batch.segments.map((s) => [s.firstIndex, s.count]), [
    [0, 2],
    [2, 1],
  ]);
});

test('waitForRoom blocks beyond maxBufferedBytes and is released in order as batches settle', async () => {
  const acc = accumulator(1000, 2000);
  const r = rec(500);
  const n = estimateRecordBytes(r);
  assert.equal(acc.waitForRoom(n), undefined, 'empty buffer: room');
  acc.append('t', 0, r, n, -1, CompressionCodec.None, owner);
  acc.append('t', 1, r, n, -1, CompressionCodec.None, owner);
  acc.append('t', 2, r, n, -1, CompressionCodec.None, owner);
  assert.ok(acc.bufferedBytes > 1500);
  const order: string[] = [];
  const w1 = acc.waitForRoom(n);
  const w2 = acc.waitForRoom(10);
  assert.ok(w1 !== undefined && w2 !== undefined, 'full: both wait (the small one queues behind the big one)');
  void w1.then(() => order.push('big'));
  void w2.then(() => order.push('small'));
  assert.equal(acc.underMemoryPressure, true);
  const flushed = acc.flush();
  for (const p of [0, 1, 2]) {
    const q = acc.queueOf('t', p);
    const b = q.open as ProducerBatch;
    q.open = null;
    acc.release(b);
  }
  await flushed;
  await Promise.all([w1, w2]);
  assert.deepEqual(order, ['big', 'small']);
  assert.equal(acc.bufferedBytes, 0);
  assert.equal(acc.outstandingBatches, 0);
});
