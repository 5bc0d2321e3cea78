/**
 * The requests and answers the group coordinator exchanges with the
 * handlers: each handler decodes its wire version into one of these and maps
 * the answer back onto the wire.
 */
import type { GroupState } from './group-state.js';
import type { MemberProtocol } from './group-member.js';

/** A JoinGroup as the coordinator sees it (the handler fills in version-dependent fields). */
export interface JoinRequest {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: MemberProtocol[];
  /** KIP-394: JoinGroup v4+ must come back with a coordinator-assigned member id. */
  requireKnownMemberId: boolean;
}

/** A SyncGroup as the coordinator sees it (null protocol fields before v5). */
export interface SyncRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: Array<{ memberId: string; assignment: Buffer }>;
}

/** A member named in LeaveGroup: by member id, or (empty id) by static instance id. */
export interface MemberRef {
  memberId: string;
  groupInstanceId: string | null;
}

/** LeaveGroup outcome: a group-level error and one error per named member. */
export interface LeaveResult {
  errorCode: number;
  members: Array<{ memberId: string; groupInstanceId: string | null; errorCode: number }>;
}

/** One partition of an OffsetCommit. */
export interface OffsetCommitEntry {
  topic: string;
  partition: number;
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
  /** -1 = now (only OffsetCommit v1 carries one). */
  commitTimestamp: number;
}

/** An OffsetCommit as the coordinator sees it (generation -1 and member "" for simple commits). */
export interface CommitRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /**
   * OffsetCommit v2-4 RetentionTimeMs: the offsets expire this long after the commit instead of
   * by offsets.retention.minutes. -1 (or absent) = the broker's retention.
   */
  retentionTimeMs?: number;
  offsets: OffsetCommitEntry[];
}

/** One partition of an OffsetFetch answer (offset -1 when nothing was committed). */
export interface FetchedOffset {
  partition: number;
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}

/** OffsetFetch answer for one group. */
export interface FetchOffsetsResult {
  errorCode: number;
  topics: Array<{ topic: string; partitions: FetchedOffset[] }>;
}

/** One ListGroups entry. */
export interface GroupListing {
  groupId: string;
  protocolType: string;
  state: GroupState;
}

/** One DescribeGroups entry. */
export interface GroupDescription {
  errorCode: number;
  groupId: string;
  state: GroupState;
  protocolType: string;
  protocolData: string;
  members: Array<{
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    metadata: Buffer;
    assignment: Buffer;
  }>;
}

/** OffsetDelete answer. */
export interface DeleteOffsetsResult {
  errorCode: number;
  topics: Array<{ topic: string; partitions: Array<{ partition: number; errorCode: number }> }>;
}

/** A TxnOffsetCommit: an OffsetCommit made on behalf of a transactional producer. */
export interface TxnCommitRequest extends CommitRequest {
  producerId: number;
  producerEpoch: number;
}
