/**
 * The DSL entry point (Kafka's StreamsBuilder): streams and tables from
 * topics, then `build()` for the Topology that KafkaStreams or the
 * TopologyTestDriver runs.
 */
import { Stores } from '../state/stores.js';
import { StreamsError } from '../streams-error.js';
import type { StoreBuilder, StateStore } from '../state/state-store.js';
import type { Topology } from '../topology/topology.js';
import { InternalStreamsBuilder } from './internal-builder.js';
import { KStream } from './kstream.js';
import { KTable } from './ktable.js';
import type { Consumed, Materialized } from './options.js';
import { tableSourceProcessor } from './table-processors.js';

export class StreamsBuilder {
  readonly #internal = new InternalStreamsBuilder();
  #built = false;

  /** A stream of the records of `topics`. */
  stream<K, V>(topics: string | string[], consumed: Consumed<K, V> = {}): KStream<K, V> {
    this.#check();
    const name = consumed.name ?? this.#internal.newProcessorName('KSTREAM-SOURCE-');
    this.#internal.topology.addSource<K, V>(name, topics, consumed);
    return new KStream<K, V>(this.#internal, name, consumed.keySerde, consumed.valueSerde, false);
  }

  /**
   * A table of the latest value per key of `topic`. With a
   * `materialized.storeName` it is kept in a store (queryable, with its own
   * changelog); otherwise it passes updates on without state.
   */
  table<K, V>(topic: string, consumed: Consumed<K, V> = {}, materialized: Materialized<K, V> = {}): KTable<K, V> {
    this.#check();
    const b = this.#internal;
    // Kafka generates the store name first (an unnamed table is not queryable, so it is not kept).
    const storeName = materialized.storeName ?? null;
    const generatedStoreName = storeName === null ? b.newStoreName(`${topic}-`) : storeName;
    const sourceName = consumed.name ?? b.newProcessorName('KSTREAM-SOURCE-');
    const tableName = b.newProcessorName('KTABLE-SOURCE-');
    b.topology.addSource<K, V>(sourceName, topic, consumed);
    const storeRef = { name: storeName };
    b.topology.addProcessor(tableName, tableSourceProcessor<K, V>(storeRef), sourceName);
    const keySerde = materialized.keySerde ?? consumed.keySerde;
    const valueSerde = materialized.valueSerde ?? consumed.valueSerde;
    const materialize = (name: string): void => {
      let store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), keySerde, valueSerde);
      if (materialized.logging === false) store = store.withLoggingDisabled();
      else if (typeof materialized.logging === 'object') store = store.withLoggingEnabled(materialized.logging);
      b.topology.addStateStore(store, tableName);
      storeRef.name = name;
    };
    if (storeName !== null) materialize(storeName);
    // An unnamed source table is materialized on demand (a join needs its state), under the name Kafka generates.
    const onDemand = storeName === null ? () => {
      if (storeRef.name === null) materialize(generatedStoreName);
      return storeRef.name as string;
    } : null;
    return new KTable<K, V>(b, tableName, keySerde, valueSerde, storeName, onDemand);
  }

  /** Adds a store for Processor API nodes added with `KStream.process()`. */
  addStateStore(builder: StoreBuilder<StateStore>): this {
    this.#check();
    this.#internal.topology.addStateStore(builder);
    return this;
  }

  /** The topology; the builder cannot be used afterwards. */
  build(): Topology {
    this.#check();
    this.#built = true;
    this.#internal.topology.subtopologies();
    return this.#internal.topology;
  }

  #check(): void {
    if (this.#built) throw new StreamsError('SAMSA_ERR_STREAMS_TOPOLOGY', 'build() was called: this StreamsBuilder cannot change any more');
  }
}
