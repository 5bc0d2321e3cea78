/**
 * A grouped stream, ready for an aggregation (Kafka's KGroupedStream). The
 * aggregation's store is named by `Materialized.storeName` or generated
 * (`KSTREAM-AGGREGATE-STATE-STORE-<index>`); when the key was changed
 * upstream, records first go through `<app>-<name>-repartition`, where name
 * is the Grouped name, else the store name, as in Kafka.
 */
import type { Serde } from '../serdes/serde.js';
import { Serdes } from '../serdes/serdes.js';
import { Stores } from '../state/stores.js';
import type { InternalStreamsBuilder } from './internal-builder.js';
import { KTable } from './ktable.js';
import type { Materialized, Named } from './options.js';
import { streamAggregateProcessor } from './table-processors.js';
import { TimeWindowedKStream } from './time-windowed-kstream.js';
import type { TimeWindows } from './windows.js';

export class KGroupedStream<K, V> {
  readonly #stream: { builder: InternalStreamsBuilder; nodeName: string };
  readonly #groupName: string | undefined;
  readonly #keySerde: Serde<K> | undefined;
  readonly #valueSerde: Serde<V> | undefined;
  readonly #repartitionRequired: boolean;

  /** @internal Use KStream.groupByKey() or groupBy(). */
  constructor(stream: { builder: InternalStreamsBuilder; nodeName: string }, groupName: string | undefined, keySerde: Serde<K> | undefined, valueSerde: Serde<V> | undefined, repartitionRequired: boolean) {
    this.#stream = stream;
    this.#groupName = groupName;
    this.#keySerde = keySerde;
    this.#valueSerde = valueSerde;
    this.#repartitionRequired = repartitionRequired;
  }

  /** Aggregations per key and time window (tumbling or hopping). */
  windowedBy(windows: TimeWindows): TimeWindowedKStream<K, V> {
    return new TimeWindowedKStream<K, V>(
      { stream: this.#stream, groupName: this.#groupName, keySerde: this.#keySerde, valueSerde: this.#valueSerde, repartitionRequired: this.#repartitionRequired },
      windows,
    );
  }

  /** The number of records per key, as an Int64 table. */
  count(materialized: Materialized<K, number> = {}, named?: Named): KTable<K, number> {
    return this.#aggregate<number>('KSTREAM-AGGREGATE-', { valueSerde: Serdes.Int64(), ...materialized }, named, () => 0, (_k, _v, agg) => (agg as number) + 1);
  }

  /** Combines the values of a key: the first value as is, then `reducer(aggregate, value)`. */
  reduce(reducer: (aggregate: V, value: V) => V, materialized: Materialized<K, V> = {}, named?: Named): KTable<K, V> {
    return this.#aggregate<V>('KSTREAM-REDUCE-', { valueSerde: this.#valueSerde, ...materialized }, named, null, (_k, v, agg) => (agg === null ? v : reducer(agg, v)));
  }

  /** Folds the values of a key into an aggregate starting from `initializer()`. */
  aggregate<A>(initializer: () => A, aggregator: (key: K, value: V, aggregate: A) => A, materialized: Materialized<K, A> = {}, named?: Named): KTable<K, A> {
    return this.#aggregate<A>('KSTREAM-AGGREGATE-', materialized, named, initializer, (k, v, agg) => aggregator(k, v, agg as A));
  }

  #aggregate<A>(prefix: string, materialized: Materialized<K, A>, named: Named | undefined, initial: (() => A) | null, combine: (key: K, value: V, aggregate: A | null) => A): KTable<K, A> {
    const builder = this.#stream.builder;
    const storeName = materialized.storeName ?? builder.newStoreName(prefix);
    const name = named?.name ?? builder.newProcessorName(prefix);
    const keySerde = materialized.keySerde ?? this.#keySerde;
    let parent = this.#stream.nodeName;
    if (this.#repartitionRequired) {
      parent = builder.addRepartition(parent, this.#groupName ?? storeName, this.#groupName, this.#keySerde, this.#valueSerde, undefined, undefined);
    }
    let store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(storeName), keySerde, materialized.valueSerde);
    if (materialized.logging === false) store = store.withLoggingDisabled();
    else if (typeof materialized.logging === 'object') store = store.withLoggingEnabled(materialized.logging);
    builder.topology.addProcessor(name, streamAggregateProcessor<K, V, A>(storeName, initial, combine), parent);
    builder.topology.addStateStore(store, name);
    return new KTable<K, A>(builder, name, keySerde, materialized.valueSerde, storeName);
  }
}
