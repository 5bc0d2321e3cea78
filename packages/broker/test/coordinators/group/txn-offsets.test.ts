import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '@samsa/protocol';
import { GroupCoordinator, type GroupCoordinatorConfig } from '../../../src/coordinators/group/group-coordinator.js';
import { ManualTimers } from './manual-timers.js';
import { MemoryGroupLog } from './memory-group-log.js';

const config: GroupCoordinatorConfig = {
  initialRebalanceDelayMs: 0,
  minSessionTimeoutMs: 10,
  maxSessionTimeoutMs: 60_000,
  maxGroupSize: 100,
  offsetMetadataMaxBytes: 100,
};

function setup(): { coordinator: GroupCoordinator; log: MemoryGroupLog; timers: ManualTimers } {
  const timers = new ManualTimers();
  const log = new MemoryGroupLog();
  const coordinator = new GroupCoordinator({ timers, log, config, partitionExists: (topic, p) => topic === 't' && p >= 0 && p < 2 });
  coordinator.finishLoading();
  return { coordinator, log, timers };
}

const txnCommit = (c: GroupCoordinator, producerId: number, offset: number, partition = 0) =>
  c.txnCommitOffsets({
    groupId: 'g',
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    producerId,
    producerEpoch: 0,
    offsets: [{ topic: 't', partition, offset, leaderEpoch: -1, metadata: 'm', commitTimestamp: -1 }],
  });

const committed = (c: GroupCoordinator, requireStable = false) => c.fetchOffsets('g', [{ topic: 't', partitions: [0] }], requireStable).topics[0].partitions[0];

test('transactional offsets are pending until the commit marker, then committed', async () => {
  const { coordinator, log } = setup();
  assert.deepEqual(await txnCommit(coordinator, 7, 42), [ErrorCode.NONE]);
  assert.equal(log.records[0].producerId, 7, 'written as the producer\'s transactional batch');
  assert.equal(committed(coordinator).offset, -1, 'not visible before the transaction commits');
  assert.equal(committed(coordinator, true).errorCode, ErrorCode.UNSTABLE_OFFSET_COMMIT);
  coordinator.completeTransaction(7, true);
  assert.deepEqual([committed(coordinator, true).offset, committed(coordinator, true).errorCode], [42, ErrorCode.NONE]);
});

test('an aborted transaction\'s offsets are dropped; other producers are untouched', async () => {
  const { coordinator } = setup();
  await txnCommit(coordinator, 1, 10);
  await txnCommit(coordinator, 2, 20, 1);
  coordinator.completeTransaction(1, false);
  assert.equal(committed(coordinator).offset, -1);
  assert.equal(committed(coordinator, true).errorCode, ErrorCode.NONE);
  coordinator.completeTransaction(2, true);
  assert.equal(coordinator.fetchOffsets('g', [{ topic: 't', partitions: [1] }]).topics[0].partitions[0].offset, 20);
});

test('named members are validated like OffsetCommit, and unknown partitions refused', async () => {
  const { coordinator } = setup();
  const codes = await coordinator.txnCommitOffsets({
    groupId: 'g',
    generationId: 3,
    memberId: 'm',
    groupInstanceId: null,
    producerId: 1,
    producerEpoch: 0,
    offsets: [{ topic: 't', partition: 0, offset: 1, leaderEpoch: -1, metadata: '', commitTimestamp: -1 }],
  });
  assert.deepEqual(codes, [ErrorCode.ILLEGAL_GENERATION]);
  assert.deepEqual(await txnCommit(coordinator, 1, 5, 9), [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
});

test('pending offsets replayed from the log complete with a later marker', () => {
  const { coordinator, log } = setup();
  return (async () => {
    await txnCommit(coordinator, 4, 77);
    const restarted = setup().coordinator;
    restarted.replayPendingTxnOffset(4, log.records[0]);
    assert.equal(committed(restarted, true).errorCode, ErrorCode.UNSTABLE_OFFSET_COMMIT);
    restarted.completeTransaction(4, true);
    assert.equal(committed(restarted).offset, 77);
  })();
});
