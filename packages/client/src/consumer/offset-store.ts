/**
 * Committed offsets of a group: OffsetFetch to find where assigned
 * partitions resume, OffsetCommit to store progress. Both go to the group
 * coordinator over its 'offsets' connection.
 *
 * Commits are sent one at a time, in call order, so an older commit never
 * lands after a newer one. Coordinator moves (NOT_COORDINATOR,
 * COORDINATOR_NOT_AVAILABLE, a lost connection) and COORDINATOR_LOAD_IN_PROGRESS
 * are retried with the retry policy; errors about the membership
 * (REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID,
 * FENCED_INSTANCE_ID) are not: the commit belongs to a generation that is
 * over, and the caller decides (auto commit logs it and tries again later).
 *
 * OffsetFetch asks with `requireStable` (KIP-447): a partition with a
 * transactional commit still pending answers UNSTABLE_OFFSET_COMMIT and is
 * asked again until the transaction ends, so a read_committed consumer never
 * resumes from an offset that may yet be rolled back.
 */
import { ErrorCode, OffsetCommitApi, OffsetFetchApi, ZERO_UUID } from '@samsa/protocol';
import { isRetriableError } from '../cluster/cluster.js';
import { ConnectionError, KafkaError } from '../kafka-error.js';
import { retryDelayMs, type RetryPolicy } from '../retry.js';
import { isCoordinatorError, type GroupCoordinatorLink } from './group-coordinator-link.js';
import { groupByTopic, tpKey, type TopicPartition } from './topic-partitions.js';

/** OffsetCommit v9+ belongs to KIP-848 groups, v10 names topics by id. */
const OFFSET_COMMIT_MAX_VERSION = 8;
/** OffsetFetch v8+ batches groups; one group needs no more than v7. */
const OFFSET_FETCH_MAX_VERSION = 7;
/** Pause between OffsetFetch attempts while a transaction keeps an offset unstable. */
const UNSTABLE_RETRY_MS = 200;

/** The membership a commit is made under (generation -1 and member id '' for a consumer without group membership). */
export interface CommitIdentity {
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

/** One offset to commit: the next offset to read. */
export interface OffsetToStore extends TopicPartition {
  offset: number;
  metadata?: string | null;
}

/** A committed offset (-1 when the group has none for the partition). */
export interface StoredOffset {
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
}

/** Options of {@link OffsetStore}. */
export interface OffsetStoreOptions {
  link: GroupCoordinatorLink;
  groupId: string;
  retry: RetryPolicy;
  random: () => number;
}

/** OffsetFetch and OffsetCommit for one group (see the top of this file). */
export class OffsetStore {
  readonly #o: OffsetStoreOptions;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(opts: OffsetStoreOptions) {
    this.#o = opts;
  }

