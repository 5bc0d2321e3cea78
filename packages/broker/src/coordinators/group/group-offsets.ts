/**
 * Committed offsets of classic-protocol groups: OffsetCommit,
 * TxnOffsetCommit (with its pending transactional offsets), OffsetFetch and
 * OffsetDelete. A part of the GroupCoordinator (which checks shutdown and
 * owns the registry); it writes offset records through the
 * {@link GroupStore} and answers only after they are in the log.
 */
import { ErrorCode } from '@samsa/protocol';
import type { ClassicGroup, CommittedOffset } from './classic-group.js';
import { subscribedTopicsOf } from './consumer-subscription.js';
import type { GroupCoordinatorConfig } from './group-config.js';
import type { GroupMembership } from './group-membership.js';
import type { GroupRegistry } from './group-registry.js';
import type { CommitRequest, DeleteOffsetsResult, FetchedOffset, FetchOffsetsResult, OffsetCommitEntry, TxnCommitRequest } from './group-requests.js';
import { commitErrorCode, storeErrorCode, type GroupStore, type OffsetsTopicRecord } from './group-store.js';
import { decodeOffsetCommitValue, decodeOffsetsTopicKey, encodeOffsetCommitKey, encodeOffsetCommitValue } from './offsets-topic-records.js';
import { PendingTxnOffsets, type PendingTxnOffset } from './pending-txn-offsets.js';

/** What {@link GroupOffsets} works with. */
export interface GroupOffsetsOptions {
  groups: GroupRegistry;
  membership: GroupMembership;
  store: GroupStore;
  config: Required<GroupCoordinatorConfig>;
  nowMs(): number;
  /** Whether the topic partition exists (commits to unknown partitions are refused). */
  partitionExists(topic: string, partition: number): boolean;
}

/** The offsets of a commit that passed the per-partition checks, and the records that store them. */
interface ValidatedCommit {
  /** One error code per requested partition, in request order (NONE for accepted ones). */
  results: number[];
  records: OffsetsTopicRecord[];
  accepted: PendingTxnOffset[];
}

/** Committed offsets (see the file comment). */
export class GroupOffsets {
  readonly #groups: GroupRegistry;
  readonly #membership: GroupMembership;
  readonly #store: GroupStore;
  readonly #config: Required<GroupCoordinatorConfig>;
  readonly #nowMs: () => number;
  readonly #partitionExists: (topic: string, partition: number) => boolean;
  readonly #pendingTxn = new PendingTxnOffsets();

