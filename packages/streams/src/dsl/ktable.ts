/**
 * KTable: a changelog stream, the latest value per key. Its nodes pass
 * `Change`s (see change.ts); `toStream()` gives the updates as a KStream.
 * A table with a store is queryable by `queryableStoreName`.
 */
import type { Serde } from '../serdes/serde.js';
import { StreamsError } from '../streams-error.js';
import { Stores } from '../state/stores.js';
import type { InternalStreamsBuilder } from './internal-builder.js';
import { KStream } from './kstream.js';
import type { Materialized, Named, Suppressed } from './options.js';
import { SuppressionBufferBuilder } from '../state/suppression-buffer.js';
import type { Windowed } from './windows.js';
import { toStreamProcessor } from './stateless-processors.js';
import { suppressFinalProcessor, tableTableJoinProcessor, tableTransformProcessor, type TableJoinKind } from './table-processors.js';

export class KTable<K, V> {
  /** @internal */
  readonly builder: InternalStreamsBuilder;
  readonly nodeName: string;
  /** @internal */
  readonly keySerde: Serde<K> | undefined;
  /** @internal */
  readonly valueSerde: Serde<V> | undefined;
  /** The store holding this table, or null when it is not materialized. */
  readonly queryableStoreName: string | null;

  readonly #materializeOnDemand: (() => string) | null;
  /** @internal The grace period when this is a windowed aggregation's table (for suppress). */
  windowGraceMs: number | null = null;

  /** @internal Use StreamsBuilder.table() or an aggregation. */
  constructor(builder: InternalStreamsBuilder, nodeName: string, keySerde: Serde<K> | undefined, valueSerde: Serde<V> | undefined, storeName: string | null, materializeOnDemand: (() => string) | null = null) {
    this.#materializeOnDemand = materializeOnDemand;
    this.builder = builder;
    this.nodeName = nodeName;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
    this.queryableStoreName = storeName;
  }

