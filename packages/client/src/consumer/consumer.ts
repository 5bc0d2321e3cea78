/**
 * The consumer: kafkajs' shape (`connect`, `subscribe`, `run` with
 * `eachMessage` or `eachBatch`, `seek`, `pause`, `resume`, `commitOffsets`,
 * `stop`, `disconnect`, events) plus `assign()` for reading partitions
 * without a group, an async iterator, AbortSignals and rebalance callbacks.
 *
 * How the parts fit:
 *
 *   GroupMembership (group-membership.ts)  joins, heartbeats on its own timer,
 *        |                                 calls back to assign / revoke / lose
 *        v
 *   assigned partitions (partition-state.ts) <-- Fetcher (fetcher.ts): one loop per
 *        |   start positions (start-positions.ts:   leader, bounded prefetch per partition
 *        |   seek, committed offset, reset)
 *        v
 *   ReadyQueue (ready-queue.ts) --> N delivery workers running the handlers
 *                                   (handler-delivery.ts), or the iterator
 *                                   (message-stream.ts); one at a time per partition
 *
 * Commits go through offset-store.ts, over the group coordinator's own
 * connection (group-coordinator-link.ts).
 *
 * Giving partitions up (revoke, stop): they stop being fetched and
 * delivered, the handler working on one finishes (its signal is aborted as
 * a hint), the processed offsets are committed (auto commit), then
 * `onPartitionsRevoked` runs and the partitions are dropped. Only then does
 * the group move on, so a partition is never handled by two members at once.
 * Lost partitions (fenced member) go the same way without the commit.
 */
import { ErrorCode } from '@samsa/protocol';
import { clusterOptions, type ClientConfig } from '../client-config.js';
import { Cluster } from '../cluster/cluster.js';
import { ClientError } from '../client-error.js';
import { KafkaError } from '../kafka-error.js';
import { retryDelayMs } from '../retry.js';
import { ConsumerEventEmitter, ConsumerEvents, type ConsumerEvent, type ConsumerEventName } from './consumer-events.js';
import type { ConsumerMessage } from './consumer-message.js';
import {
  consumerSettings,
  runSettings,
  type ConsumerOptions,
  type ConsumerSettings,
  type RunOptions,
  type RunSettings,
} from './consumer-options.js';
import { Fetcher } from './fetcher.js';
import { deliverBatch, deliverMessages, type DeliveryContext, type EachBatchHandler, type EachMessageHandler } from './handler-delivery.js';
import { GroupCoordinatorLink } from './group-coordinator-link.js';
import { GroupMembership } from './group-membership.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP } from './list-offsets.js';
import { MessageStream } from './message-stream.js';
import type { ConsumerGroupMetadata } from './group-metadata.js';
import { OffsetStore, type CommitIdentity, type OffsetToStore } from './offset-store.js';
import { AssignedPartition } from './partition-state.js';
import { ReadyQueue } from './ready-queue.js';
import { resolveStartPositions, type PositionTarget } from './start-positions.js';
import { Subscription, topicCounts } from './subscription.js';
import { groupByTopic, parseTpKey, toOffset, tpKey, type OffsetCommitInput, type TopicPartition, type TopicPartitions } from './topic-partitions.js';

/** Argument of `subscribe()`: kafkajs' `{ topics, fromBeginning }` (or the older `{ topic }`). */
export interface SubscribeInput {
  topics?: Array<string | RegExp>;
  topic?: string | RegExp;
  /** Start topics without a committed offset at the beginning (else `autoOffsetReset`). */
  fromBeginning?: boolean;
}

/** One entry of `assign()`: a topic and some of its partitions (all when omitted). */
export interface AssignInput {
  topic: string;
  partitions?: number[];
}

/** Argument of `seek()`: an offset (or `'earliest'`/`'latest'`), or a timestamp to look the offset up by. */
export interface SeekInput {
  topic: string;
  partition: number;
  /** The next offset to read; a number, a numeric string (kafkajs), 'earliest' or 'latest'. */
  offset?: number | string;
  /** Milliseconds since the epoch: start at the first record at or after it (the end when there is none). */
  timestamp?: number;
}

/** Options of `consumer.run()`: one handler plus {@link RunOptions}. */
export interface ConsumerRunConfig extends RunOptions {
  eachMessage?: EachMessageHandler;
  eachBatch?: EachBatchHandler;
}

/** Options of `consumer.stream()`. */
export interface StreamOptions {
  autoCommit?: boolean;
  autoCommitIntervalMs?: number;
  autoCommitThreshold?: number;
  /** Aborting it ends the iteration and stops the consumer. */
  signal?: AbortSignal;
}

/** Group membership facts, for monitoring and tests. */
export interface MembershipInfo {
  groupId: string;
  memberId: string;
  generationId: number;
  isLeader: boolean;
  /** The assignor of the current generation. */
  protocol: string | null;
}

type Handler = { eachMessage: EachMessageHandler } | { eachBatch: EachBatchHandler };

/** Everything that exists between run()/stream() and stop(). */
interface Session {
  readonly mode: 'run' | 'stream';
  readonly rs: RunSettings;
  readonly ready: ReadyQueue;
  readonly fetcher: Fetcher;
  membership: GroupMembership | null;
  active: boolean;
  workers: Array<Promise<void>>;
  stopping: Promise<void> | null;
  error: Error | null;
  autoCommitTimer: NodeJS.Timeout | null;
  resolvedSinceCommit: number;
  detachSignal: (() => void) | null;
  retryTimers: Set<NodeJS.Timeout>;
  /** The iterator's hook: let go of the message the loop holds (see MessageStream.abandon). */
  abandon: (() => void) | null;
}

