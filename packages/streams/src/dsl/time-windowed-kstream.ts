/**
 * A grouped stream cut into time windows (Kafka's TimeWindowedKStream):
 * count, reduce and aggregate per key and window, into a window store. The
 * result is a table keyed by `Windowed<K>`, updated with every accepted
 * record (there is no record cache or suppression yet, so each update is
 * emitted). Store and repartition naming as for KGroupedStream.
 */
import type { Serde } from '../serdes/serde.js';
import { Serdes } from '../serdes/serdes.js';
import { WindowedSerdes } from '../serdes/windowed-serdes.js';
import { Stores } from '../state/stores.js';
import { StreamsError } from '../streams-error.js';
import type { InternalStreamsBuilder } from './internal-builder.js';
import { KTable } from './ktable.js';
import type { Materialized, Named } from './options.js';
import { windowedAggregateProcessor } from './table-processors.js';
import type { TimeWindows, Windowed } from './windows.js';

/** @internal What a grouped stream hands over to windowedBy(). */
export interface GroupedSource<K, V> {
  stream: { builder: InternalStreamsBuilder; nodeName: string };
  groupName: string | undefined;
  keySerde: Serde<K> | undefined;
  valueSerde: Serde<V> | undefined;
  repartitionRequired: boolean;
}

export class TimeWindowedKStream<K, V> {
  readonly #source: GroupedSource<K, V>;
  readonly #windows: TimeWindows;

  /** @internal Use KGroupedStream.windowedBy(). */
  constructor(source: GroupedSource<K, V>, windows: TimeWindows) {
    this.#source = source;
    this.#windows = windows;
  }

  count(materialized: Materialized<K, number> = {}, named?: Named): KTable<Windowed<K>, number> {
    return this.#aggregate<number>('KSTREAM-AGGREGATE-', { valueSerde: Serdes.Int64(), ...materialized }, named, () => 0, (_k, _v, agg) => (agg as number) + 1);
  }

  reduce(reducer: (aggregate: V, value: V) => V, materialized: Materialized<K, V> = {}, named?: Named): KTable<Windowed<K>, V> {
    return this.#aggregate<V>('KSTREAM-REDUCE-', { valueSerde: this.#source.valueSerde, ...materialized }, named, null, (_k, v, agg) => (agg === null ? v : reducer(agg, v)));
  }

  aggregate<A>(initializer: () => A, aggregator: (key: K, value: V, aggregate: A) => A, materialized: Materialized<K, A> = {}, named?: Named): KTable<Windowed<K>, A> {
    return this.#aggregate<A>('KSTREAM-AGGREGATE-', materialized, named, initializer, (k, v, agg) => aggregator(k, v, agg as A));
  }

  #aggregate<A>(prefix: string, materialized: Materialized<K, A>, named: Named | undefined, initial: (() => A) | null, combine: (key: K, value: V, aggregate: A | null) => A): KTable<Windowed<K>, A> {
    const { stream, groupName, keySerde: groupKeySerde, valueSerde, repartitionRequired } = this.#source;
    const builder = stream.builder;
    const w = this.#windows;
    const retentionMs = materialized.retentionMs ?? w.sizeMs + w.graceMs;
    if (retentionMs < w.sizeMs + w.graceMs) {
      throw new StreamsError('SAMSA_ERR_STREAMS_TOPOLOGY', `retention (${retentionMs} ms) must be at least window size + grace (${w.sizeMs + w.graceMs} ms), or windows would be dropped while still open`);
    }
    const storeName = materialized.storeName ?? builder.newStoreName(prefix);
    const name = named?.name ?? builder.newProcessorName(prefix);
    const keySerde = materialized.keySerde ?? groupKeySerde;
    let parent = stream.nodeName;
    if (repartitionRequired) parent = builder.addRepartition(parent, groupName ?? storeName, groupName, groupKeySerde, valueSerde, undefined, undefined);
    let store = Stores.windowStoreBuilder(Stores.inMemoryWindowStore(storeName, retentionMs, w.sizeMs), keySerde, materialized.valueSerde);
    if (materialized.logging === false) store = store.withLoggingDisabled();
    else if (typeof materialized.logging === 'object') store = store.withLoggingEnabled(materialized.logging);
    builder.topology.addProcessor(name, windowedAggregateProcessor<K, V, A>(storeName, w, initial, combine), parent);
    builder.topology.addStateStore(store, name);
    const windowedKeySerde = keySerde === undefined ? undefined : WindowedSerdes.timeWindowed(keySerde, w.sizeMs);
    const table = new KTable<Windowed<K>, A>(builder, name, windowedKeySerde, materialized.valueSerde, storeName);
    table.windowGraceMs = w.graceMs;
    return table;
  }
}
