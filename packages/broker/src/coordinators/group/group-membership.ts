/**
 * Membership and rebalance of classic-protocol groups: JoinGroup, SyncGroup,
 * Heartbeat, LeaveGroup, session expiry and the rebalance state machine. A
 * part of the GroupCoordinator (which checks shutdown and owns the registry);
 * it writes membership records through the {@link GroupStore}.
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
import { ErrorCode } from '@samsa/protocol';
import type { ClassicGroup } from './classic-group.js';
import { NEW_MEMBER_JOIN_TIMEOUT_MS, type GroupCoordinatorConfig } from './group-config.js';
import { EMPTY_BUFFER, GroupMember, type JoinResult, type SyncResult } from './group-member.js';
import type { GroupRegistry } from './group-registry.js';
import type { JoinRequest, LeaveResult, MemberRef, SyncRequest } from './group-requests.js';
import type { GroupStore } from './group-store.js';
import type { GroupTimers } from './timers.js';

/** What {@link GroupMembership} works with. */
export interface GroupMembershipOptions {
  groups: GroupRegistry;
  timers: GroupTimers;
  store: GroupStore;
  config: Required<GroupCoordinatorConfig>;
  /** Member ids: `<prefix>-<uuid>` as Kafka; injectable for deterministic tests. */
  newMemberId: (prefix: string) => string;
}

/** Membership and rebalance (see the file comment). */
export class GroupMembership {
  readonly #groups: GroupRegistry;
  readonly #timers: GroupTimers;
  readonly #store: GroupStore;
  readonly #config: Required<GroupCoordinatorConfig>;
  readonly #newMemberId: (prefix: string) => string;

  constructor(opts: GroupMembershipOptions) {
    this.#groups = opts.groups;
    this.#timers = opts.timers;
    this.#store = opts.store;
    this.#config = opts.config;
    this.#newMemberId = opts.newMemberId;
  }

  // ---------------------------------------------------------------- JoinGroup

  /** JoinGroup (error precedence in the file comment). */
  join(req: JoinRequest): Promise<JoinResult> {
    const fail = (errorCode: number, memberId = req.memberId): Promise<JoinResult> => Promise.resolve(joinError(errorCode, memberId));
    if (req.groupId === '') return fail(ErrorCode.INVALID_GROUP_ID);
    if (req.sessionTimeoutMs < this.#config.minSessionTimeoutMs || req.sessionTimeoutMs > this.#config.maxSessionTimeoutMs) {
      return fail(ErrorCode.INVALID_SESSION_TIMEOUT);
    }
    const isUnknownMember = req.memberId === '';
    let group = this.#groups.get(req.groupId);
    if (group === undefined) {
      if (!isUnknownMember) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
      group = this.#groups.create(req.groupId);
    }
    if (group.is('Dead')) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (!group.supportsProtocols(req.protocolType, req.protocols)) {
      this.#groups.dropIfUnused(group);
      return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }
    const result = isUnknownMember ? this.#joinNewMember(group, req) : this.#joinKnownMember(group, req);
    this.#maybeCompleteJoin(group);
    return result;
  }

  #joinNewMember(group: ClassicGroup, req: JoinRequest): Promise<JoinResult> {
    const staticHolder = req.groupInstanceId === null ? undefined : group.staticMembers.get(req.groupInstanceId);
    if (staticHolder === undefined && group.size + group.pendingMembers.size >= this.#config.maxGroupSize) {
      this.#groups.dropIfUnused(group);
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
          this.touch(group, member);
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
    this.touch(group, member);
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
        this.touch(group, member);
        return this.#store.storeGroup(group).then((errorCode) => {
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
      void this.#store.storeGroup(group);
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
      this.touch(group, m);
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

  /** SyncGroup: a follower waits for the leader's assignment; the leader's is stored, then handed out. */
  sync(req: SyncRequest): Promise<SyncResult> {
    const fail = (errorCode: number): Promise<SyncResult> => Promise.resolve(syncError(errorCode));
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
        this.touch(group, member);
        return Promise.resolve(this.#syncResult(group, member.assignment));
      case 'CompletingRebalance': {
        group.pendingSync.delete(member.memberId);
        member.awaitingSync?.(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        const response = new Promise<SyncResult>((resolve) => {
          member.awaitingSync = resolve;
        });
        this.touch(group, member);
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
    void this.#store.storeGroup(group, pendingAssignment).then((errorCode) => {
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

  /** Heartbeat: restarts the member's session; REBALANCE_IN_PROGRESS tells it to rejoin. */
  heartbeat(req: { groupId: string; generationId: number; memberId: string; groupInstanceId: string | null }): number {
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
        this.touch(group, member);
        return ErrorCode.REBALANCE_IN_PROGRESS;
      case 'CompletingRebalance':
      case 'Stable':
        this.touch(group, member);
        return ErrorCode.NONE;
    }
  }

  // ------------------------------------------------------------- LeaveGroup

  /** LeaveGroup: the named members leave (a static member may be removed by instance id). */
  leave(groupId: string, leaving: readonly MemberRef[]): LeaveResult {
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
  touch(group: ClassicGroup, member: GroupMember): void {
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
      this.touch(group, member);
      return;
    }
    this.#removeMemberAndUpdateGroup(group, member);
    this.#maybeCompleteJoin(group);
  }

  #expirePendingMember(group: ClassicGroup, memberId: string): void {
    if (!group.pendingMembers.delete(memberId)) return;
    this.#maybeCompleteJoin(group);
    this.#groups.dropIfUnused(group);
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
    group.remove(member.memberId);
    this.#release(member, errorCode);
  }

  /**
   * Stops the member's session timer and answers the JoinGroup or SyncGroup it still waits for
   * with `errorCode` (answering only resolves a promise: the handlers run later).
   */
  #release(member: GroupMember, errorCode: number): void {
    this.#timers.clear(member.sessionTimer);
    member.sessionTimer = null;
    const join = member.awaitingJoin;
    const sync = member.awaitingSync;
    member.awaitingJoin = null;
    member.awaitingSync = null;
    join?.(joinError(errorCode, member.memberId));
    sync?.(syncError(errorCode));
  }

  /** Clears every group's timers and fails every parked JoinGroup/SyncGroup with NOT_COORDINATOR. */
  shutdown(): void {
    for (const group of this.#groups.all()) {
      this.#timers.clear(group.joinTimer);
      this.#timers.clear(group.syncTimer);
      group.joinTimer = null;
      group.syncTimer = null;
      for (const t of group.pendingMembers.values()) this.#timers.clear(t);
      for (const m of group.members.values()) this.#release(m, ErrorCode.NOT_COORDINATOR);
    }
  }
}

/** A JoinGroup answer carrying only an error (and the member id the client should use). */
export function joinError(errorCode: number, memberId: string): JoinResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] };
}

/** A SyncGroup answer carrying only an error. */
export function syncError(errorCode: number): SyncResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BUFFER };
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
