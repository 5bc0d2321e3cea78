/**
 * The client's view of a cluster: the brokers, a cache of topic → partitions
 * → leader, and one Connection per broker.
 *
 * Bootstrap: the first Metadata request goes to the bootstrap addresses in
 * order until one answers. The connection that answered is kept as the
 * connection of the broker it turns out to be (same host and port), so a
 * single-node cluster uses one socket.
 *
 * Refresh: callers ask with {@link Cluster.requestRefresh} when a request
 * failed in a way that means the cache is wrong (NOT_LEADER_OR_FOLLOWER,
 * UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE, a lost connection). Refreshes
 * run one at a time, at most one per `minRefreshIntervalMs` while they succeed,
 * and with the retry policy's exponential backoff while they fail; listeners
 * registered with {@link Cluster.onChange} run after every attempt so a
 * producer can re-route waiting batches. Topics are cached only for names
 * somebody asked about (Metadata is requested for those, never for all).
 *
 * Connections: {@link Cluster.readyConnection} is the synchronous fast path
 * (an open connection or nothing); {@link Cluster.openConnection} opens one,
 * shared by concurrent callers. A connection that failed stays failed
 * (`closed`) and is replaced by the next open.
 */
import { ErrorCode, MetadataApi, ZERO_UUID, isRetriable, type MetadataResponse } from '@samsa/protocol';
import { parseHostPort } from '../broker-address.js';
import { ClientError } from '../client-error.js';
import { Connection } from '../connection.js';
import { ConnectionError, KafkaError } from '../kafka-error.js';
import type { Logger } from '../logger.js';
import { retryDelayMs, type RetryPolicy } from '../retry.js';

/** A broker as Metadata lists it. */
export interface BrokerNode {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

/** One partition's leader as last seen. */
export interface PartitionMetadata {
  partition: number;
  /** -1 while there is no leader. */
  leaderId: number;
  leaderEpoch: number;
  errorCode: number;
}

/** One topic as last seen. */
export interface TopicMetadata {
  name: string;
  topicId: string;
  /** Partitions indexed by partition number. */
  partitions: PartitionMetadata[];
  /** Partitions with a known leader, ascending. */
  availablePartitions: number[];
  updatedAtMs: number;
}

/** Settings of a {@link Cluster}. */
export interface ClusterOptions {
  clientId: string;
  /** Bootstrap addresses, `host:port`. */
  brokers: string[];
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
  retry: RetryPolicy;
  logger: Logger;
  /** Ask the broker to create unknown topics (Metadata v4+ AllowAutoTopicCreation). */
  allowAutoTopicCreation: boolean;
  /** Cached metadata older than this is refreshed in the background when used; 5 min by default. */
  metadataMaxAgeMs?: number;
  /** Minimum pause between two successful refreshes; 100 ms by default. */
  minRefreshIntervalMs?: number;
  random?: () => number;
  now?: () => number;
}

/** Highest Metadata version used: v13 only adds a top-level error code. */
const METADATA_MAX_VERSION = 12;
/** Background refreshes that keep failing are retried at least this often. */
const MAX_REFRESH_BACKOFF_MS = 10_000;

interface NodeConnection {
  conn: Connection | null;
  opening: Promise<Connection> | null;
}

/** Brokers, topic metadata and connections of one client (see the top of this file). */
export class Cluster {
  readonly #opts: ClusterOptions;
  readonly #bootstrap: Array<{ host: string; port: number }>;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #metadataMaxAgeMs: number;
  readonly #minRefreshIntervalMs: number;
  #brokers = new Map<number, BrokerNode>();
  #controllerId = -1;
  readonly #topics = new Map<string, TopicMetadata>();
  /** Topic-level errors of the last refresh (topics that are not usable). */
  readonly #topicErrors = new Map<string, KafkaError>();
  readonly #wanted = new Set<string>();
  readonly #nodes = new Map<number, NodeConnection>();
  /** A bootstrap connection not (yet) known to be any broker's. */
  #bootstrapConn: Connection | null = null;
  #refreshing: Promise<void> | null = null;
  #refreshingTopics: ReadonlySet<string> = new Set();
  #refreshTimer: NodeJS.Timeout | null = null;
  #lastRefreshAtMs = -Infinity;
  #consecutiveFailures = 0;
  readonly #listeners = new Set<() => void>();
  #closed = false;
  #connected = false;
  /** Refresh attempts started so far; the n-th attempt has number n. */
  #refreshesStarted = 0;
  /** The highest-numbered refresh attempt that has finished (either way). */
  #refreshedThrough = 0;

