// Subscription and assignment bytes: round trips, what older and newer versions carry, and
// the layout other clients read (int16 version first).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writer, encodeConsumerProtocolSubscription } from '@samsa/protocol';
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription, SUBSCRIPTION_VERSION } from '../../../src/consumer/assignors/member-metadata.js';

test('subscription round trip: topics sorted and deduplicated, owned partitions and generation kept', () => {
  const bytes = encodeSubscription({ topics: ['b', 'a', 'b'], userData: null, ownedPartitions: [{ topic: 'a', partitions: [3, 1] }], generationId: 7 });
  assert.equal(bytes.readInt16BE(0), SUBSCRIPTION_VERSION);
  assert.deepEqual(decodeSubscription(bytes), { topics: ['a', 'b'], userData: null, ownedPartitions: [{ topic: 'a', partitions: [1, 3] }], generationId: 7 });
});

test('a v0 subscription has no owned partitions; a version newer than known is read by its prefix', () => {
  const v0 = new Writer();
  v0.writeInt16(0);
  encodeConsumerProtocolSubscription(v0, { topics: ['x'], userData: Buffer.from('u'), ownedPartitions: [], generationId: -1, rackId: null }, 0);
  assert.deepEqual(decodeSubscription(v0.toBuffer()), { topics: ['x'], userData: Buffer.from('u'), ownedPartitions: [], generationId: -1 });
  const future = new Writer();
  future.writeInt16(9);
  encodeConsumerProtocolSubscription(future, { topics: ['y'], userData: null, ownedPartitions: [{ topic: 'y', partitions: [0] }], generationId: 3, rackId: 'r1' }, 3);
  future.writeInt32(12345); // a field from the future
  assert.deepEqual(decodeSubscription(future.toBuffer()), { topics: ['y'], userData: null, ownedPartitions: [{ topic: 'y', partitions: [0] }], generationId: 3 });
});

test('assignment round trip; empty bytes are no partitions', () => {
  const bytes = encodeAssignment([{ topic: 't', partitions: [0, 2] }]);
  assert.deepEqual(decodeAssignment(bytes), { partitions: [{ topic: 't', partitions: [0, 2] }], userData: null });
  assert.deepEqual(decodeAssignment(Buffer.alloc(0)), { partitions: [], userData: null });
});
