/**
 * KafkaStreams: runs a topology against a Kafka-compatible cluster, using
 * only @samsa/client.
 *
 * - The consumer group is the application id; the `samsa-streams` assignor
 *   gives each instance whole tasks (see task-assignor.ts).
 * - When tasks arrive, their stores are restored from the changelogs before
 *   any record is processed; when they leave, they are closed.
 * - Records are processed one fetched batch (one partition) at a time. After
 *   each batch the output and changelog records are sent and the input
 *   offsets committed:
 *   - at_least_once: sent with the idempotent producer, then the offsets are
 *     committed; a crash in between processes the batch again (duplicates
 *     downstream, never a loss).
 *   - exactly_once_v2: one transaction per batch holds the output, the
 *     changelog writes and the offsets (sendOffsets with the consumer's group
 *     metadata, KIP-447); a crash aborts it, and read_committed readers see
 *     every input's effects once.
 * - Wall-clock punctuations run on a timer, serialized with batch
 *   processing; their output is committed the same way (without offsets).
 * - Any error in processing or committing stops the instance (Kafka's
 *   SHUTDOWN_CLIENT): in-memory state may already hold the failed batch's
 *   effects, so it must be rebuilt from the changelog by a restart.
 *
 * Instance states follow Kafka's: CREATED → REBALANCING ⇄ RUNNING →
 * PENDING_SHUTDOWN → NOT_RUNNING, or → ERROR after a failure.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, consoleLogger, type Consumer, type ConsumerOptions, type Logger, type Producer, type TopicPartitions } from '@samsa/client';
import type { KeyValue, KeyValueStore } from '../state/key-value-store.js';
import type { StateStore } from '../state/state-store.js';
import { StreamsError } from '../streams-error.js';
import type { Topology } from '../topology/topology.js';
import { planTopics, type TopicPlan } from './internal-topics.js';
import { BufferingCollector, toTopicMessages } from './buffering-collector.js';
import { restoreTasks, type RestoreResult } from './state-restorer.js';
import { StreamTask, type TaskMetrics } from './stream-task.js';
import { resolveTopologySettings, type ProcessingGuarantee, type ResolvedTopologySettings, type TopologySettings } from './streams-config.js';
import { taskAssignor } from './task-assignor.js';

/** Configuration of a KafkaStreams instance (Kafka Streams' names in camelCase). */
export interface StreamsConfig extends TopologySettings {
  /** bootstrap.servers; or give `kafka`. */
  brokers?: string | string[];
  /** A configured client to use instead of `brokers`. */
  kafka?: Kafka;
  clientId?: string;
  /** processing.guarantee [at_least_once]. */
  processingGuarantee?: ProcessingGuarantee;
  /** replication.factor of internal topics [-1: the broker's default]. */
  replicationFactor?: number;
  /** auto.offset.reset for source topics without committed offsets [earliest, Kafka Streams' default]. */
  autoOffsetReset?: 'earliest' | 'latest';
  /** transaction.timeout.ms with exactly_once_v2 [10000, Kafka Streams' default]. */
  transactionTimeoutMs?: number;
  /** How often wall-clock punctuations are checked [100]. */
  wallClockTickMs?: number;
  /** Bound on restoring state stores after an assignment [300000]. */
  restoreTimeoutMs?: number;
  /** Extra consumer options (session and heartbeat timing, fetch sizes). */
  consumer?: Pick<ConsumerOptions, 'sessionTimeoutMs' | 'heartbeatIntervalMs' | 'rebalanceTimeoutMs' | 'maxWaitTimeMs' | 'maxBytesPerPartition' | 'metadataMaxAgeMs'>;
}

/** Kafka Streams' instance states. */
export type StreamsState = 'CREATED' | 'REBALANCING' | 'RUNNING' | 'PENDING_SHUTDOWN' | 'NOT_RUNNING' | 'PENDING_ERROR' | 'ERROR';

/** Counters of this instance. */
export interface StreamsMetrics extends TaskMetrics {
  commits: number;
  restoredRecords: number;
  activeTasks: string[];
}

function configError(message: string): StreamsError {
  return new StreamsError('SAMSA_ERR_STREAMS_CONFIG', message);
}