  /** Commits `offsets` after every earlier commit settled. */
  commit(offsets: readonly OffsetToStore[], identity: CommitIdentity): Promise<void> {
    const run = this.#queue.then(
      () => this.#commit(offsets, identity),
      () => this.#commit(offsets, identity),
    );
    this.#queue = run.catch(() => {});
    return run;
  }

  async #commit(offsets: readonly OffsetToStore[], identity: CommitIdentity): Promise<void> {
    if (offsets.length === 0) return;
    const metadataOf = new Map(offsets.map((o) => [tpKey(o.topic, o.partition), o]));
    for (let attempt = 0; ; attempt++) {
      let failure: unknown;
      let retriable: boolean;
      try {
        const conn = await this.#o.link.connection('offsets');
        const version = conn.version(OffsetCommitApi, OFFSET_COMMIT_MAX_VERSION);
        const res = await conn.send(OffsetCommitApi, version, {
          groupId: this.#o.groupId,
          generationIdOrMemberEpoch: identity.generationId,
          memberId: identity.memberId,
          groupInstanceId: identity.groupInstanceId,
          retentionTimeMs: -1,
          topics: groupByTopic(offsets).map((t) => ({
            name: t.topic,
            topicId: ZERO_UUID,
            partitions: t.partitions.map((p) => {
              const o = metadataOf.get(tpKey(t.topic, p)) as OffsetToStore;
              return { partitionIndex: p, committedOffset: o.offset, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: o.metadata ?? '' };
            }),
          })),
        });
        const errors: KafkaError[] = [];
        for (const t of res.topics) {
          for (const p of t.partitions) {
            if (p.errorCode === 0) continue;
            errors.push(new KafkaError(p.errorCode, { apiName: 'OffsetCommit', apiKey: OffsetCommitApi.apiKey, apiVersion: version, topic: t.name, partition: p.partitionIndex }));
          }
        }
        if (errors.length === 0) return;
        failure = errors.length === 1 ? errors[0] : new AggregateError(errors, `OffsetCommit failed for ${errors.length} partitions: ${errors.map((e) => e.message).join('; ')}`);
        retriable = errors.every((e) => retriableCommitError(e.code));
        if (errors.some((e) => isCoordinatorError(e.code))) this.#o.link.reset();
      } catch (err) {
        failure = err;
        retriable = err instanceof ConnectionError || (err instanceof KafkaError && retriableCommitError(err.code));
        if (err instanceof ConnectionError) this.#o.link.reset();
      }
      if (!retriable || attempt >= this.#o.retry.retries) throw failure;
      await sleep(retryDelayMs(this.#o.retry, attempt + 1, this.#o.random));
    }
  }

  /**
   * The committed offsets of `partitions` (-1 where none). UNSTABLE_OFFSET_COMMIT
   * is asked again until stable or `cancelled()`; other retriable errors up
   * to the retry policy.
   */
  async fetchCommitted(partitions: readonly TopicPartition[], cancelled: () => boolean): Promise<Map<string, StoredOffset>> {
    const out = new Map<string, StoredOffset>();
    let pending = [...partitions];
    let failures = 0;
    while (pending.length > 0) {
      let version = -1;
      let retryAfterMs = 0;
      try {
        const conn = await this.#o.link.connection('offsets');
        version = conn.version(OffsetFetchApi, OFFSET_FETCH_MAX_VERSION);
        const res = await conn.send(OffsetFetchApi, version, {
          groupId: this.#o.groupId,
          topics: groupByTopic(pending).map((t) => ({ name: t.topic, partitionIndexes: t.partitions })),
          groups: [],
          requireStable: true,
        });
        if (res.errorCode !== 0) {
          throw new KafkaError(res.errorCode, { apiName: 'OffsetFetch', apiKey: OffsetFetchApi.apiKey, apiVersion: version, resource: `group ${this.#o.groupId}` });
        }
        const unstable: TopicPartition[] = [];
        const answered = new Set<string>();
        for (const t of res.topics) {
          for (const p of t.partitions) {
            const key = tpKey(t.name, p.partitionIndex);
            if (p.errorCode === ErrorCode.UNSTABLE_OFFSET_COMMIT) {
              unstable.push({ topic: t.name, partition: p.partitionIndex });
              continue;
            }
            if (p.errorCode !== 0) {
              throw new KafkaError(p.errorCode, { apiName: 'OffsetFetch', apiKey: OffsetFetchApi.apiKey, apiVersion: version, topic: t.name, partition: p.partitionIndex });
            }
            answered.add(key);
            out.set(key, { offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.metadata });
          }
        }
        // A partition missing from the answer has no committed offset.
        for (const tp of pending) {
          const key = tpKey(tp.topic, tp.partition);
          if (!answered.has(key) && !unstable.some((u) => u.topic === tp.topic && u.partition === tp.partition)) out.set(key, { offset: -1, leaderEpoch: -1, metadata: null });
        }
        pending = unstable;
        retryAfterMs = UNSTABLE_RETRY_MS;
        failures = 0;
      } catch (err) {
        if (err instanceof KafkaError && isCoordinatorError(err.code)) this.#o.link.reset();
        if (err instanceof ConnectionError) this.#o.link.reset();
        if (!isRetriableError(err) || failures >= this.#o.retry.retries) throw err;
        failures++;
        retryAfterMs = retryDelayMs(this.#o.retry, failures, this.#o.random);
      }
      if (pending.length === 0) break;
      if (cancelled()) throw new ConnectionError('the consumer stopped while looking up committed offsets');
      await sleep(retryAfterMs);
    }
    return out;
  }
}

/** Commit errors worth sending the same commit again for. */
function retriableCommitError(code: number): boolean {
  return (
    code === ErrorCode.NOT_COORDINATOR ||
    code === ErrorCode.COORDINATOR_NOT_AVAILABLE ||
    code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS ||
    code === ErrorCode.REQUEST_TIMED_OUT
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
