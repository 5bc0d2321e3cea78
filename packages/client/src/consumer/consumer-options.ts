/**
 * Options of `kafka.consumer()` and of `consumer.run()`, their defaults and
 * their validation. Names follow kafkajs with the unit at the end
 * (`sessionTimeoutMs` for kafkajs' `sessionTimeout`); invalid values throw
 * ClientError(SAMSA_ERR_INVALID_CONFIG) when the consumer is created.
 */
import { ClientError } from '../client-error.js';
import type { ClientConfig } from '../client-config.js';
import { retryPolicy, type RetryOptions, type RetryPolicy } from '../retry.js';
import type { PartitionAssigner, RebalanceProtocol } from './assignors/assignor.js';
import { cooperativeStickyAssigner } from './assignors/cooperative-sticky.js';
import { rangeAssigner } from './assignors/range.js';
import { roundRobinAssigner } from './assignors/round-robin.js';
import type { TopicPartitions } from './topic-partitions.js';

/** Built-in assignors by protocol name. */
export type AssignerName = 'range' | 'roundrobin' | 'cooperative-sticky';

/** Where to start in a partition without a committed offset (Kafka's `auto.offset.reset`). */
export type AutoOffsetReset = 'earliest' | 'latest' | 'none';

/** Which records a fetch returns: all, or only committed transactions' and non-transactional ones. */
export type IsolationLevel = 'read_committed' | 'read_uncommitted';

/**
 * Called around rebalances (Kafka's ConsumerRebalanceListener); each is
 * awaited before the group moves on.
 *
 * - `onPartitionsRevoked`: the consumer is giving these partitions up; their
 *   handlers have finished and, with auto commit, their offsets are
 *   committed. A last chance to commit or flush state.
 * - `onPartitionsAssigned`: newly assigned partitions, before their start
 *   offsets are looked up: a `seek()` here decides where they start.
 * - `onPartitionsLost`: the partitions were taken away without a revoke
 *   (the member was fenced or its session expired); another member may
 *   already own them, so do not commit.
 */
export interface RebalanceListener {
  onPartitionsRevoked?(partitions: TopicPartitions[]): void | Promise<void>;
  onPartitionsAssigned?(partitions: TopicPartitions[]): void | Promise<void>;
  onPartitionsLost?(partitions: TopicPartitions[]): void | Promise<void>;
}

/** Options of `kafka.consumer()`. Defaults in brackets. */
export interface ConsumerOptions {
  /** The consumer group. Needed for `subscribe()` and for committing; `assign()` works without one. */
  groupId?: string;
  /** Static membership (KIP-345): a stable id per instance, so a restart within the session timeout does not rebalance. */
  groupInstanceId?: string;
  /** Assignors offered to the group, preferred first [['cooperative-sticky']]. */
  partitionAssigners?: Array<AssignerName | PartitionAssigner>;
  /** The coordinator removes the member when it hears nothing for this long [30000]. */
  sessionTimeoutMs?: number;
  /** How long the coordinator waits for members to rejoin in a rebalance [60000]. */
  rebalanceTimeoutMs?: number;
  /** Heartbeat period; heartbeats run on their own timer, whatever the handlers do [3000]. */
  heartbeatIntervalMs?: number;
  /** Subscriptions (and regular expressions) are checked against the cluster this often [300000]. */
  metadataMaxAgeMs?: number;
  /** Ask the broker to create subscribed topics that do not exist [true]. */
  allowAutoTopicCreation?: boolean;
  /** Fetch: the broker answers once this many bytes are available [1]. */
  minBytes?: number;
  /** Fetch: bytes per response [10 MiB]. */
  maxBytes?: number;
  /** Fetch: bytes per partition in a response [1 MiB]. */
  maxBytesPerPartition?: number;
  /**
   * Prefetch bound: a partition is fetched again only while less than this
   * many bytes of it wait for the application [maxBytesPerPartition]. So a
   * partition holds at most this plus one response's worth.
   */
  maxBufferedBytesPerPartition?: number;
  /** Fetch: how long the broker may wait for `minBytes` [500]. */
  maxWaitTimeMs?: number;
  /** ['read_committed', as kafkajs]: skip aborted transactions and wait for open ones. */
  isolationLevel?: IsolationLevel;
  /** kafkajs' spelling: `readUncommitted: true` is `isolationLevel: 'read_uncommitted'`. */
  readUncommitted?: boolean;
  /** Start of partitions without a committed offset ['latest']; `subscribe({ fromBeginning: true })` makes it earliest for those topics. */
  autoOffsetReset?: AutoOffsetReset;
  /** Bound on each request [the Kafka client's]; JoinGroup and SyncGroup get the rebalance timeout on top. */
  requestTimeoutMs?: number;
  /** Retries of failed requests and of failing handlers [the Kafka client's]. */
  retry?: RetryOptions;
  /** Rebalance callbacks, awaited. */
  rebalanceListener?: RebalanceListener;
  /** Rack of this consumer, sent in Fetch (for brokers that serve from the closest replica) ['']. */
  rackId?: string;
  /** Randomness (retry jitter), injectable for tests [Math.random]. */
  random?: () => number;
}

