/**
 * The processors behind the stateless KStream and KTable operators. Each
 * supplier returns a fresh processor per task.
 */
import type { Processor, ProcessorContext, ProcessorSupplier } from '../processor/processor.js';
import { StreamRecord } from '../processor/record.js';
import type { Change } from './change.js';

type Ctx = ProcessorContext<unknown, unknown>;

/** A processor that maps each record to zero or more records. */
function recordMapper<K, V>(fn: (record: StreamRecord<K, V>, forward: (r: StreamRecord<unknown, unknown>) => void) => void): ProcessorSupplier<K, V, unknown, unknown> {
  return () => {
    let ctx: Ctx | null = null;
    const forward = (r: StreamRecord<unknown, unknown>): void => (ctx as Ctx).forward(r);
    const p: Processor<K, V, unknown, unknown> = {
      init(context) {
        ctx = context;
      },
      process(record) {
        fn(record, forward);
      },
    };
    return p;
  };
}

export function filterProcessor<K, V>(predicate: (key: K, value: V) => boolean, keepWhen: boolean): ProcessorSupplier<K, V, unknown, unknown> {
  return recordMapper<K, V>((r, forward) => {
    if (predicate(r.key, r.value) === keepWhen) forward(r);
  });
}

export function mapProcessor<K, V, K2, V2>(mapper: (key: K, value: V) => readonly [K2, V2]): ProcessorSupplier<K, V, unknown, unknown> {
  return recordMapper<K, V>((r, forward) => {
    const [k, v] = mapper(r.key, r.value);
    forward(new StreamRecord<unknown, unknown>(k, v, r.timestamp, r.headers));
  });
}

export function mapValuesProcessor<K, V, V2>(mapper: (value: V, key: K) => V2): ProcessorSupplier<K, V, unknown, unknown> {
  return recordMapper<K, V>((r, forward) => forward(r.withValue(mapper(r.value, r.key))));
}

export function flatMapProcessor<K, V, K2, V2>(mapper: (key: K, value: V) => Iterable<readonly [K2, V2]>): ProcessorSupplier<K, V, unknown, unknown> {
  return recordMapper<K, V>((r, forward) => {
    for (const [k, v] of mapper(r.key, r.value)) forward(new StreamRecord<unknown, unknown>(k, v, r.timestamp, r.headers));
  });
}

export function flatMapValuesProcessor<K, V, V2>(mapper: (value: V, key: K) => Iterable<V2>): ProcessorSupplier<K, V, unknown, unknown> {
  return recordMapper<K, V>((r, forward) => {
    for (const v of mapper(r.value, r.key)) forward(r.withValue(v));
  });
}

export function selectKeyProcessor<K, V, K2>(mapper: (key: K, value: V) => K2): ProcessorSupplier<K, V, unknown, unknown> {
  return recordMapper<K, V>((r, forward) => forward(r.withKey(mapper(r.key, r.value))));
}

export function peekProcessor<K, V>(action: (key: K, value: V) => void, forwardAfter: boolean): ProcessorSupplier<K, V, unknown, unknown> {
  return recordMapper<K, V>((r, forward) => {
    action(r.key, r.value);
    if (forwardAfter) forward(r);
  });
}

/** Passes every record on: the node `merge()` adds below both inputs. */
export function passThroughProcessor<K, V>(): ProcessorSupplier<K, V, unknown, unknown> {
  return recordMapper<K, V>((r, forward) => forward(r));
}

/** `split()`: each record goes to the first branch whose predicate holds, else to the default branch (if any). */
export function branchProcessor<K, V>(predicates: ReadonlyArray<(key: K, value: V) => boolean>, children: readonly string[], defaultChild: string | null): ProcessorSupplier<K, V, unknown, unknown> {
  return () => {
    let ctx: Ctx | null = null;
    return {
      init(context) {
        ctx = context;
      },
      process(record) {
        for (let i = 0; i < predicates.length; i++) {
          if (predicates[i](record.key, record.value)) {
            (ctx as Ctx).forward(record, children[i]);
            return;
          }
        }
        if (defaultChild !== null) (ctx as Ctx).forward(record, defaultChild);
      },
    };
  };
}

/** KTable.toStream(): the new value of each change. */
export function toStreamProcessor<K, V>(): ProcessorSupplier<K, Change<V>, unknown, unknown> {
  return recordMapper<K, Change<V>>((r, forward) => forward(r.withValue(r.value.newValue)));
}
