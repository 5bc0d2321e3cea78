/**
 * A task: one sub-topology running for one partition number. It owns a
 * fresh instance of every processor and store of its sub-topology, its
 * stream time and its punctuations, and turns consumed records into calls
 * down the processor graph. Output (sinks and changelogs) goes to the
 * RecordCollector; the caller decides when to flush and commit.
 *
 * Processing a record, in order:
 *   1. deserialize key and value with the source's serdes (failures go to
 *      the deserialization exception handler);
 *   2. extract the event time; a negative one skips the record (counted);
 *   3. advance stream time (the largest event time seen by this task);
 *   4. run the record through the graph, synchronously;
 *   5. fire stream-time punctuations that are due.
 */
import { StreamRecord } from '../processor/record.js';
import type { Headers } from '../processor/headers.js';
import type { Cancellable, ProcessorContext, PunctuationType, Punctuator, RecordMetadata, TaskId } from '../processor/processor.js';
import type { Serde } from '../serdes/serde.js';
import type { StateStore, StateStoreContext } from '../state/state-store.js';
import { StreamsError } from '../streams-error.js';
import type { ProcessorNodeDef, SinkNodeDef, SourceNodeDef } from '../topology/nodes.js';
import type { Subtopology, Topology } from '../topology/topology.js';
import { PunctuationQueue } from './punctuation-queue.js';
import type { RecordCollector } from './record-collector.js';
import { changelogTopicName, type ResolvedTopologySettings } from './streams-config.js';

/** A record as consumed, before deserialization. */
export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Headers;
}

/** Counters a task keeps (Kafka's task-level metrics of the same names). */
export interface TaskMetrics {
  processed: number;
  droppedRecords: number;
  punctuations: number;
}

interface RuntimeNode {
  readonly name: string;
  process(record: StreamRecord<unknown, unknown>): void;
}

/** Stream time before the first record (Kafka's RecordQueue.UNKNOWN). */
const UNKNOWN_TIME = -1;

export class StreamTask {
  readonly id: TaskId;
  readonly subtopology: Subtopology;
  readonly metrics: TaskMetrics = { processed: 0, droppedRecords: 0, punctuations: 0 };
  readonly #settings: ResolvedTopologySettings;
  readonly #collector: RecordCollector;
  readonly #clock: () => number;
  readonly #nodes = new Map<string, RuntimeNode>();
  readonly #sources = new Map<string, { def: SourceNodeDef; node: RuntimeNode }>();
  readonly #stores = new Map<string, StateStore>();
  readonly #restorers = new Map<string, (key: Buffer, value: Buffer | null) => void>();
  readonly #closers: Array<() => void> = [];
  readonly #streamTimePunctuations = new PunctuationQueue();
  readonly #wallClockPunctuations = new PunctuationQueue();
  /** Resolves internal topic names (repartition topics get the application id prefix). */
  readonly #topicName: (name: string) => string;
  #streamTime = UNKNOWN_TIME;
  #metadata: RecordMetadata | null = null;
  /** Timestamp of the record in progress (or of the punctuation), for changelog records. */
  #currentTimestamp = 0;
  #commitRequested = false;

