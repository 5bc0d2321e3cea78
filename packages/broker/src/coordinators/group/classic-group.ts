/**
 * The state of one classic-protocol group: its members, generation, selected
 * protocol and committed offsets. Only the GroupCoordinator mutates it (one
 * owner per piece of state); this file holds the bookkeeping that does not
 * need timers or the log.
 */
import { assert } from '@samsa/storage';
import type { OffsetCommitValue } from './offsets-topic-records.js';
import { canTransition, type GroupState } from './group-state.js';
import type { GroupMember, MemberProtocol } from './group-member.js';
import type { TimerHandle } from './timers.js';

/** A committed offset held in memory (the value as stored in `__consumer_offsets`). */
export type CommittedOffset = OffsetCommitValue;

/**
 * Which of a group's offsets may expire at an offset-retention check, and from when
 * offsets.retention.minutes counts (the truth table is on {@link ClassicGroup.offsetExpiryRule}).
 */
export interface OffsetExpiryRule {
  /** `emptySince`: from the time the group became Empty; `commit`: from each offset's commit. */
  readonly countFrom: 'emptySince' | 'commit';
  /** Topics whose offsets never expire under this rule (what the members subscribe to). */
  readonly keepTopics: ReadonlySet<string>;
}

const NO_TOPICS: ReadonlySet<string> = new Set();

/** One classic-protocol group. */
export class ClassicGroup {
  readonly groupId: string;
  #state: GroupState;
  /** When the state last changed (GroupMetadataValue.currentStateTimestamp). */
  stateTimestampMs: number;
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, GroupMember>();
  /** group.instance.id -> member id of the static member currently holding it. */
  readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED (KIP-394) whose JoinGroup has not come back yet. */
  readonly pendingMembers = new Map<string, TimerHandle>();
  /** Members of the current generation that have not sent SyncGroup yet. */
  readonly pendingSync = new Set<string>();
  /** topic -> partition -> committed offset. */
  readonly offsets = new Map<string, Map<number, CommittedOffset>>();
  /** The delayed join (initial delay or rebalance timeout) of a PreparingRebalance. */
  joinTimer: TimerHandle | null = null;
  /** Whether the running PreparingRebalance is the initial delay (it never completes early). */
  initialDelayActive = false;
  /** A member joined during the initial delay (the delay is extended once more). */
  newMemberAdded = false;
  /** Budget left for extending the initial join delay (KIP-134). */
  initialDelayRemainingMs = 0;
  /** Members that must send SyncGroup within the rebalance timeout. */
  syncTimer: TimerHandle | null = null;
  /** OffsetCommits whose append has not completed yet (offset expiry skips the group meanwhile). */
  inflightCommits = 0;

  constructor(groupId: string, nowMs: number, state: GroupState = 'Empty') {
    this.groupId = groupId;
    this.#state = state;
    this.stateTimestampMs = nowMs;
  }

  get state(): GroupState {
    return this.#state;
  }

  is(state: GroupState): boolean {
    return this.#state === state;
  }

  transitionTo(state: GroupState, nowMs: number): void {
    assert(canTransition(this.#state, state), () => `group ${this.groupId}: illegal transition ${this.#state} -> ${state}`);
    this.#state = state;
    this.stateTimestampMs = nowMs;
  }

  /** Sets the state of a group rebuilt from the log (no transition check: nothing happened, it was loaded). */
  restoreState(state: 'Empty' | 'Stable'): void {
    this.#state = state;
  }

  get size(): number {
    return this.members.size;
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  /**
   * A static member is fenced when its instance id is now held by another
   * member id (a newer incarnation joined with the same group.instance.id).
   */
  isStaticMemberFenced(groupInstanceId: string | null, memberId: string): boolean {
    if (groupInstanceId === null) return false;
    const holder = this.staticMembers.get(groupInstanceId);
    return holder !== undefined && holder !== memberId;
  }

  add(member: GroupMember): void {
    if (this.members.size === 0) this.protocolType = member.protocolType;
    this.members.set(member.memberId, member);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    if (this.leaderId === null) this.leaderId = member.memberId;
  }

  remove(memberId: string): GroupMember | undefined {
    const member = this.members.get(memberId);
    if (member === undefined) return undefined;
    this.members.delete(memberId);
    this.pendingSync.delete(memberId);
    if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === memberId) {
      this.staticMembers.delete(member.groupInstanceId);
    }
    if (this.leaderId === memberId) this.leaderId = this.members.keys().next().value ?? null;
    return member;
  }

  /** Whether every member has rejoined and no KIP-394 member id is outstanding. */
  hasAllMembersJoined(): boolean {
    for (const m of this.members.values()) if (m.awaitingJoin === null) return false;
    return this.pendingMembers.size === 0;
  }

  /** The largest rebalance timeout of the members: how long a rebalance waits for rejoins. */
  rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) if (m.rebalanceTimeoutMs > max) max = m.rebalanceTimeoutMs;
    return max;
  }

