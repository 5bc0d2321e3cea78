/**
 * DescribeGroups (key 15), versions 0-5.
 *
 * State, protocol type, selected protocol and members of each group. As in
 * Kafka, member metadata and assignments are only shown while Stable, and
 * a group that does not exist is described as "Dead" with no error (v6
 * would answer GROUP_ID_NOT_FOUND; not served).
 *
 * Version notes: v1 throttle time; v3 AuthorizedOperations, computed when
 * IncludeAuthorizedOperations asks (auth/authorized-operations.ts), else
 * Kafka's INT32_MIN; v4 GroupInstanceId per member; v5 flexible.
 */
import { DescribeGroupsApi, ErrorCode, type DescribeGroupsRequest, type DescribeGroupsResponse } from '@samsa/protocol';
import { authorizedOperations } from '../auth/authorized-operations.js';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler } from '../request-context.js';

export function describeGroupsHandler(s: BrokerServices): ApiHandler<DescribeGroupsRequest, DescribeGroupsResponse> {
  return {
    api: DescribeGroupsApi,
    minVersion: 0,
    maxVersion: 5,
    handle(_ctx, req) {
      return {
        throttleTimeMs: 0,
        groups: req.groups.map((groupId) => {
          const d = s.groups.describeGroup(groupId);
          return {
            errorCode: groupId === '' ? ErrorCode.INVALID_GROUP_ID : d.errorCode,
            errorMessage: null,
            groupId,
            groupState: d.state,
            protocolType: d.protocolType,
            protocolData: d.protocolData,
            members: d.members.map((m) => ({
              memberId: m.memberId,
              groupInstanceId: m.groupInstanceId,
              clientId: m.clientId,
              clientHost: m.clientHost,
              memberMetadata: m.metadata,
              memberAssignment: m.assignment,
            })),
            authorizedOperations: authorizedOperations({ resourceType: 'group', name: groupId }, req.includeAuthorizedOperations),
          };
        }),
      };
    },
  };
}