/** Validated consumer options with every default filled in. */
export interface ConsumerSettings {
  groupId: string | null;
  groupInstanceId: string | null;
  assigners: PartitionAssigner[];
  rebalanceProtocol: RebalanceProtocol;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  heartbeatIntervalMs: number;
  metadataMaxAgeMs: number;
  allowAutoTopicCreation: boolean;
  minBytes: number;
  maxBytes: number;
  maxBytesPerPartition: number;
  maxBufferedBytesPerPartition: number;
  maxWaitTimeMs: number;
  readCommitted: boolean;
  autoOffsetReset: AutoOffsetReset;
  requestTimeoutMs: number;
  retry: RetryPolicy;
  rebalanceListener: RebalanceListener;
  rackId: string;
}

const BUILT_IN: Record<AssignerName, PartitionAssigner> = {
  range: rangeAssigner,
  roundrobin: roundRobinAssigner,
  'cooperative-sticky': cooperativeStickyAssigner,
};

function invalid(message: string): ClientError {
  return new ClientError('SAMSA_ERR_INVALID_CONFIG', message);
}

function int(name: string, v: number | undefined, fallback: number, min: number): number {
  const x = v ?? fallback;
  if (!Number.isSafeInteger(x) || x < min) throw invalid(`${name} must be a whole number >= ${min}, got ${String(v)}`);
  return x;
}