  /** Protocols every member supports. */
  candidateProtocols(): Set<string> {
    let candidates: Set<string> | null = null;
    for (const m of this.members.values()) {
      const names = new Set(m.protocols.map((p) => p.name));
      if (candidates === null) candidates = names;
      else for (const c of candidates) if (!names.has(c)) candidates.delete(c);
    }
    return candidates ?? new Set();
  }

  /**
   * Whether a member with `protocolType` and `protocols` may join: an empty
   * group takes any non-empty type with at least one protocol; otherwise the
   * type must match and one protocol must be supported by every member
   * (Kafka's supportsProtocols).
   */
  supportsProtocols(protocolType: string, protocols: readonly MemberProtocol[]): boolean {
    if (protocolType === '' || protocols.length === 0) return false;
    if (this.members.size === 0) return true;
    if (protocolType !== this.protocolType) return false;
    const candidates = this.candidateProtocols();
    return protocols.some((p) => candidates.has(p.name));
  }

  /**
   * Kafka's selectProtocol: among the protocols every member supports, each
   * member votes for its most preferred; the most votes win. Ties go to the
   * protocol listed first by the member that joined first (deterministic).
   */
  selectProtocol(): string {
    const candidates = this.candidateProtocols();
    assert(candidates.size > 0, () => `group ${this.groupId}: no protocol supported by every member`);
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const v = m.vote(candidates);
      if (v !== null) votes.set(v, (votes.get(v) ?? 0) + 1);
    }
    let best: string | null = null;
    let bestVotes = -1;
    for (const [name, n] of votes) {
      if (n > bestVotes) {
        best = name;
        bestVotes = n;
      }
    }
    assert(best !== null, 'a vote was cast');
    return best;
  }

  /**
   * Topics the members subscribe to, for OffsetDelete and offset expiry; null = unknown (a
   * non-consumer protocol type, no selected protocol, or a subscription that does not decode:
   * treat every topic as subscribed).
   */
  subscribedTopics(decode: (metadata: Buffer) => string[] | null): Set<string> | null {
    if (this.protocolType !== 'consumer' || this.protocolName === null) return null;
    const topics = new Set<string>();
    for (const m of this.members.values()) {
      const t = decode(m.metadataFor(this.protocolName));
      if (t === null) return null;
      for (const name of t) topics.add(name);
    }
    return topics;
  }

  /**
   * Kafka's rule (GroupMetadata.removeExpiredOffsets, Kafka >= 2.1: KIP-211 and KIP-496) for
   * which offsets may expire now. `decode` reads a consumer-protocol subscription.
   *
   *   state   members  protocol type  subscriptions     may expire               counted from
   *   Empty   none     set            -                 every offset             when it became Empty
   *   Empty   none     none (only     -                 every offset             each offset's commit
   *                    simple commits)
   *   Stable  some     "consumer"     all decode        topics no member         each offset's commit
   *                                                     subscribes to
   *   Stable  some     "consumer"     one does not      nothing (null)
   *   Stable  some     any other      -                 nothing (null)
   *   any rebalancing state            -                 nothing (null)
   *
   * An offset committed with an explicit retention (its expire timestamp is set) that may
   * expire at all expires at that timestamp instead (the caller applies it).
   */
  offsetExpiryRule(decode: (metadata: Buffer) => string[] | null): OffsetExpiryRule | null {
    switch (this.#state) {
      case 'Empty':
        return { countFrom: this.protocolType === null ? 'commit' : 'emptySince', keepTopics: NO_TOPICS };
      case 'Stable': {
        const subscribed = this.subscribedTopics(decode);
        return subscribed === null ? null : { countFrom: 'commit', keepTopics: subscribed };
      }
      case 'PreparingRebalance':
      case 'CompletingRebalance':
      case 'Dead':
        return null;
    }
  }

  committed(topic: string, partition: number): CommittedOffset | undefined {
    return this.offsets.get(topic)?.get(partition);
  }

  setCommitted(topic: string, partition: number, value: CommittedOffset): void {
    let byPartition = this.offsets.get(topic);
    if (byPartition === undefined) {
      byPartition = new Map();
      this.offsets.set(topic, byPartition);
    }
    byPartition.set(partition, value);
  }

  deleteCommitted(topic: string, partition: number): boolean {
    const byPartition = this.offsets.get(topic);
    if (byPartition === undefined) return false;
    const had = byPartition.delete(partition);
    if (byPartition.size === 0) this.offsets.delete(topic);
    return had;
  }

  hasOffsets(): boolean {
    return this.offsets.size > 0;
  }
}