/** Connection state: from connect() to disconnect(). */
interface Link {
  cluster: Cluster;
  coordinator: GroupCoordinatorLink | null;
  store: OffsetStore | null;
}

/** Commit errors that mean "not in this generation any more". */
const MEMBERSHIP_ERRORS = new Set<number>([ErrorCode.REBALANCE_IN_PROGRESS, ErrorCode.ILLEGAL_GENERATION, ErrorCode.UNKNOWN_MEMBER_ID]);

function invalid(message: string): ClientError {
  return new ClientError('SAMSA_ERR_INVALID_CONFIG', message);
}

function checkTopicPartition(topic: unknown, partition: unknown, what: string): void {
  if (typeof topic !== 'string' || topic === '') throw invalid(`${what}: topic must be a non-empty string`);
  if (!Number.isInteger(partition) || (partition as number) < 0) throw invalid(`${what}: partition must be a whole number >= 0, got ${String(partition)}`);
}

/**
 * A consumer; create it with `kafka.consumer(options)`, then `connect()`,
 * `subscribe()` (or `assign()`) and `run()` (or iterate it).
 */
export class Consumer implements AsyncIterable<ConsumerMessage> {
  /** Event names, as kafkajs' `consumer.events`. */
  readonly events = ConsumerEvents;
  readonly #client: ClientConfig;
  readonly #s: ConsumerSettings;
  readonly #random: () => number;
  readonly #emitter: ConsumerEventEmitter;
  readonly #subscription = new Subscription();
  #manual: AssignInput[] | null = null;
  #link: Link | null = null;
  #connecting: Promise<void> | null = null;
  #session: Session | null = null;
  readonly #partitions = new Map<string, AssignedPartition>();
  readonly #pendingSeeks = new Map<string, PositionTarget>();
  readonly #pausedTopics = new Set<string>();
  readonly #pausedPartitions = new Set<string>();
  #lock: Promise<unknown> = Promise.resolve();

  /** Use `kafka.consumer(options)`. Throws ClientError(SAMSA_ERR_INVALID_CONFIG) for bad options. */
  constructor(client: ClientConfig, options: ConsumerOptions = {}) {
    this.#client = client;
    this.#s = consumerSettings(client, options);
    this.#random = options.random ?? Math.random;
    this.#emitter = new ConsumerEventEmitter(client.logger);
  }

  /** Listens to an event (see `consumer.events`); returns the function that removes the listener. */
  on<E extends ConsumerEventName>(event: E, listener: (event: ConsumerEvent<E>) => void): () => void {
    return this.#emitter.on(event, listener);
  }

