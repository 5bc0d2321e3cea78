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
import type { WindowStore } from '../state/window-store.js';
import type { SuppressionBuffer } from '../state/suppression-buffer.js';
import { StreamRecord as Rec } from '../processor/record.js';
import type { TimeWindows, Windowed } from './windows.js';

type Ctx = ProcessorContext<unknown, unknown>;


/**
 * builder.table(): the latest value per key, in a store when materialized.
 * The store name is read when a task starts, so a join added after the
 * table can still ask for it to be materialized.
 */
export function tableSourceProcessor<K, V>(store: { name: string | null }): ProcessorSupplier<K, V, unknown, unknown> {
  return () => {
    let ctx: Ctx | null = null;
    let kv: KeyValueStore<K, V> | null = null;
    const p: Processor<K, V, unknown, unknown> = {
      init(context) {
        ctx = context;
        if (store.name !== null) kv = context.getStateStore<KeyValueStore<K, V>>(store.name);
      },
      process(record: StreamRecord<K, V>) {
        const c = ctx as Ctx;
        if (record.key === null || record.key === undefined) {
          c.recordDropped('skipping a table record with a null key');
          return;
        }
        const newValue = record.value ?? null;
        let oldValue: V | null = null;
        if (kv !== null) {
          oldValue = kv.get(record.key);
          kv.put(record.key, newValue);
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
          c.recordDropped(`aggregation ${storeName}: skipping a record with a null key or value`);
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

/**
 * KStream-KTable join (inner or left): each stream record looks up the
 * table's current value for its key; table updates produce no output.
 * Stream records with a null key or value are dropped (and counted); an
 * inner join also drops records whose key is not in the table, a left join
 * calls the joiner with null.
 */
export function streamTableJoinProcessor<K, V, VT, VR>(storeName: string, joiner: (value: V, tableValue: VT | null, key: K) => VR, left: boolean): ProcessorSupplier<K, V, unknown, unknown> {
  return () => {
    let ctx: Ctx | null = null;
    let table: KeyValueStore<K, VT> | null = null;
    return {
      init(context) {
        ctx = context;
        table = context.getStateStore<KeyValueStore<K, VT>>(storeName);
      },
      process(record: StreamRecord<K, V>) {
        const c = ctx as Ctx;
        if (record.key === null || record.key === undefined || record.value === null || record.value === undefined) {
          c.recordDropped('stream-table join: skipping a record with a null key or value');
          return;
        }
        const tableValue = (table as KeyValueStore<K, VT>).get(record.key);
        if (tableValue === null && !left) return;
        c.forward(record.withValue(joiner(record.value, tableValue, record.key)));
      },
    };
  };
}

/**
 * Windowed aggregation (Kafka's KStreamWindowAggregate): a record updates
 * every window containing its timestamp that is still open, i.e. whose end
 * is after the close time = (largest timestamp seen) - grace. Records for
 * closed windows are dropped as late and counted.
 */
export function windowedAggregateProcessor<K, V, A>(
  storeName: string,
  windows: TimeWindows,
  initial: (() => A) | null,
  combine: (key: K, value: V, aggregate: A | null) => A,
): ProcessorSupplier<K, V, unknown, unknown> {
  return () => {
    let ctx: Ctx | null = null;
    let store: WindowStore<K, A> | null = null;
    let observedStreamTime = -1;
    return {
      init(context) {
        ctx = context;
        store = context.getStateStore<WindowStore<K, A>>(storeName);
      },
      process(record: StreamRecord<K, V>) {
        const c = ctx as Ctx;
        if (record.key === null || record.key === undefined || record.value === null || record.value === undefined) {
          c.recordDropped(`windowed aggregation ${storeName}: skipping a record with a null key or value`);
          return;
        }
        const s = store as WindowStore<K, A>;
        observedStreamTime = Math.max(observedStreamTime, record.timestamp);
        const closeTime = observedStreamTime - windows.graceMs;
        for (const window of windows.windowsFor(record.timestamp)) {
          if (window.end <= closeTime) {
            c.recordDropped(`windowed aggregation ${storeName}: skipping a late record for window [${window.start}, ${window.end}) closed at stream time ${observedStreamTime}`);
            continue;
          }
          const oldValue = s.fetch(record.key, window.start);
          const newValue = combine(record.key, record.value, oldValue ?? (initial === null ? null : initial()));
          s.put(record.key, newValue, window.start);
          const change: Change<A> = { newValue, oldValue };
          const windowed: Windowed<K> = { key: record.key, window };
          c.forward(record.withKey(windowed).withValue(change));
        }
      },
    };
  };
}

/**
 * suppress(untilWindowCloses) on a windowed table (Kafka's
 * KTableSuppressProcessor with final results): keeps only the latest value
 * of each window in the buffer, and emits it once stream time reaches the
 * window's end + grace, the moment the window aggregate stops accepting
 * records for it. So each window yields one final result; deletes are not
 * emitted.
 */
export function suppressFinalProcessor<K, V>(storeName: string, graceMs: number): ProcessorSupplier<Windowed<K>, Change<V>, unknown, unknown> {
  return () => {
    let ctx: Ctx | null = null;
    let buffer: SuppressionBuffer<Windowed<K>, V> | null = null;
    let observedStreamTime = -1;
    return {
      init(context) {
        ctx = context;
        buffer = context.getStateStore<SuppressionBuffer<Windowed<K>, V>>(storeName);
      },
      process(record: StreamRecord<Windowed<K>, Change<V>>) {
        const c = ctx as Ctx;
        const b = buffer as SuppressionBuffer<Windowed<K>, V>;
        observedStreamTime = Math.max(observedStreamTime, record.timestamp);
        b.put(record.key, record.value.newValue, record.key.window.end, record.timestamp);
        b.evictUpTo(observedStreamTime - graceMs, (key, value, timestamp) => {
          if (value === null) return;
          const change: Change<V> = { newValue: value, oldValue: null };
          c.forward(new Rec(key, change, timestamp, record.headers));
        });
      },
    };
  };
}

/** Which KTable-KTable join. */
export type TableJoinKind = 'inner' | 'left' | 'outer';

/**
 * One side of a KTable-KTable join (Kafka's KTableKTable{Inner,Left,Right,Outer}Join):
 * an update of this side looks up the other side's current value. `thisIsLeft`
 * says whether this side is the join's left table (the joiner always gets
 * (left, right)).
 *
 * | join | this side updated, other side empty | other side present |
 * | --- | --- | --- |
 * | inner | nothing | new value ? joiner : delete |
 * | left, left side | new or old value present: new value ? joiner(new, null) : delete | new value ? joiner : delete |
 * | left, right side | nothing | joiner(left, new value or null) |
 * | outer | new or old value present: new value ? joiner : delete | joiner (the missing side null) |
 */
export function tableTableJoinProcessor<K, VL, VR, VO>(
  otherStore: string,
  kind: TableJoinKind,
  thisIsLeft: boolean,
  joiner: (left: VL | null, right: VR | null, key: K) => VO,
): ProcessorSupplier<K, Change<unknown>, unknown, unknown> {
  return () => {
    let ctx: Ctx | null = null;
    let other: KeyValueStore<K, unknown> | null = null;
    const join = (mine: unknown, theirs: unknown, key: K): VO =>
      thisIsLeft ? joiner(mine as VL | null, theirs as VR | null, key) : joiner(theirs as VL | null, mine as VR | null, key);
    return {
      init(context) {
        ctx = context;
        other = context.getStateStore<KeyValueStore<K, unknown>>(otherStore);
      },
      process(record: StreamRecord<K, Change<unknown>>) {
        const c = ctx as Ctx;
        if (record.key === null || record.key === undefined) {
          c.recordDropped('table-table join: skipping a record with a null key');
          return;
        }
        const theirs = (other as KeyValueStore<K, unknown>).get(record.key);
        const { newValue, oldValue } = record.value;
        let result: VO | null;
        const keepsThisSide = kind === 'outer' || (kind === 'left' && thisIsLeft);
        const keepsOtherSide = kind === 'outer' || (kind === 'left' && !thisIsLeft);
        if (theirs === null) {
          if (!keepsThisSide || (newValue === null && oldValue === null)) return;
          result = newValue === null ? null : join(newValue, null, record.key);
        } else if (newValue === null) {
          result = keepsOtherSide ? join(null, theirs, record.key) : null;
        } else {
          result = join(newValue, theirs, record.key);
        }
        const change: Change<VO> = { newValue: result, oldValue: null };
        c.forward(record.withValue(change));
      },
    };
  };
}