  constructor(opts: GroupOffsetsOptions) {
    this.#groups = opts.groups;
    this.#membership = opts.membership;
    this.#store = opts.store;
    this.#config = opts.config;
    this.#nowMs = opts.nowMs;
    this.#partitionExists = opts.partitionExists;
  }

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
   * only version with that field. See OffsetRetention.expire for when it applies.
   */
  async commit(req: CommitRequest): Promise<number[]> {
    const all = (code: number): number[] => req.offsets.map(() => code);
    let group = this.#groups.get(req.groupId);
    if (group === undefined) {
      if (req.generationId >= 0) return all(ErrorCode.ILLEGAL_GENERATION);
      group = this.#groups.create(req.groupId);
    }
    const errorCode = commitCheck(group, req);
    if (errorCode !== ErrorCode.NONE) {
      this.#groups.dropIfUnused(group);
      return all(errorCode);
    }
    const member = group.members.get(req.memberId);
    if (member !== undefined && req.generationId >= 0) this.#membership.touch(group, member);
    const now = this.#nowMs();
    const expireTimestamp = explicitExpireTimestamp(now, req.retentionTimeMs ?? -1);
    const { results, records, accepted } = this.#validate(req.groupId, req.offsets, (o) => ({
      offset: o.offset,
      // A value with an expire timestamp is stored as v1, which has no leader epoch; the cache
      // holds what the log holds (v2-4 commits carry no epoch anyway).
      leaderEpoch: expireTimestamp >= 0 ? -1 : o.leaderEpoch,
      metadata: o.metadata ?? '',
      commitTimestamp: o.commitTimestamp >= 0 ? o.commitTimestamp : now,
      expireTimestamp,
    }));
    if (records.length === 0) {
      this.#groups.dropIfUnused(group);
      return results;
    }
    group.inflightCommits++;
    let stored: number;
    try {
      stored = await this.#store.append(req.groupId, records, commitErrorCode);
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
  async txnCommit(req: TxnCommitRequest): Promise<number[]> {
    const all = (code: number): number[] => req.offsets.map(() => code);
    let group = this.#groups.get(req.groupId);
    if (group === undefined) {
      if (req.generationId >= 0) return all(ErrorCode.ILLEGAL_GENERATION);
      group = this.#groups.create(req.groupId);
    }
    const named = req.generationId >= 0 || req.memberId !== '' || req.groupInstanceId !== null;
    const errorCode = group.is('Dead') ? ErrorCode.COORDINATOR_NOT_AVAILABLE : named ? commitCheck(group, req) : ErrorCode.NONE;
    if (errorCode !== ErrorCode.NONE) {
      this.#groups.dropIfUnused(group);
      return all(errorCode);
    }
    const now = this.#nowMs();
    const { results, records, accepted } = this.#validate(req.groupId, req.offsets, (o) => ({
      offset: o.offset,
      leaderEpoch: o.leaderEpoch,
      metadata: o.metadata ?? '',
      commitTimestamp: now,
      expireTimestamp: -1,
    }));
    if (records.length === 0) {
      this.#groups.dropIfUnused(group);
      return results;
    }
    const stored = await this.#store.appendTransactional(req.groupId, records, { producerId: req.producerId, producerEpoch: req.producerEpoch });
    if (stored !== ErrorCode.NONE) return results.map((r) => (r === ErrorCode.NONE ? stored : r));
    for (const a of accepted) this.#pendingTxn.add(req.groupId, req.producerId, a);
    return results;
  }

  /** The per-partition checks of OffsetCommit and TxnOffsetCommit, and the records of what passes. */
  #validate(groupId: string, offsets: readonly OffsetCommitEntry[], valueOf: (o: OffsetCommitEntry) => CommittedOffset): ValidatedCommit {
    const out: ValidatedCommit = { results: [], records: [], accepted: [] };
    for (const o of offsets) {
      if (!this.#partitionExists(o.topic, o.partition)) {
        out.results.push(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      } else if (Buffer.byteLength(o.metadata ?? '') > this.#config.offsetMetadataMaxBytes) {
        out.results.push(ErrorCode.OFFSET_METADATA_TOO_LARGE);
      } else {
        const value = valueOf(o);
        out.records.push({ key: encodeOffsetCommitKey(groupId, o.topic, o.partition), value: encodeOffsetCommitValue(value) });
        out.accepted.push({ topic: o.topic, partition: o.partition, value });
        out.results.push(ErrorCode.NONE);
      }
    }
    return out;
  }

  /**
   * A transaction marker was written to the offsets partition of the
   * producer's groups: its pending offsets become committed (commit) or are
   * dropped (abort). Groups of every partition are settled at once; EndTxn
   * writes the markers of all of them before it answers.
   */
  completeTransaction(producerId: number, commit: boolean): void {
    for (const [groupId, pending] of this.#pendingTxn.takeProducer(producerId)) {
      if (!commit) continue;
      let group = this.#groups.get(groupId);
      if (group === undefined || group.is('Dead')) group = this.#groups.create(groupId);
      for (const p of pending) group.setCommitted(p.topic, p.partition, p.value);
    }
  }

  /** True when a transaction has an offset pending for this partition of the group (OffsetFetch requireStable). */
  hasPendingTxnOffset(groupId: string, topic: string, partition: number): boolean {
    return this.#pendingTxn.has(groupId, topic, partition);
  }

  /** Loading: a transactional offset commit record whose transaction had no marker yet. */
  replayPendingTxnOffset(producerId: number, record: OffsetsTopicRecord): void {
    const key = decodeOffsetsTopicKey(record.key);
    if (key.type !== 'offset' || record.value === null) return;
    this.#pendingTxn.add(key.group, producerId, { topic: key.topic, partition: key.partition, value: decodeOffsetCommitValue(record.value) });
  }

  /**
   * OffsetFetch for one group. `topics` null = every committed offset of the
   * group. Partitions without a commit (and unknown groups) get offset -1.
   * With `requireStable` (v7+), a partition with an offset pending in an open
   * transaction gets UNSTABLE_OFFSET_COMMIT (retriable) instead.
   */
  fetch(groupId: string, topics: ReadonlyArray<{ topic: string; partitions: readonly number[] }> | null, requireStable: boolean): FetchOffsetsResult {
    const group = this.#groups.get(groupId);
    const entry = (topic: string, partition: number): FetchedOffset => {
      if (requireStable && this.#pendingTxn.has(groupId, topic, partition)) {
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
  async delete(groupId: string, topics: ReadonlyArray<{ topic: string; partitions: readonly number[] }>): Promise<DeleteOffsetsResult> {
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
    const result: DeleteOffsetsResult['topics'] = topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((partition) => ({ partition, errorCode: ErrorCode.NONE })),
    }));
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
      const stored = await this.#store.append(groupId, records, storeErrorCode);
      if (stored !== ErrorCode.NONE) return { errorCode: stored, topics: [] };
    }
    return { errorCode: ErrorCode.NONE, topics: result };
  }
}

/** The group-level checks of a commit (the truth table on {@link GroupOffsets.commit}). */
function commitCheck(group: ClassicGroup, req: CommitRequest): number {
  if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  if (group.isStaticMemberFenced(req.groupInstanceId, req.memberId)) return ErrorCode.FENCED_INSTANCE_ID;
  if (req.generationId < 0 && group.is('Empty')) return ErrorCode.NONE;
  if (!group.members.has(req.memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
  if (req.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
  if (group.is('CompletingRebalance')) return ErrorCode.REBALANCE_IN_PROGRESS;
  return ErrorCode.NONE;
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
