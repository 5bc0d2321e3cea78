/**
 * A processing topology (Kafka's `Topology`): sources, processors, sinks
 * and state stores, wired by name. The DSL (`StreamsBuilder`) builds one of
 * these; the Processor API adds nodes directly. Both run the same way.
 *
 * Nodes joined by parent links, or by a shared store, form a sub-topology;
 * sub-topologies exchange records only through topics (repartition topics
 * for the DSL). A task runs one sub-topology for one partition number.
 * Sub-topologies are numbered as in Kafka: by the sorted names of their
 * source nodes.
 */
import type { ProcessorSupplier } from '../processor/processor.js';
import type { TimestampExtractor } from '../processor/timestamp-extractor.js';
import type { Serde } from '../serdes/serde.js';
import type { StateStore, StoreBuilder } from '../state/state-store.js';
import { StreamsError } from '../streams-error.js';
import type { InternalTopicDef, NodeDef, ProcessorNodeDef, SinkNodeDef, SourceNodeDef, StreamPartitioner, TopicNameExtractor } from './nodes.js';
import { describeTopology, type TopologyDescription } from './topology-description.js';

/** Options of {@link Topology.addSource}. */
export interface SourceOptions<K, V> {
  keySerde?: Serde<K>;
  valueSerde?: Serde<V>;
  timestampExtractor?: TimestampExtractor;
  /** Where to start without a committed offset (overrides the application's `auto.offset.reset`). */
  offsetReset?: 'earliest' | 'latest';
}

/** Options of {@link Topology.addSink}. */
export interface SinkOptions<K, V> {
  keySerde?: Serde<K>;
  valueSerde?: Serde<V>;
  partitioner?: StreamPartitioner<K, V>;
}

/** One sub-topology: its nodes, its source topics, its stores. */
export interface Subtopology {
  id: number;
  nodes: NodeDef[];
  sourceTopics: string[];
  /** Sink topics that are static names (extractors are resolved per record). */
  sinkTopics: string[];
  stores: string[];
}

function topologyError(message: string): StreamsError {
  return new StreamsError('SAMSA_ERR_STREAMS_TOPOLOGY', message);
}

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

export class Topology {
  readonly #nodes = new Map<string, NodeDef>();
  readonly #stores = new Map<string, StoreBuilder<StateStore>>();
  readonly #internalTopics = new Map<string, InternalTopicDef>();
  readonly #sourceTopics = new Map<string, string>();
  readonly #copartitionGroups: string[][] = [];
  #frozen: Subtopology[] | null = null;

