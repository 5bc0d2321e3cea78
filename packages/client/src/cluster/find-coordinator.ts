/**
 * FindCoordinator, the one way this client learns which broker coordinates a
 * consumer group (key type 0) or a transactional id (key type 1): the
 * consumer's group membership and offsets, the transaction manager's
 * transaction and group coordinators, and the admin client's group and
 * transaction requests all ask through {@link findCoordinator}.
 *
 * Version: v0-3 carry the one key asked about; v4 (KIP-699) batches keys and
 * answers in `coordinators`, which this client does not need, so v3 is the
 * cap. v0 has no key type: it would name the group coordinator of the key,
 * so transactional ids need v1+ (UNSUPPORTED_VERSION from older brokers,
 * before anything is sent).
 *
 * One lookup is one request: the callers decide about retries, since each
 * has its own policy (the consumer retries within its retry budget, the
 * transaction manager per transactional request, the admin client per
 * operation).
 */
import { ErrorCode, FindCoordinatorApi } from '@samsa/protocol';
import type { Cluster } from './cluster.js';
import type { Connection } from '../connection.js';
import { KafkaError } from '../kafka-error.js';

/** FindCoordinator key type of a consumer group. */
export const COORDINATOR_KEY_TYPE_GROUP = 0;
/** FindCoordinator key type of a transactional id. */
export const COORDINATOR_KEY_TYPE_TRANSACTION = 1;
/** What a coordinator is looked up for. */
export type CoordinatorKeyType = typeof COORDINATOR_KEY_TYPE_GROUP | typeof COORDINATOR_KEY_TYPE_TRANSACTION;

/** Highest FindCoordinator version used (see the top of this file). */
const FIND_COORDINATOR_MAX_VERSION = 3;

/** A coordinator as FindCoordinator named it. */
export interface CoordinatorNode {
  nodeId: number;
  host: string;
  port: number;
}

/** Error codes that mean "this is not (or no longer) the coordinator": look it up again. */
export function isCoordinatorError(code: number): boolean {
  return code === ErrorCode.NOT_COORDINATOR || code === ErrorCode.COORDINATOR_NOT_AVAILABLE;
}

/** What a coordinator is for, as error messages name it: `group g` or `transactional id t`. */
export function coordinatorResource(keyType: CoordinatorKeyType, key: string): string {
  return `${keyType === COORDINATOR_KEY_TYPE_TRANSACTION ? 'transactional id' : 'group'} ${key}`;
}

/**
 * One FindCoordinator request, sent on any connection of `cluster`. Throws
 * the answer's error as a KafkaError (COORDINATOR_NOT_AVAILABLE while the
 * coordinator loads, for one), UNSUPPORTED_VERSION when the broker cannot
 * look up this key type, or the ConnectionError.
 */
export async function findCoordinator(cluster: Cluster, keyType: CoordinatorKeyType, key: string): Promise<CoordinatorNode> {
  return findCoordinatorOn(await cluster.anyConnection(), keyType, key);
}

/** {@link findCoordinator} on a given connection. */
export async function findCoordinatorOn(conn: Connection, keyType: CoordinatorKeyType, key: string): Promise<CoordinatorNode> {
  const resource = coordinatorResource(keyType, key);
  const version = conn.version(FindCoordinatorApi, FIND_COORDINATOR_MAX_VERSION);
  if (keyType !== COORDINATOR_KEY_TYPE_GROUP && version < 1) {
    throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, {
      message: `broker ${conn.host}:${conn.port} serves FindCoordinator up to v${version}; finding a transaction coordinator needs v1+`,
      apiName: 'FindCoordinator',
      apiKey: FindCoordinatorApi.apiKey,
      resource,
    });
  }
  const res = await conn.send(FindCoordinatorApi, version, { key, keyType, coordinatorKeys: [key] });
  if (res.errorCode !== ErrorCode.NONE) {
    throw new KafkaError(res.errorCode, { message: res.errorMessage, apiName: 'FindCoordinator', apiKey: FindCoordinatorApi.apiKey, apiVersion: version, resource });
  }
  return { nodeId: res.nodeId, host: res.host, port: res.port };
}
