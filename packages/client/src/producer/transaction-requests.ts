/**
 * The coordinator requests of a transactional producer and their retries;
 * the TransactionManager decides what their outcome means for the
 * transaction.
 *
 *   request             | to                                    | versions | sent by
 *   --------------------+---------------------------------------+----------+---------------------------
 *   InitProducerId      | transaction coordinator (FindCoordinator | 0-4   | connect(); abort() after
 *                       |   key type 1)                         |          |   lost sequence numbers
 *   AddPartitionsToTxn  | transaction coordinator               | 0-3      | first batch of a partition
 *   AddOffsetsToTxn     | transaction coordinator               | 0-3      | sendOffsets()
 *   TxnOffsetCommit     | group coordinator (key type 0)        | 0-3      | sendOffsets(), after AddOffsetsToTxn
 *   EndTxn              | transaction coordinator               | 0-3      | commit(), abort()
 *
 * Versions stop before KIP-890 part 2 (TRANSACTION_ABORTABLE, epoch bump per
 * transaction); AddPartitionsToTxn v4+ is broker-to-broker. Each coordinator
 * has a connection of its own (coordinator-link.ts).
 *
 * Errors ({@link decide}); every retry happens within `transactionTimeoutMs`
 * of the request's first attempt (the coordinator aborts an idle transaction
 * by then anyway) and within {@link MAX_ATTEMPTS}:
 *
 *   error                                   | InitProducerId       | AddPartitionsToTxn, AddOffsetsToTxn,
 *                                           |                      | EndTxn, TxnOffsetCommit
 *   ----------------------------------------+----------------------+--------------------------------------
 *   NOT_COORDINATOR, COORDINATOR_NOT_       | rediscover: find the coordinator again, then retry
 *     AVAILABLE, REQUEST_TIMED_OUT, lost    |
 *     connection                            |
 *   CONCURRENT_TRANSACTIONS                 | retry-soon: after 20 ms (a previous commit's markers
 *                                           | are being written)
 *   PRODUCER_FENCED, INVALID_PRODUCER_EPOCH,| fatal                | fatal
 *     TRANSACTIONAL_ID_AUTHORIZATION_FAILED,|                      |
 *     CLUSTER_AUTHORIZATION_FAILED,         |                      |
 *     UNSUPPORTED_VERSION                   |                      |
 *   other retriable (Kafka's table, e.g.    | retry: with the retry policy's backoff
 *     COORDINATOR_LOAD_IN_PROGRESS)         |
 *   anything else                           | fatal (no id: the    | abortable
 *                                           | producer cannot run) |
 *
 * FindCoordinator errors count as errors of the request being attempted.
 * Per-partition errors: partitions answered NONE are done, the others are
 * retried or fail with the worst error (fatal > abortable > the rest);
 * AddPartitionsToTxn's OPERATION_NOT_ATTEMPTED only says another partition
 * failed, so that partition's error is the one reported.
 */
import {
  AddOffsetsToTxnApi,
  AddPartitionsToTxnApi,
  EndTxnApi,
  ErrorCode,
  InitProducerIdApi,
  TxnOffsetCommitApi,
} from '@samsa/protocol';
import type { Cluster } from '../cluster/cluster.js';
import { isRetriableError } from '../cluster/cluster.js';
import { ClientError } from '../client-error.js';
import type { Connection } from '../connection.js';
import { ConnectionError, KafkaError } from '../kafka-error.js';
import type { Logger } from '../logger.js';
import { retryDelayMs, type RetryPolicy } from '../retry.js';
import { COORDINATOR_KEY_TYPE_GROUP, COORDINATOR_KEY_TYPE_TRANSACTION, type CoordinatorKeyType } from '../cluster/find-coordinator.js';
import { CoordinatorLink } from './coordinator-link.js';
import type { ProducerIdentity } from './producer-identity.js';

/** What to do about a failed coordinator request (the error table at the top of this file). */
export type CoordinatorDecision = 'rediscover' | 'retry-soon' | 'retry' | 'fatal' | 'abortable';