  constructor(opts: ClusterOptions) {
    if (opts.brokers.length === 0) throw new ClientError('SAMSA_ERR_INVALID_CONFIG', 'brokers: at least one bootstrap address is needed');
    this.#opts = opts;
    this.#bootstrap = opts.brokers.map((b) => {
      try {
        return parseHostPort(b);
      } catch (err) {
        throw new ClientError('SAMSA_ERR_INVALID_CONFIG', `brokers: ${(err as Error).message}`);
      }
    });
    this.#now = opts.now ?? Date.now;
    this.#random = opts.random ?? Math.random;
    this.#metadataMaxAgeMs = opts.metadataMaxAgeMs ?? 300_000;
    this.#minRefreshIntervalMs = opts.minRefreshIntervalMs ?? 100;
  }

  /** Whether `connect` succeeded (and `close` was not called since). */
  get connected(): boolean {
    return this.#connected && !this.#closed;
  }

  /** Bootstraps: the first Metadata request, retried with the retry policy. */
  async connect(): Promise<void> {
    this.#assertOpen();
    let attempt = 0;
    for (;;) {
      try {
        await this.refresh();
        this.#connected = true;
        return;
      } catch (err) {
        if (this.#closed || attempt >= this.#opts.retry.retries || !isRetriableError(err)) throw err;
        attempt++;
        await this.#sleep(retryDelayMs(this.#opts.retry, attempt, this.#random));
      }
    }
  }

  /** The broker with `nodeId`, as last listed. */
  broker(nodeId: number): BrokerNode | undefined {
    return this.#brokers.get(nodeId);
  }

  /** Every broker, as last listed. */
  brokers(): BrokerNode[] {
    return [...this.#brokers.values()];
  }

  /** Number of refresh attempts started so far. */
  get refreshesStarted(): number {
    return this.#refreshesStarted;
  }

  /**
   * The number of the latest finished refresh attempt: when it exceeds a
   * value of {@link refreshesStarted} read earlier, a refresh that began
   * after that moment has finished.
   */
  get refreshedThrough(): number {
    return this.#refreshedThrough;
  }

  /** Cached metadata of `topic`, if it was fetched and the topic had no error. */
  topic(name: string): TopicMetadata | undefined {
    return this.#topics.get(name);
  }

  /** The leader of a partition, or -1 when unknown. */
  leaderOf(topic: string, partition: number): number {
    return this.#topics.get(topic)?.partitions[partition]?.leaderId ?? -1;
  }

  /**
   * The cached metadata of `name`, or undefined when there is none yet; the
   * synchronous fast path of {@link topicMetadata}, with the same side
   * effects (the topic is wanted from now on; stale metadata is refreshed in
   * the background).
   */
  cachedTopicMetadata(name: string): TopicMetadata | undefined {
    this.#assertOpen();
    this.#wanted.add(name);
    const cached = this.#topics.get(name);
    if (cached !== undefined && this.#now() - cached.updatedAtMs > this.#metadataMaxAgeMs) this.requestRefresh();
    return cached;
  }

  /**
   * Metadata of `topic`, fetching it when not cached (or `refresh` is set).
   * Retriable topic errors (LEADER_NOT_AVAILABLE for a topic being created,
   * UNKNOWN_TOPIC_OR_PARTITION) and connection failures are retried with the
   * retry policy; then, and for other topic errors, it throws a KafkaError.
   */
  async topicMetadata(name: string, opts: { refresh?: boolean } = {}): Promise<TopicMetadata> {
    if (opts.refresh !== true) {
      const cached = this.cachedTopicMetadata(name);
      if (cached !== undefined) return cached;
    } else {
      this.#assertOpen();
      this.#wanted.add(name);
    }
    let attempt = 0;
    for (;;) {
      let error: unknown;
      try {
        await this.refresh();
        const t = this.#topics.get(name);
        if (t !== undefined) return t;
        error = this.#topicErrors.get(name) ?? new KafkaError(3 /* UNKNOWN_TOPIC_OR_PARTITION */, { apiName: 'Metadata', topic: name });
      } catch (err) {
        error = err;
      }
      if (this.#closed || attempt >= this.#opts.retry.retries || !isRetriableError(error)) throw error;
      attempt++;
      await this.#sleep(retryDelayMs(this.#opts.retry, attempt, this.#random));
    }
  }

  /**
   * Fetches metadata for every wanted topic now; concurrent callers share one
   * request, and a caller whose topics were not in the running request gets
   * the next one.
   */
  refresh(): Promise<void> {
    this.#assertOpen();
    const running = this.#refreshing;
    if (running !== null) {
      const covered = [...this.#wanted].every((t) => this.#refreshingTopics.has(t));
      if (covered) return running;
      return running.then(
        () => this.refresh(),
        () => this.refresh(),
      );
    }
    const topics = new Set(this.#wanted);
    this.#refreshingTopics = topics;
    const number = ++this.#refreshesStarted;
    const p = this.#fetchMetadata([...topics]).then(
      (): void => {
        this.#consecutiveFailures = 0;
      },
      (err: unknown) => {
        this.#consecutiveFailures++;
        throw err;
      },
    );
    this.#refreshing = p.finally(() => {
      this.#refreshing = null;
      this.#refreshedThrough = Math.max(this.#refreshedThrough, number);
      this.#lastRefreshAtMs = this.#now();
      this.#notify();
    });
    return this.#refreshing;
  }

  /**
   * Asks for a background refresh: soon, but no sooner than the minimum
   * interval after the last one, or the backoff while refreshes fail.
   * Failures are logged at debug level and retried only when asked again.
   */
  requestRefresh(): void {
    if (this.#closed || this.#refreshTimer !== null) return;
    const interval =
      this.#consecutiveFailures === 0
        ? this.#minRefreshIntervalMs
        : Math.min(MAX_REFRESH_BACKOFF_MS, retryDelayMs(this.#opts.retry, this.#consecutiveFailures, this.#random));
    const waitMs = Math.max(0, this.#lastRefreshAtMs + interval - this.#now());
    this.#refreshTimer = setTimeout(() => {
      this.#refreshTimer = null;
      if (this.#closed) return;
      this.refresh().catch((err: unknown) => this.#opts.logger.debug('metadata refresh failed', { error: err }));
    }, waitMs);
  }

  /** Runs `fn` after every refresh attempt (success or failure). Returns the unsubscribe function. */
  onChange(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** The open connection to `nodeId`, or undefined (none yet, opening, or failed). */
  readyConnection(nodeId: number): Connection | undefined {
    const c = this.#nodes.get(nodeId)?.conn;
    return c !== null && c !== undefined && !c.closed ? c : undefined;
  }

  /** Opens (or returns) the connection to `nodeId`; concurrent callers share one attempt. */
  openConnection(nodeId: number): Promise<Connection> {
    this.#assertOpen();
    const ready = this.readyConnection(nodeId);
    if (ready !== undefined) return Promise.resolve(ready);
    let entry = this.#nodes.get(nodeId);
    if (entry === undefined) {
      entry = { conn: null, opening: null };
      this.#nodes.set(nodeId, entry);
    }
    if (entry.opening !== null) return entry.opening;
    const broker = this.#brokers.get(nodeId);
    if (broker === undefined) return Promise.reject(new ConnectionError(`broker ${nodeId} is not in the cluster metadata`));
    const e = entry;
    const opening = this.#open(broker.host, broker.port).then(
      (conn) => {
        e.opening = null;
        if (this.#closed) {
          conn.close();
          throw new ClientError('SAMSA_ERR_NOT_CONNECTED', 'the client was closed');
        }
        e.conn = conn;
        return conn;
      },
      (err: unknown) => {
        e.opening = null;
        throw err;
      },
    );
    e.opening = opening;
    return opening;
  }

  /**
   * Any usable connection: an open one if there is one (fewest assumptions),
   * else the first broker or bootstrap address that accepts a connection.
   */
  async anyConnection(): Promise<Connection> {
    this.#assertOpen();
    for (const nodeId of this.#brokers.keys()) {
      const c = this.readyConnection(nodeId);
      if (c !== undefined) return c;
    }
    if (this.#bootstrapConn !== null && !this.#bootstrapConn.closed) return this.#bootstrapConn;
    let lastError: unknown = new ConnectionError('no broker to connect to');
    for (const nodeId of this.#brokers.keys()) {
      try {
        return await this.openConnection(nodeId);
      } catch (err) {
        if (this.#closed) throw err;
        lastError = err;
      }
    }
    for (const { host, port } of this.#bootstrap) {
      try {
        const conn = await this.#open(host, port);
        if (this.#closed) {
          conn.close();
          break;
        }
        this.#bootstrapConn?.close();
        this.#bootstrapConn = conn;
        return conn;
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError;
  }

  /** Closes every connection and cancels timers; later calls throw NOT_CONNECTED. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#refreshTimer !== null) clearTimeout(this.#refreshTimer);
    this.#refreshTimer = null;
    for (const e of this.#nodes.values()) {
      e.conn?.close();
      e.opening?.then(
        (c) => c.close(),
        () => {},
      );
    }
    this.#nodes.clear();
    this.#bootstrapConn?.close();
    this.#bootstrapConn = null;
    this.#listeners.clear();
  }

  /**
   * One Metadata request for `topics` (null: every topic; []: none, only the
   * brokers), sent as {@link refresh} sends it, and its answer as it came:
   * for callers that need what the cache does not keep (replicas, ISR,
   * internal flags, every topic's name), such as the admin client. The
   * answer also updates the cache (brokers, and the topics it names).
   */
  metadata(topics: readonly string[] | null): Promise<MetadataResponse> {
    this.#assertOpen();
    return this.#fetchMetadata(topics === null ? null : [...topics]);
  }

  /** The controller's node id in the last Metadata answer; -1 when none was seen. */
  get controllerId(): number {
    return this.#controllerId;
  }

  async #fetchMetadata(topics: string[] | null): Promise<MetadataResponse> {
    let lastError: unknown;
    // A connection that fails mid-request is dropped; try the next one (bounded by broker count + bootstrap count).
    const attempts = this.#brokers.size + this.#bootstrap.length + 1;
    for (let i = 0; i < attempts; i++) {
      const conn = await this.anyConnection();
      const version = conn.version(MetadataApi, METADATA_MAX_VERSION);
      // v0 cannot ask for no topics (an empty list means all), which the admin client needs.
      if (version < 1) {
        throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, { message: `broker ${conn.host}:${conn.port} serves Metadata only at v0; this client needs v1+`, apiName: 'Metadata', apiKey: MetadataApi.apiKey });
      }
      let res: MetadataResponse;
      try {
        res = await conn.send(MetadataApi, version, {
          topics: topics === null ? null : topics.map((name) => ({ name, topicId: ZERO_UUID })),
          allowAutoTopicCreation: this.#opts.allowAutoTopicCreation,
          includeClusterAuthorizedOperations: false,
          includeTopicAuthorizedOperations: false,
        });
      } catch (err) {
        lastError = err;
        if (this.#closed || !(err instanceof ConnectionError)) throw err;
        continue;
      }
      this.#apply(res, conn, version);
      return res;
    }
    throw lastError;
  }

  #apply(res: MetadataResponse, via: Connection, version: number): void {
    if (version >= 13 && res.errorCode !== 0) throw new KafkaError(res.errorCode, { apiName: 'Metadata', apiKey: MetadataApi.apiKey, apiVersion: version });
    const brokers = new Map<number, BrokerNode>();
    for (const b of res.brokers) brokers.set(b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack });
    // Drop connections to brokers that left, or whose address changed.
    for (const [nodeId, entry] of this.#nodes) {
      const now = brokers.get(nodeId);
      const before = this.#brokers.get(nodeId);
      if (now === undefined || (before !== undefined && (before.host !== now.host || before.port !== now.port))) {
        entry.conn?.close();
        this.#nodes.delete(nodeId);
      }
    }
    this.#brokers = brokers;
    this.#controllerId = res.controllerId;
    if (via === this.#bootstrapConn) {
      const self = [...brokers.values()].find((b) => b.port === via.port && sameHost(b.host, via.host));
      if (self !== undefined && this.readyConnection(self.nodeId) === undefined && this.#nodes.get(self.nodeId)?.opening == null) {
        this.#nodes.set(self.nodeId, { conn: via, opening: null });
        this.#bootstrapConn = null;
      }
    }
    const now = this.#now();
    for (const t of res.topics) {
      const name = t.name;
      if (name === null) continue;
      if (t.errorCode !== 0) {
        this.#topics.delete(name);
        this.#topicErrors.set(
          name,
          new KafkaError(t.errorCode, { apiName: 'Metadata', apiKey: MetadataApi.apiKey, apiVersion: version, topic: name }),
        );
        continue;
      }
      this.#topicErrors.delete(name);
      const partitions: PartitionMetadata[] = [];
      for (const p of t.partitions) {
        partitions[p.partitionIndex] = {
          partition: p.partitionIndex,
          leaderId: brokers.has(p.leaderId) ? p.leaderId : -1,
          leaderEpoch: p.leaderEpoch,
          errorCode: p.errorCode,
        };
      }
      // A gap in the partition list (never expected) reads as a partition without a leader.
      for (let i = 0; i < partitions.length; i++) partitions[i] ??= { partition: i, leaderId: -1, leaderEpoch: -1, errorCode: 5 };
      const availablePartitions = partitions.filter((p) => p.leaderId >= 0).map((p) => p.partition);
      this.#topics.set(name, { name, topicId: t.topicId, partitions, availablePartitions, updatedAtMs: now });
    }
  }

  #open(host: string, port: number): Promise<Connection> {
    return Connection.open(host, port, {
      clientId: this.#opts.clientId,
      timeoutMs: this.#opts.requestTimeoutMs,
      connectTimeoutMs: this.#opts.connectionTimeoutMs,
    });
  }

  #notify(): void {
    for (const fn of [...this.#listeners]) {
      try {
        fn();
      } catch (err) {
        this.#opts.logger.error('cluster listener failed', { error: err });
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClientError('SAMSA_ERR_NOT_CONNECTED', 'the client was closed');
  }
}

/** Whether a failed metadata/bootstrap step may succeed if tried again. */
export function isRetriableError(err: unknown): boolean {
  if (err instanceof ConnectionError) return true;
  if (err instanceof KafkaError) return err.retriable || isRetriable(err.code);
  return false;
}

function sameHost(a: string, b: string): boolean {
  const loopback = (h: string): boolean => h === 'localhost' || h === '::1' || h.startsWith('127.');
  return a === b || (loopback(a) && loopback(b));
}
