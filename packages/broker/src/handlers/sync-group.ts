/**
 * SyncGroup (key 14), versions 0-5.
 *
 * After JoinGroup: the leader sends every member's assignment, followers send
 * none; everyone is answered with its own assignment once the leader's has
 * been written to `__consumer_offsets`. In Stable (a member that missed its
 * answer, or a static leader that rejoined) the current assignment comes
 * back at once. Errors: UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION,
 * REBALANCE_IN_PROGRESS (a new rebalance started), FENCED_INSTANCE_ID,
 * INCONSISTENT_GROUP_PROTOCOL (v5: ProtocolType/ProtocolName differ from
 * the group's), COORDINATOR_NOT_AVAILABLE (the write failed).
 *
 * Version notes: v1 throttle time; v3 GroupInstanceId; v4 flexible; v5
 * ProtocolType and ProtocolName in request and response.
 */
import { SyncGroupApi, type SyncGroupRequest, type SyncGroupResponse } from '@samsa/protocol';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler } from '../request-context.js';

export function syncGroupHandler(s: BrokerServices): ApiHandler<SyncGroupRequest, SyncGroupResponse> {
  return {
    api: SyncGroupApi,
    minVersion: 0,
    maxVersion: 5,
    async handle(ctx, req) {
      const version = ctx.apiVersion;
      const r = await s.groups.syncGroup({
        groupId: req.groupId,
        generationId: req.generationId,
        memberId: req.memberId,
        groupInstanceId: version >= 3 ? req.groupInstanceId : null,
        protocolType: version >= 5 ? req.protocolType : null,
        protocolName: version >= 5 ? req.protocolName : null,
        assignments: req.assignments.map((a) => ({ memberId: a.memberId, assignment: a.assignment })),
      });
      return { throttleTimeMs: 0, errorCode: r.errorCode, protocolType: r.protocolType, protocolName: r.protocolName, assignment: r.assignment };
    },
  };
}
