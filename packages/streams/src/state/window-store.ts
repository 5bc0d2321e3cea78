/**
 * The window store: aggregates by key and window start, in memory, with
 * changelogging. Windows older than the retention period (relative to the
 * newest window start the store has seen, Kafka's "observed stream time")
 * are dropped, and writes to them are ignored.
 *
 * Changelog records use Kafka's window key layout, so a Java application's
 * changelog reads the same: key = serialized key ++ window start (int64
 * big-endian) ++ sequence number (int32, 0: duplicates are not retained).
 */
import type { Serde } from '../serdes/serde.js';
import { NO_HEADERS } from '../serdes/serdes.js';
import { StreamsError } from '../streams-error.js';
import type { Windowed } from '../dsl/windows.js';
import type { StateStore, StateStoreContext } from './state-store.js';

/** One window's value. */
export interface WindowedValue<V> {
  windowStart: number;
  value: V;
}

/** Kafka's WindowStore, typed. */
export interface WindowStore<K, V> extends StateStore {
  readonly windowSizeMs: number;
  readonly retentionMs: number;
  /** Writes (or, with null, deletes) the value of `key` in the window starting at `windowStart`. */
  put(key: K, value: V | null, windowStart: number): void;
  fetch(key: K, windowStart: number): V | null;
  /** The windows of `key` starting within [fromStart, toStart], oldest first. */
  fetchRange(key: K, fromStart: number, toStart: number): Array<WindowedValue<V>>;
  /** Every entry, by key bytes then window start. */
  all(): Array<{ key: Windowed<K>; value: V }>;
}

interface Entry {
  key: Buffer;
  start: number;
  value: Buffer;
}

const SUFFIX_BYTES = 12;

/** Kafka's WindowKeySchema store key: key bytes, window start, sequence number. */
export function windowStoreKey(key: Buffer, windowStart: number, seqnum = 0): Buffer {
  const out = Buffer.allocUnsafe(key.length + SUFFIX_BYTES);
  key.copy(out, 0);
  out.writeBigInt64BE(BigInt(windowStart), key.length);
  out.writeInt32BE(seqnum, key.length + 8);
  return out;
}

export class InMemoryWindowStore<K, V> implements WindowStore<K, V> {
  readonly name: string;
  readonly persistent = false;
  readonly windowSizeMs: number;
  readonly retentionMs: number;
  readonly #givenKeySerde: Serde<K> | undefined;
  readonly #givenValueSerde: Serde<V> | undefined;
  readonly #logged: boolean;
  #keySerde: Serde<K> = undefined as unknown as Serde<K>;
  #valueSerde: Serde<V> = undefined as unknown as Serde<V>;
  readonly #entries = new Map<string, Entry>();
  #context: StateStoreContext | null = null;
  #observedTime = -1;
  #open = false;
  #topic = '';

  constructor(name: string, windowSizeMs: number, retentionMs: number, keySerde: Serde<K> | undefined, valueSerde: Serde<V> | undefined, logged: boolean) {
    this.name = name;
    this.windowSizeMs = windowSizeMs;
    this.retentionMs = retentionMs;
    this.#givenKeySerde = keySerde;
    this.#givenValueSerde = valueSerde;
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
    this.#topic = context.changelogTopic(this.name) ?? `${context.applicationId}-${this.name}-changelog`;
    if (this.#logged) {
      context.registerRestore(this.name, (storeKey, value) => {
        if (storeKey.length < SUFFIX_BYTES) throw new StreamsError('SAMSA_ERR_STREAMS_STATE', `window store ${this.name}: changelog key of ${storeKey.length} bytes is too short`);
        const key = storeKey.subarray(0, storeKey.length - SUFFIX_BYTES);
        const start = Number(storeKey.readBigInt64BE(storeKey.length - SUFFIX_BYTES));
        this.#apply(Buffer.from(key), start, value);
      });
    }
    this.#open = true;
  }

  #id(key: Buffer, start: number): string {
    return `${key.toString('latin1')}\0${start}`;
  }

  #keyBytes(key: K): Buffer {
    if (!this.#open) throw new StreamsError('SAMSA_ERR_STREAMS_STATE', `store ${this.name} is not open`);
    if (key === null || key === undefined) throw new StreamsError('SAMSA_ERR_STREAMS_STATE', `store ${this.name}: keys cannot be null`);
    return this.#keySerde.serialize(this.#topic, key, NO_HEADERS);
  }

  /** Applies one write; returns false when the window is past retention. */
  #apply(key: Buffer, start: number, value: Buffer | null): boolean {
    if (start > this.#observedTime) {
      this.#observedTime = start;
      const horizon = this.#observedTime - this.retentionMs;
      for (const [id, e] of this.#entries) if (e.start <= horizon) this.#entries.delete(id);
    }
    if (start <= this.#observedTime - this.retentionMs) return false;
    const id = this.#id(key, start);
    if (value === null) this.#entries.delete(id);
    else this.#entries.set(id, { key, start, value });
    return true;
  }

  put(key: K, value: V | null, windowStart: number): void {
    const k = this.#keyBytes(key);
    const v = value === null || value === undefined ? null : this.#valueSerde.serialize(this.#topic, value, NO_HEADERS);
    if (this.#apply(k, windowStart, v) && this.#logged) (this.#context as StateStoreContext).logChange(this.name, windowStoreKey(k, windowStart), v);
  }

  fetch(key: K, windowStart: number): V | null {
    const e = this.#entries.get(this.#id(this.#keyBytes(key), windowStart));
    return e === undefined ? null : this.#valueSerde.deserialize(this.#topic, e.value, NO_HEADERS);
  }

  fetchRange(key: K, fromStart: number, toStart: number): Array<WindowedValue<V>> {
    const k = this.#keyBytes(key);
    return [...this.#entries.values()]
      .filter((e) => e.start >= fromStart && e.start <= toStart && e.key.equals(k))
      .sort((a, b) => a.start - b.start)
      .map((e) => ({ windowStart: e.start, value: this.#valueSerde.deserialize(this.#topic, e.value, NO_HEADERS) }));
  }

  all(): Array<{ key: Windowed<K>; value: V }> {
    if (!this.#open) throw new StreamsError('SAMSA_ERR_STREAMS_STATE', `store ${this.name} is not open`);
    return [...this.#entries.values()]
      .sort((a, b) => Buffer.compare(a.key, b.key) || a.start - b.start)
      .map((e) => ({
        key: { key: this.#keySerde.deserialize(this.#topic, e.key, NO_HEADERS), window: { start: e.start, end: e.start + this.windowSizeMs } },
        value: this.#valueSerde.deserialize(this.#topic, e.value, NO_HEADERS),
      }));
  }

  flush(): void {}

  close(): void {
    this.#open = false;
    this.#entries.clear();
  }
}
