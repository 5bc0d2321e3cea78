/**
 * The classic-protocol group coordinator: membership (JoinGroup, SyncGroup,
 * Heartbeat, LeaveGroup, session expiry) and committed offsets for every
 * group. In single-node mode this node coordinates every group. It is the
 * one owner of group state (architecture principle 3): handlers call it and
 * map its results onto the wire; only it writes group records to
 * `__consumer_offsets` (through {@link GroupLog}).
 *
 * The state machine follows Kafka's GroupCoordinator (classic protocol):
 *
 *   Empty --join--> PreparingRebalance --all joined / timeout--> CompletingRebalance
 *     ^                  ^       |                                   |
 *     |                  |       +--nobody left--> Empty             | leader's SyncGroup stored
 *     |                  +---- join with new metadata, leave, -------+--> Stable
 *     |                         session or sync expiry                        |
 *     +------------------------------ DeleteGroups (Empty only) -> Dead       |
 *
 * Rebalance walk-through: the first JoinGroup into an Empty group starts an
 * initial delay (group.initial.rebalance.delay.ms, extended while members
 * keep arriving, bounded by the rebalance timeout; KIP-134) so a fleet
 * starting together gets one rebalance, not N. Later rebalances complete as
 * soon as every known member has rejoined, or when the largest rebalance
 * timeout expires, at which point members that did not rejoin are removed.
 * Completion bumps the generation, picks the protocol every member supports
 * with the most first-choice votes, answers every waiting JoinGroup (only
 * the leader gets the members' metadata) and waits for the leader's
 * SyncGroup. The leader's assignment is written to the log before any
 * SyncGroup is answered, then the group is Stable. Members that do not send
 * SyncGroup within the rebalance timeout are removed (another rebalance).
 *
 * Error precedence of JoinGroup (Kafka's order):
 *   empty group id                              INVALID_GROUP_ID
 *   session timeout outside the broker bounds   INVALID_SESSION_TIMEOUT
 *   known member id, unknown group              UNKNOWN_MEMBER_ID
 *   group Dead                                  COORDINATOR_NOT_AVAILABLE
 *   empty protocol type / no protocols / none in common   INCONSISTENT_GROUP_PROTOCOL
 *   new member, group full                      GROUP_MAX_SIZE_REACHED
 *   new dynamic member, v4+                     MEMBER_ID_REQUIRED (+ generated id)
 *   static id held by another member id         FENCED_INSTANCE_ID
 *   member id not in the group                  UNKNOWN_MEMBER_ID
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode, Reader, decodeConsumerProtocolSubscription } from '@samsa/protocol';
import { ClassicGroup, type CommittedOffset } from './classic-group.js';
import { EMPTY_BUFFER, GroupMember, type JoinResult, type MemberProtocol, type SyncResult } from './group-member.js';
import type { GroupState } from './group-state.js';
import {
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  decodeGroupMetadataValue,
  decodeOffsetCommitValue,
  decodeOffsetsTopicKey,
  type GroupMetadataValue,
} from './offsets-topic-records.js';
import type { GroupTimers, TimerHandle } from './timers.js';

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

/** A TxnOffsetCommit: an OffsetCommit made on behalf of a transactional producer. */
export interface TxnCommitRequest extends CommitRequest {
  producerId: number;
  producerEpoch: number;
}

/** Limits and timeouts (broker configs). */
export interface GroupCoordinatorConfig {
  /** group.initial.rebalance.delay.ms */
  initialRebalanceDelayMs: number;
  /** group.min.session.timeout.ms */
  minSessionTimeoutMs: number;
  /** group.max.session.timeout.ms */
  maxSessionTimeoutMs: number;
  /** group.max.size, capped at {@link MAX_GROUP_MEMBERS}. */
  maxGroupSize: number;
  /** offset.metadata.max.bytes (Kafka default 4096). */
  offsetMetadataMaxBytes: number;
  /** offsets.retention.minutes in ms (Kafka default 7 days; see {@link GroupCoordinator.expireOffsets}). */
  offsetsRetentionMs?: number;
  /** offsets.retention.check.interval.ms (Kafka default 600000): how often expired offsets are looked for. */
  offsetsRetentionCheckIntervalMs?: number;
}

/** Kafka's offsets.retention.minutes default (7 days), in ms. */
export const DEFAULT_OFFSETS_RETENTION_MS = 7 * 24 * 60 * 60_000;

/** Kafka's offsets.retention.check.interval.ms default. */
export const DEFAULT_OFFSETS_RETENTION_CHECK_INTERVAL_MS = 600_000;

/**
 * Samsa's own cap on members per group, whatever group.max.size says
 * (Kafka's default is Integer.MAX_VALUE). Every member costs a timer and its
 * metadata; a rebalance answers all of them at once.
 */
export const MAX_GROUP_MEMBERS = 10_000;

/** How long a brand-new member's JoinGroup may wait in a rebalance before it is dropped (Kafka's NewMemberJoinTimeoutMs). */
export const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60_000;

/** Kafka's offset.metadata.max.bytes default. */
export const DEFAULT_OFFSET_METADATA_MAX_BYTES = 4096;

/** Constructor options of {@link GroupCoordinator}. */
export interface GroupCoordinatorOptions {
  timers: GroupTimers;
  log: GroupLog;
  config: GroupCoordinatorConfig;
  /** Whether the topic partition exists (commits to unknown partitions are refused). */
  partitionExists(topic: string, partition: number): boolean;
  /** Member ids: `<prefix>-<uuid>` as Kafka; injectable for deterministic tests. */
  newMemberId?: (prefix: string) => string;
  /** Where to report problems that are not any client's fault (failed appends). */
  onError?: (message: string, err: unknown) => void;
}

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

/** The classic-protocol group coordinator (see the file comment). */
export class GroupCoordinator {
  readonly #groups = new Map<string, ClassicGroup>();
  readonly #timers: GroupTimers;
  readonly #log: GroupLog;
  readonly #config: Required<GroupCoordinatorConfig>;
  readonly #partitionExists: (topic: string, partition: number) => boolean;
  readonly #newMemberId: (prefix: string) => string;
  readonly #onError: (message: string, err: unknown) => void;
  #shutDown = false;
  #retentionTimer: TimerHandle | null = null;
  /** groupId -> producerId -> offsets committed in that producer's open transaction. */
  readonly #pendingTxnOffsets = new Map<string, Map<number, Array<{ topic: string; partition: number; value: CommittedOffset }>>>();

