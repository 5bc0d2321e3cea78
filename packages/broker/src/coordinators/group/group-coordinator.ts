/**
 * The classic-protocol group coordinator: membership (JoinGroup, SyncGroup,
 * Heartbeat, LeaveGroup, session expiry) and committed offsets for every
 * group. In single-node mode this node coordinates every group. It is the
 * one owner of group state (architecture principle 3): handlers call it and
 * map its results onto the wire; only it writes group records to
 * `__consumer_offsets` (through {@link GroupLog}).
 *
 * This class is the front door and the owner; the work is done by its parts,
 * which share its one {@link GroupRegistry} (so each group is one object):
 *
 *   group-membership.ts   JoinGroup, SyncGroup, Heartbeat, LeaveGroup, sessions, the rebalance state machine
 *   group-offsets.ts      OffsetCommit, TxnOffsetCommit (pending-txn-offsets.ts), OffsetFetch, OffsetDelete
 *   group-loader.ts       replay of `__consumer_offsets` at startup
 *   offset-retention.ts   the periodic expiry of old offsets
 *   group-store.ts        the appends to `__consumer_offsets` and their error mapping
 *
 * Here: shutdown (after it every call answers NOT_COORDINATOR), the admin
 * APIs (ListGroups, DescribeGroups, DeleteGroups) and the wiring.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '@samsa/protocol';
import type { ClassicGroup } from './classic-group.js';
import { resolveGroupConfig, type GroupCoordinatorConfig } from './group-config.js';
import { replayGroupRecord, settleLoadedGroups } from './group-loader.js';
import { EMPTY_BUFFER, type JoinResult, type SyncResult } from './group-member.js';
import { GroupMembership, joinError, syncError } from './group-membership.js';
import { GroupOffsets } from './group-offsets.js';
import { GroupRegistry } from './group-registry.js';
import type {
  CommitRequest,
  DeleteOffsetsResult,
  FetchOffsetsResult,
  GroupDescription,
  GroupListing,
  JoinRequest,
  LeaveResult,
  MemberRef,
  SyncRequest,
  TxnCommitRequest,
} from './group-requests.js';
import { GroupStore, storeErrorCode, type GroupLog, type OffsetsTopicRecord } from './group-store.js';
import { OffsetRetention } from './offset-retention.js';
import { encodeGroupMetadataKey, encodeOffsetCommitKey } from './offsets-topic-records.js';
import type { GroupTimers } from './timers.js';

export {
  DEFAULT_OFFSET_METADATA_MAX_BYTES,
  DEFAULT_OFFSETS_RETENTION_CHECK_INTERVAL_MS,
  DEFAULT_OFFSETS_RETENTION_MS,
  MAX_GROUP_MEMBERS,
  NEW_MEMBER_JOIN_TIMEOUT_MS,
  type GroupCoordinatorConfig,
} from './group-config.js';
export type {
  CommitRequest,
  DeleteOffsetsResult,
  FetchedOffset,
  FetchOffsetsResult,
  GroupDescription,
  GroupListing,
  JoinRequest,
  LeaveResult,
  MemberRef,
  OffsetCommitEntry,
  SyncRequest,
  TxnCommitRequest,
} from './group-requests.js';
export type { GroupLog, OffsetsTopicRecord } from './group-store.js';

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

/** The classic-protocol group coordinator (see the file comment). */
export class GroupCoordinator {
  readonly #groups: GroupRegistry;
  readonly #timers: GroupTimers;
  readonly #store: GroupStore;
  readonly #membership: GroupMembership;
  readonly #offsets: GroupOffsets;
  readonly #retention: OffsetRetention;
  #shutDown = false;

  constructor(opts: GroupCoordinatorOptions) {
    const timers = opts.timers;
    const config = resolveGroupConfig(opts.config);
    const groups = new GroupRegistry(() => timers.nowMs());
    const store = new GroupStore(opts.log, opts.onError ?? (() => undefined));
    const newMemberId = opts.newMemberId ?? ((prefix: string) => `${prefix}-${randomUUID()}`);
    const membership = new GroupMembership({ groups, timers, store, config, newMemberId });
    this.#groups = groups;
    this.#timers = timers;
    this.#store = store;
    this.#membership = membership;
    this.#offsets = new GroupOffsets({ groups, membership, store, config, nowMs: () => timers.nowMs(), partitionExists: opts.partitionExists });
    this.#retention = new OffsetRetention({ groups, timers, store, config });
  }

  /** Read-only view of a group, for tests and tools. */
  group(groupId: string): ClassicGroup | undefined {
    return this.#groups.get(groupId);
  }

  // ------------------------------------------------------------- membership