function wholeNumber(name: string, v: number | undefined, fallback: number, min: number): number {
  const x = v ?? fallback;
  if (!Number.isSafeInteger(x) || x < min) throw configError(`${name} must be a whole number >= ${min}, got ${String(v)}`);
  return x;
}

export class KafkaStreams {
  readonly #topology: Topology;
  readonly #settings: ResolvedTopologySettings;
  readonly #kafka: Kafka;
  readonly #guarantee: ProcessingGuarantee;
  readonly #replicationFactor: number;
  readonly #autoOffsetReset: 'earliest' | 'latest';
  readonly #transactionTimeoutMs: number;
  readonly #wallClockTickMs: number;
  readonly #restoreTimeoutMs: number;
  readonly #consumerOptions: StreamsConfig['consumer'];
  readonly #processId = randomUUID();
  readonly #tasks = new Map<string, StreamTask>();
  readonly #listeners = new Set<(next: StreamsState, previous: StreamsState) => void>();
  readonly #closedTaskMetrics: TaskMetrics = { processed: 0, droppedRecords: 0, punctuations: 0 };
  #state: StreamsState = 'CREATED';
  #plan: TopicPlan | null = null;
  #collector: BufferingCollector | null = null;
  #consumer: Consumer | null = null;
  #producer: Producer | null = null;
  #timer: NodeJS.Timeout | null = null;
  /** Batches, punctuations and rebalance callbacks run one at a time through this chain. */
  #serial: Promise<unknown> = Promise.resolve();
  #commits = 0;
  #restoredRecords = 0;
  #error: Error | null = null;
  #closing: Promise<void> | null = null;

  constructor(topology: Topology, config: StreamsConfig) {
    if (config === null || typeof config !== 'object') throw configError('new KafkaStreams(topology, { applicationId, brokers, ... })');
    this.#settings = resolveTopologySettings(config, config.logger ?? consoleLogger);
    const guarantee = config.processingGuarantee ?? 'at_least_once';
    if (guarantee !== 'at_least_once' && guarantee !== 'exactly_once_v2') throw configError(`processingGuarantee must be 'at_least_once' or 'exactly_once_v2', got ${String(guarantee)}`);
    this.#guarantee = guarantee;
    if (config.kafka !== undefined) this.#kafka = config.kafka;
    else if (config.brokers !== undefined) this.#kafka = new Kafka({ brokers: config.brokers, clientId: config.clientId ?? config.applicationId, logger: this.#settings.logger });
    else throw configError('give brokers (bootstrap.servers) or a kafka client');
    const rf = config.replicationFactor ?? -1;
    if (!Number.isSafeInteger(rf) || (rf < 1 && rf !== -1)) throw configError(`replicationFactor must be -1 or a whole number >= 1, got ${String(rf)}`);
    this.#replicationFactor = rf;
    const reset = config.autoOffsetReset ?? 'earliest';
    if (reset !== 'earliest' && reset !== 'latest') throw configError(`autoOffsetReset must be 'earliest' or 'latest', got ${String(reset)}`);
    this.#autoOffsetReset = reset;
    this.#transactionTimeoutMs = wholeNumber('transactionTimeoutMs', config.transactionTimeoutMs, 10_000, 1);
    this.#wallClockTickMs = wholeNumber('wallClockTickMs', config.wallClockTickMs, 100, 1);
    this.#restoreTimeoutMs = wholeNumber('restoreTimeoutMs', config.restoreTimeoutMs, 300_000, 1);
    this.#consumerOptions = config.consumer;
    this.#topology = topology;
    topology.subtopologies(); // validates now, and freezes the topology
  }

  get state(): StreamsState {
    return this.#state;
  }

  /** The error that moved the instance to ERROR, if any. */
  get error(): Error | null {
    return this.#error;
  }

