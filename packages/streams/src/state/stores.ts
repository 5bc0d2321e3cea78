/**
 * Kafka's `Stores` factory: suppliers say what kind of store, builders add
 * serdes and changelog settings. Logging (the changelog) is on by default,
 * as in Kafka Streams.
 */
import type { Serde } from '../serdes/serde.js';
import { InMemoryKeyValueStore, type KeyValueStore } from './key-value-store.js';
import type { LoggingConfig, StoreBuilder } from './state-store.js';

/** Names an in-memory key-value store. */
export interface KeyValueBytesStoreSupplier {
  readonly name: string;
  readonly kind: 'inMemoryKeyValue';
}

class KeyValueStoreBuilder<K, V> implements StoreBuilder<KeyValueStore<K, V>> {
  readonly kind = 'keyValue';
  readonly name: string;
  readonly logging: LoggingConfig;
  readonly #keySerde: Serde<K> | undefined;
  readonly #valueSerde: Serde<V> | undefined;

  constructor(name: string, keySerde: Serde<K> | undefined, valueSerde: Serde<V> | undefined, logging: LoggingConfig) {
    this.name = name;
    this.#keySerde = keySerde;
    this.#valueSerde = valueSerde;
    this.logging = logging;
  }

  build(): KeyValueStore<K, V> {
    return new InMemoryKeyValueStore(this.name, this.#keySerde, this.#valueSerde, this.logging.enabled);
  }

  withLoggingEnabled(topicConfig: Record<string, string> = {}): StoreBuilder<KeyValueStore<K, V>> {
    return new KeyValueStoreBuilder(this.name, this.#keySerde, this.#valueSerde, { enabled: true, topicConfig: { ...topicConfig } });
  }

  withLoggingDisabled(): StoreBuilder<KeyValueStore<K, V>> {
    return new KeyValueStoreBuilder(this.name, this.#keySerde, this.#valueSerde, { enabled: false, topicConfig: {} });
  }
}

export const Stores = {
  inMemoryKeyValueStore(name: string): KeyValueBytesStoreSupplier {
    if (typeof name !== 'string' || name === '') throw new TypeError('a store needs a non-empty name');
    return { name, kind: 'inMemoryKeyValue' };
  },
  /** Serdes left undefined are the application's defaults. */
  keyValueStoreBuilder<K, V>(supplier: KeyValueBytesStoreSupplier, keySerde: Serde<K> | undefined, valueSerde: Serde<V> | undefined): StoreBuilder<KeyValueStore<K, V>> {
    return new KeyValueStoreBuilder(supplier.name, keySerde, valueSerde, { enabled: true, topicConfig: {} });
  },
} as const;
