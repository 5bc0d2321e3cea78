/**
 * LeaveGroup (key 13), versions 0-5.
 *
 * Removes members at once instead of waiting for their session to expire;
 * the group rebalances (or, mid-rebalance, stops waiting for them).
 *
 * Version notes: v0-2 name one MemberId and carry its error at top level;
 * v3 batches Members (each with an optional GroupInstanceId; an empty
 * MemberId with an instance id removes that static member, as the admin
 * client does) with per-member errors; v4 flexible; v5 Reason (logged only).
 */
import { ErrorCode, LeaveGroupApi, type LeaveGroupRequest, type LeaveGroupResponse } from '@samsa/protocol';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler } from '../request-context.js';

export function leaveGroupHandler(s: BrokerServices): ApiHandler<LeaveGroupRequest, LeaveGroupResponse> {
  return {
    api: LeaveGroupApi,
    minVersion: 0,
    maxVersion: 5,
    handle(ctx, req) {
      const batched = ctx.apiVersion >= 3;
      const leaving = batched
        ? req.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId }))
        : [{ memberId: req.memberId, groupInstanceId: null }];
      const r = s.groups.leaveGroup(req.groupId, leaving);
      if (!batched) {
        const errorCode = r.errorCode !== ErrorCode.NONE ? r.errorCode : (r.members[0]?.errorCode ?? ErrorCode.NONE);
        return { throttleTimeMs: 0, errorCode, members: [] };
      }
      return { throttleTimeMs: 0, errorCode: r.errorCode, members: r.members };
    },
  };
}