function nonEmptyString(name: string, v: string | undefined): string | null {
  if (v === undefined) return null;
  if (typeof v !== 'string' || v === '') throw invalid(`${name} must be a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

function assignersOf(list: ConsumerOptions['partitionAssigners']): PartitionAssigner[] {
  const given = list ?? ['cooperative-sticky'];
  if (!Array.isArray(given) || given.length === 0) throw invalid('partitionAssigners must be a non-empty list (e.g. [\'cooperative-sticky\'] or [\'range\'])');
  const out = given.map((a) => {
    if (typeof a === 'string') {
      if (!Object.hasOwn(BUILT_IN, a)) throw invalid(`partitionAssigners: unknown assignor '${a}' (built in: range, roundrobin, cooperative-sticky)`);
      return BUILT_IN[a];
    }
    if (a === null || typeof a !== 'object' || typeof a.name !== 'string' || a.name === '' || typeof a.assign !== 'function') {
      throw invalid('partitionAssigners: a custom assignor is { name, rebalanceProtocol, assign() }');
    }
    if (a.rebalanceProtocol !== 'eager' && a.rebalanceProtocol !== 'cooperative') throw invalid(`partitionAssigners: ${a.name}.rebalanceProtocol must be 'eager' or 'cooperative'`);
    return a;
  });
  const names = out.map((a) => a.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw invalid(`partitionAssigners: '${dup}' is listed twice`);
  return out;
}

/** Validates `o` against the client's defaults; throws ClientError(SAMSA_ERR_INVALID_CONFIG). */
export function consumerSettings(client: ClientConfig, o: ConsumerOptions): ConsumerSettings {
  if (o === null || typeof o !== 'object') throw invalid('kafka.consumer() takes { groupId, ... }');
  const assigners = assignersOf(o.partitionAssigners);
  const sessionTimeoutMs = int('sessionTimeoutMs', o.sessionTimeoutMs, 30_000, 1);
  const heartbeatIntervalMs = int('heartbeatIntervalMs', o.heartbeatIntervalMs, 3_000, 1);
  if (heartbeatIntervalMs >= sessionTimeoutMs) {
    throw invalid(`heartbeatIntervalMs (${heartbeatIntervalMs}) must be below sessionTimeoutMs (${sessionTimeoutMs}); a third of it is usual`);
  }
  const maxBytesPerPartition = int('maxBytesPerPartition', o.maxBytesPerPartition, 1_048_576, 1);
  if (o.isolationLevel !== undefined && o.isolationLevel !== 'read_committed' && o.isolationLevel !== 'read_uncommitted') {
    throw invalid(`isolationLevel must be 'read_committed' or 'read_uncommitted', got ${String(o.isolationLevel)}`);
  }
  if (o.readUncommitted !== undefined && o.isolationLevel !== undefined && o.readUncommitted !== (o.isolationLevel === 'read_uncommitted')) {
    throw invalid(`readUncommitted: ${o.readUncommitted} contradicts isolationLevel: '${o.isolationLevel}'; give one of them`);
  }
  const reset = o.autoOffsetReset ?? 'latest';
  if (reset !== 'earliest' && reset !== 'latest' && reset !== 'none') throw invalid(`autoOffsetReset must be 'earliest', 'latest' or 'none', got ${String(o.autoOffsetReset)}`);
  const listener = o.rebalanceListener ?? {};
  if (listener === null || typeof listener !== 'object') throw invalid('rebalanceListener must be an object of callbacks');
  const groupId = nonEmptyString('groupId', o.groupId);
  const groupInstanceId = nonEmptyString('groupInstanceId', o.groupInstanceId);
  if (groupInstanceId !== null && groupId === null) throw invalid('groupInstanceId needs a groupId');
  if (o.random !== undefined && typeof o.random !== 'function') throw invalid('random must be a function returning [0, 1)');
  return {
    groupId,
    groupInstanceId,
    assigners,
    rebalanceProtocol: assigners.every((a) => a.rebalanceProtocol === 'cooperative') ? 'cooperative' : 'eager',
    sessionTimeoutMs,
    rebalanceTimeoutMs: int('rebalanceTimeoutMs', o.rebalanceTimeoutMs, 60_000, 1),
    heartbeatIntervalMs,
    metadataMaxAgeMs: int('metadataMaxAgeMs', o.metadataMaxAgeMs, 300_000, 1),
    allowAutoTopicCreation: o.allowAutoTopicCreation ?? true,
    minBytes: int('minBytes', o.minBytes, 1, 0),
    maxBytes: int('maxBytes', o.maxBytes, 10_485_760, 1),
    maxBytesPerPartition,
    maxBufferedBytesPerPartition: int('maxBufferedBytesPerPartition', o.maxBufferedBytesPerPartition, maxBytesPerPartition, 1),
    maxWaitTimeMs: int('maxWaitTimeMs', o.maxWaitTimeMs, 500, 0),
    readCommitted: o.isolationLevel !== undefined ? o.isolationLevel === 'read_committed' : o.readUncommitted !== true,
    autoOffsetReset: reset,
    requestTimeoutMs: int('requestTimeoutMs', o.requestTimeoutMs, client.requestTimeoutMs, 1),
    retry: retryPolicy({ ...client.retry, ...o.retry }),
    rebalanceListener: listener,
    rackId: o.rackId ?? '',
  };
}

/** Options of `consumer.run()`. Defaults in brackets. */
export interface RunOptions {
  /** Commit processed offsets in the background [true]. */
  autoCommit?: boolean;
  /** Auto commit period [5000]. */
  autoCommitIntervalMs?: number;
  /** Also commit as soon as this many messages were processed since the last commit [off]. */
  autoCommitThreshold?: number;
  /** How many partitions are handled at once; each partition is still handled in order [1]. */
  partitionsConsumedConcurrently?: number;
  /** eachBatch: mark the whole batch processed when the handler returns [true]. */
  eachBatchAutoResolve?: boolean;
  /** Aborting it stops the consumer as `stop()` does. */
  signal?: AbortSignal;
}

/** Validated {@link RunOptions}. */
export interface RunSettings {
  autoCommit: boolean;
  autoCommitIntervalMs: number;
  autoCommitThreshold: number;
  partitionsConsumedConcurrently: number;
  eachBatchAutoResolve: boolean;
}

/** Validates run options; throws ClientError(SAMSA_ERR_INVALID_CONFIG). */
export function runSettings(o: RunOptions): RunSettings {
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw invalid('signal must be an AbortSignal');
  return {
    autoCommit: o.autoCommit ?? true,
    autoCommitIntervalMs: int('autoCommitIntervalMs', o.autoCommitIntervalMs, 5_000, 1),
    autoCommitThreshold: o.autoCommitThreshold === undefined || o.autoCommitThreshold === null ? 0 : int('autoCommitThreshold', o.autoCommitThreshold, 0, 1),
    partitionsConsumedConcurrently: int('partitionsConsumedConcurrently', o.partitionsConsumedConcurrently, 1, 1),
    eachBatchAutoResolve: o.eachBatchAutoResolve ?? true,
  };
}