  #transform<V2>(prefix: string, compute: (key: K, value: V) => V2 | null, valueSerde: Serde<V2> | undefined, materialized: Materialized<K, V2> | undefined, named: Named | undefined): KTable<K, V2> {
    const storeName = materialized?.storeName ?? null;
    const name = named?.name ?? this.builder.newProcessorName(prefix);
    const keySerde = materialized?.keySerde ?? this.keySerde;
    const resultValueSerde = materialized?.valueSerde ?? valueSerde;
    this.builder.topology.addProcessor(name, tableTransformProcessor<K, V, V2>(compute, storeName), this.nodeName);
    if (storeName !== null) {
      let store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(storeName), keySerde, resultValueSerde);
      if (materialized?.logging === false) store = store.withLoggingDisabled();
      else if (typeof materialized?.logging === 'object') store = store.withLoggingEnabled(materialized.logging);
      this.builder.topology.addStateStore(store, name);
    }
    return new KTable<K, V2>(this.builder, name, keySerde, resultValueSerde, storeName);
  }

  /**
   * @internal The store holding this table's current values, materializing
   * an unnamed source table on demand; a derived table without a store must
   * be materialized by the caller.
   */
  storeForLookup(operation: string): string {
    const name = this.queryableStoreName ?? this.#materializeOnDemand?.() ?? null;
    if (name === null) {
      throw new StreamsError('SAMSA_ERR_STREAMS_TOPOLOGY', `${operation}: table ${this.nodeName} is not materialized; give it a Materialized with a storeName`);
    }
    return name;
  }

  /** Keeps the keys whose value satisfies `predicate`; others become deletes downstream. */
  filter(predicate: (key: K, value: V) => boolean, materialized?: Materialized<K, V>, named?: Named): KTable<K, V> {
    return this.#transform<V>('KTABLE-FILTER-', (k, v) => (predicate(k, v) ? v : null), this.valueSerde, materialized, named);
  }

  /** Drops the keys whose value satisfies `predicate`. */
  filterNot(predicate: (key: K, value: V) => boolean, materialized?: Materialized<K, V>, named?: Named): KTable<K, V> {
    return this.#transform<V>('KTABLE-FILTER-', (k, v) => (predicate(k, v) ? null : v), this.valueSerde, materialized, named);
  }

  /** A new value per key (deletes stay deletes). */
  mapValues<V2>(mapper: (value: V, key: K) => V2, materialized?: Materialized<K, V2>, named?: Named): KTable<K, V2> {
    return this.#transform<V2>('KTABLE-MAPVALUES-', (k, v) => mapper(v, k), undefined, materialized, named);
  }

  /**
   * Holds updates back: with `Suppressed.untilWindowCloses()`, a windowed
   * table emits one final result per window, when stream time passes the
   * window's end plus grace. The buffer is changelogged
   * (`<app>-<name>-store-changelog` or `<app>-KTABLE-SUPPRESS-STATE-STORE-<n>-changelog`).
   */
  suppress(suppressed: Suppressed): KTable<K, V> {
    if (suppressed.kind !== 'untilWindowCloses') throw new StreamsError('SAMSA_ERR_STREAMS_TOPOLOGY', `suppress(): ${String(suppressed.kind)} is not supported (only untilWindowCloses)`);
    const grace = this.windowGraceMs;
    if (grace === null) throw new StreamsError('SAMSA_ERR_STREAMS_TOPOLOGY', 'suppress(untilWindowCloses) needs a windowed table (groupByKey().windowedBy(...).count() and the like)');
    const name = suppressed.name ?? this.builder.newProcessorName('KTABLE-SUPPRESS-');
    const storeName = suppressed.name !== undefined ? `${suppressed.name}-store` : this.builder.newStoreName('KTABLE-SUPPRESS-');
    const self = this as unknown as KTable<Windowed<unknown>, V>;
    this.builder.topology.addProcessor(name, suppressFinalProcessor<unknown, V>(storeName, grace), this.nodeName);
    this.builder.topology.addStateStore(new SuppressionBufferBuilder(storeName, self.keySerde, this.valueSerde), name);
    const out = new KTable<K, V>(this.builder, name, this.keySerde, this.valueSerde, null);
    out.windowGraceMs = grace;
    return out;
  }

  /**
   * Joins two tables on their keys; every update of either side looks up
   * the other's current value. Both must be materialized (source tables
   * are, on demand) and co-partitioned.
   */
  join<VR, VO>(other: KTable<K, VR>, joiner: (value: V, otherValue: VR, key: K) => VO, materialized?: Materialized<K, VO>, named?: Named): KTable<K, VO> {
    return this.#tableJoin(other, 'inner', (l, r, k) => joiner(l as V, r as VR, k), materialized, named);
  }

  /** As {@link join}, keeping every key of this table (the joiner gets null for a missing other value). */
  leftJoin<VR, VO>(other: KTable<K, VR>, joiner: (value: V, otherValue: VR | null, key: K) => VO, materialized?: Materialized<K, VO>, named?: Named): KTable<K, VO> {
    return this.#tableJoin(other, 'left', (l, r, k) => joiner(l as V, r, k), materialized, named);
  }

  /** As {@link join}, keeping every key of either table (the joiner gets null for the missing side). */
  outerJoin<VR, VO>(other: KTable<K, VR>, joiner: (value: V | null, otherValue: VR | null, key: K) => VO, materialized?: Materialized<K, VO>, named?: Named): KTable<K, VO> {
    return this.#tableJoin(other, 'outer', joiner, materialized, named);
  }

  #tableJoin<VR, VO>(other: KTable<K, VR>, kind: TableJoinKind, joiner: (value: V | null, otherValue: VR | null, key: K) => VO, materialized: Materialized<K, VO> | undefined, named: Named | undefined): KTable<K, VO> {
    if (other.builder !== this.builder) throw new StreamsError('SAMSA_ERR_STREAMS_TOPOLOGY', 'join(): both tables must come from the same StreamsBuilder');
    const operation = kind === 'inner' ? 'join()' : kind === 'left' ? 'leftJoin()' : 'outerJoin()';
    const thisStore = this.storeForLookup(operation);
    const otherStore = other.storeForLookup(operation);
    const prefix = kind === 'inner' ? 'KTABLE-JOIN' : kind === 'left' ? 'KTABLE-LEFTJOIN' : 'KTABLE-OUTERJOIN';
    const base = named?.name;
    const thisName = base !== undefined ? `${base}-join-this` : this.builder.newProcessorName(`${prefix}THIS-`);
    const otherName = base !== undefined ? `${base}-join-other` : this.builder.newProcessorName(`${prefix}OTHER-`);
    const topology = this.builder.topology;
    topology.addProcessor(thisName, tableTableJoinProcessor<K, V, VR, VO>(otherStore, kind, true, joiner), this.nodeName);
    topology.connectProcessorAndStateStores(thisName, otherStore);
    topology.addProcessor(otherName, tableTableJoinProcessor<K, V, VR, VO>(thisStore, kind, false, joiner), other.nodeName);
    topology.connectProcessorAndStateStores(otherName, thisStore);
    topology.addCopartitionGroup([this.nodeName, other.nodeName]);
    const mergeName = base ?? this.builder.newProcessorName('KTABLE-MERGE-');
    const storeName = materialized?.storeName ?? null;
    topology.addProcessor(mergeName, tableTransformProcessor<K, VO, VO>((_k, v) => v, storeName), thisName, otherName);
    const keySerde = materialized?.keySerde ?? this.keySerde;
    if (storeName !== null) {
      let store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(storeName), keySerde, materialized?.valueSerde);
      if (materialized?.logging === false) store = store.withLoggingDisabled();
      else if (typeof materialized?.logging === 'object') store = store.withLoggingEnabled(materialized.logging);
      topology.addStateStore(store, mergeName);
    }
    return new KTable<K, VO>(this.builder, mergeName, keySerde, materialized?.valueSerde, storeName);
  }

  /** The table's updates as a stream (a delete becomes a record with a null value). */
  toStream(named?: Named): KStream<K, V> {
    const name = named?.name ?? this.builder.newProcessorName('KTABLE-TOSTREAM-');
    this.builder.topology.addProcessor(name, toStreamProcessor<K, V>(), this.nodeName);
    return new KStream<K, V>(this.builder, name, this.keySerde, this.valueSerde, false);
  }
}
