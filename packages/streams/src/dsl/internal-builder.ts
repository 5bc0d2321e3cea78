/**
 * What the DSL classes share: the topology being built and Kafka Streams'
 * node naming. Generated names use one counter for processors and stores,
 * `<PREFIX><10-digit index>` and `<PREFIX>STATE-STORE-<index>`, so an
 * unnamed DSL app gets the same node, store and internal topic names as
 * the same app in Java.
 */
import type { Serde } from '../serdes/serde.js';
import { Topology } from '../topology/topology.js';
import type { StreamPartitioner } from '../topology/nodes.js';
import type { Processor } from '../processor/processor.js';
import type { StreamRecord } from '../processor/record.js';

export class InternalStreamsBuilder {
  readonly topology = new Topology();
  #index = 0;

  newProcessorName(prefix: string): string {
    return `${prefix}${String(this.#index++).padStart(10, '0')}`;
  }

  newStoreName(prefix: string): string {
    return `${prefix}STATE-STORE-${String(this.#index++).padStart(10, '0')}`;
  }

  /**
   * Adds Kafka's repartition step after node `parent`: a filter dropping
   * null keys, a sink to `<topicPrefix>-repartition` and a source reading it
   * back. Returns the source's name. The nodes are named as in Kafka:
   * `<name>-repartition-filter|sink|source` when the user named the
   * operation (Grouped, Repartitioned), otherwise generated sink, filter and
   * source names (in that order).
   */
  addRepartition<K, V>(
    parent: string,
    topicPrefix: string,
    userName: string | undefined,
    keySerde: Serde<K> | undefined,
    valueSerde: Serde<V> | undefined,
    numPartitions: number | undefined,
    partitioner: StreamPartitioner<K, V> | undefined,
  ): string {
    const topic = `${topicPrefix}-repartition`;
    const sinkName = userName === undefined ? this.newProcessorName('KSTREAM-SINK-') : `${userName}-repartition-sink`;
    const filterName = userName === undefined ? this.newProcessorName('KSTREAM-FILTER-') : `${userName}-repartition-filter`;
    const sourceName = userName === undefined ? this.newProcessorName('KSTREAM-SOURCE-') : `${userName}-repartition-source`;
    this.topology.addInternalTopic({ name: topic, kind: 'repartition', numPartitions });
    this.topology.addProcessor(filterName, () => nullKeyFilter(), parent);
    this.topology.addSink(sinkName, topic, { keySerde, valueSerde, ...(partitioner === undefined ? {} : { partitioner }) }, filterName);
    this.topology.addSource(sourceName, topic, { keySerde, valueSerde });
    return sourceName;
  }
}

/** Records without a key cannot be partitioned by key: the repartition filter drops them, as Kafka's does. */
function nullKeyFilter(): Processor<unknown, unknown, unknown, unknown> {
  let forward: (r: StreamRecord<unknown, unknown>) => void = () => {};
  return {
    init(context) {
      forward = (r) => context.forward(r);
    },
    process(record) {
      if (record.key !== null && record.key !== undefined) forward(record);
    },
  };
}
