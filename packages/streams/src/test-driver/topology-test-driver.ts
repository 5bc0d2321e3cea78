/**
 * Runs a topology without a broker (Kafka's TopologyTestDriver): the way to
 * unit-test a Samsa Streams application.
 *
 * - One task per sub-topology (partition 0), the same StreamTask code the
 *   runtime uses, so processors, stores, serdes and punctuations behave as
 *   in production.
 * - Input is piped synchronously: `pipeInput` returns once the record and
 *   everything it caused (through repartition topics too) is processed.
 * - Every record written (sinks, repartition topics, changelogs) is kept
 *   per topic; output topics read them in order.
 * - Wall-clock time is the driver's own, moved by `advanceWallClockTime`,
 *   which fires wall-clock punctuations.
 */
import { consoleLogger } from '@samsa/client';
import type { Headers } from '../processor/headers.js';
import type { Serde } from '../serdes/serde.js';
import type { KeyValue, KeyValueStore } from '../state/key-value-store.js';
import type { StateStore } from '../state/state-store.js';
import type { WindowStore } from '../state/window-store.js';
import { StreamsError } from '../streams-error.js';
import type { Topology } from '../topology/topology.js';
import type { OutgoingRecord, RecordCollector } from '../runtime/record-collector.js';
import { StreamTask, type TaskMetrics } from '../runtime/stream-task.js';
import { resolveTopologySettings, type TopologySettings } from '../runtime/streams-config.js';

/** A record as written by the topology and read from a TestOutputTopic. */
export interface TestRecord<K, V> {
  key: K | null;
  value: V | null;
  timestamp: number;
  headers: Headers;
}

export interface TopologyTestDriverSettings extends Partial<TopologySettings> {
  /** The driver's wall clock at start [Date.now()]. */
  initialWallClockTimeMs?: number;
}

export class TopologyTestDriver {
  readonly #tasks: StreamTask[] = [];
  readonly #taskByTopic = new Map<string, StreamTask>();
  readonly #written = new Map<string, OutgoingRecord[]>();
  readonly #inputOffsets = new Map<string, number>();
  readonly #pending: OutgoingRecord[] = [];
  readonly #applicationId: string;
  #wallClockMs: number;
  #closed = false;