/** Names of the coordinator requests. */
export type CoordinatorApi = 'InitProducerId' | 'AddPartitionsToTxn' | 'AddOffsetsToTxn' | 'EndTxn' | 'TxnOffsetCommit';

const REDISCOVER = new Set<number>([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.REQUEST_TIMED_OUT, ErrorCode.NETWORK_EXCEPTION]);
const FATAL = new Set<number>([
  ErrorCode.PRODUCER_FENCED,
  ErrorCode.INVALID_PRODUCER_EPOCH,
  ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
  ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  ErrorCode.UNSUPPORTED_VERSION,
]);

/** Codifies the error table at the top of this file. */
export function decide(api: CoordinatorApi, err: unknown): CoordinatorDecision {
  if (err instanceof ConnectionError) return 'rediscover';
  if (!(err instanceof KafkaError)) return api === 'InitProducerId' ? 'fatal' : 'abortable';
  if (REDISCOVER.has(err.code)) return 'rediscover';
  if (err.code === ErrorCode.CONCURRENT_TRANSACTIONS) return 'retry-soon';
  if (FATAL.has(err.code)) return 'fatal';
  if (isRetriableError(err)) return 'retry';
  return api === 'InitProducerId' ? 'fatal' : 'abortable';
}

/** Java's client retries CONCURRENT_TRANSACTIONS after 20 ms instead of the usual backoff. */
const CONCURRENT_TRANSACTIONS_BACKOFF_MS = 20;
/** A bound on the attempts of one coordinator request, whatever the deadline. */
export const MAX_ATTEMPTS = 1_000;
/** InitProducerId v5 announces TRANSACTION_ABORTABLE handling (KIP-890), which we do not need. */
const INIT_PRODUCER_ID_MAX_VERSION = 4;
/** v4+ of AddPartitionsToTxn are broker-to-broker (KIP-890); v3 is the last client version. */
const ADD_PARTITIONS_MAX_VERSION = 3;
/** v4+ of these add TRANSACTION_ABORTABLE (KIP-890 part 2). */
const ADD_OFFSETS_MAX_VERSION = 3;
const END_TXN_MAX_VERSION = 3;
const TXN_OFFSET_COMMIT_MAX_VERSION = 3;
/** Group coordinator links kept for sendOffsets (one per group; the least recently used is closed beyond this). */
const MAX_GROUP_LINKS = 16;

/** Settings of {@link TransactionRequests}. */
export interface TransactionRequestsOptions {
  transactionalId: string;
  transactionTimeoutMs: number;
  cluster: Cluster;
  /** Producer id and epoch sent with every request but InitProducerId. */
  identity: ProducerIdentity;
  clientId: string;
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
  retry: RetryPolicy;
  logger: Logger;
  random: () => number;
  now: () => number;
}

/** The group member the offsets are committed as; generation -1 and '' for none (no fencing). */
export interface OffsetsMember {
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

/** Offsets of one topic for sendOffsets. */
export interface TopicOffsets {
  topic: string;
  partitions: Array<{ partition: number; offset: number }>;
}

/** A partition on its way into the transaction; {@link TransactionRequests.addPartitions} sets `added`. */
export interface PartitionToAdd {
  topic: string;
  partition: number;
  status: 'pending' | 'adding' | 'added';
}

/** What the TransactionManager learns while AddPartitionsToTxn / AddOffsetsToTxn / TxnOffsetCommit run. */
export interface RequestHooks {
  /** False once the transaction no longer wants the request (failed, aborting, closed): no more attempts. */
  wanted(): boolean;
  /** The coordinator may now have the transaction open (a success, or a lost answer). */
  maybeStarted(): void;
  /** Some partitions were added (AddPartitionsToTxn). */
  added?(): void;
}

/**
 * Why a coordinator request gave up: `fatal`/`abortable` per the error table,
 * `timeout` when retriable errors lasted `transactionTimeoutMs` (or the
 * attempts ran out), `cancelled` when the hooks no longer wanted it or the
 * producer disconnected. `error` is the last error.
 */
export class StepFailure extends Error {
  readonly kind: 'fatal' | 'abortable' | 'timeout' | 'cancelled';
  readonly error: unknown;
  readonly api: CoordinatorApi;