  #addNode(node: NodeDef): void {
    if (this.#frozen !== null) throw topologyError('the topology is in use by a running application or test driver and cannot change');
    if (typeof node.name !== 'string' || node.name === '') throw topologyError('a node needs a non-empty name');
    if (this.#nodes.has(node.name)) throw topologyError(`a node named ${node.name} was already added`);
    if (node.kind !== 'source') {
      if (node.parents.length === 0) throw topologyError(`${node.kind} ${node.name} needs at least one parent`);
      for (const p of node.parents) {
        const parent = this.#nodes.get(p);
        if (parent === undefined) throw topologyError(`parent ${p} of ${node.name} is not in the topology (add parents first)`);
        if (parent.kind === 'sink') throw topologyError(`sink ${p} cannot be a parent (of ${node.name})`);
      }
    }
    this.#nodes.set(node.name, node);
  }

  /** A source reading `topics` (names are used as given). */
  addSource<K = unknown, V = unknown>(name: string, topics: string | string[], options: SourceOptions<K, V> = {}): this {
    const list = typeof topics === 'string' ? [topics] : [...topics];
    if (list.length === 0) throw topologyError(`source ${name} needs at least one topic`);
    for (const t of list) {
      if (typeof t !== 'string' || !TOPIC_NAME.test(t)) throw topologyError(`source ${name}: ${JSON.stringify(t)} is not a valid topic name`);
      const other = this.#sourceTopics.get(t);
      if (other !== undefined) throw topologyError(`topic ${t} is already read by source ${other}; a topic can have one source node`);
    }
    this.#addNode({
      kind: 'source',
      name,
      topics: list,
      keySerde: options.keySerde as Serde<unknown> | undefined,
      valueSerde: options.valueSerde as Serde<unknown> | undefined,
      timestampExtractor: options.timestampExtractor,
      offsetReset: options.offsetReset,
    });
    for (const t of list) this.#sourceTopics.set(t, name);
    return this;
  }

  /** A processor; `parentNames` are sources or processors added before. */
  addProcessor<KIn, VIn, KOut, VOut>(name: string, supplier: ProcessorSupplier<KIn, VIn, KOut, VOut>, ...parentNames: string[]): this {
    if (typeof supplier !== 'function') throw topologyError(`processor ${name}: the supplier must be a function returning a new processor`);
    this.#addNode({ kind: 'processor', name, supplier: supplier as ProcessorSupplier<unknown, unknown, unknown, unknown>, parents: parentNames, stores: new Set() });
    return this;
  }

  /** A sink writing to `topic` (a name, or a function choosing one per record). */
  addSink<K = unknown, V = unknown>(name: string, topic: string | TopicNameExtractor<K, V>, options: SinkOptions<K, V> = {}, ...parentNames: string[]): this {
    if (typeof topic === 'string' && !TOPIC_NAME.test(topic)) throw topologyError(`sink ${name}: ${JSON.stringify(topic)} is not a valid topic name`);
    this.#addNode({
      kind: 'sink',
      name,
      topic: topic as SinkNodeDef['topic'],
      keySerde: options.keySerde as Serde<unknown> | undefined,
      valueSerde: options.valueSerde as Serde<unknown> | undefined,
      partitioner: options.partitioner as StreamPartitioner<unknown, unknown> | undefined,
      parents: parentNames,
    });
    return this;
  }

  /** Adds a store and connects it to the named processors. */
  addStateStore(builder: StoreBuilder<StateStore>, ...processorNames: string[]): this {
    if (this.#frozen !== null) throw topologyError('the topology is in use and cannot change');
    if (this.#stores.has(builder.name)) throw topologyError(`a store named ${builder.name} was already added`);
    this.#stores.set(builder.name, builder);
    for (const p of processorNames) this.connectProcessorAndStateStores(p, builder.name);
    return this;
  }

  /** Lets `processorName` use stores added before. */
  connectProcessorAndStateStores(processorName: string, ...storeNames: string[]): this {
    const node = this.#nodes.get(processorName);
    if (node === undefined || node.kind !== 'processor') throw topologyError(`${processorName} is not a processor of this topology`);
    for (const s of storeNames) {
      if (!this.#stores.has(s)) throw topologyError(`store ${s} is not in the topology (addStateStore first)`);
      node.stores.add(s);
    }
    return this;
  }

  /** Declares a repartition topic (DSL use); `name` is without the application id. */
  addInternalTopic(def: InternalTopicDef): this {
    this.#internalTopics.set(def.name, def);
    return this;
  }

  /**
   * Declares that the source topics upstream of these nodes must be
   * co-partitioned (a join's two sides): same partition count, so that
   * partition p of each holds the same keys.
   */
  addCopartitionGroup(nodeNames: string[]): this {
    for (const n of nodeNames) if (!this.#nodes.has(n)) throw topologyError(`co-partition group: ${n} is not in the topology`);
    this.#copartitionGroups.push([...nodeNames]);
    return this;
  }

  /** The co-partition groups as sets of source topic names (internal ones without the application id). */
  copartitionGroups(): string[][] {
    const upstream = (name: string, acc: Set<string>): Set<string> => {
      const n = this.#nodes.get(name);
      if (n === undefined) return acc;
      if (n.kind === 'source') n.topics.forEach((t) => acc.add(t));
      else n.parents.forEach((p) => upstream(p, acc));
      return acc;
    };
    return this.#copartitionGroups.map((g) => [...g.reduce((acc, n) => upstream(n, acc), new Set<string>())].sort());
  }

  /** The internal topics by name (without the application id). */
  internalTopics(): ReadonlyMap<string, InternalTopicDef> {
    return this.#internalTopics;
  }

  /** The store builders by name. */
  storeBuilders(): ReadonlyMap<string, StoreBuilder<StateStore>> {
    return this.#stores;
  }

  node(name: string): NodeDef | undefined {
    return this.#nodes.get(name);
  }

  /** Children of `name`, in the order they were added. */
  childrenOf(name: string): Array<ProcessorNodeDef | SinkNodeDef> {
    const out: Array<ProcessorNodeDef | SinkNodeDef> = [];
    for (const n of this.#nodes.values()) if (n.kind !== 'source' && n.parents.includes(name)) out.push(n);
    return out;
  }

  /**
   * The sub-topologies, computed once; after this call the topology cannot
   * change (it is what a running application or test driver executes).
   */
  subtopologies(): Subtopology[] {
    if (this.#frozen !== null) return this.#frozen;
    if (![...this.#nodes.values()].some((n) => n.kind === 'source')) throw topologyError('the topology has no source node');
    // Union-find over parent links and shared stores.
    const root = new Map<string, string>([...this.#nodes.keys()].map((n) => [n, n]));
    const find = (n: string): string => {
      let r = n;
      while (root.get(r) !== r) r = root.get(r) as string;
      root.set(n, r);
      return r;
    };
    const union = (a: string, b: string): void => {
      root.set(find(a), find(b));
    };
    const storeOwner = new Map<string, string>();
    for (const n of this.#nodes.values()) {
      if (n.kind === 'source') continue;
      for (const p of n.parents) union(n.name, p);
      if (n.kind === 'processor') {
        for (const s of n.stores) {
          const other = storeOwner.get(s);
          if (other !== undefined) union(n.name, other);
          else storeOwner.set(s, n.name);
        }
      }
    }
    for (const s of this.#stores.keys()) {
      if (!storeOwner.has(s)) throw topologyError(`store ${s} is not connected to any processor`);
    }
    const groups = new Map<string, NodeDef[]>();
    for (const n of this.#nodes.values()) {
      const r = find(n.name);
      let g = groups.get(r);
      if (g === undefined) groups.set(r, (g = []));
      g.push(n);
    }
    const sortedSourceNames = [...this.#nodes.values()].filter((n) => n.kind === 'source').map((n) => n.name).sort();
    const out: Subtopology[] = [];
    const seen = new Set<string>();
    for (const sourceName of sortedSourceNames) {
      const r = find(sourceName);
      if (seen.has(r)) continue;
      seen.add(r);
      const nodes = groups.get(r) as NodeDef[];
      const stores = new Set<string>();
      for (const n of nodes) if (n.kind === 'processor') for (const s of n.stores) stores.add(s);
      out.push({
        id: out.length,
        nodes,
        sourceTopics: nodes.flatMap((n) => (n.kind === 'source' ? n.topics : [])),
        sinkTopics: nodes.flatMap((n) => (n.kind === 'sink' && typeof n.topic === 'string' ? [n.topic] : [])),
        stores: [...stores],
      });
    }
    for (const [r, nodes] of groups) {
      if (!seen.has(r)) throw topologyError(`nodes ${nodes.map((n) => n.name).join(', ')} are not reachable from any source`);
    }
    this.#frozen = out;
    return out;
  }

  /** The topology as Kafka's `TopologyDescription`; `toString()` prints it as Kafka does. */
  describe(): TopologyDescription {
    return describeTopology(this.subtopologies(), (n) => this.childrenOf(n));
  }
}
