/**
 * Kafka's `Stores` factory: suppliers say what kind of store, builders add
 * serdes and changelog settings. Logging (the changelog) is on by default,
 * as in Kafka Streams.
 */
import type { Serde } from '../serdes/serde.js';
import { InMemoryKeyValueStore, type KeyValueStore } from './key-value-store.js';
import { InMemoryWindowStore, type WindowStore } from './window-store.js';
import type { LoggingConfig, StoreBuilder } from './state-store.js';

/** Names an in-memory key-value store. */
export interface KeyValueBytesStoreSupplier {
  readonly name: string;
  readonly kind: 'inMemoryKeyValue';
}

class KeyValueStoreBuilder<K, V> implements StoreBuilder<KeyValueStore<K, V>> {
  readonly kind = 'keyValue';
  readonly changelogDefaults: Record<string, string> = { 'cleanup.policy': 'compact', 'message.timestamp.type': 'CreateTime' };
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

/** Names an in-memory window store and fixes its window size and retention. */
export interface WindowBytesStoreSupplier {
  readonly name: string;
  readonly kind: 'inMemoryWindow';
  readonly retentionMs: number;
  readonly windowSizeMs: number;
}

/** Extra time the changelog of a window store keeps data (Kafka's windowstore.changelog.additional.retention.ms). */
export const WINDOW_CHANGELOG_ADDITIONAL_RETENTION_MS = 86_400_000;

class WindowStoreBuilder<K, V> implements StoreBuilder<WindowStore<K, V>> {
  readonly kind = 'window';
  readonly name: string;
  readonly logging: LoggingConfig;
  readonly changelogDefaults: Record<string, string>;
  readonly #supplier: WindowBytesStoreSupplier;
  readonly #keySerde: Serde<K> | undefined;
  readonly #valueSerde: Serde<V> | undefined;

  constructor(supplier: WindowBytesStoreSupplier, keySerde: Serde<K> | undefined, valueSerde: Serde<V> | undefined, logging: LoggingConfig) {
    this.name = supplier.name;
    this.#supplier = supplier;
    this.#keySerde = keySerde;
    this.#valueSerde = valueSerde;
    this.logging = logging;
    this.changelogDefaults = {
      'cleanup.policy': 'compact,delete',
      'retention.ms': String(supplier.retentionMs + WINDOW_CHANGELOG_ADDITIONAL_RETENTION_MS),
      'message.timestamp.type': 'CreateTime',
    };
  }

  build(): WindowStore<K, V> {
    return new InMemoryWindowStore(this.name, this.#supplier.windowSizeMs, this.#supplier.retentionMs, this.#keySerde, this.#valueSerde, this.logging.enabled);
  }

  withLoggingEnabled(topicConfig: Record<string, string> = {}): StoreBuilder<WindowStore<K, V>> {
    return new WindowStoreBuilder(this.#supplier, this.#keySerde, this.#valueSerde, { enabled: true, topicConfig: { ...topicConfig } });
  }

  withLoggingDisabled(): StoreBuilder<WindowStore<K, V>> {
    return new WindowStoreBuilder(this.#supplier, this.#keySerde, this.#valueSerde, { enabled: false, topicConfig: {} });
  }
}

export const Stores = {
  inMemoryKeyValueStore(name: string): KeyValueBytesStoreSupplier {
    if (typeof name !== 'string' || name === '') throw new TypeError('a store needs a non-empty name');
    return { name, kind: 'inMemoryKeyValue' };
  },
  inMemoryWindowStore(name: string, retentionMs: number, windowSizeMs: number): WindowBytesStoreSupplier {
    if (typeof name !== 'string' || name === '') throw new TypeError('a store needs a non-empty name');
    if (!Number.isSafeInteger(windowSizeMs) || windowSizeMs < 1) throw new RangeError(`windowSizeMs must be a whole number >= 1, got ${String(windowSizeMs)}`);
    if (!Number.isSafeInteger(retentionMs) || retentionMs < windowSizeMs) throw new RangeError(`retentionMs must be a whole number >= the window size, got ${String(retentionMs)}`);
    return { name, kind: 'inMemoryWindow', retentionMs, windowSizeMs };
  },
  windowStoreBuilder<K, V>(supplier: WindowBytesStoreSupplier, keySerde: Serde<K> | undefined, valueSerde: Serde<V> | undefined): StoreBuilder<WindowStore<K, V>> {
    return new WindowStoreBuilder(supplier, keySerde, valueSerde, { enabled: true, topicConfig: {} });
  },
  /** Serdes left undefined are the application's defaults. */
  keyValueStoreBuilder<K, V>(supplier: KeyValueBytesStoreSupplier, keySerde: Serde<K> | undefined, valueSerde: Serde<V> | undefined): StoreBuilder<KeyValueStore<K, V>> {
    return new KeyValueStoreBuilder(supplier.name, keySerde, valueSerde, { enabled: true, topicConfig: {} });
  },
} as const;
