// Kafka protocol error codes as data (the franz-go `kerr` approach): handlers set
// `errorCode` from `ErrorCode`, and clients look up names and retriability in
// `errorCodeInfo`. Codes and names follow Kafka's Errors.java through code 133 (Kafka
// 4.1); `retriable` follows whether Kafka's exception class is a RetriableException
// (InvalidMetadataException counts, it extends RetriableException). Messages are ours.

/** One row of the error table. */
export interface ErrorCodeInfo {
  readonly code: number;
  readonly name: string;
  /** True when a client may retry the same request unchanged (possibly after a metadata refresh). */
  readonly retriable: boolean;
  readonly message: string;
}

// [name, code, retriable, message]
const TABLE = [
  ['UNKNOWN_SERVER_ERROR', -1, false, 'The server hit an unexpected error.'],
  ['NONE', 0, false, 'No error.'],
  ['OFFSET_OUT_OF_RANGE', 1, false, 'The requested offset is outside the range held by the server.'],
  ['CORRUPT_MESSAGE', 2, true, 'A record failed its CRC check, exceeds its size bounds, or is otherwise corrupt.'],
  ['UNKNOWN_TOPIC_OR_PARTITION', 3, true, 'This server does not host the topic-partition.'],
  ['INVALID_FETCH_SIZE', 4, false, 'The requested fetch size is invalid.'],
  ['LEADER_NOT_AVAILABLE', 5, true, 'The partition has no leader right now (an election may be in progress).'],
  ['NOT_LEADER_OR_FOLLOWER', 6, true, 'This server is neither the leader nor a follower of the partition.'],
  ['REQUEST_TIMED_OUT', 7, true, 'The request timed out on the server.'],
  ['BROKER_NOT_AVAILABLE', 8, false, 'The broker is not available.'],
  ['REPLICA_NOT_AVAILABLE', 9, true, 'The replica is not available for the requested partition.'],
  ['MESSAGE_TOO_LARGE', 10, false, 'The request contains a message larger than the server accepts.'],
  ['STALE_CONTROLLER_EPOCH', 11, false, 'The controller epoch in the request is outdated.'],
  ['OFFSET_METADATA_TOO_LARGE', 12, false, 'The offset commit metadata is too large.'],
  ['NETWORK_EXCEPTION', 13, true, 'The connection closed before a response arrived.'],
  ['COORDINATOR_LOAD_IN_PROGRESS', 14, true, 'The coordinator is still loading its state.'],
  ['COORDINATOR_NOT_AVAILABLE', 15, true, 'The coordinator is not available.'],
  ['NOT_COORDINATOR', 16, true, 'This broker is not the coordinator for the requested key.'],
  ['INVALID_TOPIC_EXCEPTION', 17, false, 'The topic name is invalid or the operation is not allowed on it.'],
  ['RECORD_LIST_TOO_LARGE', 18, false, 'The record batch is larger than the configured segment size.'],
  ['NOT_ENOUGH_REPLICAS', 19, true, 'Fewer in-sync replicas than min.insync.replicas; the write was rejected.'],
  ['NOT_ENOUGH_REPLICAS_AFTER_APPEND', 20, true, 'The write was appended but fewer in-sync replicas than required acknowledged it.'],
  ['INVALID_REQUIRED_ACKS', 21, false, 'The acks value in the produce request is invalid.'],
  ['ILLEGAL_GENERATION', 22, false, 'The group generation id is not current.'],
  ['INCONSISTENT_GROUP_PROTOCOL', 23, false, "The member's protocols do not match the group's, or none were given."],
  ['INVALID_GROUP_ID', 24, false, 'The group id is invalid.'],
  ['UNKNOWN_MEMBER_ID', 25, false, 'The coordinator does not know this member id.'],
  ['INVALID_SESSION_TIMEOUT', 26, false, 'The session timeout is outside the range the broker allows.'],
  ['REBALANCE_IN_PROGRESS', 27, false, 'The group is rebalancing; the member must rejoin.'],
  ['INVALID_COMMIT_OFFSET_SIZE', 28, false, 'The offset commit data size is invalid.'],
  ['TOPIC_AUTHORIZATION_FAILED', 29, false, 'Not authorized for the topic.'],
  ['GROUP_AUTHORIZATION_FAILED', 30, false, 'Not authorized for the group.'],
  ['CLUSTER_AUTHORIZATION_FAILED', 31, false, 'Not authorized for the cluster operation.'],
  ['INVALID_TIMESTAMP', 32, false, 'A record timestamp is outside the accepted range.'],
  ['UNSUPPORTED_SASL_MECHANISM', 33, false, 'The broker does not support the requested SASL mechanism.'],
  ['ILLEGAL_SASL_STATE', 34, false, 'The request is not valid in the current SASL state.'],
  ['UNSUPPORTED_VERSION', 35, false, 'The API version is not supported.'],
  ['TOPIC_ALREADY_EXISTS', 36, false, 'A topic with this name already exists.'],
  ['INVALID_PARTITIONS', 37, false, 'The partition count is invalid.'],
  ['INVALID_REPLICATION_FACTOR', 38, false, 'The replication factor is invalid or exceeds the available brokers.'],
  ['INVALID_REPLICA_ASSIGNMENT', 39, false, 'The replica assignment is invalid.'],
  ['INVALID_CONFIG', 40, false, 'The configuration is invalid.'],
  ['NOT_CONTROLLER', 41, true, 'This broker is not the active controller.'],
  ['INVALID_REQUEST', 42, false, 'The request is malformed or not valid for this broker.'],
  ['UNSUPPORTED_FOR_MESSAGE_FORMAT', 43, false, 'The message format version does not support this request.'],
  ['POLICY_VIOLATION', 44, false, 'The request violates a configured policy.'],
  ['OUT_OF_ORDER_SEQUENCE_NUMBER', 45, false, 'The producer sequence number is out of order.'],
  ['DUPLICATE_SEQUENCE_NUMBER', 46, false, 'The producer sequence number is a duplicate.'],
  ['INVALID_PRODUCER_EPOCH', 47, false, 'The producer epoch is older than the current one.'],
  ['INVALID_TXN_STATE', 48, false, 'The transactional operation is not valid in the current state.'],
  ['INVALID_PRODUCER_ID_MAPPING', 49, false, 'The producer id is not the one assigned to this transactional id.'],
  ['INVALID_TRANSACTION_TIMEOUT', 50, false, 'The transaction timeout exceeds transaction.max.timeout.ms.'],
  ['CONCURRENT_TRANSACTIONS', 51, false, 'Another operation on the same transaction is in progress.'],
  ['TRANSACTION_COORDINATOR_FENCED', 52, false, 'The transaction coordinator sending markers is no longer current.'],
  ['TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 53, false, 'Not authorized for the transactional id.'],
  ['SECURITY_DISABLED', 54, false, 'Security features are disabled.'],
  ['OPERATION_NOT_ATTEMPTED', 55, false, 'The operation was skipped because another part of the request failed.'],
  ['KAFKA_STORAGE_ERROR', 56, true, 'A disk error occurred while accessing the log.'],
  ['LOG_DIR_NOT_FOUND', 57, false, 'The log directory is not configured on this broker.'],
  ['SASL_AUTHENTICATION_FAILED', 58, false, 'SASL authentication failed.'],
  ['UNKNOWN_PRODUCER_ID', 59, false, 'The broker has no state for this producer id.'],
  ['REASSIGNMENT_IN_PROGRESS', 60, false, 'A partition reassignment is in progress.'],
  ['DELEGATION_TOKEN_AUTH_DISABLED', 61, false, 'Delegation tokens are not enabled.'],
  ['DELEGATION_TOKEN_NOT_FOUND', 62, false, 'The delegation token does not exist.'],
  ['DELEGATION_TOKEN_OWNER_MISMATCH', 63, false, 'The principal is not the owner or a renewer of the token.'],
  ['DELEGATION_TOKEN_REQUEST_NOT_ALLOWED', 64, false, 'Delegation token requests are not allowed on this channel.'],
  ['DELEGATION_TOKEN_AUTHORIZATION_FAILED', 65, false, 'Not authorized for the delegation token operation.'],
  ['DELEGATION_TOKEN_EXPIRED', 66, false, 'The delegation token has expired.'],
  ['INVALID_PRINCIPAL_TYPE', 67, false, 'The principal type is not supported.'],
  ['NON_EMPTY_GROUP', 68, false, 'The group still has members.'],
  ['GROUP_ID_NOT_FOUND', 69, false, 'The group does not exist.'],
  ['FETCH_SESSION_ID_NOT_FOUND', 70, true, 'The fetch session does not exist.'],
  ['INVALID_FETCH_SESSION_EPOCH', 71, true, 'The fetch session epoch is not the expected one.'],
  ['LISTENER_NOT_FOUND', 72, true, 'The leader has no listener matching the one used for the metadata request.'],
  ['TOPIC_DELETION_DISABLED', 73, false, 'Topic deletion is disabled.'],
  ['FENCED_LEADER_EPOCH', 74, true, 'The leader epoch in the request is older than the broker’s.'],
  ['UNKNOWN_LEADER_EPOCH', 75, true, 'The leader epoch in the request is newer than the broker’s.'],
  ['UNSUPPORTED_COMPRESSION_TYPE', 76, false, 'The compression type is not supported for this request version.'],
  ['STALE_BROKER_EPOCH', 77, false, 'The broker epoch has changed.'],
  ['OFFSET_NOT_AVAILABLE', 78, true, 'The new leader has not yet caught up its high watermark.'],
  ['MEMBER_ID_REQUIRED', 79, false, 'The member must rejoin with the member id the coordinator assigned.'],
  ['PREFERRED_LEADER_NOT_AVAILABLE', 80, true, 'The preferred leader is not available.'],
  ['GROUP_MAX_SIZE_REACHED', 81, false, 'The group has reached its maximum size.'],
  ['FENCED_INSTANCE_ID', 82, false, 'Another member registered with this group.instance.id.'],
  ['ELIGIBLE_LEADERS_NOT_AVAILABLE', 83, true, 'No eligible leader is available for the partition.'],
  ['ELECTION_NOT_NEEDED', 84, true, 'The partition already has the desired leader.'],
  ['NO_REASSIGNMENT_IN_PROGRESS', 85, false, 'No partition reassignment is in progress.'],
  ['GROUP_SUBSCRIBED_TO_TOPIC', 86, false, 'The group is subscribed to the topic, so its offsets cannot be deleted.'],
  ['INVALID_RECORD', 87, false, 'The broker rejected a record or batch as invalid.'],
  ['UNSTABLE_OFFSET_COMMIT', 88, true, 'Pending transactional offsets must be resolved first.'],
  ['THROTTLING_QUOTA_EXCEEDED', 89, true, 'The throttling quota was exceeded.'],
  ['PRODUCER_FENCED', 90, false, 'A newer producer with the same transactional id fenced this one.'],
  ['RESOURCE_NOT_FOUND', 91, false, 'The request refers to a resource that does not exist.'],
  ['DUPLICATE_RESOURCE', 92, false, 'The request refers to the same resource twice.'],
  ['UNACCEPTABLE_CREDENTIAL', 93, false, 'The credential does not meet the acceptance criteria.'],
  ['INCONSISTENT_VOTER_SET', 94, false, 'The sender or recipient is not one of the expected voters.'],
  ['INVALID_UPDATE_VERSION', 95, false, 'The update version is invalid.'],
  ['FEATURE_UPDATE_FAILED', 96, false, 'The finalized features could not be updated.'],
  ['PRINCIPAL_DESERIALIZATION_FAILURE', 97, false, 'The forwarded request principal could not be deserialized.'],
  ['SNAPSHOT_NOT_FOUND', 98, false, 'The requested snapshot does not exist.'],
  ['POSITION_OUT_OF_RANGE', 99, false, 'The requested snapshot position is out of range.'],
  ['UNKNOWN_TOPIC_ID', 100, true, 'This server does not host the topic id.'],
  ['DUPLICATE_BROKER_REGISTRATION', 101, false, 'This broker id is already registered.'],
  ['BROKER_ID_NOT_REGISTERED', 102, false, 'This broker id is not registered.'],
  ['INCONSISTENT_TOPIC_ID', 103, true, 'The topic id does not match the log’s topic id.'],
  ['INCONSISTENT_CLUSTER_ID', 104, false, 'The cluster id does not match this server’s.'],
  ['TRANSACTIONAL_ID_NOT_FOUND', 105, false, 'The transactional id does not exist.'],
  ['FETCH_SESSION_TOPIC_ID_ERROR', 106, true, 'The fetch session mixed requests with and without topic ids.'],
  ['INELIGIBLE_REPLICA', 107, false, 'The proposed ISR contains an ineligible replica.'],
  ['NEW_LEADER_ELECTED', 108, false, 'The partition state was updated but the leader changed.'],
  ['OFFSET_MOVED_TO_TIERED_STORAGE', 109, false, 'The requested offset is in tiered storage.'],
  ['FENCED_MEMBER_EPOCH', 110, false, 'The member epoch was fenced; the member must rejoin.'],
  ['UNRELEASED_INSTANCE_ID', 111, false, 'Another member still uses this instance id.'],
  ['UNSUPPORTED_ASSIGNOR', 112, false, 'The group does not support this assignor or version.'],
  ['STALE_MEMBER_EPOCH', 113, false, 'The member epoch is stale.'],
  ['MISMATCHED_ENDPOINT_TYPE', 114, false, 'The request was sent to the wrong kind of endpoint.'],
  ['UNSUPPORTED_ENDPOINT_TYPE', 115, false, 'This endpoint type is not supported.'],
  ['UNKNOWN_CONTROLLER_ID', 116, false, 'The controller id is not known.'],
  ['UNKNOWN_SUBSCRIPTION_ID', 117, false, 'The telemetry subscription id is unknown or outdated.'],
  ['TELEMETRY_TOO_LARGE', 118, false, 'The telemetry payload exceeds the broker’s limit.'],
  ['INVALID_REGISTRATION', 119, false, 'The controller considers the broker registration invalid.'],
  ['TRANSACTION_ABORTABLE', 120, false, 'The transaction hit an error; the client can abort it and continue.'],
  ['INVALID_RECORD_STATE', 121, false, 'The record state does not allow this acknowledgement.'],
  ['SHARE_SESSION_NOT_FOUND', 122, true, 'The share session does not exist.'],
  ['INVALID_SHARE_SESSION_EPOCH', 123, true, 'The share session epoch is not the expected one.'],
  ['FENCED_STATE_EPOCH', 124, false, 'The share-group state epoch does not match.'],
  ['INVALID_VOTER_KEY', 125, false, 'The voter key does not match this replica.'],
  ['DUPLICATE_VOTER', 126, false, 'The voter is already in the voter set.'],
  ['VOTER_NOT_FOUND', 127, false, 'The voter is not in the voter set.'],
  ['INVALID_REGULAR_EXPRESSION', 128, false, 'The regular expression is invalid.'],
  ['REBOOTSTRAP_REQUIRED', 129, false, 'Client metadata is stale; the client must rebootstrap.'],
  ['STREAMS_INVALID_TOPOLOGY', 130, false, 'The streams topology is invalid.'],
  ['STREAMS_INVALID_TOPOLOGY_EPOCH', 131, false, 'The streams topology epoch is invalid.'],
  ['STREAMS_TOPOLOGY_FENCED', 132, false, 'The streams topology epoch is outdated.'],
  ['SHARE_SESSION_LIMIT_REACHED', 133, true, 'The broker has reached its share session limit.'],
] as const;

type ErrorName = (typeof TABLE)[number][0];

/** Kafka error codes by name, e.g. `ErrorCode.CORRUPT_MESSAGE === 2`. */
export const ErrorCode: { readonly [K in ErrorName]: Extract<(typeof TABLE)[number], readonly [K, number, boolean, string]>[1] } =
  Object.freeze(Object.fromEntries(TABLE.map(([name, code]) => [name, code]))) as never;

/** Full row (name, retriable, message) for every known code. */
export const errorCodeInfo: ReadonlyMap<number, ErrorCodeInfo> = new Map(
  TABLE.map(([name, code, retriable, message]) => [code, Object.freeze({ code, name, retriable, message })]),
);

/** Kafka's name for `code`, or `UNKNOWN_ERROR_CODE_<n>` for codes this table does not know. */
export function errorName(code: number): string {
  return errorCodeInfo.get(code)?.name ?? `UNKNOWN_ERROR_CODE_${code}`;
}

/** Whether a client may retry after `code`; unknown codes are treated as not retriable. */
export function isRetriable(code: number): boolean {
  return errorCodeInfo.get(code)?.retriable ?? false;
}
