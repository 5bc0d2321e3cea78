/**
 * Authorized operations (KIP-430): the operations the requesting principal
 * may perform on a topic, group or cluster, as Metadata (v8+),
 * DescribeCluster and DescribeGroups (v3+) return them when the request asks
 * (IncludeTopicAuthorizedOperations, IncludeClusterAuthorizedOperations,
 * IncludeAuthorizedOperations).
 *
 * Wire encoding: a 32-bit field with bit `code` set for every allowed
 * AclOperation code (Kafka's Utils.to32BitField). When the request did not
 * ask, Kafka returns INT32_MIN (-2147483648), which no set of real
 * operations produces (bit 31 is no operation's code).
 *
 * Samsa has no authorizer yet, so every principal may do everything, and the
 * answer is what Kafka answers without an authorizer: every operation the
 * resource type supports (Kafka's AclEntry.supportedOperations):
 *
 *   resource  operations                                                   bits
 *   topic     READ WRITE CREATE DELETE ALTER DESCRIBE DESCRIBE_CONFIGS      0x0df8
 *             ALTER_CONFIGS
 *   group     READ DELETE DESCRIBE                                         0x0148
 *   cluster   CREATE ALTER DESCRIBE CLUSTER_ACTION DESCRIBE_CONFIGS         0x1fa0
 *             ALTER_CONFIGS IDEMPOTENT_WRITE
 *
 * This module is the one place that answers; an authorizer (issue 13)
 * replaces {@link authorizedOperations}'s body with its own decision for the
 * request's principal, and the handlers stay as they are.
 */

/** Kafka's AclOperation codes (org.apache.kafka.common.acl.AclOperation). */
export const AclOperation = {
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
} as const;

/** One AclOperation code. */
export type AclOperationCode = (typeof AclOperation)[keyof typeof AclOperation];

/** The resource types that carry authorized operations on the wire. */
export type AuthorizableResourceType = 'topic' | 'group' | 'cluster';

/** A resource an operation applies to (the cluster's name is Kafka's "kafka-cluster"). */
export interface AuthorizableResource {
  readonly resourceType: AuthorizableResourceType;
  readonly name: string | null;
}

/** Kafka's "authorized operations not requested" value (INT32_MIN). */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

/** Every operation each resource type supports (Kafka's AclEntry.supportedOperations). */
export const SUPPORTED_OPERATIONS: Readonly<Record<AuthorizableResourceType, readonly AclOperationCode[]>> = {
  topic: [
    AclOperation.READ,
    AclOperation.WRITE,
    AclOperation.CREATE,
    AclOperation.DELETE,
    AclOperation.ALTER,
    AclOperation.DESCRIBE,
    AclOperation.DESCRIBE_CONFIGS,
    AclOperation.ALTER_CONFIGS,
  ],
  group: [AclOperation.READ, AclOperation.DELETE, AclOperation.DESCRIBE],
  cluster: [
    AclOperation.CREATE,
    AclOperation.ALTER,
    AclOperation.DESCRIBE,
    AclOperation.CLUSTER_ACTION,
    AclOperation.DESCRIBE_CONFIGS,
    AclOperation.ALTER_CONFIGS,
    AclOperation.IDEMPOTENT_WRITE,
  ],
};

/** The 32-bit field with bit `code` set for each operation (Kafka's Utils.to32BitField). */
export function operationsBitField(operations: Iterable<AclOperationCode>): number {
  let bits = 0;
  for (const code of operations) bits |= 1 << code;
  return bits;
}

/** The operations set in a 32-bit field, ascending (Kafka's Utils.from32BitField); the inverse of {@link operationsBitField}. */
export function operationsFromBitField(bits: number): number[] {
  const out: number[] = [];
  for (let code = 0; code < 32; code++) if ((bits & (1 << code)) !== 0) out.push(code);
  return out;
}

const SUPPORTED_BITS: Readonly<Record<AuthorizableResourceType, number>> = {
  topic: operationsBitField(SUPPORTED_OPERATIONS.topic),
  group: operationsBitField(SUPPORTED_OPERATIONS.group),
  cluster: operationsBitField(SUPPORTED_OPERATIONS.cluster),
};

/**
 * The AuthorizedOperations field for `resource`: {@link AUTHORIZED_OPERATIONS_OMITTED} unless
 * `requested`, else the operations allowed on it. Without an authorizer, that is every
 * operation the resource type supports (see the file comment).
 */
export function authorizedOperations(resource: AuthorizableResource, requested: boolean): number {
  if (!requested) return AUTHORIZED_OPERATIONS_OMITTED;
  return SUPPORTED_BITS[resource.resourceType];
}
