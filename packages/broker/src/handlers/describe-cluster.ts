/**
 * DescribeCluster (key 60), versions 0-1.
 *
 * This broker is the whole cluster and its controller. EndpointType (v1):
 * 1 = brokers (answered), 2 = controllers (this node too: one process plays
 * both roles). Authorized operations are computed when the request asks
 * (auth/authorized-operations.ts), else Kafka's INT32_MIN.
 */
import { DescribeClusterApi, ErrorCode, type DescribeClusterRequest, type DescribeClusterResponse } from '@samsa/protocol';
import { authorizedOperations } from '../auth/authorized-operations.js';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler } from '../request-context.js';

export function describeClusterHandler(s: BrokerServices): ApiHandler<DescribeClusterRequest, DescribeClusterResponse> {
  return {
    api: DescribeClusterApi,
    minVersion: 0,
    maxVersion: 1,
    handle(ctx, req) {
      const endpoint = s.advertisedEndpoint(ctx.conn.listenerName);
      const endpointType = req.endpointType === 2 ? 2 : 1;
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        endpointType,
        clusterId: s.metadata.clusterId,
        controllerId: s.nodeId,
        brokers: [{ brokerId: s.nodeId, host: endpoint.host, port: endpoint.port, rack: null, isFenced: false }],
        clusterAuthorizedOperations: authorizedOperations({ resourceType: 'cluster', name: 'kafka-cluster' }, req.includeClusterAuthorizedOperations),
      };
    },
  };
}