  /** Connects to the cluster (bootstrap metadata). */
  async connect(): Promise<void> {
    if (this.#link !== null) return;
    this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = null;
    });
    return this.#connecting;
  }

  async #connect(): Promise<void> {
    const s = this.#s;
    const cluster = new Cluster(clusterOptions(this.#client, s, this.#random));
    try {
      await cluster.connect();
    } catch (err) {
      cluster.close();
      throw err;
    }
    let coordinator: GroupCoordinatorLink | null = null;
    let store: OffsetStore | null = null;
    if (s.groupId !== null) {
      coordinator = new GroupCoordinatorLink({
        cluster,
        groupId: s.groupId,
        clientId: this.#client.clientId,
        connectionTimeoutMs: this.#client.connectionTimeoutMs,
        requestTimeoutMs: s.requestTimeoutMs,
        retry: s.retry,
        random: this.#random,
      });
      store = new OffsetStore({ link: coordinator, groupId: s.groupId, retry: s.retry, random: this.#random });
    }
    this.#link = { cluster, coordinator, store };
    this.#emitter.emit('consumer.connect', null);
  }

  /**
   * Subscribes to topics (names or regular expressions) as a member of the
   * group. Adds to earlier subscriptions, as in kafkajs; while running, the
   * member rejoins so the new topics get assigned.
   */
  async subscribe(input: SubscribeInput): Promise<void> {
    if (input === null || typeof input !== 'object') throw invalid('subscribe() takes { topics: [...], fromBeginning? }');
    if (this.#s.groupId === null) throw invalid('subscribe() needs a groupId: create the consumer with kafka.consumer({ groupId }), or use assign() to read partitions without a group');
    if (this.#manual !== null) throw invalid('subscribe() cannot be combined with assign(): use one or the other');
    const topics = input.topics ?? (input.topic === undefined ? [] : [input.topic]);
    if (!Array.isArray(topics) || topics.length === 0) throw invalid('subscribe() needs at least one topic: { topics: [\'orders\', /^audit-.*/] }');
    for (const t of topics) {
      if (!(t instanceof RegExp) && (typeof t !== 'string' || t === '')) throw invalid(`subscribe(): a topic must be a non-empty string or a RegExp, got ${JSON.stringify(t)}`);
    }
    this.#subscription.add(topics, input.fromBeginning === undefined ? null : input.fromBeginning ? 'earliest' : 'latest');
    this.#session?.membership?.requestRejoin('the subscription changed');
  }

  /**
   * Reads these partitions without group membership (Kafka's `assign`;
   * `partitions` omitted means all of the topic's). Replaces an earlier
   * assignment; partitions no longer listed are given up. Start positions:
   * a `seek()`, else the group's committed offset when the consumer has a
   * groupId, else `autoOffsetReset`.
   */
  async assign(list: AssignInput[]): Promise<void> {
    if (!Array.isArray(list)) throw invalid('assign() takes [{ topic, partitions? }, ...]');
    if (!this.#subscription.empty) throw invalid('assign() cannot be combined with subscribe(): use one or the other');
    for (const a of list) {
      if (a === null || typeof a !== 'object' || typeof a.topic !== 'string' || a.topic === '') throw invalid('assign(): each entry is { topic, partitions? }');
      if (a.partitions !== undefined) {
        if (!Array.isArray(a.partitions)) throw invalid(`assign(): ${a.topic}: partitions must be a list of numbers`);
        for (const p of a.partitions) checkTopicPartition(a.topic, p, 'assign()');
      }
    }
    this.#manual = list.map((a) => ({ topic: a.topic, partitions: a.partitions === undefined ? undefined : [...a.partitions] }));
    const session = this.#session;
    if (session !== null && session.active) await this.#locked(() => this.#applyManualAssignment(session));
  }

  /** The partitions assigned to this consumer now. */
  assignment(): TopicPartitions[] {
    return groupByTopic([...this.#partitions.values()].filter((p) => p.phase !== 'revoked').map((p) => p.key));
  }

  /** Member id and generation while in a group; null otherwise. */
  membership(): MembershipInfo | null {
    const m = this.#session?.membership;
    if (m === undefined || m === null || this.#s.groupId === null || m.generationId < 0) return null;
    return { groupId: this.#s.groupId, memberId: m.memberId, generationId: m.generationId, isLeader: m.isLeader, protocol: m.protocolName };
  }

  /**
   * The member's group, generation and ids now, for a transactional
   * producer's `sendOffsets({ consumerGroupMetadata, topics })` (KIP-447):
   * offsets sent with an outdated generation are refused, so a consumer that
   * lost its partitions in a rebalance cannot commit over their new owner.
   */
  groupMetadata(): ConsumerGroupMetadata {
    if (this.#s.groupId === null) throw invalid('groupMetadata() needs a groupId: create the consumer with kafka.consumer({ groupId })');
    const m = this.#session?.membership;
    const { generationId, memberId } = m !== null && m !== undefined ? m.identity() : { generationId: -1, memberId: '' };
    return { groupId: this.#s.groupId, generationId, memberId, groupInstanceId: this.#s.groupInstanceId };
  }

  /**
   * Starts consuming with a handler. Resolves once the consumer is running:
   * joined to its group (first assignment received) or, with `assign()`,
   * set up. Rejects if joining fails for good. Later failures stop the
   * consumer and are reported by the CRASH event.
   */
  async run(config: ConsumerRunConfig = {}): Promise<void> {
    if (config === null || typeof config !== 'object') throw invalid('run() takes { eachMessage } or { eachBatch }');
    const { eachMessage, eachBatch } = config;
    if ((eachMessage === undefined) === (eachBatch === undefined)) throw invalid('run() needs exactly one of eachMessage and eachBatch');
    if ((eachMessage !== undefined && typeof eachMessage !== 'function') || (eachBatch !== undefined && typeof eachBatch !== 'function')) {
      throw invalid('run(): eachMessage / eachBatch must be async functions');
    }
    const handler: Handler = eachMessage !== undefined ? { eachMessage } : { eachBatch: eachBatch as EachBatchHandler };
    const session = this.#startSession('run', runSettings(config), config.signal);
    for (let i = 0; i < session.rs.partitionsConsumedConcurrently; i++) session.workers.push(this.#worker(session, handler));
    await this.#started(session);
  }

  /** Consumes as an async iterator (see message-stream.ts for when offsets count as processed). */
  stream(options: StreamOptions = {}): AsyncIterableIterator<ConsumerMessage> {
    const rs = runSettings({ autoCommit: options.autoCommit, autoCommitIntervalMs: options.autoCommitIntervalMs, autoCommitThreshold: options.autoCommitThreshold, signal: options.signal });
    let session: Session | null = null;
    const stream: MessageStream = new MessageStream({
      start: async () => {
        session = this.#startSession('stream', rs, options.signal);
        session.abandon = () => stream.abandon();
        await this.#started(session);
      },
      take: () => (session === null ? Promise.resolve(null) : session.ready.take()),
      deliverable: (p) => session !== null && this.#deliverable(session, p),
      canContinue: (p, epoch) => session !== null && this.#canContinue(session, p, epoch),
      resolve: (p, m, epoch) => {
        if (session !== null && p.epoch === epoch && m.offset + 1 > p.resolvedOffset) {
          p.resolvedOffset = m.offset + 1;
          this.#resolved(session, 1);
        }
      },
      release: (p) => {
        p.release();
        if (session !== null) this.#afterDelivery(session, p);
      },
      error: () => session?.error ?? null,
      stop: () => (session !== null && this.#session === session ? this.stop() : Promise.resolve()),
    });
    return stream;
  }

  /** `for await (const message of consumer)`: same as `stream()`. */
  [Symbol.asyncIterator](): AsyncIterator<ConsumerMessage> {
    return this.stream();
  }

  /**
   * Stops consuming: handlers finish, processed offsets are committed (auto
   * commit), `onPartitionsRevoked` runs, a dynamic member leaves its group.
   * The connections stay open: `run()` may be called again.
   */
  stop(): Promise<void> {
    const session = this.#session;
    if (session === null) return Promise.resolve();
    session.stopping ??= this.#stopSession(session);
    return session.stopping;
  }

  /** Stops (see {@link stop}) and closes the connections. */
  async disconnect(): Promise<void> {
    if (this.#connecting !== null) await this.#connecting.catch(() => {});
    await this.stop();
    const link = this.#link;
    if (link === null) return;
    this.#link = null;
    link.coordinator?.close();
    link.cluster.close();
    this.#emitter.emit('consumer.disconnect', null);
  }

  /**
   * Commits offsets for the group (the next offsets to read). Inside a group
   * it commits as the current member and generation, so a commit for
   * partitions lost in a rebalance fails (REBALANCE_IN_PROGRESS,
   * ILLEGAL_GENERATION); without membership it commits as a simple consumer.
   */
  async commitOffsets(offsets: OffsetCommitInput[]): Promise<void> {
    const link = this.#requireConnected();
    if (link.store === null) throw invalid('commitOffsets() needs a groupId: offsets are stored per consumer group');
    if (!Array.isArray(offsets)) throw invalid('commitOffsets() takes [{ topic, partition, offset }, ...]');
    const list: OffsetToStore[] = offsets.map((o, i) => {
      if (o === null || typeof o !== 'object') throw invalid(`commitOffsets(): entry ${i} must be { topic, partition, offset }`);
      checkTopicPartition(o.topic, o.partition, 'commitOffsets()');
      if (o.metadata !== undefined && o.metadata !== null && typeof o.metadata !== 'string') throw invalid('commitOffsets(): metadata must be a string');
      return { topic: o.topic, partition: o.partition, offset: toOffset(o.offset, `commitOffsets(): ${o.topic}-${o.partition} offset`), metadata: o.metadata ?? null };
    });
    const identity = this.#identity();
    // Marked before the request so an auto commit queued meanwhile does not store an older
    // processed offset after this one; put back if the commit fails.
    const before = list.map((o) => {
      const p = this.#partitions.get(tpKey(o.topic, o.partition));
      const previous = p?.committedOffset ?? -1;
      if (p !== undefined) p.committedOffset = o.offset;
      return { p, previous, offset: o.offset };
    });
    try {
      await link.store.commit(list, identity);
    } catch (err) {
      for (const b of before) if (b.p !== undefined && b.p.committedOffset === b.offset) b.p.committedOffset = b.previous;
      throw err;
    }
    this.#emitCommit(identity, list);
  }

  /**
   * Moves a partition's position: the next message delivered is at
   * `offset` (or at the first record at or after `timestamp`). For a
   * partition not assigned yet, the position is used when it is assigned.
   * With auto commit, the new position is committed like processed offsets.
   */
  seek(input: SeekInput): void {
    if (input === null || typeof input !== 'object') throw invalid('seek() takes { topic, partition, offset } or { topic, partition, timestamp }');
    checkTopicPartition(input.topic, input.partition, 'seek()');
    let target: PositionTarget;
    if ((input.offset === undefined) === (input.timestamp === undefined)) throw invalid('seek(): give exactly one of offset and timestamp');
    if (input.timestamp !== undefined) {
      if (!Number.isSafeInteger(input.timestamp) || input.timestamp < 0) throw invalid(`seek(): timestamp must be ms since the epoch, got ${String(input.timestamp)}`);
      target = { kind: 'timestamp', timestamp: input.timestamp };
    } else if (input.offset === 'earliest' || input.offset === 'latest') {
      target = { kind: 'timestamp', timestamp: input.offset === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP };
    } else {
      target = { kind: 'offset', offset: toOffset(input.offset as number | string, 'seek(): offset') };
    }
    const key = tpKey(input.topic, input.partition);
    const p = this.#partitions.get(key);
    const session = this.#session;
    if (p === undefined || p.phase === 'revoked' || p.phase === 'draining' || session === null || !session.active) {
      this.#pendingSeeks.set(key, target);
      return;
    }
    if (target.kind === 'offset') {
      p.seek(target.offset);
      p.phase = 'ready';
      session.fetcher.wake();
      return;
    }
    p.phase = 'initializing';
    p.seek(-1);
    void this.#position(session, [[p, target]]);
  }

  /** Stops fetching and delivering these topics (all their partitions) or partitions. */
  pause(list: Array<{ topic: string; partitions?: number[] }>): void {
    if (!Array.isArray(list)) throw invalid('pause() takes [{ topic, partitions? }, ...]');
    for (const t of list) {
      if (t === null || typeof t !== 'object' || typeof t.topic !== 'string') throw invalid('pause(): each entry is { topic, partitions? }');
      if (t.partitions === undefined) this.#pausedTopics.add(t.topic);
      else for (const p of t.partitions) this.#pausedPartitions.add(tpKey(t.topic, p));
    }
  }

  /** Undoes {@link pause}. */
  resume(list: Array<{ topic: string; partitions?: number[] }>): void {
    if (!Array.isArray(list)) throw invalid('resume() takes [{ topic, partitions? }, ...]');
    for (const t of list) {
      if (t === null || typeof t !== 'object' || typeof t.topic !== 'string') throw invalid('resume(): each entry is { topic, partitions? }');
      if (t.partitions === undefined) {
        this.#pausedTopics.delete(t.topic);
        for (const key of [...this.#pausedPartitions]) if (parseTpKey(key).topic === t.topic) this.#pausedPartitions.delete(key);
        continue;
      }
      if (this.#pausedTopics.delete(t.topic)) {
        // The topic was paused as a whole: keep its other assigned partitions paused.
        for (const p of this.#partitions.values()) if (p.topic === t.topic) this.#pausedPartitions.add(p.key);
      }
      for (const p of t.partitions) this.#pausedPartitions.delete(tpKey(t.topic, p));
    }
    const session = this.#session;
    if (session !== null) {
      for (const p of this.#partitions.values()) session.ready.offer(p);
      session.fetcher.wake();
    }
  }

  /**
   * The offset of the next message this consumer hands to the application for
   * an assigned partition (Kafka's `consumer.position()`): the first buffered
   * message, or the next offset to fetch when nothing is buffered. Offsets of
   * transaction markers and of aborted records (read_committed) are passed, so
   * a reader can tell it reached the end of a partition even when the last
   * offsets hold no deliverable record. Null while the partition is not
   * assigned or its start offset is not known yet.
   */
  position(input: { topic: string; partition: number }): number | null {
    if (input === null || typeof input !== 'object') throw invalid('position() takes { topic, partition }');
    checkTopicPartition(input.topic, input.partition, 'position()');
    const p = this.#partitions.get(tpKey(input.topic, input.partition));
    if (p === undefined || p.phase !== 'ready' || p.fetchOffset < 0) return null;
    return p.peek()?.offset ?? p.fetchOffset;
  }

  /** Paused topic-partitions (a paused topic lists its assigned partitions). */
  paused(): TopicPartitions[] {
    const keys = new Set(this.#pausedPartitions);
    for (const p of this.#partitions.values()) if (this.#pausedTopics.has(p.topic)) keys.add(p.key);
    const out = groupByTopic(keys);
    for (const t of this.#pausedTopics) if (!out.some((x) => x.topic === t)) out.push({ topic: t, partitions: [] });
    return out;
  }

  // --- session lifecycle ---

  #startSession(mode: 'run' | 'stream', rs: RunSettings, signal: AbortSignal | undefined): Session {
    const link = this.#requireConnected();
    if (this.#session !== null) {
      throw invalid(this.#session.stopping !== null ? 'the consumer is still stopping: await stop() first' : `the consumer is already running (${this.#session.mode}); call stop() first`);
    }
    if (this.#subscription.empty && this.#manual === null) throw invalid('nothing to consume: call subscribe({ topics }) or assign([...]) first');
    const s = this.#s;
    let session: Session;
    const ready = new ReadyQueue((p) => this.#deliverable(session, p));
    const fetcher = new Fetcher({
      cluster: link.cluster,
      host: {
        partitions: () => this.#partitions.values(),
        isPaused: (p) => this.#isPaused(p),
        buffered: (p) => session.ready.offer(p),
        outOfRange: (p) => this.#outOfRange(session, p),
        failed: (err) => this.#fail(session, err),
      },
      events: this.#emitter,
      logger: this.#client.logger,
      retry: s.retry,
      random: this.#random,
      readCommitted: s.readCommitted,
      minBytes: s.minBytes,
      maxBytes: s.maxBytes,
      maxBytesPerPartition: s.maxBytesPerPartition,
      maxBufferedBytesPerPartition: s.maxBufferedBytesPerPartition,
      maxWaitTimeMs: s.maxWaitTimeMs,
      requestTimeoutMs: s.requestTimeoutMs,
      rackId: s.rackId,
    });
    session = {
      mode,
      rs,
      ready,
      fetcher,
      membership: null,
      active: true,
      workers: [],
      stopping: null,
      error: null,
      autoCommitTimer: null,
      resolvedSinceCommit: 0,
      detachSignal: null,
      retryTimers: new Set(),
      abandon: null,
    };
    this.#session = session;
    fetcher.start();
    if (!this.#subscription.empty) {
      session.membership = new GroupMembership({
        groupId: s.groupId as string,
        link: link.coordinator as GroupCoordinatorLink,
        settings: s,
        events: this.#emitter,
        logger: this.#client.logger,
        random: this.#random,
        host: {
          subscribedTopics: () => this.#subscribedTopics(link),
          topicCounts: async (topics) => {
            if (topics.length === 0) return { partitions: new Map(), missing: [] };
            const r = await topicCounts(link.cluster, topics, s.allowAutoTopicCreation);
            return { partitions: r.partitions, missing: r.missing };
          },
          owned: () => this.assignment(),
          revokeAll: () => this.#locked(() => this.#giveUp(session, [...this.#partitions.keys()], 'revoke')),
          lose: () => this.#locked(() => this.#giveUp(session, [...this.#partitions.keys()], 'lose')),
          assign: (tps) => this.#locked(() => this.#applyAssignment(session, tps)),
          failed: (err) => this.#fail(session, err),
        },
      });
    }
    if (rs.autoCommit && link.store !== null) this.#scheduleAutoCommit(session);
    if (signal !== undefined) {
      const onAbort = (): void => void this.stop();
      if (signal.aborted) queueMicrotask(onAbort);
      else {
        signal.addEventListener('abort', onAbort, { once: true });
        session.detachSignal = () => signal.removeEventListener('abort', onAbort);
      }
    }
    return session;
  }

  /** Resolves once the session is set up (group joined, or manual assignment applied); on failure stops and rejects. */
  async #started(session: Session): Promise<void> {
    try {
      if (session.membership !== null) await session.membership.start();
      else await this.#locked(() => this.#applyManualAssignment(session));
    } catch (err) {
      if (session.error === null && err instanceof Error) session.error = err;
      await this.stop();
      throw err;
    }
  }

  async #stopSession(session: Session): Promise<void> {
    session.active = false;
    session.ready.close();
    session.detachSignal?.();
    if (session.autoCommitTimer !== null) clearTimeout(session.autoCommitTimer);
    for (const t of session.retryTimers) clearTimeout(t);
    session.retryTimers.clear();
    // Handlers finish their current message; heartbeats keep running meanwhile. The iterator's
    // loop body may be what called stop(): it lets go instead of being waited for.
    session.abandon?.();
    for (const p of this.#partitions.values()) p.abort.abort();
    await Promise.allSettled(session.workers);
    await this.#locked(() => this.#giveUp(session, [...this.#partitions.keys()], 'revoke'));
    await session.membership?.stop();
    await session.fetcher.stop();
    // A join that completed while stopping may have assigned partitions: drop them (nothing was processed).
    await this.#locked(() => this.#giveUp(session, [...this.#partitions.keys()], 'lose', { quiet: true }));
    this.#pendingSeeks.clear();
    if (this.#session === session) this.#session = null;
    this.#emitter.emit('consumer.stop', null);
  }

  /** A lasting error: report it, then stop. */
  #fail(session: Session, err: Error): void {
    if (session.error !== null || session.stopping !== null) {
      this.#client.logger.debug('consumer error after it started stopping', { error: err });
      return;
    }
    session.error = err;
    this.#client.logger.error('the consumer stops after an error', { groupId: this.#s.groupId, error: err });
    this.#emitter.emit('consumer.crash', { error: err, groupId: this.#s.groupId, restart: false });
    void this.stop();
  }

  // --- assignment ---

  async #subscribedTopics(link: Link): Promise<string[]> {
    if (!this.#subscription.hasPatterns) return this.#subscription.resolve(null);
    const all = await topicCounts(link.cluster, null, false);
    return this.#subscription.resolve(all.all);
  }

  /** Applies a group assignment: revokes what is no longer assigned, adds what is new. Returns the number revoked. */
  async #applyAssignment(session: Session, assigned: TopicPartitions[]): Promise<number> {
    if (!session.active) return 0;
    const next = new Set<string>();
    for (const tp of assigned) for (const p of tp.partitions) next.add(tpKey(tp.topic, p));
    const revoked = [...this.#partitions.keys()].filter((k) => !next.has(k));
    const added = [...next].filter((k) => !this.#partitions.has(k));
    if (revoked.length > 0) await this.#giveUp(session, revoked, 'revoke');
    if (added.length > 0) await this.#add(session, added);
    return revoked.length;
  }

  async #applyManualAssignment(session: Session): Promise<void> {
    const link = this.#requireConnected();
    const wanted = this.#manual ?? [];
    const needCounts = wanted.filter((a) => a.partitions === undefined).map((a) => a.topic);
    const counts = needCounts.length > 0 ? await topicCounts(link.cluster, needCounts, this.#s.allowAutoTopicCreation) : null;
    const tps: TopicPartitions[] = [];
    for (const a of wanted) {
      if (a.partitions !== undefined) {
        tps.push({ topic: a.topic, partitions: a.partitions });
        continue;
      }
      const n = counts?.partitions.get(a.topic);
      if (n === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, { apiName: 'Metadata', topic: a.topic, message: 'the topic does not exist' });
      tps.push({ topic: a.topic, partitions: [...Array(n).keys()] });
    }
    await this.#applyAssignment(session, tps);
  }

  async #add(session: Session, keys: string[]): Promise<void> {
    const link = this.#requireConnected();
    const parts = keys.map((k) => {
      const { topic, partition } = parseTpKey(k);
      const p = new AssignedPartition(topic, partition);
      this.#partitions.set(k, p);
      return p;
    });
    // The cluster tracks leaders of the topics it was asked about.
    for (const topic of new Set(parts.map((p) => p.topic))) link.cluster.topicMetadata(topic).catch(() => {});
    const tps = groupByTopic(keys);
    this.#emitter.emit('consumer.partitions_assigned', { partitions: tps });
    await this.#callListener('onPartitionsAssigned', tps);
    const targets: Array<[AssignedPartition, PositionTarget]> = parts.map((p) => {
      const seek = this.#pendingSeeks.get(p.key);
      this.#pendingSeeks.delete(p.key);
      return [p, seek ?? (link.store !== null ? { kind: 'committed' } : { kind: 'reset' })];
    });
    void this.#position(session, targets);
  }

  /**
   * Gives partitions up (see the top of this file). `revoke` commits processed
   * offsets (auto commit) and calls onPartitionsRevoked; `lose` does neither
   * and calls onPartitionsLost.
   */
  async #giveUp(session: Session, keys: string[], mode: 'revoke' | 'lose', opts: { quiet?: boolean } = {}): Promise<void> {
    const parts = keys.map((k) => this.#partitions.get(k)).filter((p): p is AssignedPartition => p !== undefined && p.phase !== 'revoked');
    if (parts.length === 0) return;
    for (const p of parts) {
      p.phase = 'draining';
      p.abort.abort();
    }
    await Promise.all(parts.map((p) => p.idle()));
    if (mode === 'revoke' && session.rs.autoCommit) await this.#commitResolved(session, parts);
    const tps = groupByTopic(parts.map((p) => p.key));
    if (!opts.quiet) {
      this.#emitter.emit(mode === 'revoke' ? 'consumer.partitions_revoked' : 'consumer.partitions_lost', { partitions: tps });
      await this.#callListener(mode === 'revoke' ? 'onPartitionsRevoked' : 'onPartitionsLost', tps);
    }
    for (const p of parts) {
      p.revoke();
      if (this.#partitions.get(p.key) === p) this.#partitions.delete(p.key);
    }
  }

  async #callListener(name: 'onPartitionsAssigned' | 'onPartitionsRevoked' | 'onPartitionsLost', tps: TopicPartitions[]): Promise<void> {
    const fn = this.#s.rebalanceListener[name];
    if (fn === undefined) return;
    try {
      await fn.call(this.#s.rebalanceListener, tps);
    } catch (err) {
      this.#client.logger.error(`rebalanceListener.${name} failed`, { error: err });
    }
  }

  // --- positions ---

  /** Finds and sets start positions (start-positions.ts) for partitions waiting in 'initializing'. */
  #position(session: Session, entries: Array<[AssignedPartition, PositionTarget]>): Promise<void> {
    const link = this.#link;
    if (link === null) return Promise.resolve();
    return resolveStartPositions(
      {
        cluster: link.cluster,
        store: link.store,
        readCommitted: this.#s.readCommitted,
        retry: this.#s.retry,
        random: this.#random,
        requestTimeoutMs: this.#s.requestTimeoutMs,
        logger: this.#client.logger,
        resetPolicy: (topic) => this.#resetPolicy(topic),
        active: () => session.active,
        positioned: () => session.fetcher.wake(),
        failed: (err) => this.#fail(session, err),
      },
      entries,
    );
  }

  #resetPolicy(topic: string): 'earliest' | 'latest' | 'none' {
    return this.#subscription.resetFor(topic, this.#s.autoOffsetReset);
  }

  #outOfRange(session: Session, p: AssignedPartition): void {
    const policy = this.#resetPolicy(p.topic);
    if (policy === 'none') {
      this.#fail(session, new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, { apiName: 'Fetch', topic: p.topic, partition: p.partition, message: `offset ${p.fetchOffset} is out of range and autoOffsetReset is none` }));
      return;
    }
    this.#client.logger.warn(`offset ${p.fetchOffset} of ${p.topic}-${p.partition} is out of range; resetting to the ${policy} offset`);
    p.phase = 'initializing';
    p.seek(-1);
    void this.#position(session, [[p, { kind: 'reset' }]]);
  }

  // --- delivery ---

  #isPaused(p: AssignedPartition): boolean {
    return this.#pausedTopics.has(p.topic) || this.#pausedPartitions.has(p.key);
  }

  #deliverable(session: Session, p: AssignedPartition): boolean {
    return session.active && p.phase === 'ready' && !p.busy && p.bufferedCount > 0 && !this.#isPaused(p) && p.handlerRetryAtMs <= Date.now() && this.#partitions.get(p.key) === p;
  }

  #canContinue(session: Session, p: AssignedPartition, epoch: number): boolean {
    return session.active && p.phase === 'ready' && p.epoch === epoch && !this.#isPaused(p) && p.handlerRetryAtMs <= Date.now();
  }

  async #worker(session: Session, handler: Handler): Promise<void> {
    const ctx = this.#deliveryContext(session);
    for (;;) {
      const p = await session.ready.take();
      if (p === null) return;
      if (!this.#deliverable(session, p)) continue;
      p.acquire();
      try {
        if ('eachBatch' in handler) await deliverBatch(ctx, p, handler.eachBatch);
        else await deliverMessages(ctx, p, handler.eachMessage);
      } finally {
        p.release();
        this.#afterDelivery(session, p);
      }
    }
  }

  #afterDelivery(session: Session, p: AssignedPartition): void {
    if (session.active) session.ready.offer(p);
    if (p.bufferedBytes < this.#s.maxBufferedBytesPerPartition) session.fetcher.wake();
  }

  #pauseOne(p: AssignedPartition): () => void {
    this.pause([{ topic: p.topic, partitions: [p.partition] }]);
    return () => this.resume([{ topic: p.topic, partitions: [p.partition] }]);
  }

  /** What handler-delivery.ts needs for one session. */
  #deliveryContext(session: Session): DeliveryContext {
    return {
      canContinue: (p, epoch) => this.#canContinue(session, p, epoch),
      resolved: (n) => this.#resolved(session, n),
      failed: (p, err, epoch) => this.#handlerFailed(session, p, err, epoch),
      heartbeat: () => session.membership?.heartbeatNow() ?? Promise.resolve(),
      pauseOne: (p) => this.#pauseOne(p),
      commitOffsets: (offsets) => this.commitOffsets(offsets),
      commitProcessed: async () => {
        await this.#commitResolved(session);
      },
      uncommittedOffsets: () => ({
        topics: groupByTopic([...this.#partitions.values()].filter((x) => x.resolvedOffset >= 0 && x.resolvedOffset > x.committedOffset).map((x) => x.key)).map((t) => ({
          topic: t.topic,
          partitions: t.partitions.map((partition) => ({ partition, offset: (this.#partitions.get(tpKey(t.topic, partition)) as AssignedPartition).resolvedOffset })),
        })),
      }),
      isRunning: () => session.active,
      eachBatchAutoResolve: session.rs.eachBatchAutoResolve,
    };
  }

  /** A handler threw: retry the same message(s) after a pause, up to the retry policy, then stop. */
  #handlerFailed(session: Session, p: AssignedPartition, err: unknown, epoch: number): void {
    const error = err instanceof Error ? err : new Error(String(err));
    if (!session.active || p.phase !== 'ready' || p.epoch !== epoch) {
      this.#client.logger.debug('a handler failed while its partition was being given up', { topic: p.topic, partition: p.partition, error });
      return;
    }
    p.handlerFailures++;
    if (p.handlerFailures > this.#s.retry.retries) {
      this.#fail(session, error);
      return;
    }
    const delay = retryDelayMs(this.#s.retry, p.handlerFailures, this.#random);
    p.handlerRetryAtMs = Date.now() + delay;
    this.#client.logger.warn(`the handler failed on ${p.topic}-${p.partition} at offset ${p.peek()?.offset ?? p.resolvedOffset}; retrying in ${delay} ms`, { error });
    const timer = setTimeout(() => {
      session.retryTimers.delete(timer);
      // The timer decides, not the clock: it may fire a millisecond before Date.now() reaches handlerRetryAtMs.
      if (p.handlerRetryAtMs > 0) p.handlerRetryAtMs = 0;
      session.ready.offer(p);
    }, delay);
    session.retryTimers.add(timer);
  }

  // --- commits ---

  #identity(): CommitIdentity {
    const m = this.#session?.membership;
    return m !== null && m !== undefined ? m.identity() : { generationId: -1, memberId: '', groupInstanceId: null };
  }

  #resolved(session: Session, n: number): void {
    if (n <= 0) return;
    session.resolvedSinceCommit += n;
    if (session.rs.autoCommit && session.rs.autoCommitThreshold > 0 && session.resolvedSinceCommit >= session.rs.autoCommitThreshold) {
      void this.#commitResolved(session);
    }
  }

  #scheduleAutoCommit(session: Session): void {
    session.autoCommitTimer = setTimeout(() => {
      session.autoCommitTimer = null;
      if (!session.active) return;
      void this.#commitResolved(session).finally(() => {
        if (session.active) this.#scheduleAutoCommit(session);
      });
    }, session.rs.autoCommitIntervalMs);
  }

  /** Commits the processed offsets that changed; failures are logged (the next commit tries again). */
  async #commitResolved(session: Session, only?: readonly AssignedPartition[]): Promise<boolean> {
    const store = this.#link?.store;
    if (store === null || store === undefined) return true;
    const parts = (only ?? [...this.#partitions.values()]).filter(
      (p) => (p.phase === 'ready' || p.phase === 'draining') && p.resolvedOffset >= 0 && p.resolvedOffset > p.committedOffset,
    );
    if (parts.length === 0) return true;
    const list = parts.map((p) => ({ p, offset: p.resolvedOffset }));
    session.resolvedSinceCommit = 0;
    const identity = this.#identity();
    try {
      await store.commit(
        list.map(({ p, offset }) => ({ topic: p.topic, partition: p.partition, offset })),
        identity,
      );
    } catch (err) {
      // Commits that meet a rebalance are refused for the old generation; that is expected, the
      // offsets go with the next commit (or the next owner reads them again: at least once).
      const errors = err instanceof AggregateError ? err.errors : [err];
      const membershipError = errors.every((e) => e instanceof KafkaError && MEMBERSHIP_ERRORS.has(e.code));
      const log = membershipError ? this.#client.logger.debug : this.#client.logger.warn;
      log.call(this.#client.logger, 'committing offsets failed; the next commit will include them', { groupId: this.#s.groupId, error: err });
      if (errors.some((e) => e instanceof KafkaError && (e.code === ErrorCode.ILLEGAL_GENERATION || e.code === ErrorCode.UNKNOWN_MEMBER_ID))) {
        session.membership?.requestRejoin('a commit was refused for this generation');
      }
      return false;
    }
    for (const { p, offset } of list) p.committedOffset = Math.max(p.committedOffset, offset);
    this.#emitCommit(
      identity,
      list.map(({ p, offset }) => ({ topic: p.topic, partition: p.partition, offset })),
    );
    return true;
  }

  #emitCommit(identity: CommitIdentity, list: ReadonlyArray<TopicPartition & { offset: number }>): void {
    const byTopic = new Map<string, Array<{ partition: number; offset: number }>>();
    for (const o of list) {
      let l = byTopic.get(o.topic);
      if (l === undefined) byTopic.set(o.topic, (l = []));
      l.push({ partition: o.partition, offset: o.offset });
    }
    this.#emitter.emit('consumer.commit_offsets', {
      groupId: this.#s.groupId ?? '',
      memberId: identity.memberId,
      groupGenerationId: identity.generationId,
      topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
    });
  }

  // --- helpers ---

  #requireConnected(): Link {
    if (this.#link === null) throw new ClientError('SAMSA_ERR_NOT_CONNECTED', 'the consumer is not connected: call connect() first');
    return this.#link;
  }

  /** Runs assignment changes one at a time. */
  #locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn, fn);
    this.#lock = run.catch(() => {});
    return run;
  }
}
