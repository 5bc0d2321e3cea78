/**
 * The key-value store: typed get/put/delete/range over an in-memory map of
 * serialized keys, with every change written to the changelog when logging
 * is on.
 *
 * Keys are stored by their serialized bytes, as in Kafka Streams: two keys
 * are the same key exactly when their bytes are equal, `range` and `all`
 * iterate in the bytes' lexicographic order (what a Java app or a
 * persistent store would also give), and the changelog carries the same
 * bytes, so restoring needs no deserialization.
 */
import type { Serde } from '../serdes/serde.js';
import { NO_HEADERS } from '../serdes/serdes.js';
import { StreamsError } from '../streams-error.js';
import type { StateStore, StateStoreContext } from './state-store.js';

/** One entry returned by range queries. */
export interface KeyValue<K, V> {
  key: K;
  value: V;
}

/** Kafka's KeyValueStore, typed. `null` values are deletes, as in Kafka. */
export interface KeyValueStore<K, V> extends StateStore {
  get(key: K): V | null;
  put(key: K, value: V | null): void;
  /** Writes only when the key is absent; returns the value found, or null when it wrote. */
  putIfAbsent(key: K, value: V): V | null;
  putAll(entries: ReadonlyArray<KeyValue<K, V | null>>): void;
  /** Removes the key; returns the old value. */
  delete(key: K): V | null;
  /** Entries with from <= key <= to (by serialized bytes); null bounds are open. */
  range(from: K | null, to: K | null): Array<KeyValue<K, V>>;
  all(): Array<KeyValue<K, V>>;
  approximateNumEntries(): number;
}

interface Entry {
  key: Buffer;
  value: Buffer;
}

/** The in-memory key-value store with optional changelogging. */
export class InMemoryKeyValueStore<K, V> implements KeyValueStore<K, V> {
  readonly name: string;
  readonly persistent = false;
  #keySerde: Serde<K>;
  #valueSerde: Serde<V>;
  readonly #givenKeySerde: Serde<K> | undefined;
  readonly #givenValueSerde: Serde<V> | undefined;
  readonly #logged: boolean;
  readonly #entries = new Map<string, Entry>();
  #context: StateStoreContext | null = null;
  #open = false;
  #topic = '';

  /** Serdes left undefined are the application's defaults, resolved in init(). */
  constructor(name: string, keySerde: Serde<K> | undefined, valueSerde: Serde<V> | undefined, logged: boolean) {
    this.name = name;
    this.#givenKeySerde = keySerde;
    this.#givenValueSerde = valueSerde;
    this.#keySerde = keySerde as Serde<K>;
    this.#valueSerde = valueSerde as Serde<V>;
    this.#logged = logged;
  }

  get isOpen(): boolean {
    return this.#open;
  }

  init(context: StateStoreContext): void {
    this.#context = context;
    const keySerde = this.#givenKeySerde ?? (context.defaultKeySerde as Serde<K> | undefined);
    const valueSerde = this.#givenValueSerde ?? (context.defaultValueSerde as Serde<V> | undefined);
    if (keySerde === undefined || valueSerde === undefined) {
      throw new StreamsError('SAMSA_ERR_STREAMS_CONFIG', `store ${this.name} has no ${keySerde === undefined ? 'key' : 'value'} serde: give one (Materialized) or set defaultKeySerde/defaultValueSerde`);
    }
    this.#keySerde = keySerde;
    this.#valueSerde = valueSerde;
    // Serde calls need a topic name: the changelog's, as Kafka Streams passes.
    this.#topic = context.changelogTopic(this.name) ?? `${context.applicationId}-${this.name}-changelog`;
    if (this.#logged) {
      context.registerRestore(this.name, (key, value) => {
        if (value === null) this.#entries.delete(key.toString('latin1'));
        else this.#entries.set(key.toString('latin1'), { key, value });
      });
    }
    this.#open = true;
  }

  #check(): void {
    if (!this.#open) throw new StreamsError('SAMSA_ERR_STREAMS_STATE', `store ${this.name} is not open`);
  }

  #keyBytes(key: K): Buffer {
    if (key === null || key === undefined) throw new StreamsError('SAMSA_ERR_STREAMS_STATE', `store ${this.name}: keys cannot be null`);
    return this.#keySerde.serialize(this.#topic, key, NO_HEADERS);
  }

  #value(e: Entry | undefined): V | null {
    return e === undefined ? null : this.#valueSerde.deserialize(this.#topic, e.value, NO_HEADERS);
  }

  #write(key: Buffer, value: Buffer | null): void {
    const id = key.toString('latin1');
    if (value === null) this.#entries.delete(id);
    else this.#entries.set(id, { key, value });
    if (this.#logged) (this.#context as StateStoreContext).logChange(this.name, key, value);
  }

  get(key: K): V | null {
    this.#check();
    return this.#value(this.#entries.get(this.#keyBytes(key).toString('latin1')));
  }

  put(key: K, value: V | null): void {
    this.#check();
    const bytes = value === null || value === undefined ? null : this.#valueSerde.serialize(this.#topic, value, NO_HEADERS);
    this.#write(this.#keyBytes(key), bytes);
  }

  putIfAbsent(key: K, value: V): V | null {
    const found = this.get(key);
    if (found === null) this.put(key, value);
    return found;
  }

  putAll(entries: ReadonlyArray<KeyValue<K, V | null>>): void {
    for (const e of entries) this.put(e.key, e.value);
  }

  delete(key: K): V | null {
    this.#check();
    const bytes = this.#keyBytes(key);
    const old = this.#value(this.#entries.get(bytes.toString('latin1')));
    if (old !== null) this.#write(bytes, null);
    return old;
  }

  range(from: K | null, to: K | null): Array<KeyValue<K, V>> {
    this.#check();
    const lo = from === null ? null : this.#keyBytes(from);
    const hi = to === null ? null : this.#keyBytes(to);
    const selected = [...this.#entries.values()].filter((e) => (lo === null || Buffer.compare(e.key, lo) >= 0) && (hi === null || Buffer.compare(e.key, hi) <= 0));
    selected.sort((a, b) => Buffer.compare(a.key, b.key));
    return selected.map((e) => ({
      key: this.#keySerde.deserialize(this.#topic, e.key, NO_HEADERS),
      value: this.#valueSerde.deserialize(this.#topic, e.value, NO_HEADERS),
    }));
  }

  all(): Array<KeyValue<K, V>> {
    return this.range(null, null);
  }

  approximateNumEntries(): number {
    return this.#entries.size;
  }

  flush(): void {
    // Changes go to the changelog as they happen; nothing is cached.
  }

  close(): void {
    this.#open = false;
    this.#entries.clear();
  }
}
