// read_committed filtering: aborted transactions are dropped using the fetch response's
// aborted-transaction list and the ABORT markers; committed and non-transactional records
// pass; control batches never reach the application.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeControlRecordBatch, decodeRecordBatches, encodeRecordBatchSync, type DecodedBatch } from '@samsa/protocol';
import { AbortedTransactionFilter } from '../../src/consumer/aborted-transactions.js';

async function data(baseOffset: number, count: number, producerId: number, transactional: boolean): Promise<DecodedBatch> {
  const buf = encodeRecordBatchSync({
    baseOffset,
    baseTimestamp: 1,
    producerId,
    producerEpoch: 0,
    baseSequence: 0,
    isTransactional: transactional,
    records: Array.from({ length: count }, (_, i) => ({ key: null, value: Buffer.from(`${producerId}-${baseOffset + i}`) })),
  });
  return (await decodeRecordBatches(buf))[0];
}

async function marker(offset: number, producerId: number, type: 'COMMIT' | 'ABORT'): Promise<DecodedBatch> {
  return (await decodeRecordBatches(encodeControlRecordBatch({ type, producerId, producerEpoch: 0, coordinatorEpoch: 0, timestamp: 1, baseOffset: offset })))[0];
}

test('interleaved producers: one aborts, one commits, one is not transactional', async () => {
  // offsets: 0-1 p7 (aborted), 2-3 p8 (committed), 4 plain, 5 p7 abort marker, 6-7 p7 again (committed later), 8 p8 commit marker, 9 p7 commit marker
  const batches = [
    await data(0, 2, 7, true),
    await data(2, 2, 8, true),
    await data(4, 1, -1, false),
    await marker(5, 7, 'ABORT'),
    await data(6, 2, 7, true),
    await marker(8, 8, 'COMMIT'),
    await marker(9, 7, 'COMMIT'),
  ];
  const filter = new AbortedTransactionFilter([{ producerId: 7, firstOffset: 0 }]);
  const decisions = batches.map((b) => filter.decide(b));
  assert.deepEqual(decisions, ['skip', 'deliver', 'deliver', 'skip', 'deliver', 'skip', 'skip']);
});

test('an aborted transaction that starts later in the response only applies from its first offset', async () => {
  const filter = new AbortedTransactionFilter([{ producerId: 3, firstOffset: 10 }]);
  assert.equal(filter.decide(await data(0, 5, 3, true)), 'deliver', 'an earlier, committed transaction of the same producer');
  assert.equal(filter.decide(await marker(5, 3, 'COMMIT')), 'skip');
  assert.equal(filter.decide(await data(10, 2, 3, true)), 'skip');
  assert.equal(filter.decide(await marker(12, 3, 'ABORT')), 'skip');
  assert.equal(filter.decide(await data(13, 1, 3, true)), 'deliver', 'the next transaction');
});

test('without an aborted-transaction list only control batches are skipped', async () => {
  const filter = new AbortedTransactionFilter(null);
  assert.equal(filter.decide(await data(0, 1, 5, true)), 'deliver');
  assert.equal(filter.decide(await marker(1, 5, 'ABORT')), 'skip');
});