  /** Calls `listener(next, previous)` on every state change; returns the remover. */
  onStateChange(listener: (next: StreamsState, previous: StreamsState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #setState(next: StreamsState): void {
    const previous = this.#state;
    if (previous === next) return;
    this.#state = next;
    for (const l of [...this.#listeners]) {
      try {
        l(next, previous);
      } catch (err) {
        this.#settings.logger.error('state listener failed', { error: err });
      }
    }
  }

  /**
   * Creates missing internal topics, joins the group and resolves once the
   * instance has its first assignment with restored stores (RUNNING).
   */
  async start(): Promise<void> {
    if (this.#state !== 'CREATED') throw new StreamsError('SAMSA_ERR_STREAMS_ILLEGAL_STATE', `start() can be called once, in state CREATED (now ${this.#state})`);
    this.#setState('REBALANCING');
    try {
      await this.#start();
    } catch (err) {
      this.#fail(err);
      await this.close();
      throw this.#error;
    }
  }

  async #start(): Promise<void> {
    const appId = this.#settings.applicationId;
    const logger = this.#settings.logger;
    const admin = this.#kafka.admin();
    await admin.connect();
    try {
      this.#plan = await planTopics(admin, this.#topology, appId, this.#replicationFactor, logger);
    } finally {
      await admin.disconnect();
    }
    // Serdes with an init() (schema-registry serdes) get it once, before any record.
    const serdes = new Set([this.#settings.defaultKeySerde, this.#settings.defaultValueSerde]);
    for (const st of this.#topology.subtopologies()) {
      for (const n of st.nodes) if (n.kind !== 'processor') serdes.add(n.keySerde).add(n.valueSerde);
    }
    for (const s of serdes) if (s?.init !== undefined) await s.init();
    this.#collector = new BufferingCollector(this.#plan.partitionCounts);

    const eos = this.#guarantee === 'exactly_once_v2';
    this.#producer = this.#kafka.producer(
      eos ? { transactionalId: `${appId}-${this.#processId}`, transactionTimeoutMs: this.#transactionTimeoutMs } : { idempotent: true },
    );
    await this.#producer.connect();

    const consumer = this.#kafka.consumer({
      ...this.#consumerOptions,
      groupId: appId,
      partitionAssigners: [taskAssignor(this.#plan.subtopologyByTopic)],
      isolationLevel: eos ? 'read_committed' : 'read_uncommitted',
      autoOffsetReset: this.#autoOffsetReset,
      allowAutoTopicCreation: false,
      rebalanceListener: {
        onPartitionsAssigned: (tps) => this.#serialized(() => this.#assigned(tps)),
        onPartitionsRevoked: (tps) => this.#serialized(async () => this.#closeTasks(tps)),
        onPartitionsLost: (tps) => this.#serialized(async () => this.#closeTasks(tps)),
      },
    });
    this.#consumer = consumer;
    consumer.on(consumer.events.CRASH, (e) => this.#fail(e.payload.error));
    consumer.on(consumer.events.REBALANCING, () => {
      if (this.#state === 'RUNNING') this.#setState('REBALANCING');
    });
    await consumer.connect();
    const internal = new Set(this.#plan.internalTopics.filter((t) => t.kind === 'repartition').map((t) => t.name));
    const topics = [...this.#plan.subtopologyByTopic.keys()];
    const fromBeginning = topics.filter((t) => internal.has(t) || this.#offsetResetOf(t) === 'earliest');
    const fromEnd = topics.filter((t) => !fromBeginning.includes(t));
    if (fromBeginning.length > 0) await consumer.subscribe({ topics: fromBeginning, fromBeginning: true });
    if (fromEnd.length > 0) await consumer.subscribe({ topics: fromEnd, fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async ({ batch }) => {
        if (batch.messages.length === 0) return;
        await this.#serialized(() => this.#processBatch(batch.topic, batch.partition, batch.messages));
      },
    });
    if (this.#error !== null) throw this.#error;
    this.#timer = setInterval(() => {
      void this.#serialized(() => this.#punctuateWallClock());
    }, this.#wallClockTickMs);
    this.#timer.unref();
    if (this.#state === 'REBALANCING') this.#setState('RUNNING');
  }

  #offsetResetOf(topic: string): 'earliest' | 'latest' {
    for (const st of this.#topology.subtopologies()) {
      for (const n of st.nodes) if (n.kind === 'source' && n.topics.includes(topic) && n.offsetReset !== undefined) return n.offsetReset;
    }
    return this.#autoOffsetReset;
  }

  /** Runs `fn` after everything queued before it; a failure moves the instance to ERROR. */
  #serialized<T>(fn: () => Promise<T>): Promise<T | undefined> {
    const run = this.#serial.then(async () => {
      if (this.#error !== null) return undefined;
      try {
        return await fn();
      } catch (err) {
        this.#fail(err);
        return undefined;
      }
    });
    this.#serial = run;
    return run;
  }

  #fail(err: unknown): void {
    if (this.#error !== null) return;
    this.#error =
      err instanceof StreamsError ? err : new StreamsError('SAMSA_ERR_STREAMS_PROCESSING', `the application stopped: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    this.#settings.logger.error('stream processing failed; the instance shuts down', { error: this.#error });
    this.#setState('PENDING_ERROR');
    // Not awaited here: this may run inside a consumer handler, which close() waits for.
    setImmediate(() => {
      void this.close().finally(() => this.#setState('ERROR'));
    });
  }

  async #assigned(tps: TopicPartitions[]): Promise<void> {
    const plan = this.#plan as TopicPlan;
    const wanted = new Map<string, { sub: number; partition: number }>();
    for (const { topic, partitions } of tps) {
      const sub = plan.subtopologyByTopic.get(topic);
      if (sub === undefined) continue;
      for (const p of partitions) wanted.set(`${sub}_${p}`, { sub, partition: p });
    }
    const created: StreamTask[] = [];
    const subs = this.#topology.subtopologies();
    for (const [id, { sub, partition }] of wanted) {
      if (this.#tasks.has(id)) continue;
      const task = new StreamTask(this.#topology, subs[sub], partition, this.#settings, this.#collector as BufferingCollector, () => Date.now(), { loggingEnabled: true });
      this.#tasks.set(id, task);
      created.push(task);
    }
    if (created.length > 0) {
      const restored: RestoreResult = await restoreTasks(this.#kafka, created, {
        applicationId: this.#settings.applicationId,
        readCommitted: this.#guarantee === 'exactly_once_v2',
        timeoutMs: this.#restoreTimeoutMs,
        logger: this.#settings.logger,
      });
      this.#restoredRecords += restored.records;
    }
    this.#settings.logger.info('tasks assigned', { tasks: [...this.#tasks.keys()] });
    if (this.#state === 'REBALANCING') this.#setState('RUNNING');
  }

  #closeTasks(tps: TopicPartitions[]): void {
    const plan = this.#plan as TopicPlan;
    for (const { topic, partitions } of tps) {
      const sub = plan.subtopologyByTopic.get(topic);
      if (sub === undefined) continue;
      for (const p of partitions) {
        const id = `${sub}_${p}`;
        const task = this.#tasks.get(id);
        if (task === undefined) continue;
        this.#closedTaskMetrics.processed += task.metrics.processed;
        this.#closedTaskMetrics.droppedRecords += task.metrics.droppedRecords;
        this.#closedTaskMetrics.punctuations += task.metrics.punctuations;
        task.close();
        this.#tasks.delete(id);
      }
    }
    if (this.#state === 'RUNNING') this.#setState('REBALANCING');
  }

  async #processBatch(topic: string, partition: number, messages: ReadonlyArray<{ offset: number; timestamp: number; key: Buffer | null; value: Buffer | null; headerList: Array<{ key: string; value: Buffer | null }> }>): Promise<void> {
    const plan = this.#plan as TopicPlan;
    const sub = plan.subtopologyByTopic.get(topic);
    const task = sub === undefined ? undefined : this.#tasks.get(`${sub}_${partition}`);
    if (task === undefined) throw new StreamsError('SAMSA_ERR_STREAMS_PROCESSING', `received ${topic}-${partition} without a task for it`);
    for (const m of messages) {
      task.process({ topic, partition, offset: m.offset, timestamp: m.timestamp, key: m.key, value: m.value, headers: m.headerList });
    }
    const next = messages[messages.length - 1].offset + 1;
    await this.#commit([{ topic, partitions: [{ partition, offset: next }] }]);
  }

  async #punctuateWallClock(): Promise<void> {
    const now = Date.now();
    for (const t of this.#tasks.values()) t.punctuateWallClock(now);
    if ((this.#collector as BufferingCollector).records.length > 0) await this.#commit([]);
  }

  /** Sends what the collector holds and commits `offsets` with it (see the top of this file). */
  async #commit(offsets: Array<{ topic: string; partitions: Array<{ partition: number; offset: number }> }>): Promise<void> {
    const records = (this.#collector as BufferingCollector).take();
    const producer = this.#producer as Producer;
    const consumer = this.#consumer as Consumer;
    const topicMessages = toTopicMessages(records);
    if (this.#guarantee === 'exactly_once_v2') {
      if (records.length === 0 && offsets.length === 0) return;
      const txn = await producer.transaction();
      try {
        if (topicMessages.length > 0) await txn.sendBatch({ topicMessages });
        if (offsets.length > 0) await txn.sendOffsets({ consumerGroupMetadata: consumer.groupMetadata(), topics: offsets });
        await txn.commit();
      } catch (err) {
        if (txn.isActive()) await txn.abort().catch(() => {});
        throw err;
      }
    } else {
      if (topicMessages.length > 0) await producer.sendBatch({ topicMessages });
      if (offsets.length > 0) {
        await consumer.commitOffsets(offsets.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: String(p.offset) }))));
      }
    }
    this.#commits++;
  }

  /** Stops processing, leaves the group and closes the clients. Resolves when done; safe to call twice. */
  close(): Promise<void> {
    if (this.#closing !== null) return this.#closing;
    this.#closing = this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    if (this.#error === null) this.#setState('PENDING_SHUTDOWN');
    if (this.#timer !== null) clearInterval(this.#timer);
    const logger = this.#settings.logger;
    try {
      await this.#consumer?.disconnect();
    } catch (err) {
      logger.warn('consumer disconnect failed', { error: err });
    }
    await this.#serial.catch(() => {});
    for (const t of this.#tasks.values()) t.close();
    this.#tasks.clear();
    try {
      await this.#producer?.disconnect();
    } catch (err) {
      logger.warn('producer disconnect failed', { error: err });
    }
    if (this.#error === null) this.#setState('NOT_RUNNING');
  }

  /**
   * A read-only view of a key-value store over this instance's tasks (a
   * local query, as Kafka's `store(StoreQueryParameters)`): `get` looks in
   * every local task's instance of the store, `all` concatenates them.
   */
  keyValueStore<K, V>(name: string): ReadOnlyKeyValueView<K, V> {
    if (this.#state !== 'RUNNING' && this.#state !== 'REBALANCING') throw new StreamsError('SAMSA_ERR_STREAMS_ILLEGAL_STATE', `stores can be queried while RUNNING or REBALANCING (now ${this.#state})`);
    const stores = (): Array<KeyValueStore<K, V>> => {
      const out: Array<KeyValueStore<K, V>> = [];
      for (const t of this.#tasks.values()) {
        const s: StateStore | undefined = t.store(name);
        if (s !== undefined) out.push(s as KeyValueStore<K, V>);
      }
      return out;
    };
    if (![...this.#topology.storeBuilders().keys()].includes(name)) throw new StreamsError('SAMSA_ERR_STREAMS_STATE', `the topology has no store named ${name}`);
    return {
      get: (key) => {
        for (const s of stores()) {
          const v = s.get(key);
          if (v !== null) return v;
        }
        return null;
      },
      all: () => stores().flatMap((s) => s.all()),
      approximateNumEntries: () => stores().reduce((n, s) => n + s.approximateNumEntries(), 0),
    };
  }

  metrics(): StreamsMetrics {
    const m: StreamsMetrics = { ...this.#closedTaskMetrics, commits: this.#commits, restoredRecords: this.#restoredRecords, activeTasks: [...this.#tasks.keys()].sort() };
    for (const t of this.#tasks.values()) {
      m.processed += t.metrics.processed;
      m.droppedRecords += t.metrics.droppedRecords;
      m.punctuations += t.metrics.punctuations;
    }
    return m;
  }
}

/** Local read access to a key-value store across this instance's tasks. */
export interface ReadOnlyKeyValueView<K, V> {
  get(key: K): V | null;
  all(): Array<KeyValue<K, V>>;
  approximateNumEntries(): number;
}
