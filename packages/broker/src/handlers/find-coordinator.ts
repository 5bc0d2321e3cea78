/**
 * FindCoordinator (key 10), versions 0-4.
 *
 * Single-node mode: this broker coordinates every group. The first lookup of
 * a group creates `__consumer_offsets` (where the coordinator keeps offsets
 * and group metadata), as Kafka does; if that fails the answer is
 * COORDINATOR_NOT_AVAILABLE (retriable).
 *
 * Key types: 0 = group, 1 = transaction (both answered with this node; the
 * first lookup creates `__consumer_offsets` or `__transaction_state`),
 * anything else INVALID_REQUEST.
 *
 * Versions: v0 has only the key (type group); v1 adds KeyType, throttle time
 * and ErrorMessage; v3 is flexible; v4 batches keys (CoordinatorKeys in,
 * Coordinators out) and the top-level NodeId/Host/Port are gone. librdkafka
 * enables consumer groups only when v0 is in the advertised range.
 *
 * Not served: v5 (new error codes for KIP-890) and v6 (share groups).
 */
import { ErrorCode, FindCoordinatorApi, type Coordinator, type FindCoordinatorRequest, type FindCoordinatorResponse } from '@samsa/protocol';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler } from '../request-context.js';

const KEY_TYPE_GROUP = 0;
const KEY_TYPE_TRANSACTION = 1;

export function findCoordinatorHandler(s: BrokerServices): ApiHandler<FindCoordinatorRequest, FindCoordinatorResponse> {
  return {
    api: FindCoordinatorApi,
    minVersion: 0,
    maxVersion: 4,
    async handle(ctx, req) {
      const version = ctx.apiVersion;
      const keyType = version >= 1 ? req.keyType : KEY_TYPE_GROUP;
      const keys = version >= 4 ? req.coordinatorKeys : [req.key];
      const endpoint = s.advertisedEndpoint(ctx.conn.listenerName);
      const coordinators = await Promise.all(
        keys.map(async (key): Promise<Coordinator> => {
          const error = (errorCode: number, errorMessage: string): Coordinator => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage });
          if (keyType !== KEY_TYPE_GROUP && keyType !== KEY_TYPE_TRANSACTION) return error(ErrorCode.INVALID_REQUEST, `Unknown coordinator key type ${keyType}`);
          const internal = keyType === KEY_TYPE_GROUP ? s.offsetsTopic : s.transactionStateTopic;
          try {
            await internal.ensureTopic();
          } catch (err) {
            s.logger.error({ err }, 'creating an internal topic failed');
            return error(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator\'s internal topic could not be created');
          }
          return { key, nodeId: s.nodeId, host: endpoint.host, port: endpoint.port, errorCode: ErrorCode.NONE, errorMessage: null };
        }),
      );
      if (version >= 4) return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, nodeId: -1, host: '', port: -1, coordinators };
      const c = coordinators[0];
      return { throttleTimeMs: 0, errorCode: c.errorCode, errorMessage: c.errorMessage, nodeId: c.nodeId, host: c.host, port: c.port, coordinators: [] };
    },
  };
}
