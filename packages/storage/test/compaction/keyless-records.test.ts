import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompressionCodec, encodeControlRecordBatch } from '@samsa/protocol';
import { keylessRecordIndexes, keylessRecordMessage } from '../../src/compaction/keyless-records.js';
import { keyedBatch } from '../../test-support/keyed-batches.js';

test('keyless records are found by index, whatever the codec; control batches are not checked', async () => {
  for (const compression of [CompressionCodec.None, CompressionCodec.Gzip, CompressionCodec.Snappy, CompressionCodec.Lz4, CompressionCodec.Zstd]) {
    const batch = await keyedBatch([{ key: 'a', value: '1' }, { key: null, value: '2' }, { key: 'c', value: null }, { key: null, value: null }], { compression });
    assert.deepEqual(await keylessRecordIndexes(batch), [1, 3], `codec ${compression}`);
    assert.deepEqual(await keylessRecordIndexes(await keyedBatch([{ key: 'k', value: 'v' }], { compression })), []);
  }
  const marker = encodeControlRecordBatch({ type: 'COMMIT', producerId: 1, producerEpoch: 0, coordinatorEpoch: 0, timestamp: 0 });
  assert.deepEqual(await keylessRecordIndexes(marker), []);
  assert.equal(keylessRecordMessage('t', 3), 'Compacted topic cannot accept message without key in topic partition t-3.');
});
