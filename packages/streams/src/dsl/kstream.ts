/**
 * KStream: a record stream, each record an independent event. Operators
 * add nodes to the builder's topology and return new streams. Key-changing
 * operators (map, flatMap, selectKey) mark the result as needing a
 * repartition before any keyed state (groupByKey), as Kafka does.
 *
 * Serdes follow Kafka's rules: an operator that may change the key drops
 * the known key serde; one that may change the value drops the value
 * serde; sinks, repartitions and stores fall back to the application's
 * defaults where none is known.
 */
import type { ProcessorSupplier } from '../processor/processor.js';
import type { Serde } from '../serdes/serde.js';
import { StreamsError } from '../streams-error.js';
import type { TopicNameExtractor } from '../topology/nodes.js';
import { BranchedKStream } from './branched-kstream.js';
import type { InternalStreamsBuilder } from './internal-builder.js';
import { KGroupedStream } from './kgrouped-stream.js';
import type { Grouped, Joined, Named, Produced, Repartitioned } from './options.js';
import type { KTable } from './ktable.js';
import { streamTableJoinProcessor } from './table-processors.js';
import {
  filterProcessor,
  flatMapProcessor,
  flatMapValuesProcessor,
  mapProcessor,
  mapValuesProcessor,
  passThroughProcessor,
  peekProcessor,
  selectKeyProcessor,
} from './stateless-processors.js';

export class KStream<K, V> {
  /** @internal */
  readonly builder: InternalStreamsBuilder;
  /** The node this stream's records come out of. */
  readonly nodeName: string;
  /** @internal */
  readonly keySerde: Serde<K> | undefined;
  /** @internal */
  readonly valueSerde: Serde<V> | undefined;
  /** @internal Set after a key-changing operation: keyed state needs a repartition first. */
  readonly repartitionRequired: boolean;

  /** @internal Use StreamsBuilder.stream(). */
  constructor(builder: InternalStreamsBuilder, nodeName: string, keySerde: Serde<K> | undefined, valueSerde: Serde<V> | undefined, repartitionRequired: boolean) {
    this.builder = builder;
    this.nodeName = nodeName;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
    this.repartitionRequired = repartitionRequired;
  }

