import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientError } from '../../src/client-error.js';
import { normalizeOffsets } from '../../src/producer/transaction.js';

const topics = [{ topic: 'orders', partitions: [{ partition: 0, offset: '42' }] }];

test('sendOffsets by group id: no member, so no generation check', () => {
  assert.deepEqual(normalizeOffsets({ consumerGroupId: 'billing', topics }), {
    groupId: 'billing',
    member: { generationId: -1, memberId: '', groupInstanceId: null },
    topics: [{ topic: 'orders', partitions: [{ partition: 0, offset: 42 }] }],
  });
});

test('sendOffsets with consumer group metadata commits as that member (KIP-447)', () => {
  const consumerGroupMetadata = { groupId: 'billing', generationId: 7, memberId: 'm-1', groupInstanceId: 'host-a' };
  assert.deepEqual(normalizeOffsets({ consumerGroupMetadata, topics }).member, { generationId: 7, memberId: 'm-1', groupInstanceId: 'host-a' });
  assert.equal(normalizeOffsets({ consumerGroupId: 'billing', consumerGroupMetadata, topics }).groupId, 'billing');
});

test('sendOffsets refuses a missing group, malformed metadata and two different groups', () => {
  const refused = (input: unknown, pattern: RegExp): void =>
    assert.throws(() => normalizeOffsets(input as Parameters<typeof normalizeOffsets>[0]), (err: unknown) => err instanceof ClientError && err.code === 'SAMSA_ERR_INVALID_MESSAGE' && pattern.test(err.message));
  refused({ topics }, /consumerGroupId must be a non-empty string/);
  refused({ consumerGroupMetadata: { groupId: 'g' }, topics }, /needs generationId/);
  refused({ consumerGroupMetadata: null, topics }, /what consumer.groupMetadata\(\) returns/);
  refused({ consumerGroupId: 'other', consumerGroupMetadata: { groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null }, topics }, /is not the group of consumerGroupMetadata/);
});
