/**
 * OffsetFetch (key 9), versions 0-9.
 *
 * Returns a group's committed offsets. A partition without a commit (or a
 * group that does not exist) gets offset -1, leader epoch -1, metadata ""
 * and no error, as Kafka. Topics null (v2+) means every committed offset of
 * the group. RequireStable (v7+): a partition whose offset is pending in an
 * open transaction (TxnOffsetCommit not yet committed or aborted) gets
 * UNSTABLE_OFFSET_COMMIT, which clients retry.
 *
 * Version notes: v0-1 carry errors per partition only; v2 adds the
 * top-level error and null topics; v3 throttle time; v5 leader epoch; v6
 * flexible; v7 RequireStable; v8 batches several groups (Groups in and
 * out); v9 adds MemberId/MemberEpoch for KIP-848 groups (ignored: classic
 * groups only). v10 (topic ids) is not served.
 */
import { ErrorCode, OffsetFetchApi, ZERO_UUID, type OffsetFetchRequest, type OffsetFetchResponse } from '@samsa/protocol';
import type { BrokerServices } from '../broker-services.js';
import type { FetchOffsetsResult } from '../coordinators/group/group-coordinator.js';
import type { ApiHandler } from '../request-context.js';

export function offsetFetchHandler(s: BrokerServices): ApiHandler<OffsetFetchRequest, OffsetFetchResponse> {
  return {
    api: OffsetFetchApi,
    minVersion: 0,
    maxVersion: 9,
    handle(ctx, req) {
      const version = ctx.apiVersion;
      const requireStable = version >= 7 && req.requireStable;
      const fetch = (groupId: string, topics: Array<{ name: string; partitionIndexes: number[] }> | null): FetchOffsetsResult =>
        s.groups.fetchOffsets(groupId, topics === null ? null : topics.map((t) => ({ topic: t.name, partitions: t.partitionIndexes })), requireStable);
      if (version >= 8) {
        return {
          throttleTimeMs: 0,
          topics: [],
          errorCode: ErrorCode.NONE,
          groups: req.groups.map((g) => {
            const r = fetch(g.groupId, g.topics);
            return {
              groupId: g.groupId,
              errorCode: r.errorCode,
              topics: r.topics.map((t) => ({
                name: t.topic,
                topicId: ZERO_UUID,
                partitions: t.partitions.map((p) => ({
                  partitionIndex: p.partition,
                  committedOffset: p.offset,
                  committedLeaderEpoch: p.leaderEpoch,
                  metadata: p.metadata,
                  errorCode: p.errorCode,
                })),
              })),
            };
          }),
        };
      }
      const r = fetch(req.groupId, version >= 2 ? req.topics : (req.topics ?? []));
      // v0-1 have no top-level error: a group-level error goes on every partition.
      const groupError = version < 2 ? r.errorCode : ErrorCode.NONE;
      return {
        throttleTimeMs: 0,
        errorCode: r.errorCode,
        groups: [],
        topics: r.topics.map((t) => ({
          name: t.topic,
          partitions: t.partitions.map((p) => ({
            partitionIndex: p.partition,
            committedOffset: p.offset,
            committedLeaderEpoch: p.leaderEpoch,
            metadata: p.metadata,
            errorCode: groupError !== ErrorCode.NONE ? groupError : p.errorCode,
          })),
        })),
      };
    },
  };
}