  constructor(kind: StepFailure['kind'], error: unknown, api: CoordinatorApi) {
    super(error instanceof Error ? error.message : String(error));
    this.name = 'StepFailure';
    this.kind = kind;
    this.error = error;
    this.api = api;
  }
}

/** The coordinator requests of one transactional producer session (see the top of this file). */
export class TransactionRequests {
  readonly #o: TransactionRequestsOptions;
  readonly #txnLink: CoordinatorLink;
  readonly #groupLinks = new Map<string, CoordinatorLink>();
  readonly #sleeps = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  #closed = false;

  constructor(opts: TransactionRequestsOptions) {
    this.#o = opts;
    this.#txnLink = this.#link(COORDINATOR_KEY_TYPE_TRANSACTION, opts.transactionalId);
  }

  /** InitProducerId for the transactional id: the producer id and (next) epoch. */
  async initProducerId(): Promise<{ producerId: number; producerEpoch: number }> {
    return this.#call('InitProducerId', this.#txnLink, async (conn) => {
      const version = conn.version(InitProducerIdApi, INIT_PRODUCER_ID_MAX_VERSION);
      const r = await conn.send(InitProducerIdApi, version, {
        transactionalId: this.#o.transactionalId,
        transactionTimeoutMs: this.#o.transactionTimeoutMs,
        producerId: -1,
        producerEpoch: -1,
        enable2Pc: false,
        keepPreparedTxn: false,
      });
      if (r.errorCode !== ErrorCode.NONE) throw this.#error('InitProducerId', InitProducerIdApi.apiKey, version, r.errorCode);
      return { producerId: r.producerId, producerEpoch: r.producerEpoch };
    });
  }

  /** AddPartitionsToTxn for the partitions of `batch` still `adding`; each one answered NONE becomes `added`. */
  async addPartitions(batch: PartitionToAdd[], hooks: RequestHooks): Promise<void> {
    const id = this.#o.identity;
    await this.#call(
      'AddPartitionsToTxn',
      this.#txnLink,
      async (conn) => {
        const version = conn.version(AddPartitionsToTxnApi, ADD_PARTITIONS_MAX_VERSION);
        const todo = batch.filter((p) => p.status === 'adding');
        const byTopic = new Map<string, number[]>();
        for (const p of todo) {
          let list = byTopic.get(p.topic);
          if (list === undefined) byTopic.set(p.topic, (list = []));
          list.push(p.partition);
        }
        const res = await maybeStarted(
          hooks,
          conn.send(AddPartitionsToTxnApi, version, {
            transactions: [],
            v3AndBelowTransactionalId: this.#o.transactionalId,
            v3AndBelowProducerId: id.producerId,
            v3AndBelowProducerEpoch: id.producerEpoch,
            v3AndBelowTopics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
          }),
        );
        const answers = new Map<string, number>();
        for (const t of res.resultsByTopicV3AndBelow) for (const r of t.resultsByPartition) answers.set(`${t.name}\0${r.partitionIndex}`, r.partitionErrorCode);
        let worst: KafkaError | null = null;
        let added = false;
        for (const p of todo) {
          const code = answers.get(`${p.topic}\0${p.partition}`) ?? ErrorCode.UNKNOWN_SERVER_ERROR;
          if (code === ErrorCode.NONE) {
            p.status = 'added';
            added = true;
            continue;
          }
          if (worst === null || (worst.code === ErrorCode.OPERATION_NOT_ATTEMPTED && code !== ErrorCode.OPERATION_NOT_ATTEMPTED)) {
            worst = new KafkaError(code, { apiName: 'AddPartitionsToTxn', apiKey: AddPartitionsToTxnApi.apiKey, apiVersion: version, topic: p.topic, partition: p.partition });
          }
        }
        if (added) {
          hooks.maybeStarted();
          hooks.added?.();
        }
        if (worst !== null) throw worst;
      },
      hooks,
    );
  }

  /** AddOffsetsToTxn: the group's offsets partition joins the transaction. */
  async addOffsets(groupId: string, hooks: RequestHooks): Promise<void> {
    const id = this.#o.identity;
    await this.#call(
      'AddOffsetsToTxn',
      this.#txnLink,
      async (conn) => {
        const version = conn.version(AddOffsetsToTxnApi, ADD_OFFSETS_MAX_VERSION);
        const res = await maybeStarted(
          hooks,
          conn.send(AddOffsetsToTxnApi, version, { transactionalId: this.#o.transactionalId, producerId: id.producerId, producerEpoch: id.producerEpoch, groupId }),
        );
        if (res.errorCode !== ErrorCode.NONE) {
          throw new KafkaError(res.errorCode, { apiName: 'AddOffsetsToTxn', apiKey: AddOffsetsToTxnApi.apiKey, apiVersion: version, resource: `group ${groupId}` });
        }
        hooks.maybeStarted();
      },
      hooks,
    );
  }

  /** TxnOffsetCommit to the group's coordinator; partitions that failed are retried alone. */
  async txnOffsetCommit(groupId: string, member: OffsetsMember, topics: TopicOffsets[], hooks: RequestHooks): Promise<void> {
    const id = this.#o.identity;
    let remaining = topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: p.offset })));
    await this.#call(
      'TxnOffsetCommit',
      this.#groupLink(groupId),
      async (conn) => {
        const version = conn.version(TxnOffsetCommitApi, TXN_OFFSET_COMMIT_MAX_VERSION);
        const byTopic = new Map<string, Array<{ partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; committedMetadata: string | null }>>();
        for (const r of remaining) {
          let list = byTopic.get(r.topic);
          if (list === undefined) byTopic.set(r.topic, (list = []));
          list.push({ partitionIndex: r.partition, committedOffset: r.offset, committedLeaderEpoch: -1, committedMetadata: null });
        }
        // v3+ carry the member (KIP-447): the coordinator refuses offsets of an
        // outdated generation. Generation -1 and '' (no member) skip the check.
        const res = await conn.send(TxnOffsetCommitApi, version, {
          transactionalId: this.#o.transactionalId,
          groupId,
          producerId: id.producerId,
          producerEpoch: id.producerEpoch,
          generationIdOrMemberEpoch: member.generationId,
          memberId: member.memberId,
          groupInstanceId: member.groupInstanceId,
          topics: [...byTopic].map(([name, partitions]) => ({ name, topicId: '', partitions })),
        });
        const answers = new Map<string, number>();
        for (const t of res.topics) for (const p of t.partitions) answers.set(`${t.name}\0${p.partitionIndex}`, p.errorCode);
        let worst: KafkaError | null = null;
        const failed: typeof remaining = [];
        for (const r of remaining) {
          const code = answers.get(`${r.topic}\0${r.partition}`) ?? ErrorCode.UNKNOWN_SERVER_ERROR;
          if (code === ErrorCode.NONE) continue;
          failed.push(r);
          const e = new KafkaError(code, { apiName: 'TxnOffsetCommit', apiKey: TxnOffsetCommitApi.apiKey, apiVersion: version, topic: r.topic, partition: r.partition, resource: `group ${groupId} ${r.topic}-${r.partition}` });
          if (worst === null || rank(decide('TxnOffsetCommit', e)) > rank(decide('TxnOffsetCommit', worst))) worst = e;
        }
        remaining = failed;
        if (worst !== null) throw worst;
      },
      hooks,
    );
  }

  /** EndTxn(commit or abort). */
  async endTxn(committed: boolean): Promise<void> {
    const id = this.#o.identity;
    await this.#call('EndTxn', this.#txnLink, async (conn) => {
      const version = conn.version(EndTxnApi, END_TXN_MAX_VERSION);
      const res = await conn.send(EndTxnApi, version, { transactionalId: this.#o.transactionalId, producerId: id.producerId, producerEpoch: id.producerEpoch, committed });
      if (res.errorCode !== ErrorCode.NONE) throw this.#error('EndTxn', EndTxnApi.apiKey, version, res.errorCode);
    });
  }

  /** Stops retries and closes the coordinator connections. */
  close(): void {
    this.#closed = true;
    this.#txnLink.close();
    for (const l of this.#groupLinks.values()) l.close();
    this.#groupLinks.clear();
    for (const s of this.#sleeps) {
      clearTimeout(s.timer);
      s.resolve();
    }
    this.#sleeps.clear();
  }

  #error(apiName: CoordinatorApi, apiKey: number, apiVersion: number, code: number): KafkaError {
    return new KafkaError(code, { apiName, apiKey, apiVersion, resource: `transactional id ${this.#o.transactionalId}` });
  }

  #link(keyType: CoordinatorKeyType, key: string): CoordinatorLink {
    return new CoordinatorLink({
      cluster: this.#o.cluster,
      keyType,
      key,
      clientId: this.#o.clientId,
      connectionTimeoutMs: this.#o.connectionTimeoutMs,
      requestTimeoutMs: this.#o.requestTimeoutMs,
    });
  }

  #groupLink(groupId: string): CoordinatorLink {
    let link = this.#groupLinks.get(groupId);
    if (link !== undefined) {
      // Most recently used last.
      this.#groupLinks.delete(groupId);
      this.#groupLinks.set(groupId, link);
      return link;
    }
    link = this.#link(COORDINATOR_KEY_TYPE_GROUP, groupId);
    this.#groupLinks.set(groupId, link);
    if (this.#groupLinks.size > MAX_GROUP_LINKS) {
      const [oldest, l] = this.#groupLinks.entries().next().value as [string, CoordinatorLink];
      l.close();
      this.#groupLinks.delete(oldest);
    }
    return link;
  }

  /**
   * Runs `attempt` against the coordinator of `link` until it succeeds or the
   * error table says stop; gives up with a {@link StepFailure}.
   */
  async #call<T>(api: CoordinatorApi, link: CoordinatorLink, attempt: (conn: Connection) => Promise<T>, hooks?: RequestHooks): Promise<T> {
    const deadline = this.#o.now() + this.#o.transactionTimeoutMs;
    let backoffs = 0;
    for (let n = 1; ; n++) {
      if (this.#closed) throw new StepFailure('cancelled', new ClientError('SAMSA_ERR_NOT_CONNECTED', 'the producer disconnected'), api);
      if (hooks !== undefined && !hooks.wanted()) throw new StepFailure('cancelled', new Error(`${api}: the transaction no longer needs it`), api);
      let error: unknown;
      try {
        return await attempt(await link.connection());
      } catch (err) {
        error = err;
      }
      if (error instanceof ClientError) throw new StepFailure('cancelled', error, api);
      const decision = decide(api, error);
      if (decision === 'fatal' || decision === 'abortable') throw new StepFailure(decision, error, api);
      if (decision === 'rediscover') link.reset();
      const waitMs = decision === 'retry-soon' ? CONCURRENT_TRANSACTIONS_BACKOFF_MS : retryDelayMs(this.#o.retry, ++backoffs, this.#o.random);
      if (n >= MAX_ATTEMPTS || this.#o.now() + waitMs >= deadline) throw new StepFailure('timeout', error, api);
      this.#o.logger.debug(`retrying ${api}`, { transactionalId: this.#o.transactionalId, attempt: n, error, decision });
      await this.#sleep(waitMs);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.#sleeps.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      this.#sleeps.add(entry);
    });
  }
}

/**
 * An AddPartitionsToTxn/AddOffsetsToTxn whose answer was lost may have
 * opened the transaction at the coordinator: the abort must then send EndTxn.
 * (An answer with errors means nothing was added.)
 */
async function maybeStarted<T>(hooks: RequestHooks, request: Promise<T>): Promise<T> {
  try {
    return await request;
  } catch (err) {
    hooks.maybeStarted();
    throw err;
  }
}

function rank(d: CoordinatorDecision): number {
  return d === 'fatal' ? 4 : d === 'abortable' ? 3 : d === 'rediscover' ? 2 : d === 'retry' ? 1 : 0;
}
