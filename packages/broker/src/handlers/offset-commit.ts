/**
 * OffsetCommit (key 8), versions 0-9.
 *
 * Stores committed offsets in `__consumer_offsets` (appended before the
 * answer, so a broker kill -9 after the response keeps them). Group members
 * commit with their member id and generation; anyone may commit with
 * generation -1 to a group that is Empty or does not exist (simple
 * consumers, admin tools). The full truth table is on
 * GroupCoordinator.commitOffsets.
 *
 * Per partition: UNKNOWN_TOPIC_OR_PARTITION, OFFSET_METADATA_TOO_LARGE
 * (offset.metadata.max.bytes = 4096); for the whole request:
 * ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS,
 * FENCED_INSTANCE_ID, COORDINATOR_NOT_AVAILABLE (the write failed),
 * INVALID_COMMIT_OFFSET_SIZE (the batch is over max.message.bytes).
 *
 * Version notes: v0 has no generation or member (a simple commit); v1
 * GenerationId, MemberId and a per-partition CommitTimestamp (-1 = now);
 * v2-4 RetentionTimeMs: other than -1, the offsets expire that long after the
 * commit instead of by offsets.retention.minutes (stored as OffsetCommitValue
 * v1, as Kafka does; see GroupCoordinator.expireOffsets); v3 throttle time;
 * v5 drops retention; v6 CommittedLeaderEpoch; v7 GroupInstanceId; v8
 * flexible; v9 is KIP-848's version (the classic checks apply to classic
 * groups). v10 (topic ids) is not served.
 */
import { OffsetCommitApi, type OffsetCommitRequest, type OffsetCommitResponse } from '@samsa/protocol';
import type { BrokerServices } from '../broker-services.js';
import type { OffsetCommitEntry } from '../coordinators/group/group-coordinator.js';
import type { ApiHandler } from '../request-context.js';

export function offsetCommitHandler(s: BrokerServices): ApiHandler<OffsetCommitRequest, OffsetCommitResponse> {
  return {
    api: OffsetCommitApi,
    minVersion: 0,
    maxVersion: 9,
    async handle(ctx, req) {
      const version = ctx.apiVersion;
      const offsets: OffsetCommitEntry[] = [];
      for (const t of req.topics) {
        for (const p of t.partitions) {
          offsets.push({
            topic: t.name,
            partition: p.partitionIndex,
            offset: p.committedOffset,
            leaderEpoch: version >= 6 ? p.committedLeaderEpoch : -1,
            metadata: p.committedMetadata,
            commitTimestamp: version === 1 ? p.commitTimestamp : -1,
          });
        }
      }
      const codes = await s.groups.commitOffsets({
        groupId: req.groupId,
        generationId: version >= 1 ? req.generationIdOrMemberEpoch : -1,
        memberId: version >= 1 ? req.memberId : '',
        groupInstanceId: version >= 7 ? req.groupInstanceId : null,
        retentionTimeMs: version >= 2 && version <= 4 ? req.retentionTimeMs : -1,
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
