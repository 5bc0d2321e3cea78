/**
 * Options of the DSL operators (Kafka's Consumed, Produced, Grouped,
 * Materialized, Repartitioned, Named, Branched) as plain typed objects, with
 * Kafka-style helper functions for readers coming from Java:
 *
 *   builder.stream('orders', { keySerde: Serdes.String(), valueSerde: Serdes.JSON<Order>() })
 *   builder.stream('orders', Consumed.with(Serdes.String(), Serdes.JSON<Order>()))   // the same
 */
import type { TimestampExtractor } from '../processor/timestamp-extractor.js';
import type { Serde } from '../serdes/serde.js';
import type { StreamPartitioner } from '../topology/nodes.js';

/** Names a DSL node (Kafka's Named): the processor name instead of a generated one. */
export interface Named {
  name?: string;
}

/** How a topic is read. */
export interface Consumed<K, V> extends Named {
  keySerde?: Serde<K>;
  valueSerde?: Serde<V>;
  timestampExtractor?: TimestampExtractor;
  offsetReset?: 'earliest' | 'latest';
}

/** How a stream is written. */
export interface Produced<K, V> extends Named {
  keySerde?: Serde<K>;
  valueSerde?: Serde<V>;
  partitioner?: StreamPartitioner<K, V>;
}

/** How a stream is grouped; `name` names the repartition topic (`<app>-<name>-repartition`). */
export interface Grouped<K, V> extends Named {
  keySerde?: Serde<K>;
  valueSerde?: Serde<V>;
}

/** How a stream is repartitioned by `repartition()`. */
export interface Repartitioned<K, V> extends Named {
  keySerde?: Serde<K>;
  valueSerde?: Serde<V>;
  numberOfPartitions?: number;
  partitioner?: StreamPartitioner<K, V>;
}

/** Serdes and name of a join; `name` also names its repartition topic when the stream must be repartitioned first. */
export interface Joined<K, V, VO> extends Named {
  keySerde?: Serde<K>;
  valueSerde?: Serde<V>;
  otherValueSerde?: Serde<VO>;
}

/**
 * How a table is stored. `storeName` makes it queryable and names its
 * changelog (`<app>-<storeName>-changelog`); `logging: false` turns the
 * changelog off (the state is then lost on restart), an object sets extra
 * changelog topic configs.
 */
export interface Materialized<K, V> {
  storeName?: string;
  keySerde?: Serde<K>;
  valueSerde?: Serde<V>;
  logging?: boolean | Record<string, string>;
  /** Windowed stores: how long windows are kept [window size + grace]. */
  retentionMs?: number;
}

/** One branch of `split()`: its name (the key in the result), and optionally a chain applied to it. */
export interface Branched<S> {
  name?: string;
  /** Transforms the branch; what it returns is the branch's entry in the result (nothing: the branch is left out). */
  chain?: (stream: S) => S | void;
}

export const Consumed = {
  with: <K, V>(keySerde: Serde<K>, valueSerde: Serde<V>): Consumed<K, V> => ({ keySerde, valueSerde }),
  as: <K, V>(name: string): Consumed<K, V> => ({ name }),
} as const;

export const Produced = {
  with: <K, V>(keySerde: Serde<K>, valueSerde: Serde<V>, partitioner?: StreamPartitioner<K, V>): Produced<K, V> =>
    partitioner === undefined ? { keySerde, valueSerde } : { keySerde, valueSerde, partitioner },
  as: <K, V>(name: string): Produced<K, V> => ({ name }),
} as const;

export const Grouped = {
  with: <K, V>(keySerde: Serde<K>, valueSerde: Serde<V>): Grouped<K, V> => ({ keySerde, valueSerde }),
  as: <K, V>(name: string): Grouped<K, V> => ({ name }),
} as const;

export const Repartitioned = {
  with: <K, V>(keySerde: Serde<K>, valueSerde: Serde<V>): Repartitioned<K, V> => ({ keySerde, valueSerde }),
  as: <K, V>(name: string): Repartitioned<K, V> => ({ name }),
  numberOfPartitions: <K, V>(numberOfPartitions: number): Repartitioned<K, V> => ({ numberOfPartitions }),
} as const;

export const Joined = {
  with: <K, V, VO>(keySerde: Serde<K>, valueSerde: Serde<V>, otherValueSerde?: Serde<VO>): Joined<K, V, VO> =>
    otherValueSerde === undefined ? { keySerde, valueSerde } : { keySerde, valueSerde, otherValueSerde },
  as: <K, V, VO>(name: string): Joined<K, V, VO> => ({ name }),
} as const;

export const Materialized = {
  as: <K, V>(storeName: string): Materialized<K, V> => ({ storeName }),
  with: <K, V>(keySerde: Serde<K>, valueSerde: Serde<V>): Materialized<K, V> => ({ keySerde, valueSerde }),
} as const;

export const Branched = {
  as: <S>(name: string): Branched<S> => ({ name }),
  withFunction: <S>(chain: (stream: S) => S | void, name?: string): Branched<S> => (name === undefined ? { chain } : { chain, name }),
} as const;

/**
 * What `KTable.suppress()` holds back. Only final window results exist so far
 * (Kafka's `Suppressed.untilWindowCloses(unbounded())`): the buffer is not
 * bounded.
 */
export interface Suppressed {
  kind: 'untilWindowCloses';
  /** Names the processor; the buffer store is `<name>-store`. */
  name?: string;
}

export const Suppressed = {
  untilWindowCloses: (name?: string): Suppressed => (name === undefined ? { kind: 'untilWindowCloses' } : { kind: 'untilWindowCloses', name }),
} as const;
