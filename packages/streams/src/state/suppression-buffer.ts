/**
 * The buffer behind `suppress()` (Kafka's InMemoryTimeOrderedKeyValueBuffer):
 * the latest value per key, each with a buffer time (for final window
 * results, the window's end) and the timestamp of the update, evicted in
 * buffer-time order.
 *
 * Changelogged so a restarted task emits what it had buffered. The record
 * layout is Samsa's own (Kafka's BufferValue format is not reproduced):
 * key = the serialized key; value = buffer time (int64 BE), record timestamp
 * (int64 BE), value length (int32 BE, -1 for null), value bytes. A deleted
 * entry is a tombstone.
 */
import type { Serde } from '../serdes/serde.js';
import { NO_HEADERS } from '../serdes/serdes.js';
import { StreamsError } from '../streams-error.js';
import type { LoggingConfig, StateStore, StateStoreContext, StoreBuilder } from './state-store.js';

interface Entry {
  key: Buffer;
  bufferTime: number;
  timestamp: number;
  value: Buffer | null;
}

const HEADER_BYTES = 20;

function encode(e: Entry): Buffer {
  const len = e.value === null ? -1 : e.value.length;
  const out = Buffer.allocUnsafe(HEADER_BYTES + Math.max(0, len));
  out.writeBigInt64BE(BigInt(e.bufferTime), 0);
  out.writeBigInt64BE(BigInt(e.timestamp), 8);
  out.writeInt32BE(len, 16);
  e.value?.copy(out, HEADER_BYTES);
  return out;
}

function decode(key: Buffer, b: Buffer): Entry {
  if (b.length < HEADER_BYTES) throw new StreamsError('SAMSA_ERR_STREAMS_STATE', `suppression buffer changelog value of ${b.length} bytes is too short`);
  const len = b.readInt32BE(16);
  if (len < -1 || HEADER_BYTES + Math.max(0, len) !== b.length) throw new StreamsError('SAMSA_ERR_STREAMS_STATE', 'suppression buffer changelog value has a wrong length');
  return { key, bufferTime: Number(b.readBigInt64BE(0)), timestamp: Number(b.readBigInt64BE(8)), value: len < 0 ? null : Buffer.from(b.subarray(HEADER_BYTES)) };
}

export class SuppressionBuffer<K, V> implements StateStore {
  readonly name: string;
  readonly persistent = false;
  readonly #givenKeySerde: Serde<K> | undefined;
  readonly #givenValueSerde: Serde<V> | undefined;
  readonly #logged: boolean;
  #keySerde: Serde<K> = undefined as unknown as Serde<K>;
  #valueSerde: Serde<V> = undefined as unknown as Serde<V>;
  readonly #entries = new Map<string, Entry>();
  #context: StateStoreContext | null = null;
  #topic = '';
  #open = false;

  constructor(name: string, keySerde: Serde<K> | undefined, valueSerde: Serde<V> | undefined, logged: boolean) {
    this.name = name;
    this.#givenKeySerde = keySerde;
    this.#givenValueSerde = valueSerde;
    this.#logged = logged;
  }

  get isOpen(): boolean {
    return this.#open;
  }

  get size(): number {
    return this.#entries.size;
  }

  init(context: StateStoreContext): void {
    this.#context = context;
    const keySerde = this.#givenKeySerde ?? (context.defaultKeySerde as Serde<K> | undefined);
    const valueSerde = this.#givenValueSerde ?? (context.defaultValueSerde as Serde<V> | undefined);
    if (keySerde === undefined || valueSerde === undefined) {
      throw new StreamsError('SAMSA_ERR_STREAMS_CONFIG', `suppression buffer ${this.name} has no ${keySerde === undefined ? 'key' : 'value'} serde: give the suppressed table's serdes`);
    }
    this.#keySerde = keySerde;
    this.#valueSerde = valueSerde;
    this.#topic = context.changelogTopic(this.name) ?? `${context.applicationId}-${this.name}-changelog`;
    if (this.#logged) {
      context.registerRestore(this.name, (key, value) => {
        if (value === null) this.#entries.delete(key.toString('latin1'));
        else this.#entries.set(key.toString('latin1'), decode(key, value));
      });
    }
    this.#open = true;
  }

  /** Buffers the latest value of `key` (replacing an earlier one). */
  put(key: K, value: V | null, bufferTime: number, timestamp: number): void {
    if (!this.#open) throw new StreamsError('SAMSA_ERR_STREAMS_STATE', `store ${this.name} is not open`);
    const k = this.#keySerde.serialize(this.#topic, key, NO_HEADERS);
    const e: Entry = { key: k, bufferTime, timestamp, value: value === null || value === undefined ? null : this.#valueSerde.serialize(this.#topic, value, NO_HEADERS) };
    this.#entries.set(k.toString('latin1'), e);
    if (this.#logged) (this.#context as StateStoreContext).logChange(this.name, k, encode(e));
  }

  /** Removes and hands over, oldest buffer time first, every entry with bufferTime <= `upTo`. */
  evictUpTo(upTo: number, emit: (key: K, value: V | null, timestamp: number) => void): void {
    const due = [...this.#entries.values()].filter((e) => e.bufferTime <= upTo).sort((a, b) => a.bufferTime - b.bufferTime);
    for (const e of due) {
      this.#entries.delete(e.key.toString('latin1'));
      if (this.#logged) (this.#context as StateStoreContext).logChange(this.name, e.key, null);
      emit(this.#keySerde.deserialize(this.#topic, e.key, NO_HEADERS), e.value === null ? null : this.#valueSerde.deserialize(this.#topic, e.value, NO_HEADERS), e.timestamp);
    }
  }

  flush(): void {}

  close(): void {
    this.#open = false;
    this.#entries.clear();
  }
}

/** Builds suppression buffers (changelog compacted, as Kafka's). */
export class SuppressionBufferBuilder<K, V> implements StoreBuilder<SuppressionBuffer<K, V>> {
  readonly kind = 'suppressionBuffer';
  readonly changelogDefaults: Record<string, string> = { 'cleanup.policy': 'compact', 'message.timestamp.type': 'CreateTime' };
  readonly name: string;
  readonly logging: LoggingConfig;
  readonly #keySerde: Serde<K> | undefined;
  readonly #valueSerde: Serde<V> | undefined;

  constructor(name: string, keySerde: Serde<K> | undefined, valueSerde: Serde<V> | undefined, logging: LoggingConfig = { enabled: true, topicConfig: {} }) {
    this.name = name;
    this.#keySerde = keySerde;
    this.#valueSerde = valueSerde;
    this.logging = logging;
  }

  build(): SuppressionBuffer<K, V> {
    return new SuppressionBuffer(this.name, this.#keySerde, this.#valueSerde, this.logging.enabled);
  }

  withLoggingEnabled(topicConfig: Record<string, string> = {}): StoreBuilder<SuppressionBuffer<K, V>> {
    return new SuppressionBufferBuilder(this.name, this.#keySerde, this.#valueSerde, { enabled: true, topicConfig: { ...topicConfig } });
  }

  withLoggingDisabled(): StoreBuilder<SuppressionBuffer<K, V>> {
    return new SuppressionBufferBuilder(this.name, this.#keySerde, this.#valueSerde, { enabled: false, topicConfig: {} });
  }
}