  #add<K2, V2>(prefix: string, named: Named | undefined, supplier: ProcessorSupplier<K, V, unknown, unknown>, keySerde: Serde<K2> | undefined, valueSerde: Serde<V2> | undefined, repartitionRequired: boolean): KStream<K2, V2> {
    const name = named?.name ?? this.builder.newProcessorName(prefix);
    this.builder.topology.addProcessor(name, supplier, this.nodeName);
    return new KStream<K2, V2>(this.builder, name, keySerde, valueSerde, repartitionRequired);
  }

  /** Keeps the records for which `predicate` holds. */
  filter(predicate: (key: K, value: V) => boolean, named?: Named): KStream<K, V> {
    return this.#add('KSTREAM-FILTER-', named, filterProcessor(predicate, true), this.keySerde, this.valueSerde, this.repartitionRequired);
  }

  /** Drops the records for which `predicate` holds. */
  filterNot(predicate: (key: K, value: V) => boolean, named?: Named): KStream<K, V> {
    return this.#add('KSTREAM-FILTER-', named, filterProcessor(predicate, false), this.keySerde, this.valueSerde, this.repartitionRequired);
  }

  /** A new key and value per record (a key change: keyed state after it repartitions). */
  map<K2, V2>(mapper: (key: K, value: V) => readonly [K2, V2], named?: Named): KStream<K2, V2> {
    return this.#add<K2, V2>('KSTREAM-MAP-', named, mapProcessor(mapper), undefined, undefined, true);
  }

  /** A new value per record; the key stays. */
  mapValues<V2>(mapper: (value: V, key: K) => V2, named?: Named): KStream<K, V2> {
    return this.#add<K, V2>('KSTREAM-MAPVALUES-', named, mapValuesProcessor(mapper), this.keySerde, undefined, this.repartitionRequired);
  }

  /** Zero or more key-value pairs per record. */
  flatMap<K2, V2>(mapper: (key: K, value: V) => Iterable<readonly [K2, V2]>, named?: Named): KStream<K2, V2> {
    return this.#add<K2, V2>('KSTREAM-FLATMAP-', named, flatMapProcessor(mapper), undefined, undefined, true);
  }

  /** Zero or more values per record, each with the record's key. */
  flatMapValues<V2>(mapper: (value: V, key: K) => Iterable<V2>, named?: Named): KStream<K, V2> {
    return this.#add<K, V2>('KSTREAM-FLATMAPVALUES-', named, flatMapValuesProcessor(mapper), this.keySerde, undefined, this.repartitionRequired);
  }

  /** A new key per record; the value stays. */
  selectKey<K2>(mapper: (key: K, value: V) => K2, named?: Named): KStream<K2, V> {
    return this.#add<K2, V>('KSTREAM-KEY-SELECT-', named, selectKeyProcessor(mapper), undefined, this.valueSerde, true);
  }

  /** Calls `action` for each record and passes it on unchanged. */
  peek(action: (key: K, value: V) => void, named?: Named): KStream<K, V> {
    return this.#add('KSTREAM-PEEK-', named, peekProcessor(action, true), this.keySerde, this.valueSerde, this.repartitionRequired);
  }

  /** Calls `action` for each record; a terminal operation. */
  foreach(action: (key: K, value: V) => void, named?: Named): void {
    this.#add('KSTREAM-FOREACH-', named, peekProcessor(action, false), undefined, undefined, false);
  }

  /** Splits the stream by predicates; see {@link BranchedKStream}. */
  split(named?: Named): BranchedKStream<K, V> {
    const name = named?.name ?? this.builder.newProcessorName('KSTREAM-BRANCH-');
    return new BranchedKStream(this, name, named?.name ?? '');
  }

  /** The records of both streams, each stream's order kept. */
  merge(other: KStream<K, V>, named?: Named): KStream<K, V> {
    if (other.builder !== this.builder) throw new StreamsError('SAMSA_ERR_STREAMS_TOPOLOGY', 'merge(): both streams must come from the same StreamsBuilder');
    const name = named?.name ?? this.builder.newProcessorName('KSTREAM-MERGE-');
    this.builder.topology.addProcessor(name, passThroughProcessor<K, V>(), this.nodeName, other.nodeName);
    const sameKeySerde = this.keySerde === other.keySerde ? this.keySerde : undefined;
    const sameValueSerde = this.valueSerde === other.valueSerde ? this.valueSerde : undefined;
    return new KStream(this.builder, name, sameKeySerde, sameValueSerde, this.repartitionRequired || other.repartitionRequired);
  }

  /** Writes the stream to `topic` (or to the topic a function picks per record). */
  to(topic: string | TopicNameExtractor<K, V>, produced: Produced<K, V> = {}): void {
    const name = produced.name ?? this.builder.newProcessorName('KSTREAM-SINK-');
    this.builder.topology.addSink<K, V>(
      name,
      topic,
      {
        keySerde: produced.keySerde ?? this.keySerde,
        valueSerde: produced.valueSerde ?? this.valueSerde,
        ...(produced.partitioner === undefined ? {} : { partitioner: produced.partitioner }),
      },
      this.nodeName,
    );
  }

  /**
   * Writes the stream through an internal topic `<app>-<name>-repartition`
   * and reads it back, so records are partitioned by their current key.
   */
  repartition(repartitioned: Repartitioned<K, V> = {}): KStream<K, V> {
    const prefix = repartitioned.name ?? this.builder.newProcessorName('KSTREAM-REPARTITION-');
    const userName = repartitioned.name;
    const n = repartitioned.numberOfPartitions;
    if (n !== undefined && (!Number.isSafeInteger(n) || n < 1)) throw new StreamsError('SAMSA_ERR_STREAMS_TOPOLOGY', `repartition(): numberOfPartitions must be a whole number >= 1, got ${String(n)}`);
    const keySerde = repartitioned.keySerde ?? this.keySerde;
    const valueSerde = repartitioned.valueSerde ?? this.valueSerde;
    const source = this.builder.addRepartition(this.nodeName, prefix, userName, keySerde, valueSerde, n, repartitioned.partitioner);
    return new KStream(this.builder, source, keySerde, valueSerde, false);
  }

  /** Groups by the current key (repartitioning first if the key was changed upstream). */
  groupByKey(grouped: Grouped<K, V> = {}): KGroupedStream<K, V> {
    return new KGroupedStream(this, grouped.name, grouped.keySerde ?? this.keySerde, grouped.valueSerde ?? this.valueSerde, this.repartitionRequired);
  }

  /** Groups by a new key (always repartitions before aggregating). */
  groupBy<K2>(selector: (key: K, value: V) => K2, grouped: Grouped<K2, V> = {}): KGroupedStream<K2, V> {
    const selected = this.selectKey(selector, grouped.name === undefined ? undefined : { name: `${grouped.name}-key-select` });
    return new KGroupedStream(selected, grouped.name, grouped.keySerde, grouped.valueSerde ?? this.valueSerde, true);
  }

  /**
   * Joins each record with the table's current value for its key (inner:
   * only keys present in the table). Table updates produce nothing. Both
   * sides must be co-partitioned (checked at start); a stream whose key was
   * changed is repartitioned first.
   */
  join<VT, VR>(table: KTable<K, VT>, joiner: (value: V, tableValue: VT, key: K) => VR, joined: Joined<K, V, VT> = {}): KStream<K, VR> {
    return this.#tableJoin(table, (v, t, k) => joiner(v, t as VT, k), false, joined);
  }

  /** As {@link join}, but every stream record produces a result; the joiner gets null when the key is not in the table. */
  leftJoin<VT, VR>(table: KTable<K, VT>, joiner: (value: V, tableValue: VT | null, key: K) => VR, joined: Joined<K, V, VT> = {}): KStream<K, VR> {
    return this.#tableJoin(table, joiner, true, joined);
  }

  #tableJoin<VT, VR>(table: KTable<K, VT>, joiner: (value: V, tableValue: VT | null, key: K) => VR, left: boolean, joined: Joined<K, V, VT>): KStream<K, VR> {
    if (table.builder !== this.builder) throw new StreamsError('SAMSA_ERR_STREAMS_TOPOLOGY', 'join(): the stream and the table must come from the same StreamsBuilder');
    const storeName = table.storeForLookup(left ? 'leftJoin()' : 'join()');
    const keySerde = joined.keySerde ?? this.keySerde;
    const valueSerde = joined.valueSerde ?? this.valueSerde;
    let parent = this.nodeName;
    if (this.repartitionRequired) {
      const prefix = joined.name ?? this.nodeName;
      parent = this.builder.addRepartition(parent, prefix, joined.name, keySerde, valueSerde, undefined, undefined);
    }
    const name = joined.name ?? this.builder.newProcessorName(left ? 'KSTREAM-LEFTJOIN-' : 'KSTREAM-JOIN-');
    this.builder.topology.addProcessor(name, streamTableJoinProcessor<K, V, VT, VR>(storeName, joiner, left), parent);
    this.builder.topology.connectProcessorAndStateStores(name, storeName);
    this.builder.topology.addCopartitionGroup([parent, table.nodeName]);
    return new KStream<K, VR>(this.builder, name, keySerde, undefined, false);
  }

  /**
   * Runs a Processor API processor on each record (Kafka's `process()`),
   * with access to the named stores; its forwarded records form the result.
   */
  process<K2, V2>(supplier: ProcessorSupplier<K, V, K2, V2>, storeNames: string[] = [], named?: Named): KStream<K2, V2> {
    const name = named?.name ?? this.builder.newProcessorName('KSTREAM-PROCESSOR-');
    this.builder.topology.addProcessor(name, supplier, this.nodeName);
    if (storeNames.length > 0) this.builder.topology.connectProcessorAndStateStores(name, ...storeNames);
    return new KStream<K2, V2>(this.builder, name, undefined, undefined, true);
  }
}
