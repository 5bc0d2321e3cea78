/**
 * ListGroups (key 16), versions 0-5.
 *
 * Every group this coordinator knows (all of them, single node), including
 * Empty groups that only hold offsets. StatesFilter (v4+) keeps groups
 * whose state matches one of the names, case-insensitively; TypesFilter
 * (v5+) likewise on the group type, which is always "classic" here (no
 * KIP-848 groups yet). Empty filters keep everything.
 *
 * Version notes: v1 throttle time; v3 flexible; v4 GroupState; v5 GroupType.
 */
import { ErrorCode, ListGroupsApi, type ListGroupsRequest, type ListGroupsResponse } from '@samsa/protocol';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler } from '../request-context.js';

const CLASSIC = 'classic';

export function listGroupsHandler(s: BrokerServices): ApiHandler<ListGroupsRequest, ListGroupsResponse> {
  return {
    api: ListGroupsApi,
    minVersion: 0,
    maxVersion: 5,
    handle(ctx, req) {
      const version = ctx.apiVersion;
      const states = new Set((version >= 4 ? req.statesFilter : []).map((x) => x.toLowerCase()));
      const types = new Set((version >= 5 ? req.typesFilter : []).map((x) => x.toLowerCase()));
      const groups = s.groups
        .listGroups()
        .filter((g) => (states.size === 0 || states.has(g.state.toLowerCase())) && (types.size === 0 || types.has(CLASSIC)))
        .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state, groupType: CLASSIC }));
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups };
    },
  };
}