  constructor(topology: Topology, settings: TopologyTestDriverSettings = {}) {
    const resolved = resolveTopologySettings({ ...settings, applicationId: settings.applicationId ?? 'topology-test-driver' }, consoleLogger);
    this.#applicationId = resolved.applicationId;
    this.#wallClockMs = settings.initialWallClockTimeMs ?? Date.now();
    const collector: RecordCollector = {
      send: (record) => {
        let list = this.#written.get(record.topic);
        if (list === undefined) this.#written.set(record.topic, (list = []));
        list.push(record);
        if (this.#taskByTopic.has(record.topic)) this.#pending.push(record);
      },
      partitionCount: () => 1,
    };
    for (const st of topology.subtopologies()) {
      const task = new StreamTask(topology, st, 0, resolved, collector, () => this.#wallClockMs, { loggingEnabled: true });
      this.#tasks.push(task);
      for (const t of task.sourceTopics) this.#taskByTopic.set(t, task);
    }
  }

  /** A topic to pipe records into. */
  createInputTopic<K, V>(topic: string, keySerde: Serde<K>, valueSerde: Serde<V>, options: { startTimestampMs?: number; autoAdvanceMs?: number } = {}): TestInputTopic<K, V> {
    this.#checkOpen();
    if (!this.#taskByTopic.has(topic)) throw new StreamsError('SAMSA_ERR_STREAMS_TOPICS', `the topology does not read topic ${topic}`);
    return new TestInputTopic(this, topic, keySerde, valueSerde, options.startTimestampMs ?? this.#wallClockMs, options.autoAdvanceMs ?? 0);
  }

  /** A topic to read what the topology wrote (sink topics, also `<app>-<store>-changelog` and repartition topics). */
  createOutputTopic<K, V>(topic: string, keySerde: Serde<K>, valueSerde: Serde<V>): TestOutputTopic<K, V> {
    this.#checkOpen();
    return new TestOutputTopic(this, topic, keySerde, valueSerde);
  }

  /** @internal Used by TestInputTopic. */
  pipeRaw(topic: string, key: Buffer | null, value: Buffer | null, timestamp: number, headers: Headers): void {
    this.#checkOpen();
    const task = this.#taskByTopic.get(topic) as StreamTask;
    const offset = this.#inputOffsets.get(topic) ?? 0;
    this.#inputOffsets.set(topic, offset + 1);
    task.process({ topic, partition: 0, offset, timestamp, key, value, headers });
    this.#drainInternal();
  }

  /** Feeds records written to topics the topology also reads (repartition topics) back in, in order. */
  #drainInternal(): void {
    while (this.#pending.length > 0) {
      const r = this.#pending.shift() as OutgoingRecord;
      const offset = this.#inputOffsets.get(r.topic) ?? 0;
      this.#inputOffsets.set(r.topic, offset + 1);
      (this.#taskByTopic.get(r.topic) as StreamTask).process({ topic: r.topic, partition: 0, offset, timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers });
    }
  }

  /** @internal Used by TestOutputTopic: takes the next unread record of `topic`. */
  takeRaw(topic: string): OutgoingRecord | undefined {
    const list = this.#written.get(topic);
    return list === undefined ? undefined : list.shift();
  }

  /** @internal */
  queueSize(topic: string): number {
    return this.#written.get(topic)?.length ?? 0;
  }

  /** Moves the wall clock forward and fires the wall-clock punctuations that are due. */
  advanceWallClockTime(ms: number): void {
    this.#checkOpen();
    if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`advanceWallClockTime: a whole number of ms >= 0, got ${String(ms)}`);
    this.#wallClockMs += ms;
    for (const t of this.#tasks) t.punctuateWallClock(this.#wallClockMs);
    this.#drainInternal();
  }

  /** Topics written so far (sinks, repartition topics, changelogs). */
  producedTopicNames(): string[] {
    return [...this.#written.keys()];
  }

  /** Any store of the topology. */
  getStateStore<S extends StateStore = StateStore>(name: string): S {
    for (const t of this.#tasks) {
      const s = t.store(name);
      if (s !== undefined) return s as S;
    }
    throw new StreamsError('SAMSA_ERR_STREAMS_STATE', `the topology has no store named ${name}`);
  }

  /** A key-value store of the topology. */
  getKeyValueStore<K, V>(name: string): KeyValueStore<K, V> {
    return this.getStateStore<KeyValueStore<K, V>>(name);
  }

  /** A window store of the topology. */
  getWindowStore<K, V>(name: string): WindowStore<K, V> {
    return this.getStateStore<WindowStore<K, V>>(name);
  }

  /** Task counters summed over tasks (processed, droppedRecords, punctuations). */
  metrics(): TaskMetrics {
    const sum: TaskMetrics = { processed: 0, droppedRecords: 0, punctuations: 0 };
    for (const t of this.#tasks) {
      sum.processed += t.metrics.processed;
      sum.droppedRecords += t.metrics.droppedRecords;
      sum.punctuations += t.metrics.punctuations;
    }
    return sum;
  }

  get applicationId(): string {
    return this.#applicationId;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#tasks) t.close();
  }

  #checkOpen(): void {
    if (this.#closed) throw new StreamsError('SAMSA_ERR_STREAMS_ILLEGAL_STATE', 'the test driver is closed');
  }
}

/** Pipes records into one input topic (Kafka's TestInputTopic). */
export class TestInputTopic<K, V> {
  readonly #driver: TopologyTestDriver;
  readonly #topic: string;
  readonly #keySerde: Serde<K>;
  readonly #valueSerde: Serde<V>;
  #nextTimestamp: number;
  readonly #autoAdvanceMs: number;

  /** @internal Use driver.createInputTopic(). */
  constructor(driver: TopologyTestDriver, topic: string, keySerde: Serde<K>, valueSerde: Serde<V>, startTimestampMs: number, autoAdvanceMs: number) {
    this.#driver = driver;
    this.#topic = topic;
    this.#keySerde = keySerde;
    this.#valueSerde = valueSerde;
    this.#nextTimestamp = startTimestampMs;
    this.#autoAdvanceMs = autoAdvanceMs;
  }

  /** Pipes one record; without a timestamp it gets the topic's current time (then moved by autoAdvanceMs). */
  pipeInput(key: K | null, value: V | null, timestampMs?: number, headers: Headers = []): void {
    let ts = timestampMs;
    if (ts === undefined) {
      ts = this.#nextTimestamp;
      this.#nextTimestamp += this.#autoAdvanceMs;
    }
    const k = key === null ? null : this.#keySerde.serialize(this.#topic, key, headers);
    const v = value === null ? null : this.#valueSerde.serialize(this.#topic, value, headers);
    this.#driver.pipeRaw(this.#topic, k, v, ts, headers);
  }

  /** Pipes a value with a null key. */
  pipeValue(value: V | null, timestampMs?: number): void {
    this.pipeInput(null, value, timestampMs);
  }

  pipeKeyValueList(list: ReadonlyArray<readonly [K | null, V | null]>): void {
    for (const [k, v] of list) this.pipeInput(k, v);
  }

  pipeValueList(list: ReadonlyArray<V | null>): void {
    for (const v of list) this.pipeInput(null, v);
  }

  /** Moves this topic's time for records piped without a timestamp. */
  advanceTime(ms: number): void {
    this.#nextTimestamp += ms;
  }
}

/** Reads what the topology wrote to one topic (Kafka's TestOutputTopic). */
export class TestOutputTopic<K, V> {
  readonly #driver: TopologyTestDriver;
  readonly #topic: string;
  readonly #keySerde: Serde<K>;
  readonly #valueSerde: Serde<V>;

  /** @internal Use driver.createOutputTopic(). */
  constructor(driver: TopologyTestDriver, topic: string, keySerde: Serde<K>, valueSerde: Serde<V>) {
    this.#driver = driver;
    this.#topic = topic;
    this.#keySerde = keySerde;
    this.#valueSerde = valueSerde;
  }

  /** The next record; throws when there is none (as Kafka's NoSuchElementException). */
  readRecord(): TestRecord<K, V> {
    const r = this.#driver.takeRaw(this.#topic);
    if (r === undefined) throw new StreamsError('SAMSA_ERR_STREAMS_ILLEGAL_STATE', `no more records in output topic ${this.#topic}`);
    return {
      key: r.key === null ? null : this.#keySerde.deserialize(this.#topic, r.key, r.headers),
      value: r.value === null ? null : this.#valueSerde.deserialize(this.#topic, r.value, r.headers),
      timestamp: r.timestamp,
      headers: r.headers,
    };
  }

  readKeyValue(): KeyValue<K | null, V | null> {
    const r = this.readRecord();
    return { key: r.key, value: r.value };
  }

  readValue(): V | null {
    return this.readRecord().value;
  }

  readRecordsToList(): Array<TestRecord<K, V>> {
    const out: Array<TestRecord<K, V>> = [];
    while (!this.isEmpty()) out.push(this.readRecord());
    return out;
  }

  readKeyValuesToList(): Array<KeyValue<K | null, V | null>> {
    return this.readRecordsToList().map((r) => ({ key: r.key, value: r.value }));
  }

  readValuesToList(): Array<V | null> {
    return this.readRecordsToList().map((r) => r.value);
  }

  /** The latest value per key (a null value removes the key), as Kafka's readKeyValuesToMap. */
  readKeyValuesToMap(): Map<K, V> {
    const out = new Map<K, V>();
    for (const r of this.readRecordsToList()) {
      if (r.key === null) throw new StreamsError('SAMSA_ERR_STREAMS_ILLEGAL_STATE', `readKeyValuesToMap: a record of ${this.#topic} has a null key`);
      if (r.value === null) out.delete(r.key);
      else out.set(r.key, r.value);
    }
    return out;
  }

  isEmpty(): boolean {
    return this.#driver.queueSize(this.#topic) === 0;
  }

  getQueueSize(): number {
    return this.#driver.queueSize(this.#topic);
  }
}
