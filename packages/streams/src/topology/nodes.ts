/**
 * The node definitions a Topology holds. Sources and sinks carry their
 * serdes; processors carry a supplier (a new instance per task) and the
 * names of the stores they may use.
 */
import type { ProcessorSupplier } from '../processor/processor.js';
import type { TimestampExtractor } from '../processor/timestamp-extractor.js';
import type { Serde } from '../serdes/serde.js';

/** Chooses the partition of an output record (Kafka's StreamPartitioner); undefined: the producer's default (murmur2 of the key bytes). */
export type StreamPartitioner<K, V> = (topic: string, key: K | null, value: V | null, numPartitions: number) => number | undefined;

/** Chooses the output topic per record (Kafka's TopicNameExtractor). */
export type TopicNameExtractor<K, V> = (key: K | null, value: V | null, context: { topic: string | null }) => string;

export interface SourceNodeDef {
  kind: 'source';
  name: string;
  topics: string[];
  keySerde: Serde<unknown> | undefined;
  valueSerde: Serde<unknown> | undefined;
  timestampExtractor: TimestampExtractor | undefined;
  offsetReset: 'earliest' | 'latest' | undefined;
}

export interface ProcessorNodeDef {
  kind: 'processor';
  name: string;
  supplier: ProcessorSupplier<unknown, unknown, unknown, unknown>;
  parents: string[];
  stores: Set<string>;
}

export interface SinkNodeDef {
  kind: 'sink';
  name: string;
  topic: string | TopicNameExtractor<unknown, unknown>;
  keySerde: Serde<unknown> | undefined;
  valueSerde: Serde<unknown> | undefined;
  partitioner: StreamPartitioner<unknown, unknown> | undefined;
  parents: string[];
}

export type NodeDef = SourceNodeDef | ProcessorNodeDef | SinkNodeDef;

/** An internal topic the application creates: a repartition topic (its name without the application id). */
export interface InternalTopicDef {
  name: string;
  kind: 'repartition';
  /** Fixed partition count, or undefined to take the upstream sub-topology's. */
  numPartitions: number | undefined;
}
