/**
 * TxnOffsetCommit (key 28), versions 0-3: a transactional producer commits a
 * consumer group's offsets as part of its transaction (consume-transform-
 * produce). The group's `__consumer_offsets` partition must be in the
 * producer's ongoing transaction (AddOffsetsToTxn first; KIP-890 check),
 * else INVALID_TXN_STATE (INVALID_PRODUCER_ID_MAPPING / INVALID_PRODUCER_EPOCH
 * for an unknown or fenced producer) for every partition. The offsets are
 * written as the producer's transactional batch and become the group's
 * committed offsets only when the transaction commits (dropped on abort);
 * OffsetFetch with RequireStable answers UNSTABLE_OFFSET_COMMIT meanwhile.
 *
 * Versions: v2 adds CommittedLeaderEpoch; v3 (flexible) adds the member id,
 * generation and group instance id, validated like OffsetCommit when given.
 * Not served: v4+ (KIP-890 transaction version 2, topic ids).
 */
import { ErrorCode, TxnOffsetCommitApi, type TxnOffsetCommitRequest, type TxnOffsetCommitResponse } from '@samsa/protocol';
import type { BrokerServices } from '../broker-services.js';
import type { OffsetCommitEntry } from '../coordinators/group/group-coordinator.js';
import { OFFSETS_TOPIC } from '../coordinators/group/offsets-topic.js';
import type { ApiHandler } from '../request-context.js';

export function txnOffsetCommitHandler(s: BrokerServices): ApiHandler<TxnOffsetCommitRequest, TxnOffsetCommitResponse> {
  return {
    api: TxnOffsetCommitApi,
    minVersion: 0,
    maxVersion: 3,
    async handle(ctx, req) {
      const version = ctx.apiVersion;
      const offsets: OffsetCommitEntry[] = req.topics.flatMap((t) =>
        t.partitions.map((p) => ({
          topic: t.name,
          partition: p.partitionIndex,
          offset: p.committedOffset,
          leaderEpoch: version >= 2 ? p.committedLeaderEpoch : -1,
          metadata: p.committedMetadata,
          commitTimestamp: -1,
        })),
      );
      const partition = s.offsetsTopic.partitionFor(req.groupId);
      const verified = partition === null
        ? ErrorCode.INVALID_TXN_STATE
        : s.txns.verifyPartition(req.transactionalId, req.producerId, req.producerEpoch, OFFSETS_TOPIC, partition);
      const codes = verified !== ErrorCode.NONE
        ? offsets.map(() => verified)
        : await s.groups.txnCommitOffsets({
            groupId: req.groupId,
            generationId: version >= 3 ? req.generationIdOrMemberEpoch : -1,
            memberId: version >= 3 ? req.memberId : '',
            groupInstanceId: version >= 3 ? req.groupInstanceId : null,
            producerId: req.producerId,
            producerEpoch: req.producerEpoch,
            offsets,
          });
      let i = 0;
      return {
        throttleTimeMs: 0,
        topics: req.topics.map((t) => ({
          name: t.name,
          topicId: t.topicId,
          partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: codes[i++] })),
        })),
      };
    },
  };
}
