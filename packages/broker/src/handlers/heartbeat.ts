/**
 * Heartbeat (key 12), versions 0-4.
 *
 * Keeps a member's session alive. Answers REBALANCE_IN_PROGRESS while the
 * group prepares a rebalance (the member must rejoin), NONE in Stable and
 * CompletingRebalance, and UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION or
 * FENCED_INSTANCE_ID when the member is not (or no longer) in the group's
 * current generation.
 *
 * Version notes: v1 throttle time; v3 GroupInstanceId; v4 flexible.
 */
import { HeartbeatApi, type HeartbeatRequest, type HeartbeatResponse } from '@samsa/protocol';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler } from '../request-context.js';

export function heartbeatHandler(s: BrokerServices): ApiHandler<HeartbeatRequest, HeartbeatResponse> {
  return {
    api: HeartbeatApi,
    minVersion: 0,
    maxVersion: 4,
    handle(ctx, req) {
      const errorCode = s.groups.heartbeat({
        groupId: req.groupId,
        generationId: req.generationId,
        memberId: req.memberId,
        groupInstanceId: ctx.apiVersion >= 3 ? req.groupInstanceId : null,
      });
      return { throttleTimeMs: 0, errorCode };
    },
  };
}
