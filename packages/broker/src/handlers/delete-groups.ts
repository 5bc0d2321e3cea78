/**
 * DeleteGroups (key 42), versions 0-2.
 *
 * Deletes Empty groups: their committed offsets and group metadata are
 * tombstoned in `__consumer_offsets` and the group disappears. Per group:
 * GROUP_ID_NOT_FOUND (unknown), NON_EMPTY_GROUP (has members),
 * INVALID_GROUP_ID (empty id), COORDINATOR_NOT_AVAILABLE (the write failed).
 *
 * Version notes: v1 nothing new for the broker; v2 flexible. v3
 * (ErrorMessage) is not served.
 */
import { DeleteGroupsApi, type DeleteGroupsRequest, type DeleteGroupsResponse } from '@samsa/protocol';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler } from '../request-context.js';

export function deleteGroupsHandler(s: BrokerServices): ApiHandler<DeleteGroupsRequest, DeleteGroupsResponse> {
  return {
    api: DeleteGroupsApi,
    minVersion: 0,
    maxVersion: 2,
    async handle(_ctx, req) {
      const results = await s.groups.deleteGroups(req.groupsNames);
      return { throttleTimeMs: 0, results: results.map((r) => ({ groupId: r.groupId, errorCode: r.errorCode, errorMessage: null })) };
    },
  };
}
