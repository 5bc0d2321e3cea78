/**
 * DescribeGroups (key 15), versions 0-5.
 *
 * State, protocol type, selected protocol and members of each group. As in
 * Kafka, member metadata and assignments are only shown while Stable, and
 * a group that does not exist is described as "Dead" with no error (v6
 * would answer GROUP_ID_NOT_FOUND; not served).
 *
 * Version notes: v1 throttle time; v3 AuthorizedOperations (no authorizer
 * yet: Kafka's "not computed" sentinel INT32_MIN, as DescribeCluster); v4
 * GroupInstanceId per member; v5 flexible.
 */
import { DescribeGroupsApi, ErrorCode, type DescribeGroupsRequest, type DescribeGroupsResponse } from '@samsa/protocol';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler } from '../request-context.js';
import { UNKNOWN_AUTHORIZED_OPERATIONS } from './metadata.js';

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
            authorizedOperations: UNKNOWN_AUTHORIZED_OPERATIONS,
          };
        }),
      };
    },
  };
}