  constructor(opts: GroupCoordinatorOptions) {
    this.#timers = opts.timers;
    this.#log = opts.log;
    this.#config = {
      offsetsRetentionMs: DEFAULT_OFFSETS_RETENTION_MS,
      offsetsRetentionCheckIntervalMs: DEFAULT_OFFSETS_RETENTION_CHECK_INTERVAL_MS,
      ...opts.config,
      maxGroupSize: Math.min(opts.config.maxGroupSize, MAX_GROUP_MEMBERS),
    };
    this.#partitionExists = opts.partitionExists;
    this.#newMemberId = opts.newMemberId ?? ((prefix) => `${prefix}-${randomUUID()}`);
    this.#onError = opts.onError ?? (() => undefined);
  }

  /** Read-only view of a group, for tests and tools. */
  group(groupId: string): ClassicGroup | undefined {
    return this.#groups.get(groupId);
  }

  // ---------------------------------------------------------------- JoinGroup

  joinGroup(req: JoinRequest): Promise<JoinResult> {
    const fail = (errorCode: number, memberId = req.memberId): Promise<JoinResult> => Promise.resolve(joinError(errorCode, memberId));
    if (this.#shutDown) return fail(ErrorCode.NOT_COORDINATOR);
    if (req.groupId === '') return fail(ErrorCode.INVALID_GROUP_ID);
    if (req.sessionTimeoutMs < this.#config.minSessionTimeoutMs || req.sessionTimeoutMs > this.#config.maxSessionTimeoutMs) {
      return fail(ErrorCode.INVALID_SESSION_TIMEOUT);
    }
    const isUnknownMember = req.memberId === '';
    let group = this.#groups.get(req.groupId);
    if (group === undefined) {
      if (!isUnknownMember) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
      group = new ClassicGroup(req.groupId, this.#timers.nowMs());
      this.#groups.set(req.groupId, group);
    }
    if (group.is('Dead')) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (!group.supportsProtocols(req.protocolType, req.protocols)) {
      this.#dropIfUnused(group);
      return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }
    const result = isUnknownMember ? this.#joinNewMember(group, req) : this.#joinKnownMember(group, req);
    this.#maybeCompleteJoin(group);
    return result;
  }

  #joinNewMember(group: ClassicGroup, req: JoinRequest): Promise<JoinResult> {
    const staticHolder = req.groupInstanceId === null ? undefined : group.staticMembers.get(req.groupInstanceId);
    if (staticHolder === undefined && group.size + group.pendingMembers.size >= this.#config.maxGroupSize) {
      this.#dropIfUnused(group);
      return Promise.resolve(joinError(ErrorCode.GROUP_MAX_SIZE_REACHED, ''));
    }
    const newMemberId = this.#newMemberId(req.groupInstanceId ?? (req.clientId || 'member'));
    if (req.groupInstanceId !== null) {
      if (staticHolder !== undefined) return this.#replaceStaticMember(group, staticHolder, newMemberId, req);
      return this.#addMemberAndRebalance(group, newMemberId, req);
    }
    if (req.requireKnownMemberId) {
      // KIP-394: hand out the id and forget it unless the member comes back within its session timeout.
      const timer = this.#timers.set(req.sessionTimeoutMs, () => this.#expirePendingMember(group, newMemberId));
      group.pendingMembers.set(newMemberId, timer);
      return Promise.resolve(joinError(ErrorCode.MEMBER_ID_REQUIRED, newMemberId));
    }
    return this.#addMemberAndRebalance(group, newMemberId, req);
  }

  #joinKnownMember(group: ClassicGroup, req: JoinRequest): Promise<JoinResult> {
    const pending = group.pendingMembers.get(req.memberId);
    if (pending !== undefined) {
      this.#timers.clear(pending);
      group.pendingMembers.delete(req.memberId);
      return this.#addMemberAndRebalance(group, req.memberId, req);
    }
    if (group.isStaticMemberFenced(req.groupInstanceId, req.memberId)) return Promise.resolve(joinError(ErrorCode.FENCED_INSTANCE_ID, req.memberId));
    const member = group.members.get(req.memberId);
    if (member === undefined) return Promise.resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID, req.memberId));
    switch (group.state) {
      case 'PreparingRebalance':
        return this.#updateMemberAndRebalance(group, member, req);
      case 'CompletingRebalance':
        // Same metadata: the member probably missed its JoinGroup response; answer again for this generation.
        if (member.matches(req.protocols)) return Promise.resolve(this.#currentJoinResult(group, member, group.isLeader(member.memberId)));
        return this.#updateMemberAndRebalance(group, member, req);
      case 'Stable':
        // A follower rejoining unchanged gets the current generation; the leader rejoining means it wants a new assignment.
        if (!group.isLeader(member.memberId) && member.matches(req.protocols)) {
          this.#touch(group, member);
          return Promise.resolve(this.#currentJoinResult(group, member, false));
        }
        return this.#updateMemberAndRebalance(group, member, req);
      case 'Empty':
      case 'Dead':
        return Promise.resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID, req.memberId));
    }
  }

  #addMemberAndRebalance(group: ClassicGroup, memberId: string, req: JoinRequest): Promise<JoinResult> {
    const member = memberFromJoin(memberId, req);
    member.isNew = true;
    const response = new Promise<JoinResult>((resolve) => {
      member.awaitingJoin = resolve;
    });
    group.add(member);
    if (group.is('PreparingRebalance') && group.initialDelayActive) group.newMemberAdded = true;
    this.#armSession(group, member, NEW_MEMBER_JOIN_TIMEOUT_MS);
    this.#maybePrepareRebalance(group);
    return response;
  }

  #updateMemberAndRebalance(group: ClassicGroup, member: GroupMember, req: JoinRequest): Promise<JoinResult> {
    member.protocols = req.protocols;
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    member.clientId = req.clientId;
    member.clientHost = req.clientHost;
    // A second JoinGroup while the first still waits replaces it; the first is told to rejoin.
    member.awaitingJoin?.(joinError(ErrorCode.REBALANCE_IN_PROGRESS, member.memberId));
    const response = new Promise<JoinResult>((resolve) => {
      member.awaitingJoin = resolve;
    });
    this.#touch(group, member);
    this.#maybePrepareRebalance(group);
    return response;
  }

  /**
   * KIP-345: a static member restarted (new member id, same group.instance.id).
   * The old id is fenced. In Stable, when the group's protocol would stay the
   * same and the member's metadata for it is unchanged, the new id takes over
   * the old one's assignment without a rebalance (the change is persisted
   * first); otherwise the group rebalances.
   */
  #replaceStaticMember(group: ClassicGroup, oldMemberId: string, newMemberId: string, req: JoinRequest): Promise<JoinResult> {
    const old = group.members.get(oldMemberId);
    if (old === undefined) return this.#addMemberAndRebalance(group, newMemberId, req);
    old.awaitingJoin?.(joinError(ErrorCode.FENCED_INSTANCE_ID, oldMemberId));
    old.awaitingJoin = null;
    old.awaitingSync?.(syncError(ErrorCode.FENCED_INSTANCE_ID));
    old.awaitingSync = null;
    this.#timers.clear(old.sessionTimer);
    const wasLeader = group.isLeader(oldMemberId);
    const oldMetadata = group.protocolName === null ? null : old.metadataFor(group.protocolName);
    group.remove(oldMemberId);
    const member = memberFromJoin(newMemberId, req);
    member.assignment = old.assignment;
    group.add(member);
    if (wasLeader) group.leaderId = newMemberId;
    const response = new Promise<JoinResult>((resolve) => {
      member.awaitingJoin = resolve;
    });
    switch (group.state) {
      case 'Stable': {
        const unchanged =
          group.protocolName !== null &&
          group.selectProtocol() === group.protocolName &&
          oldMetadata !== null &&
          member.metadataFor(group.protocolName).equals(oldMetadata);
        if (!unchanged) {
          this.#prepareRebalance(group);
          break;
        }
        const generation = group.generationId;
        member.awaitingJoin = null;
        this.#touch(group, member);
        return this.#storeGroup(group).then((errorCode) => {
          if (errorCode !== ErrorCode.NONE) {
            if (group.generationId === generation && group.members.get(newMemberId) === member) this.#maybePrepareRebalance(group);
            return joinError(errorCode, newMemberId);
          }
          const leader = group.isLeader(newMemberId);
          const result = this.#currentJoinResult(group, member, leader);
          result.skipAssignment = leader;
          return result;
        });
      }
      case 'CompletingRebalance':
        // The leader may already be assigning for the old id: only a new rebalance gives the new id an assignment.
        this.#prepareRebalance(group);
        break;
      case 'PreparingRebalance':
        break;
      case 'Empty':
      case 'Dead':
        // A static holder exists, so the group has members: unreachable.
        this.#maybePrepareRebalance(group);
        break;
    }
    this.#armSession(group, member, NEW_MEMBER_JOIN_TIMEOUT_MS);
    return response;
  }

  #currentJoinResult(group: ClassicGroup, member: GroupMember, withMembers: boolean): JoinResult {
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      skipAssignment: false,
      memberId: member.memberId,
      members: withMembers ? this.#memberMetadata(group) : [],
    };
  }

  #memberMetadata(group: ClassicGroup): JoinResult['members'] {
    return [...group.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.metadataFor(group.protocolName),
    }));
  }

  // ------------------------------------------------------------ rebalancing

  #maybePrepareRebalance(group: ClassicGroup): void {
    if (group.is('Stable') || group.is('CompletingRebalance') || group.is('Empty')) this.#prepareRebalance(group);
  }

  #prepareRebalance(group: ClassicGroup): void {
    if (group.is('CompletingRebalance')) this.#resetAssignments(group, ErrorCode.REBALANCE_IN_PROGRESS);
    this.#timers.clear(group.syncTimer);
    group.syncTimer = null;
    group.pendingSync.clear();
    this.#timers.clear(group.joinTimer);
    const rebalanceTimeoutMs = group.rebalanceTimeoutMs();
    if (group.is('Empty')) {
      const delay = Math.min(this.#config.initialRebalanceDelayMs, rebalanceTimeoutMs);
      group.initialDelayActive = true;
      group.newMemberAdded = false;
      group.initialDelayRemainingMs = Math.max(rebalanceTimeoutMs - delay, 0);
      group.joinTimer = this.#timers.set(delay, () => this.#onInitialDelayExpired(group));
    } else {
      group.initialDelayActive = false;
      group.joinTimer = this.#timers.set(rebalanceTimeoutMs, () => {
        group.joinTimer = null;
        if (group.is('PreparingRebalance')) this.#completeJoin(group);
      });
    }
    group.transitionTo('PreparingRebalance', this.#timers.nowMs());
  }

  /** KIP-134: while new members keep arriving, wait another delay (bounded by the rebalance timeout). */
  #onInitialDelayExpired(group: ClassicGroup): void {
    group.joinTimer = null;
    if (!group.is('PreparingRebalance')) return;
    if (group.newMemberAdded && group.initialDelayRemainingMs > 0) {
      group.newMemberAdded = false;
      const delay = Math.min(this.#config.initialRebalanceDelayMs, group.initialDelayRemainingMs);
      group.initialDelayRemainingMs = Math.max(group.initialDelayRemainingMs - delay, 0);
      group.joinTimer = this.#timers.set(delay, () => this.#onInitialDelayExpired(group));
      return;
    }
    group.initialDelayActive = false;
    this.#completeJoin(group);
  }

  /** Completes a PreparingRebalance early once everyone has rejoined (never during the initial delay). */
  #maybeCompleteJoin(group: ClassicGroup): void {
    if (group.is('PreparingRebalance') && !group.initialDelayActive && group.hasAllMembersJoined()) this.#completeJoin(group);
  }

  #completeJoin(group: ClassicGroup): void {
    this.#timers.clear(group.joinTimer);
    group.joinTimer = null;
    group.initialDelayActive = false;
    for (const m of [...group.members.values()]) {
      if (m.awaitingJoin === null) this.#removeMember(group, m, ErrorCode.UNKNOWN_MEMBER_ID);
    }
    // KIP-394 ids handed out but not used yet stay valid (until their own session timeout): a
    // member between its two JoinGroups joins the next generation instead of being told
    // UNKNOWN_MEMBER_ID and starting over, as in Kafka.
    const now = this.#timers.nowMs();
    group.generationId++;
    if (group.size === 0) {
      group.protocolName = null;
      group.leaderId = null;
      group.transitionTo('Empty', now);
      void this.#storeGroup(group);
      return;
    }
    group.protocolName = group.selectProtocol();
    group.transitionTo('CompletingRebalance', now);
    const members = this.#memberMetadata(group);
    for (const m of group.members.values()) {
      const respond = m.awaitingJoin;
      m.awaitingJoin = null;
      m.isNew = false;
      group.pendingSync.add(m.memberId);
      this.#touch(group, m);
      const leader = group.isLeader(m.memberId);
      respond?.({ ...this.#currentJoinResult(group, m, false), members: leader ? members : [] });
    }
    const generation = group.generationId;
    group.syncTimer = this.#timers.set(group.rebalanceTimeoutMs(), () => this.#onSyncExpired(group, generation));
  }

  /** Members that joined but never sent SyncGroup within the rebalance timeout are removed. */
  #onSyncExpired(group: ClassicGroup, generation: number): void {
    group.syncTimer = null;
    if (group.generationId !== generation || !(group.is('CompletingRebalance') || group.is('Stable'))) return;
    if (group.pendingSync.size === 0) return;
    for (const id of [...group.pendingSync]) {
      const m = group.members.get(id);
      if (m !== undefined) this.#removeMember(group, m, ErrorCode.UNKNOWN_MEMBER_ID);
    }
    group.pendingSync.clear();
    if (group.size === 0 && group.is('CompletingRebalance')) {
      this.#prepareRebalance(group);
      this.#completeJoin(group);
      return;
    }
    this.#prepareRebalance(group);
  }

  /** Fails every waiting SyncGroup with `errorCode` and forgets assignments (a new rebalance starts). */
  #resetAssignments(group: ClassicGroup, errorCode: number): void {
    for (const m of group.members.values()) {
      m.assignment = EMPTY_BUFFER;
      const respond = m.awaitingSync;
      m.awaitingSync = null;
      respond?.(syncError(errorCode));
    }
  }

  // -------------------------------------------------------------- SyncGroup

  syncGroup(req: SyncRequest): Promise<SyncResult> {
    const fail = (errorCode: number): Promise<SyncResult> => Promise.resolve(syncError(errorCode));
    if (this.#shutDown) return fail(ErrorCode.NOT_COORDINATOR);
    if (req.groupId === '') return fail(ErrorCode.INVALID_GROUP_ID);
    const group = this.#groups.get(req.groupId);
    if (group === undefined) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    if (group.is('Dead')) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (group.isStaticMemberFenced(req.groupInstanceId, req.memberId)) return fail(ErrorCode.FENCED_INSTANCE_ID);
    const member = group.members.get(req.memberId);
    if (member === undefined) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    if (req.generationId !== group.generationId) return fail(ErrorCode.ILLEGAL_GENERATION);
    if ((req.protocolType !== null && req.protocolType !== group.protocolType) || (req.protocolName !== null && req.protocolName !== group.protocolName)) {
      return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        return fail(ErrorCode.UNKNOWN_MEMBER_ID);
      case 'PreparingRebalance':
        return fail(ErrorCode.REBALANCE_IN_PROGRESS);
      case 'Stable':
        group.pendingSync.delete(member.memberId);
        this.#touch(group, member);
        return Promise.resolve(this.#syncResult(group, member.assignment));
      case 'CompletingRebalance': {
        group.pendingSync.delete(member.memberId);
        member.awaitingSync?.(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        const response = new Promise<SyncResult>((resolve) => {
          member.awaitingSync = resolve;
        });
        this.#touch(group, member);
        if (group.isLeader(member.memberId)) this.#applyLeaderAssignment(group, req.assignments);
        return response;
      }
    }
  }

  /** Persists the leader's assignment, then hands it out and makes the group Stable. */
  #applyLeaderAssignment(group: ClassicGroup, assignments: SyncRequest['assignments']): void {
    const byMember = new Map<string, Buffer>();
    for (const a of assignments) if (group.members.has(a.memberId)) byMember.set(a.memberId, a.assignment);
    const generation = group.generationId;
    const pendingAssignment = new Map<string, Buffer>();
    for (const id of group.members.keys()) pendingAssignment.set(id, byMember.get(id) ?? EMPTY_BUFFER);
    void this.#storeGroup(group, pendingAssignment).then((errorCode) => {
      // The group may have moved on while the write was in flight (a member left, a new join): then this assignment is stale.
      if (!group.is('CompletingRebalance') || group.generationId !== generation) return;
      if (errorCode !== ErrorCode.NONE) {
        this.#resetAssignments(group, errorCode);
        this.#maybePrepareRebalance(group);
        return;
      }
      for (const m of group.members.values()) {
        m.assignment = pendingAssignment.get(m.memberId) ?? EMPTY_BUFFER;
        const respond = m.awaitingSync;
        m.awaitingSync = null;
        respond?.(this.#syncResult(group, m.assignment));
      }
      group.transitionTo('Stable', this.#timers.nowMs());
    });
  }

  #syncResult(group: ClassicGroup, assignment: Buffer): SyncResult {
    return { errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment };
  }

  // -------------------------------------------------------------- Heartbeat

  heartbeat(req: { groupId: string; generationId: number; memberId: string; groupInstanceId: string | null }): number {
    if (this.#shutDown) return ErrorCode.NOT_COORDINATOR;
    if (req.groupId === '') return ErrorCode.INVALID_GROUP_ID;
    const group = this.#groups.get(req.groupId);
    if (group === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (group.isStaticMemberFenced(req.groupInstanceId, req.memberId)) return ErrorCode.FENCED_INSTANCE_ID;
    const member = group.members.get(req.memberId);
    if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (req.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        return ErrorCode.UNKNOWN_MEMBER_ID;
      case 'PreparingRebalance':
        this.#touch(group, member);
        return ErrorCode.REBALANCE_IN_PROGRESS;
      case 'CompletingRebalance':
      case 'Stable':
        this.#touch(group, member);
        return ErrorCode.NONE;
    }
  }

  // ------------------------------------------------------------- LeaveGroup

  leaveGroup(groupId: string, leaving: readonly MemberRef[]): LeaveResult {
    if (this.#shutDown) return { errorCode: ErrorCode.NOT_COORDINATOR, members: [] };
    if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, members: [] };
    const group = this.#groups.get(groupId);
    if (group === undefined) {
      return { errorCode: ErrorCode.NONE, members: leaving.map((m) => ({ ...m, errorCode: ErrorCode.UNKNOWN_MEMBER_ID })) };
    }
    if (group.is('Dead')) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const members = leaving.map((ref) => ({ memberId: ref.memberId, groupInstanceId: ref.groupInstanceId, errorCode: this.#leaveOne(group, ref) }));
    this.#maybeCompleteJoin(group);
    return { errorCode: ErrorCode.NONE, members };
  }

  #leaveOne(group: ClassicGroup, ref: MemberRef): number {
    let memberId = ref.memberId;
    if (memberId === '') {
      // Admin removal of a static member by instance id (KIP-345).
      const holder = ref.groupInstanceId === null ? undefined : group.staticMembers.get(ref.groupInstanceId);
      if (holder === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      memberId = holder;
    } else if (group.isStaticMemberFenced(ref.groupInstanceId, memberId)) {
      return ErrorCode.FENCED_INSTANCE_ID;
    }
    const pending = group.pendingMembers.get(memberId);
    if (pending !== undefined) {
      this.#timers.clear(pending);
      group.pendingMembers.delete(memberId);
      return ErrorCode.NONE;
    }
    const member = group.members.get(memberId);
    if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    this.#removeMemberAndUpdateGroup(group, member);
    return ErrorCode.NONE;
  }

  // --------------------------------------------------- sessions and removal

  /** Restarts the member's session timer (any valid heartbeat, join, sync or commit). */
  #touch(group: ClassicGroup, member: GroupMember): void {
    this.#armSession(group, member, member.sessionTimeoutMs);
  }

  #armSession(group: ClassicGroup, member: GroupMember, timeoutMs: number): void {
    this.#timers.clear(member.sessionTimer);
    member.sessionTimer = this.#timers.set(timeoutMs, () => this.#onSessionExpired(group, member));
  }

  /**
   * Session timer fired. A member waiting in JoinGroup or SyncGroup is alive
   * (its socket is parked on us) unless it is brand new and has waited
   * longer than NEW_MEMBER_JOIN_TIMEOUT_MS; anyone else has missed its
   * heartbeats and is removed, which rebalances the group.
   */
  #onSessionExpired(group: ClassicGroup, member: GroupMember): void {
    member.sessionTimer = null;
    if (group.members.get(member.memberId) !== member) return;
    if ((member.awaitingJoin !== null && !member.isNew) || member.awaitingSync !== null) {
      this.#touch(group, member);
      return;
    }
    this.#removeMemberAndUpdateGroup(group, member);
    this.#maybeCompleteJoin(group);
  }

  #expirePendingMember(group: ClassicGroup, memberId: string): void {
    if (!group.pendingMembers.delete(memberId)) return;
    this.#maybeCompleteJoin(group);
    this.#dropIfUnused(group);
  }

  #removeMemberAndUpdateGroup(group: ClassicGroup, member: GroupMember): void {
    this.#removeMember(group, member, ErrorCode.UNKNOWN_MEMBER_ID);
    switch (group.state) {
      case 'Stable':
      case 'CompletingRebalance':
        this.#maybePrepareRebalance(group);
        break;
      case 'PreparingRebalance':
      case 'Empty':
      case 'Dead':
        break;
    }
  }

  /** Removes a member, answering whatever it still waits for with `errorCode`. */
  #removeMember(group: ClassicGroup, member: GroupMember, errorCode: number): void {
    this.#timers.clear(member.sessionTimer);
    member.sessionTimer = null;
    const join = member.awaitingJoin;
    const sync = member.awaitingSync;
    member.awaitingJoin = null;
    member.awaitingSync = null;
    group.remove(member.memberId);
    join?.(joinError(errorCode, member.memberId));
    sync?.(syncError(errorCode));
  }

  /** Forgets a group that never got a member nor an offset (e.g. MEMBER_ID_REQUIRED never answered). */
  #dropIfUnused(group: ClassicGroup): void {
    if (group.is('Empty') && group.size === 0 && group.pendingMembers.size === 0 && !group.hasOffsets() && group.generationId === 0) {
      if (this.#groups.get(group.groupId) === group) this.#groups.delete(group.groupId);
    }
  }

  // ---------------------------------------------------------------- offsets

  /**
   * OffsetCommit, classic protocol. Truth table (Kafka's doCommitOffsets):
   *
   *   group     generationId  member        state                    result
   *   missing   < 0           any           -                        commit (creates an Empty group)
   *   missing   >= 0          any           -                        ILLEGAL_GENERATION
   *   Dead      any           any           -                        COORDINATOR_NOT_AVAILABLE
   *   static instance held by another id                             FENCED_INSTANCE_ID
   *   exists    < 0           any           Empty                    commit (simple consumer)
   *   exists    any           unknown       not Empty or gen >= 0    UNKNOWN_MEMBER_ID
   *   exists    != current    known                                  ILLEGAL_GENERATION
   *   exists    == current    known         CompletingRebalance      REBALANCE_IN_PROGRESS
   *   exists    == current    known         Stable/PreparingRebalance commit (and counts as a heartbeat)
   *
   * Per partition: unknown topic or partition -> UNKNOWN_TOPIC_OR_PARTITION,
   * metadata over offset.metadata.max.bytes -> OFFSET_METADATA_TOO_LARGE.
   * The rest is appended to the log as one batch before the answer.
   *
   * A `retentionTimeMs` other than -1 (OffsetCommit v2-4) gives every offset of the request
   * the expire timestamp now + retentionTimeMs, as Kafka does (even a negative or zero
   * retention: the offset then expires at the next check); the value is stored as v1, the
   * only version with that field. See {@link expireOffsets} for when it applies.
   */
  async commitOffsets(req: CommitRequest): Promise<number[]> {
    const all = (code: number): number[] => req.offsets.map(() => code);
    if (this.#shutDown) return all(ErrorCode.NOT_COORDINATOR);
    let group = this.#groups.get(req.groupId);
    if (group === undefined) {
      if (req.generationId >= 0) return all(ErrorCode.ILLEGAL_GENERATION);
      group = new ClassicGroup(req.groupId, this.#timers.nowMs());
      this.#groups.set(req.groupId, group);
    }
    const errorCode = this.#commitCheck(group, req);
    if (errorCode !== ErrorCode.NONE) {
      this.#dropIfUnused(group);
      return all(errorCode);
    }
    const member = group.members.get(req.memberId);
    if (member !== undefined && req.generationId >= 0) this.#touch(group, member);
    const now = this.#timers.nowMs();
    const expireTimestamp = explicitExpireTimestamp(now, req.retentionTimeMs ?? -1);
    const results: number[] = [];
    const records: OffsetsTopicRecord[] = [];
    const accepted: Array<{ topic: string; partition: number; value: CommittedOffset }> = [];
    for (const o of req.offsets) {
      const metadata = o.metadata ?? '';
      if (!this.#partitionExists(o.topic, o.partition)) {
        results.push(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      } else if (Buffer.byteLength(metadata) > this.#config.offsetMetadataMaxBytes) {
        results.push(ErrorCode.OFFSET_METADATA_TOO_LARGE);
      } else {
        const value: CommittedOffset = {
          offset: o.offset,
          // A value with an expire timestamp is stored as v1, which has no leader epoch; the cache
          // holds what the log holds (v2-4 commits carry no epoch anyway).
          leaderEpoch: expireTimestamp >= 0 ? -1 : o.leaderEpoch,
          metadata,
          commitTimestamp: o.commitTimestamp >= 0 ? o.commitTimestamp : now,
          expireTimestamp,
        };
        records.push({ key: encodeOffsetCommitKey(req.groupId, o.topic, o.partition), value: encodeOffsetCommitValue(value) });
        accepted.push({ topic: o.topic, partition: o.partition, value });
        results.push(ErrorCode.NONE);
      }
    }
    if (records.length === 0) {
      this.#dropIfUnused(group);
      return results;
    }
    group.inflightCommits++;
    let stored: number;
    try {
      stored = await this.#append(req.groupId, records, commitErrorCode);
    } finally {
      group.inflightCommits--;
    }
    if (stored !== ErrorCode.NONE) return results.map((r) => (r === ErrorCode.NONE ? stored : r));
    // Appends to one partition complete in call order, so the cache ends with the last commit.
    if (this.#groups.get(req.groupId) === group && !group.is('Dead')) {
      for (const a of accepted) group.setCommitted(a.topic, a.partition, a.value);
    }
    return results;
  }

  /**
   * TxnOffsetCommit: validated like an OffsetCommit (member and generation
   * only when the request names them: v0-2 clients send neither), appended
   * as a transactional batch of the producer, and kept pending: the offsets
   * become the group's committed offsets when the transaction commits
   * ({@link completeTransaction}), and are dropped if it aborts. The caller
   * has checked that the group's partition is in the producer's transaction.
   */
  async txnCommitOffsets(req: TxnCommitRequest): Promise<number[]> {
    const all = (code: number): number[] => req.offsets.map(() => code);
    if (this.#shutDown) return all(ErrorCode.NOT_COORDINATOR);
    let group = this.#groups.get(req.groupId);
    if (group === undefined) {
      if (req.generationId >= 0) return all(ErrorCode.ILLEGAL_GENERATION);
      group = new ClassicGroup(req.groupId, this.#timers.nowMs());
      this.#groups.set(req.groupId, group);
    }
    const named = req.generationId >= 0 || req.memberId !== '' || req.groupInstanceId !== null;
    const errorCode = group.is('Dead') ? ErrorCode.COORDINATOR_NOT_AVAILABLE : named ? this.#commitCheck(group, req) : ErrorCode.NONE;
    if (errorCode !== ErrorCode.NONE) {
      this.#dropIfUnused(group);
      return all(errorCode);
    }
    const now = this.#timers.nowMs();
    const results: number[] = [];
    const records: OffsetsTopicRecord[] = [];
    const accepted: Array<{ topic: string; partition: number; value: CommittedOffset }> = [];
    for (const o of req.offsets) {
      const metadata = o.metadata ?? '';
      if (!this.#partitionExists(o.topic, o.partition)) {
        results.push(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      } else if (Buffer.byteLength(metadata) > this.#config.offsetMetadataMaxBytes) {
        results.push(ErrorCode.OFFSET_METADATA_TOO_LARGE);
      } else {
        const value: CommittedOffset = { offset: o.offset, leaderEpoch: o.leaderEpoch, metadata, commitTimestamp: now, expireTimestamp: -1 };
        records.push({ key: encodeOffsetCommitKey(req.groupId, o.topic, o.partition), value: encodeOffsetCommitValue(value) });
        accepted.push({ topic: o.topic, partition: o.partition, value });
        results.push(ErrorCode.NONE);
      }
    }
    if (records.length === 0) {
      this.#dropIfUnused(group);
      return results;
    }
    try {
      await this.#log.appendTransactional(req.groupId, records, { producerId: req.producerId, producerEpoch: req.producerEpoch });
    } catch (err) {
      this.#onError(`transactional append to __consumer_offsets for group ${req.groupId} failed`, err);
      const code = typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null;
      const stored = code === ErrorCode.INVALID_PRODUCER_EPOCH ? code : commitErrorCode(code);
      return results.map((r) => (r === ErrorCode.NONE ? stored : r));
    }
    for (const a of accepted) this.#addPendingTxnOffset(req.groupId, req.producerId, a);
    return results;
  }

  /**
   * A transaction marker was written to the offsets partition of the
   * producer's groups: its pending offsets become committed (commit) or are
   * dropped (abort). Groups of every partition are settled at once; EndTxn
   * writes the markers of all of them before it answers.
   */
  completeTransaction(producerId: number, commit: boolean): void {
    for (const [groupId, byProducer] of [...this.#pendingTxnOffsets]) {
      const pending = byProducer.get(producerId);
      if (pending === undefined) continue;
      byProducer.delete(producerId);
      if (byProducer.size === 0) this.#pendingTxnOffsets.delete(groupId);
      if (!commit) continue;
      let group = this.#groups.get(groupId);
      if (group === undefined || group.is('Dead')) {
        group = new ClassicGroup(groupId, this.#timers.nowMs());
        this.#groups.set(groupId, group);
      }
      for (const p of pending) group.setCommitted(p.topic, p.partition, p.value);
    }
  }

  /** True when a transaction has an offset pending for this partition of the group (OffsetFetch requireStable). */
  hasPendingTxnOffset(groupId: string, topic: string, partition: number): boolean {
    const byProducer = this.#pendingTxnOffsets.get(groupId);
    if (byProducer === undefined) return false;
    for (const list of byProducer.values()) if (list.some((p) => p.topic === topic && p.partition === partition)) return true;
    return false;
  }

  /** Loading: a transactional offset commit record whose transaction had no marker yet. */
  replayPendingTxnOffset(producerId: number, record: OffsetsTopicRecord): void {
    const key = decodeOffsetsTopicKey(record.key);
    if (key.type !== 'offset' || record.value === null) return;
    this.#addPendingTxnOffset(key.group, producerId, { topic: key.topic, partition: key.partition, value: decodeOffsetCommitValue(record.value) });
  }

  #addPendingTxnOffset(groupId: string, producerId: number, entry: { topic: string; partition: number; value: CommittedOffset }): void {
    let byProducer = this.#pendingTxnOffsets.get(groupId);
    if (byProducer === undefined) this.#pendingTxnOffsets.set(groupId, (byProducer = new Map()));
    let list = byProducer.get(producerId);
    if (list === undefined) byProducer.set(producerId, (list = []));
    const i = list.findIndex((p) => p.topic === entry.topic && p.partition === entry.partition);
    if (i >= 0) list[i] = entry;
    else list.push(entry);
  }

  #commitCheck(group: ClassicGroup, req: CommitRequest): number {
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (group.isStaticMemberFenced(req.groupInstanceId, req.memberId)) return ErrorCode.FENCED_INSTANCE_ID;
    if (req.generationId < 0 && group.is('Empty')) return ErrorCode.NONE;
    if (!group.members.has(req.memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (req.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    if (group.is('CompletingRebalance')) return ErrorCode.REBALANCE_IN_PROGRESS;
    return ErrorCode.NONE;
  }

  /**
   * OffsetFetch for one group. `topics` null = every committed offset of the
   * group. Partitions without a commit (and unknown groups) get offset -1.
   * With `requireStable` (v7+), a partition with an offset pending in an open
   * transaction gets UNSTABLE_OFFSET_COMMIT (retriable) instead.
   */
  fetchOffsets(groupId: string, topics: ReadonlyArray<{ topic: string; partitions: readonly number[] }> | null, requireStable = false): FetchOffsetsResult {
    if (this.#shutDown) return { errorCode: ErrorCode.NOT_COORDINATOR, topics: [] };
    const group = this.#groups.get(groupId);
    const entry = (topic: string, partition: number): FetchedOffset => {
      if (requireStable && this.hasPendingTxnOffset(groupId, topic, partition)) {
        return { partition, offset: -1, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT };
      }
      const c = group?.committed(topic, partition);
      return c === undefined
        ? { partition, offset: -1, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE }
        : { partition, offset: c.offset, leaderEpoch: c.leaderEpoch, metadata: c.metadata, errorCode: ErrorCode.NONE };
    };
    if (topics === null) {
      const out: FetchOffsetsResult['topics'] = [];
      if (group !== undefined) {
        for (const [topic, byPartition] of group.offsets) {
          out.push({ topic, partitions: [...byPartition.keys()].sort((a, b) => a - b).map((p) => entry(topic, p)) });
        }
      }
      return { errorCode: ErrorCode.NONE, topics: out };
    }
    return { errorCode: ErrorCode.NONE, topics: topics.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => entry(t.topic, p)) })) };
  }

  /**
   * OffsetDelete: removes committed offsets of partitions the group does not
   * consume. Group errors: missing or Dead -> GROUP_ID_NOT_FOUND; members
   * with a non-consumer protocol -> NON_EMPTY_GROUP. Per partition: a topic a
   * member subscribes to -> GROUP_SUBSCRIBED_TO_TOPIC; unknown partition ->
   * UNKNOWN_TOPIC_OR_PARTITION.
   */
  async deleteOffsets(groupId: string, topics: ReadonlyArray<{ topic: string; partitions: readonly number[] }>): Promise<DeleteOffsetsResult> {
    const topicsWith = (code: number): DeleteOffsetsResult['topics'] =>
      topics.map((t) => ({ topic: t.topic, partitions: t.partitions.map((partition) => ({ partition, errorCode: code })) }));
    if (this.#shutDown) return { errorCode: ErrorCode.NOT_COORDINATOR, topics: [] };
    if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, topics: [] };
    const group = this.#groups.get(groupId);
    if (group === undefined || group.is('Dead')) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] };
    let subscribed: Set<string> | null = new Set();
    if (!group.is('Empty')) {
      if (group.protocolType !== 'consumer') return { errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] };
      subscribed = group.subscribedTopics(subscribedTopicsOf);
    }
    const records: OffsetsTopicRecord[] = [];
    const toDelete: Array<{ topic: string; partition: number }> = [];
    const result = topicsWith(ErrorCode.NONE);
    for (const t of result) {
      for (const p of t.partitions) {
        if (subscribed === null || subscribed.has(t.topic)) p.errorCode = ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC;
        else if (!this.#partitionExists(t.topic, p.partition)) p.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        else if (group.committed(t.topic, p.partition) !== undefined) {
          records.push({ key: encodeOffsetCommitKey(groupId, t.topic, p.partition), value: null });
          toDelete.push({ topic: t.topic, partition: p.partition });
        }
      }
    }
    for (const d of toDelete) group.deleteCommitted(d.topic, d.partition);
    if (records.length > 0) {
      const stored = await this.#append(groupId, records, storeErrorCode);
      if (stored !== ErrorCode.NONE) return { errorCode: stored, topics: [] };
    }
    return { errorCode: ErrorCode.NONE, topics: result };
  }

  // ------------------------------------------------------------------ admin

  listGroups(): GroupListing[] {
    const out: GroupListing[] = [];
    for (const g of this.#groups.values()) {
      if (g.is('Dead')) continue;
      out.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', state: g.state });
    }
    return out;
  }

  /** DescribeGroups for one group: an unknown group is described as Dead (Kafka, before v6). */
  describeGroup(groupId: string): GroupDescription {
    const group = this.#groups.get(groupId);
    if (this.#shutDown) return { errorCode: ErrorCode.NOT_COORDINATOR, groupId, state: 'Dead', protocolType: '', protocolData: '', members: [] };
    if (group === undefined) return { errorCode: ErrorCode.NONE, groupId, state: 'Dead', protocolType: '', protocolData: '', members: [] };
    const stable = group.is('Stable');
    return {
      errorCode: ErrorCode.NONE,
      groupId,
      state: group.state,
      protocolType: group.protocolType ?? '',
      protocolData: stable ? (group.protocolName ?? '') : '',
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: stable ? m.metadataFor(group.protocolName) : EMPTY_BUFFER,
        assignment: stable ? m.assignment : EMPTY_BUFFER,
      })),
    };
  }

  /**
   * DeleteGroups: an Empty group's offsets and metadata are tombstoned and
   * the group is gone. Missing or Dead -> GROUP_ID_NOT_FOUND; members ->
   * NON_EMPTY_GROUP.
   */
  async deleteGroups(groupIds: readonly string[]): Promise<Array<{ groupId: string; errorCode: number }>> {
    return Promise.all(
      groupIds.map(async (groupId) => {
        if (this.#shutDown) return { groupId, errorCode: ErrorCode.NOT_COORDINATOR };
        if (groupId === '') return { groupId, errorCode: ErrorCode.INVALID_GROUP_ID };
        const group = this.#groups.get(groupId);
        if (group === undefined || group.is('Dead')) return { groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND };
        if (!group.is('Empty')) return { groupId, errorCode: ErrorCode.NON_EMPTY_GROUP };
        const records: OffsetsTopicRecord[] = [];
        for (const [topic, byPartition] of group.offsets) {
          for (const partition of byPartition.keys()) records.push({ key: encodeOffsetCommitKey(groupId, topic, partition), value: null });
        }
        records.push({ key: encodeGroupMetadataKey(groupId), value: null });
        for (const timer of group.pendingMembers.values()) this.#timers.clear(timer);
        group.pendingMembers.clear();
        this.#timers.clear(group.joinTimer);
        group.transitionTo('Dead', this.#timers.nowMs());
        this.#groups.delete(groupId);
        return { groupId, errorCode: await this.#append(groupId, records, storeErrorCode) };
      }),
    );
  }

  // ------------------------------------------------------- persistence

  /**
   * Writes the group's membership record (GroupMetadataValue) with
   * `assignment` (default: the members' current assignments). Resolves with
   * the Kafka error code for SyncGroup/JoinGroup.
   */
  #storeGroup(group: ClassicGroup, assignment?: ReadonlyMap<string, Buffer>): Promise<number> {
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
    return this.#append(group.groupId, [{ key: encodeGroupMetadataKey(group.groupId), value: encodeGroupMetadataValue(value) }], storeErrorCode);
  }

  async #append(groupId: string, records: readonly OffsetsTopicRecord[], mapError: (code: number | null) => number): Promise<number> {
    try {
      await this.#log.append(groupId, records);
      return ErrorCode.NONE;
    } catch (err) {
      this.#onError(`append to __consumer_offsets for group ${groupId} failed`, err);
      const code = typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null;
      return mapError(code);
    }
  }

  /**
   * Applies one record read back from `__consumer_offsets` (startup). Records
   * are applied in log order; the last one per key wins. Call
   * {@link finishLoading} once every partition has been read.
   */
  replay(record: OffsetsTopicRecord): void {
    const key = decodeOffsetsTopicKey(record.key);
    if (key.type === 'other') return;
    let group = this.#groups.get(key.group);
    if (key.type === 'offset') {
      if (record.value === null) {
        group?.deleteCommitted(key.topic, key.partition);
        return;
      }
      if (group === undefined) {
        group = new ClassicGroup(key.group, this.#timers.nowMs());
        this.#groups.set(key.group, group);
      }
      group.setCommitted(key.topic, key.partition, decodeOffsetCommitValue(record.value));
      return;
    }
    // Group metadata: rebuild membership from scratch, keep offsets.
    const fresh = new ClassicGroup(key.group, this.#timers.nowMs());
    if (group !== undefined) for (const [topic, byPartition] of group.offsets) for (const [p, v] of byPartition) fresh.setCommitted(topic, p, v);
    if (record.value !== null) {
      const v = decodeGroupMetadataValue(record.value);
      fresh.generationId = v.generation;
      fresh.protocolType = v.protocolType === '' ? null : v.protocolType;
      fresh.protocolName = v.protocol;
      fresh.stateTimestampMs = v.currentStateTimestamp >= 0 ? v.currentStateTimestamp : this.#timers.nowMs();
      for (const sm of v.members) {
        const m = new GroupMember({
          memberId: sm.memberId,
          groupInstanceId: sm.groupInstanceId,
          clientId: sm.clientId,
          clientHost: sm.clientHost,
          rebalanceTimeoutMs: sm.rebalanceTimeoutMs,
          sessionTimeoutMs: sm.sessionTimeoutMs,
          protocolType: v.protocolType,
          protocols: v.protocol === null ? [] : [{ name: v.protocol, metadata: sm.subscription }],
        });
        m.assignment = sm.assignment;
        fresh.add(m);
      }
      fresh.leaderId = v.leader !== null && fresh.members.has(v.leader) ? v.leader : fresh.leaderId;
      fresh.restoreState(fresh.size > 0 && v.protocol !== null ? 'Stable' : 'Empty');
    }
    this.#groups.set(key.group, fresh);
  }

  /**
   * After replay: drops groups left with neither members nor offsets (deleted
   * ones) and starts the session timers of restored members, who keep their
   * generation and assignment if they heartbeat in time (Kafka does the same).
   */
  finishLoading(): void {
    for (const group of [...this.#groups.values()]) {
      if (group.size === 0 && !group.hasOffsets() && group.generationId === 0) {
        this.#groups.delete(group.groupId);
        continue;
      }
      if (group.size === 0 && !group.hasOffsets() && group.protocolType === null) {
        this.#groups.delete(group.groupId);
        continue;
      }
      for (const m of group.members.values()) this.#touch(group, m);
    }
    this.#scheduleRetentionCheck();
  }

  // ------------------------------------------------------- offset retention

  #scheduleRetentionCheck(): void {
    if (this.#shutDown) return;
    this.#timers.clear(this.#retentionTimer);
    this.#retentionTimer = this.#timers.set(this.#config.offsetsRetentionCheckIntervalMs, () => {
      this.#retentionTimer = null;
      void this.expireOffsets().finally(() => this.#scheduleRetentionCheck());
    });
  }

  /**
   * Offset retention (Kafka >= 2.1: KIP-211, and KIP-496 for groups with members), run every
   * offsets.retention.check.interval.ms. Which offsets may expire, and from when
   * offsets.retention.minutes counts, is {@link ClassicGroup.offsetExpiryRule}:
   *
   *   group                                    offsets that may expire      retention counts from
   *   Empty, with a protocol type (it had      all                          when it became Empty
   *     members once)
   *   Empty, no protocol type (only simple     all                          each offset's commit
   *     consumers committed)
   *   Stable, protocol type "consumer", every  topics no member subscribes  each offset's commit
   *     member's subscription decodes           to any more
   *   any other (rebalancing, another          none
   *     protocol type, an unreadable
   *     subscription)
   *   a commit in flight (appended, not yet    none this time
   *     answered)
   *
   * An offset committed with an explicit retention (OffsetCommit v2-4 RetentionTimeMs; its
   * expire timestamp is set) expires at its expire timestamp instead, when it may expire at all.
   *
   * Expired offsets are tombstoned in `__consumer_offsets` so a restart does not bring them
   * back. An Empty group left with no offsets (and no KIP-394 member id outstanding) becomes
   * Dead and is forgotten; its GroupMetadata record is tombstoned too when it ever had a
   * generation. A Stable group keeps its state whatever expired. Resolves with the number of
   * offsets expired.
   */
  async expireOffsets(): Promise<number> {
    if (this.#shutDown) return 0;
    const now = this.#timers.nowMs();
    const retention = this.#config.offsetsRetentionMs;
    const appends: Array<Promise<number>> = [];
    let expired = 0;
    for (const group of [...this.#groups.values()]) {
      if (group.inflightCommits > 0) continue;
      const rule = group.offsetExpiryRule(subscribedTopicsOf);
      if (rule === null) continue;
      const records: OffsetsTopicRecord[] = [];
      for (const [topic, byPartition] of [...group.offsets]) {
        if (rule.keepTopics.has(topic)) continue;
        for (const [partition, value] of [...byPartition]) {
          const base = rule.countFrom === 'emptySince' ? group.stateTimestampMs : value.commitTimestamp;
          const expiresAt = value.expireTimestamp >= 0 ? value.expireTimestamp : base + retention;
          if (now < expiresAt) continue;
          group.deleteCommitted(topic, partition);
          records.push({ key: encodeOffsetCommitKey(group.groupId, topic, partition), value: null });
          expired++;
        }
      }
      if (group.is('Empty') && !group.hasOffsets() && group.pendingMembers.size === 0 && group.joinTimer === null) {
        group.transitionTo('Dead', now);
        this.#groups.delete(group.groupId);
        if (group.generationId > 0) records.push({ key: encodeGroupMetadataKey(group.groupId), value: null });
      }
      if (records.length > 0) appends.push(this.#append(group.groupId, records, storeErrorCode));
    }
    await Promise.all(appends);
    return expired;
  }

  /** Clears every timer and fails every parked JoinGroup/SyncGroup with NOT_COORDINATOR. */
  shutdown(): void {
    this.#shutDown = true;
    this.#timers.clear(this.#retentionTimer);
    this.#retentionTimer = null;
    for (const group of this.#groups.values()) {
      this.#timers.clear(group.joinTimer);
      this.#timers.clear(group.syncTimer);
      group.joinTimer = null;
      group.syncTimer = null;
      for (const t of group.pendingMembers.values()) this.#timers.clear(t);
      for (const m of group.members.values()) {
        this.#timers.clear(m.sessionTimer);
        m.sessionTimer = null;
        const join = m.awaitingJoin;
        const sync = m.awaitingSync;
        m.awaitingJoin = null;
        m.awaitingSync = null;
        join?.(joinError(ErrorCode.NOT_COORDINATOR, m.memberId));
        sync?.(syncError(ErrorCode.NOT_COORDINATOR));
      }
    }
  }
}

function joinError(errorCode: number, memberId: string): JoinResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] };
}

function syncError(errorCode: number): SyncResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BUFFER };
}

/** Kafka's mapping of append failures for group metadata (GroupMetadataManager.storeGroup). */
function storeErrorCode(code: number | null): number {
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
function commitErrorCode(code: number | null): number {
  switch (code) {
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
    default:
      return storeErrorCode(code);
  }
}

/**
 * Topics in a consumer-protocol subscription, or null when it does not decode. Whatever the
 * version, the body is read as v0 (topics, user data): every version starts with the v0
 * fields, so this also reads versions newer than the codec knows (Kafka reads it the same way).
 */
function subscribedTopicsOf(metadata: Buffer): string[] | null {
  try {
    const r = new Reader(metadata);
    const version = r.readInt16();
    if (version < 0) return null;
    return decodeConsumerProtocolSubscription(r, 0).topics;
  } catch {
    return null;
  }
}

/**
 * The expire timestamp of a commit made at `nowMs` with OffsetCommit v2-4 RetentionTimeMs, or
 * -1 for -1 (the broker's retention). Kafka takes any other value as it is; a sum before the
 * epoch is clamped to 0 (already expired) because -1 means "none" here.
 */
function explicitExpireTimestamp(nowMs: number, retentionTimeMs: number): number {
  if (retentionTimeMs === -1) return -1;
  return Math.min(Math.max(nowMs + retentionTimeMs, 0), Number.MAX_SAFE_INTEGER);
}

/** A new member as its JoinGroup describes it. */
function memberFromJoin(memberId: string, req: JoinRequest): GroupMember {
  return new GroupMember({
    memberId,
    groupInstanceId: req.groupInstanceId,
    clientId: req.clientId,
    clientHost: req.clientHost,
    rebalanceTimeoutMs: req.rebalanceTimeoutMs,
    sessionTimeoutMs: req.sessionTimeoutMs,
    protocolType: req.protocolType,
    protocols: req.protocols,
  });
}
