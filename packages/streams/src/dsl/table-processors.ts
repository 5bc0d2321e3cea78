/**
 * The processors behind KTables and stream aggregations. They forward
 * `Change`s; when a node has a store, it writes the new value there first
 * (which also writes the changelog), so the store and the forwarded change
 * always agree.
 *
 * Records dropped, as Kafka Streams drops them (logged and counted in
 * Kafka's `dropped-records` metric):
 * - table sources: records with a null key;
 * - aggregations: records with a null key or a null value.
 */
import type { Processor, ProcessorContext, ProcessorSupplier } from '../processor/processor.js';
import type { StreamRecord } from '../processor/record.js';
import type { KeyValueStore } from '../state/key-value-store.js';
import type { Change } from './change.js';

type Ctx = ProcessorContext<unknown, unknown>;

function where(ctx: Ctx): string {
  const m = ctx.recordMetadata();
  return m === null ? 'in a punctuation' : `${m.topic}-${m.partition} offset ${m.offset}`;
}

/** builder.table(): the latest value per key, in a store when materialized. */
export function tableSourceProcessor<K, V>(storeName: string | null): ProcessorSupplier<K, V, unknown, unknown> {
  return () => {
    let ctx: Ctx | null = null;
    let store: KeyValueStore<K, V> | null = null;
    const p: Processor<K, V, unknown, unknown> = {
      init(context) {
        ctx = context;
        if (storeName !== null) store = context.getStateStore<KeyValueStore<K, V>>(storeName);
      },
      process(record: StreamRecord<K, V>) {
        const c = ctx as Ctx;
        if (record.key === null || record.key === undefined) {
          c.logger.warn(`table source: skipping a record with a null key at ${where(c)}`);
          return;
        }
        const newValue = record.value ?? null;
        let oldValue: V | null = null;
        if (store !== null) {
          oldValue = store.get(record.key);
          store.put(record.key, newValue);
        }
        const change: Change<V> = { newValue, oldValue };
        c.forward(record.withValue(change));
      },
    };
    return p;
  };
}

/**
 * KTable.filter / filterNot / mapValues: computes the new value from the
 * change's new value. Like Kafka without `sendOldValues`, the old value is
 * not forwarded, and a filtered-out record becomes a delete of its key.
 */
export function tableTransformProcessor<K, V, V2>(compute: (key: K, value: V) => V2 | null, storeName: string | null): ProcessorSupplier<K, Change<V>, unknown, unknown> {
  return () => {
    let ctx: Ctx | null = null;
    let store: KeyValueStore<K, V2> | null = null;
    return {
      init(context) {
        ctx = context;
        if (storeName !== null) store = context.getStateStore<KeyValueStore<K, V2>>(storeName);
      },
      process(record: StreamRecord<K, Change<V>>) {
        const newValue = record.value.newValue === null ? null : compute(record.key, record.value.newValue);
        if (store !== null) store.put(record.key, newValue);
        const change: Change<V2> = { newValue, oldValue: null };
        (ctx as Ctx).forward(record.withValue(change));
      },
    };
  };
}

/** KGroupedStream.aggregate / reduce / count: the running aggregate per key, always in a store. */
export function streamAggregateProcessor<K, V, A>(
  storeName: string,
  initial: (() => A) | null,
  combine: (key: K, value: V, aggregate: A | null) => A,
): ProcessorSupplier<K, V, unknown, unknown> {
  return () => {
    let ctx: Ctx | null = null;
    let store: KeyValueStore<K, A> | null = null;
    return {
      init(context) {
        ctx = context;
        store = context.getStateStore<KeyValueStore<K, A>>(storeName);
      },
      process(record: StreamRecord<K, V>) {
        const c = ctx as Ctx;
        if (record.key === null || record.key === undefined || record.value === null || record.value === undefined) {
          c.logger.warn(`aggregation ${storeName}: skipping a record with a null key or value at ${where(c)}`);
          return;
        }
        const s = store as KeyValueStore<K, A>;
        const oldValue = s.get(record.key);
        const start = oldValue ?? (initial === null ? null : initial());
        const newValue = combine(record.key, record.value, start);
        s.put(record.key, newValue);
        const change: Change<A> = { newValue, oldValue };
        c.forward(record.withValue(change));
      },
    };
  };
}
