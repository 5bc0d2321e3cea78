import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeControlRecord, decodeRecordBatches, encodeControlRecordBatch, RecordFormatError, validateBatches } from '../../src/index.js';

test('COMMIT and ABORT markers round trip with the control and transactional bits', async () => {
  for (const type of ['COMMIT', 'ABORT'] as const) {
    const buf = encodeControlRecordBatch({ type, producerId: 1000, producerEpoch: 2, coordinatorEpoch: 9, timestamp: 55, baseOffset: 300 });
    const v = validateBatches(buf);
    assert.ok(v.ok);
    assert.equal(v.batches[0].isControl, true);
    assert.equal(v.batches[0].isTransactional, true);
    assert.equal(v.batches[0].producerId, 1000);
    const [batch] = await decodeRecordBatches(buf);
    assert.equal(batch.records.length, 1);
    assert.equal(batch.records[0].offset, 300);
    assert.deepEqual([...(batch.records[0].key ?? [])], [0, 0, 0, type === 'COMMIT' ? 1 : 0]);
    assert.deepEqual(decodeControlRecord(batch.records[0]), { type, typeId: type === 'COMMIT' ? 1 : 0, version: 0, coordinatorEpoch: 9 });
  }
});

test('other and malformed control keys', () => {
  assert.equal(decodeControlRecord({ key: Buffer.from([0, 0, 0, 2]), value: null }).type, 'LEADER_CHANGE');
  assert.equal(decodeControlRecord({ key: Buffer.from([0, 0, 0, 99]), value: null }).type, 'UNKNOWN');
  assert.throws(() => decodeControlRecord({ key: Buffer.from([0, 0]), value: null }), RecordFormatError);
  assert.throws(() => decodeControlRecord({ key: Buffer.from([0, 0, 0, 1]), value: Buffer.from([0]) }), RecordFormatError);
});