  /** JoinGroup (see group-membership.ts). */
  joinGroup(req: JoinRequest): Promise<JoinResult> {
    if (this.#shutDown) return Promise.resolve(joinError(ErrorCode.NOT_COORDINATOR, req.memberId));
    return this.#membership.join(req);
  }

  /** SyncGroup (see group-membership.ts). */
  syncGroup(req: SyncRequest): Promise<SyncResult> {
    if (this.#shutDown) return Promise.resolve(syncError(ErrorCode.NOT_COORDINATOR));
    return this.#membership.sync(req);
  }

  /** Heartbeat (see group-membership.ts). */
  heartbeat(req: { groupId: string; generationId: number; memberId: string; groupInstanceId: string | null }): number {
    if (this.#shutDown) return ErrorCode.NOT_COORDINATOR;
    return this.#membership.heartbeat(req);
  }

  /** LeaveGroup (see group-membership.ts). */
  leaveGroup(groupId: string, leaving: readonly MemberRef[]): LeaveResult {
    if (this.#shutDown) return { errorCode: ErrorCode.NOT_COORDINATOR, members: [] };
    return this.#membership.leave(groupId, leaving);
  }

  // ---------------------------------------------------------------- offsets

  /** OffsetCommit: one error code per requested partition (truth table in group-offsets.ts). */
  commitOffsets(req: CommitRequest): Promise<number[]> {
    if (this.#shutDown) return Promise.resolve(req.offsets.map(() => ErrorCode.NOT_COORDINATOR));
    return this.#offsets.commit(req);
  }

  /** TxnOffsetCommit: offsets held pending until the transaction's marker (see group-offsets.ts). */
  txnCommitOffsets(req: TxnCommitRequest): Promise<number[]> {
    if (this.#shutDown) return Promise.resolve(req.offsets.map(() => ErrorCode.NOT_COORDINATOR));
    return this.#offsets.txnCommit(req);
  }

  /** A transaction marker reached the producer's groups: commit or drop its pending offsets. */
  completeTransaction(producerId: number, commit: boolean): void {
    this.#offsets.completeTransaction(producerId, commit);
  }

  /** True when a transaction has an offset pending for this partition of the group (OffsetFetch requireStable). */
  hasPendingTxnOffset(groupId: string, topic: string, partition: number): boolean {
    return this.#offsets.hasPendingTxnOffset(groupId, topic, partition);
  }

  /** Loading: a transactional offset commit record whose transaction had no marker yet. */
  replayPendingTxnOffset(producerId: number, record: OffsetsTopicRecord): void {
    this.#offsets.replayPendingTxnOffset(producerId, record);
  }

  /** OffsetFetch for one group (see group-offsets.ts). */
  fetchOffsets(groupId: string, topics: ReadonlyArray<{ topic: string; partitions: readonly number[] }> | null, requireStable = false): FetchOffsetsResult {
    if (this.#shutDown) return { errorCode: ErrorCode.NOT_COORDINATOR, topics: [] };
    return this.#offsets.fetch(groupId, topics, requireStable);
  }

  /** OffsetDelete (see group-offsets.ts). */
  deleteOffsets(groupId: string, topics: ReadonlyArray<{ topic: string; partitions: readonly number[] }>): Promise<DeleteOffsetsResult> {
    if (this.#shutDown) return Promise.resolve({ errorCode: ErrorCode.NOT_COORDINATOR, topics: [] });
    return this.#offsets.delete(groupId, topics);
  }

  // ------------------------------------------------------------------ admin

  /** ListGroups: every group but Dead ones. */
  listGroups(): GroupListing[] {
    const out: GroupListing[] = [];
    for (const g of this.#groups.all()) {
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
        this.#groups.remove(group);
        return { groupId, errorCode: await this.#store.append(groupId, records, storeErrorCode) };
      }),
    );
  }

  // ------------------------------------------------- loading and retention

  /**
   * Applies one record read back from `__consumer_offsets` (startup). Records
   * are applied in log order; the last one per key wins. Call
   * {@link finishLoading} once every partition has been read.
   */
  replay(record: OffsetsTopicRecord): void {
    replayGroupRecord(this.#groups, record, this.#timers.nowMs());
  }

  /**
   * After replay: drops groups left with neither members nor offsets (deleted
   * ones) and starts the session timers of restored members, who keep their
   * generation and assignment if they heartbeat in time (Kafka does the same).
   * Then starts the offset retention checks.
   */
  finishLoading(): void {
    for (const group of settleLoadedGroups(this.#groups)) {
      for (const m of group.members.values()) this.#membership.touch(group, m);
    }
    if (!this.#shutDown) this.#retention.schedule();
  }

  /** One offset retention check now (see offset-retention.ts); resolves with the number of offsets expired. */
  expireOffsets(): Promise<number> {
    if (this.#shutDown) return Promise.resolve(0);
    return this.#retention.expire();
  }

  /** Clears every timer and fails every parked JoinGroup/SyncGroup with NOT_COORDINATOR. */
  shutdown(): void {
    this.#shutDown = true;
    this.#retention.stop();
    this.#membership.shutdown();
  }
}