  constructor(
    topology: Topology,
    subtopology: Subtopology,
    partition: number,
    settings: ResolvedTopologySettings,
    collector: RecordCollector,
    clock: () => number,
    options: { loggingEnabled: boolean },
  ) {
    this.id = { subtopology: subtopology.id, partition };
    this.subtopology = subtopology;
    this.#settings = settings;
    this.#collector = collector;
    this.#clock = clock;
    const internal = topology.internalTopics();
    this.#topicName = (name) => (internal.has(name) ? `${settings.applicationId}-${name}` : name);

    const builders = topology.storeBuilders();
    const storeContext: StateStoreContext = {
      applicationId: settings.applicationId,
      taskId: this.id,
      defaultKeySerde: settings.defaultKeySerde,
      defaultValueSerde: settings.defaultValueSerde,
      changelogTopic: (store) => (options.loggingEnabled && builders.get(store)?.logging.enabled === true ? changelogTopicName(settings.applicationId, store) : null),
      logChange: (store, key, value) => {
        if (!options.loggingEnabled) return;
        this.#collector.send({
          topic: changelogTopicName(settings.applicationId, store),
          partition,
          key,
          value,
          timestamp: this.#currentTimestamp,
          headers: [],
        });
      },
      registerRestore: (store, restore) => {
        this.#restorers.set(store, restore);
      },
    };
    for (const name of subtopology.stores) {
      const builder = builders.get(name);
      if (builder === undefined) throw new StreamsError('SAMSA_ERR_STREAMS_TOPOLOGY', `store ${name} has no builder`);
      const store = builder.build();
      store.init(storeContext);
      this.#stores.set(name, store);
    }
    // Children before parents, so each node can hold its children directly.
    const build = (name: string): RuntimeNode => {
      const existing = this.#nodes.get(name);
      if (existing !== undefined) return existing;
      const def = topology.node(name);
      if (def === undefined) throw new StreamsError('SAMSA_ERR_STREAMS_TOPOLOGY', `unknown node ${name}`);
      const children = topology.childrenOf(name).map((c) => build(c.name));
      let node: RuntimeNode;
      if (def.kind === 'sink') node = this.#sinkNode(def);
      else if (def.kind === 'processor') node = this.#processorNode(def, children);
      else node = { name, process: (r) => this.#forwardAll(children, r) };
      this.#nodes.set(name, node);
      return node;
    };
    for (const def of subtopology.nodes) {
      const node = build(def.name);
      if (def.kind === 'source') for (const t of def.topics) this.#sources.set(this.#topicName(t), { def, node });
    }
  }

  /** The topics (as consumed, internal ones prefixed) this task reads. */
  get sourceTopics(): string[] {
    return [...this.#sources.keys()];
  }

  get streamTimeMs(): number {
    return this.#streamTime;
  }

  /** Store by name, for the test driver and interactive queries. */
  store(name: string): StateStore | undefined {
    return this.#stores.get(name);
  }

  /** The stores with a changelog, and how to feed each one back. */
  restorers(): ReadonlyMap<string, (key: Buffer, value: Buffer | null) => void> {
    return this.#restorers;
  }

  /** Whether a processor called context.commit() since the last call. */
  takeCommitRequest(): boolean {
    const r = this.#commitRequested;
    this.#commitRequested = false;
    return r;
  }

  #forwardAll(children: RuntimeNode[], record: StreamRecord<unknown, unknown>): void {
    for (const c of children) c.process(record);
  }

  #serde(given: Serde<unknown> | undefined, fallback: Serde<unknown> | undefined, what: string): Serde<unknown> {
    const s = given ?? fallback;
    if (s === undefined) {
      throw new StreamsError('SAMSA_ERR_STREAMS_CONFIG', `${what} has no serde: give one (Consumed/Produced/options) or set defaultKeySerde/defaultValueSerde`);
    }
    return s;
  }

  #sinkNode(def: SinkNodeDef): RuntimeNode {
    const keySerde = this.#serde(def.keySerde, this.#settings.defaultKeySerde, `sink ${def.name} (key)`);
    const valueSerde = this.#serde(def.valueSerde, this.#settings.defaultValueSerde, `sink ${def.name} (value)`);
    return {
      name: def.name,
      process: (record) => {
        const topic =
          typeof def.topic === 'string'
            ? this.#topicName(def.topic)
            : def.topic(record.key, record.value, { topic: this.#metadata?.topic ?? null });
        const key = record.key === null || record.key === undefined ? null : keySerde.serialize(topic, record.key, record.headers);
        const value = record.value === null || record.value === undefined ? null : valueSerde.serialize(topic, record.value, record.headers);
        let partition: number | undefined;
        if (def.partitioner !== undefined) {
          const count = this.#collector.partitionCount(topic);
          if (count === undefined) throw new StreamsError('SAMSA_ERR_STREAMS_TOPICS', `sink ${def.name}: the partition count of ${topic} is unknown, so its partitioner cannot run`);
          partition = def.partitioner(topic, record.key, record.value, count);
          if (partition !== undefined && (!Number.isInteger(partition) || partition < 0 || partition >= count)) {
            throw new StreamsError('SAMSA_ERR_STREAMS_PROCESSING', `sink ${def.name}: partitioner returned ${String(partition)} for ${topic} with ${count} partitions`);
          }
        }
        this.#collector.send({ topic, partition, key, value, timestamp: record.timestamp, headers: record.headers });
      },
    };
  }

  #processorNode(def: ProcessorNodeDef, children: RuntimeNode[]): RuntimeNode {
    const processor = def.supplier();
    const byName = new Map(children.map((c) => [c.name, c]));
    const context: ProcessorContext = {
      applicationId: this.#settings.applicationId,
      taskId: this.id,
      logger: this.#settings.logger,
      forward: (record, childName) => {
        if (childName === undefined) {
          this.#forwardAll(children, record);
          return;
        }
        const child = byName.get(childName);
        if (child === undefined) throw new StreamsError('SAMSA_ERR_STREAMS_TOPOLOGY', `${def.name} has no child named ${childName}`);
        child.process(record);
      },
      recordMetadata: () => this.#metadata,
      getStateStore: <S extends StateStore>(name: string): S => {
        if (!def.stores.has(name)) throw new StreamsError('SAMSA_ERR_STREAMS_TOPOLOGY', `processor ${def.name} is not connected to store ${name}`);
        return this.#stores.get(name) as S;
      },
      schedule: (intervalMs: number, type: PunctuationType, punctuator: Punctuator): Cancellable => this.#schedule(intervalMs, type, punctuator),
      currentStreamTimeMs: () => this.#streamTime,
      currentSystemTimeMs: () => this.#clock(),
      commit: () => {
        this.#commitRequested = true;
      },
      recordDropped: (reason: string) => {
        this.metrics.droppedRecords++;
        const m = this.#metadata;
        this.#settings.logger.warn(`${def.name}: ${reason}${m === null ? '' : ` (${m.topic}-${m.partition} offset ${m.offset})`}`);
      },
    };
    processor.init?.(context);
    if (processor.close !== undefined) this.#closers.push(() => processor.close?.());
    return { name: def.name, process: (r) => processor.process(r) };
  }

  #schedule(intervalMs: number, type: PunctuationType, punctuator: Punctuator): Cancellable {
    const run = (p: Punctuator, timestamp: number): void => {
      const saved = this.#metadata;
      this.#metadata = null;
      this.#currentTimestamp = timestamp;
      try {
        this.metrics.punctuations++;
        p(timestamp);
      } finally {
        this.#metadata = saved;
      }
    };
    if (type === 'STREAM_TIME') return this.#streamTimePunctuations.add(0, intervalMs, punctuator, run);
    if (type === 'WALL_CLOCK_TIME') return this.#wallClockPunctuations.add(this.#clock() + intervalMs, intervalMs, punctuator, run);
    throw new StreamsError('SAMSA_ERR_STREAMS_TOPOLOGY', `unknown punctuation type ${String(type)}`);
  }

  /** Processes one consumed record (see the top of this file). */
  process(rec: ConsumedRecord): void {
    const source = this.#sources.get(rec.topic);
    if (source === undefined) throw new StreamsError('SAMSA_ERR_STREAMS_TOPOLOGY', `task ${this.id.subtopology}_${this.id.partition} does not read topic ${rec.topic}`);
    const { def, node } = source;
    let key: unknown;
    let value: unknown;
    try {
      const keySerde = this.#serde(def.keySerde, this.#settings.defaultKeySerde, `source ${def.name} (key)`);
      const valueSerde = this.#serde(def.valueSerde, this.#settings.defaultValueSerde, `source ${def.name} (value)`);
      key = rec.key === null ? null : keySerde.deserialize(rec.topic, rec.key, rec.headers);
      value = rec.value === null ? null : valueSerde.deserialize(rec.topic, rec.value, rec.headers);
    } catch (err) {
      const where = `${rec.topic}-${rec.partition} offset ${rec.offset}`;
      if (this.#settings.deserializationExceptionHandler === 'logAndContinue') {
        this.metrics.droppedRecords++;
        this.#settings.logger.warn(`skipping a record that cannot be deserialized at ${where}`, { error: err });
        return;
      }
      throw new StreamsError('SAMSA_ERR_STREAMS_SERDE', `cannot deserialize the record at ${where} (deserializationExceptionHandler is logAndFail)`, { cause: err });
    }
    const extractor = def.timestampExtractor ?? this.#settings.defaultTimestampExtractor;
    const timestamp = extractor({ topic: rec.topic, partition: rec.partition, offset: rec.offset, key, value, timestamp: rec.timestamp }, this.#streamTime);
    if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
      this.metrics.droppedRecords++;
      this.#settings.logger.warn(`skipping a record with invalid timestamp ${String(timestamp)} at ${rec.topic}-${rec.partition} offset ${rec.offset}`);
      return;
    }
    if (timestamp > this.#streamTime) this.#streamTime = timestamp;
    this.#metadata = { topic: rec.topic, partition: rec.partition, offset: rec.offset };
    this.#currentTimestamp = timestamp;
    try {
      node.process(new StreamRecord(key, value, timestamp, rec.headers));
    } finally {
      this.#metadata = null;
    }
    this.metrics.processed++;
    this.#streamTimePunctuations.mayPunctuate(this.#streamTime);
  }

  /** Fires wall-clock punctuations due at `nowMs`; returns whether any fired. */
  punctuateWallClock(nowMs: number): boolean {
    return this.#wallClockPunctuations.mayPunctuate(nowMs);
  }

  /** Feeds one changelog record into its store (restoration). */
  restore(storeName: string, key: Buffer, value: Buffer | null): void {
    const r = this.#restorers.get(storeName);
    if (r === undefined) throw new StreamsError('SAMSA_ERR_STREAMS_STATE', `store ${storeName} has no changelog to restore from`);
    r(key, value);
  }

  close(): void {
    for (const c of this.#closers) c();
    for (const s of this.#stores.values()) s.close();
  }
}
