import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Writer } from '@samsa/protocol';
import { javaStringHashCode, kafkaAbs, offsetsPartitionFor } from '../../../src/coordinators/group/java-hash.js';
import {
  decodeGroupMetadataValue,
  decodeOffsetCommitValue,
  decodeOffsetsTopicKey,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
} from '../../../src/coordinators/group/offsets-topic-records.js';

test('Java String.hashCode and Kafka Utils.abs', () => {
  assert.equal(javaStringHashCode(''), 0);
  assert.equal(javaStringHashCode('hello'), 99162322);
  assert.equal(javaStringHashCode('polygenelubricants'), -2147483648);
  assert.equal(kafkaAbs(-2147483648), 0);
  assert.equal(offsetsPartitionFor('polygenelubricants', 50), 0);
  // A negative hash: "my-group".hashCode() = -1906497762 (checked with an independent implementation).
  assert.equal(javaStringHashCode('my-group'), -1906497762);
  assert.equal(offsetsPartitionFor('my-group', 50), 12);
  assert.equal(javaStringHashCode('é€'), (0xe9 * 31 + 0x20ac) | 0);
});

test('offset commit key and value v3 are byte-exact and round-trip', () => {
  const key = encodeOffsetCommitKey('g', 'topic', 7);
  assert.equal(key.toString('hex'), '0001' + '0001' + '67' + '0005' + Buffer.from('topic').toString('hex') + '00000007');
  assert.deepEqual(decodeOffsetsTopicKey(key), { type: 'offset', group: 'g', topic: 'topic', partition: 7 });
  const value = { offset: 12345, leaderEpoch: 4, metadata: 'meta', commitTimestamp: 1_700_000_000_000, expireTimestamp: -1 };
  const buf = encodeOffsetCommitValue(value);
  assert.equal(buf.readInt16BE(0), 3);
  assert.equal(buf.length, 2 + 8 + 4 + 2 + 4 + 8);
  assert.deepEqual(decodeOffsetCommitValue(buf), value);
});

test('a value with an expire timestamp (explicit retention) is written as v1, byte-exact, and round-trips', () => {
  const value = { offset: 12345, leaderEpoch: -1, metadata: 'meta', commitTimestamp: 1_700_000_000_000, expireTimestamp: 1_700_000_086_400 };
  const buf = encodeOffsetCommitValue(value);
  const expected = new Writer();
  expected.writeInt16(1);
  expected.writeInt64(12345);
  expected.writeString('meta');
  expected.writeInt64(1_700_000_000_000);
  expected.writeInt64(1_700_000_086_400);
  assert.equal(buf.toString('hex'), expected.toBuffer().toString('hex'));
  assert.deepEqual(decodeOffsetCommitValue(buf), value);
  // v1 has no leader epoch: an epoch given with an expire timestamp is not kept (Kafka's choice too).
  assert.equal(decodeOffsetCommitValue(encodeOffsetCommitValue({ ...value, leaderEpoch: 7 })).leaderEpoch, -1);
});

test('older and flexible offset commit values decode', () => {
  const v1 = new Writer();
  v1.writeInt16(1);
  v1.writeInt64(5);
  v1.writeString('m');
  v1.writeInt64(100);
  v1.writeInt64(200);
  assert.deepEqual(decodeOffsetCommitValue(v1.toBuffer()), { offset: 5, leaderEpoch: -1, metadata: 'm', commitTimestamp: 100, expireTimestamp: 200 });
  const v4 = new Writer();
  v4.writeInt16(4);
  v4.writeInt64(6);
  v4.writeInt32(2);
  v4.writeCompactString('x');
  v4.writeInt64(300);
  v4.writeUVarint(0);
  assert.deepEqual(decodeOffsetCommitValue(v4.toBuffer()), { offset: 6, leaderEpoch: 2, metadata: 'x', commitTimestamp: 300, expireTimestamp: -1 });
});

test('group metadata key and value v3 round-trip; unknown key types are reported as other', () => {
  assert.deepEqual(decodeOffsetsTopicKey(encodeGroupMetadataKey('grp')), { type: 'group', group: 'grp' });
  const value = {
    protocolType: 'consumer',
    generation: 3,
    protocol: 'range',
    leader: 'm1',
    currentStateTimestamp: 1_700_000_000_000,
    members: [
      { memberId: 'm1', groupInstanceId: null, clientId: 'c', clientHost: '/127.0.0.1', rebalanceTimeoutMs: 30000, sessionTimeoutMs: 10000, subscription: Buffer.from([1, 2]), assignment: Buffer.from([3]) },
      { memberId: 'm2', groupInstanceId: 'i2', clientId: 'c', clientHost: '/127.0.0.1', rebalanceTimeoutMs: 30000, sessionTimeoutMs: 10000, subscription: Buffer.alloc(0), assignment: Buffer.alloc(0) },
    ],
  };
  const buf = encodeGroupMetadataValue(value);
  assert.equal(buf.readInt16BE(0), 3);
  assert.deepEqual(decodeGroupMetadataValue(buf), value);
  const other = Buffer.from([0, 5, 0, 0]);
  assert.deepEqual(decodeOffsetsTopicKey(other), { type: 'other', version: 5 });
  assert.throws(() => decodeOffsetsTopicKey(Buffer.from([0, 1, 0, 9])), /./, 'truncated keys throw (the loader skips them)');
});
