/**
 * The group coordinator's writes to `__consumer_offsets`: a group's
 * membership record (GroupMetadataValue) and offset commits and tombstones,
 * each call appended as one batch to the group's partition through a
 * {@link GroupLog}. A failed append is reported once (onError) and answered
 * with the Kafka error code the request's API gives for it, as Kafka's
 * GroupMetadataManager maps storage errors.
 */
import { ErrorCode } from '@samsa/protocol';
import type { ClassicGroup } from './classic-group.js';
import { encodeGroupMetadataKey, encodeGroupMetadataValue, type GroupMetadataValue } from './offsets-topic-records.js';

/** One record of `__consumer_offsets` (value null = tombstone). */
export interface OffsetsTopicRecord {
  readonly key: Buffer;
  readonly value: Buffer | null;
}

/** Where the coordinator persists group records: the group's `__consumer_offsets` partition. */
export interface GroupLog {
  /** Appends `records` in one batch to the group's partition; resolves once they are in the log. */
  append(groupId: string, records: readonly OffsetsTopicRecord[]): Promise<void>;
  /**
   * Appends `records` as one transactional batch of the producer (TxnOffsetCommit): they
   * count only once the transaction's COMMIT marker follows them in the partition.
   */
  appendTransactional(groupId: string, records: readonly OffsetsTopicRecord[], producer: { producerId: number; producerEpoch: number }): Promise<void>;
}

/** Maps the Kafka error code of a failed append (null: not a Kafka error) to the code the client gets. */
export type AppendErrorMapping = (code: number | null) => number;

/** Appends group records and maps failures to Kafka error codes. */
export class GroupStore {
  readonly #log: GroupLog;
  readonly #onError: (message: string, err: unknown) => void;

  constructor(log: GroupLog, onError: (message: string, err: unknown) => void) {
    this.#log = log;
    this.#onError = onError;
  }

  /**
   * Writes the group's membership record (GroupMetadataValue) with
   * `assignment` (default: the members' current assignments). Resolves with
   * the Kafka error code for SyncGroup/JoinGroup.
   */
  storeGroup(group: ClassicGroup, assignment?: ReadonlyMap<string, Buffer>): Promise<number> {
    const value: GroupMetadataValue = {
      protocolType: group.protocolType ?? '',
      generation: group.generationId,
      protocol: group.protocolName,
      leader: group.leaderId,
      currentStateTimestamp: group.stateTimestampMs,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        sessionTimeoutMs: m.sessionTimeoutMs,
        subscription: m.metadataFor(group.protocolName),
        assignment: assignment?.get(m.memberId) ?? m.assignment,
      })),
    };
    return this.append(group.groupId, [{ key: encodeGroupMetadataKey(group.groupId), value: encodeGroupMetadataValue(value) }], storeErrorCode);
  }

  /** Appends `records` to the group's partition; resolves with NONE or the mapped error code (never rejects). */
  async append(groupId: string, records: readonly OffsetsTopicRecord[], mapError: AppendErrorMapping): Promise<number> {
    try {
      await this.#log.append(groupId, records);
      return ErrorCode.NONE;
    } catch (err) {
      this.#onError(`append to __consumer_offsets for group ${groupId} failed`, err);
      return mapError(kafkaErrorCodeOf(err));
    }
  }

  /**
   * Appends `records` as a transactional batch of the producer (TxnOffsetCommit); resolves with
   * NONE or the error code TxnOffsetCommit answers (never rejects). A fenced producer keeps its
   * INVALID_PRODUCER_EPOCH.
   */
  async appendTransactional(groupId: string, records: readonly OffsetsTopicRecord[], producer: { producerId: number; producerEpoch: number }): Promise<number> {
    try {
      await this.#log.appendTransactional(groupId, records, producer);
      return ErrorCode.NONE;
    } catch (err) {
      this.#onError(`transactional append to __consumer_offsets for group ${groupId} failed`, err);
      const code = kafkaErrorCodeOf(err);
      return code === ErrorCode.INVALID_PRODUCER_EPOCH ? code : commitErrorCode(code);
    }
  }
}

/** The Kafka error code a storage error carries, or null for any other failure. */
function kafkaErrorCodeOf(err: unknown): number | null {
  return typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null;
}

/** Kafka's mapping of append failures for group metadata (GroupMetadataManager.storeGroup). */
export function storeErrorCode(code: number | null): number {
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.REQUEST_TIMED_OUT:
    case null:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return code === ErrorCode.KAFKA_STORAGE_ERROR ? ErrorCode.COORDINATOR_NOT_AVAILABLE : code;
  }
}

/** Kafka's mapping of append failures for offset commits (GroupMetadataManager.storeOffsets). */
export function commitErrorCode(code: number | null): number {
  switch (code) {
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
    default:
      return storeErrorCode(code);
  }
}
