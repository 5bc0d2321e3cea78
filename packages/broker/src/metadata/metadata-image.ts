/**
 * The in-memory metadata state of single-node mode, and how each metadata
 * record changes it. Recovery and live changes go through the same
 * {@link MetadataImage.apply}, so what the broker serves after a restart is
 * what it served before.
 */
import { MetadataRecordError, type MetadataRecord } from './metadata-record.js';
import type { BrokerConfigScope, TopicMetadata } from './metadata-store.js';

/** Everything the store holds. */
export class MetadataImage {
  readonly clusterId: string;
  readonly #byName = new Map<string, TopicMetadata>();
  readonly #byId = new Map<string, TopicMetadata>();
  readonly #brokerConfigs = new Map<BrokerConfigScope, ReadonlyMap<string, string>>([
    ['broker', new Map()],
    ['cluster-default', new Map()],
  ]);
  #nextProducerId = 0;

  /** An empty state of cluster `clusterId`. */
  constructor(clusterId: string) {
    this.clusterId = clusterId;
  }

  topics(): Iterable<TopicMetadata> {
    return this.#byName.values();
  }

  get topicCount(): number {
    return this.#byName.size;
  }

  topic(name: string): TopicMetadata | undefined {
    return this.#byName.get(name);
  }

  topicById(topicId: string): TopicMetadata | undefined {
    return this.#byId.get(topicId);
  }

  brokerConfigs(scope: BrokerConfigScope): ReadonlyMap<string, string> {
    return this.#brokerConfigs.get(scope) ?? new Map();
  }

  get nextProducerId(): number {
    return this.#nextProducerId;
  }

  /**
   * Applies one record. Throws {@link MetadataRecordError}, leaving the image
   * unchanged, when the record contradicts the state (a topic created twice,
   * a change to an unknown topic id, producer ids going backwards).
   */
  apply(record: MetadataRecord): void {
    switch (record.type) {
      case 'CreateTopic': {
        if (this.#byName.has(record.name)) throw new MetadataRecordError(`CreateTopic of existing topic ${record.name}`);
        if (this.#byId.has(record.topicId)) throw new MetadataRecordError(`CreateTopic reuses topic id ${record.topicId}`);
        this.#index({ name: record.name, topicId: record.topicId, partitions: record.partitions, configs: new Map(Object.entries(record.configs)) });
        return;
      }
      case 'DeleteTopic': {
        const topic = this.#existing(record.type, record.topicId);
        this.#byName.delete(topic.name);
        this.#byId.delete(topic.topicId);
        return;
      }
      case 'SetPartitionCount': {
        const topic = this.#existing(record.type, record.topicId);
        this.#index({ ...topic, partitions: record.partitions });
        return;
      }
      case 'SetTopicConfigs': {
        const topic = this.#existing(record.type, record.topicId);
        this.#index({ ...topic, configs: new Map(Object.entries(record.configs)) });
        return;
      }
      case 'SetBrokerConfigs':
        this.#brokerConfigs.set(record.scope, new Map(Object.entries(record.configs)));
        return;
      case 'AllocateProducerIds':
        if (record.nextProducerId < this.#nextProducerId) {
          throw new MetadataRecordError(`AllocateProducerIds moves nextProducerId back from ${this.#nextProducerId} to ${record.nextProducerId}`);
        }
        this.#nextProducerId = record.nextProducerId;
        return;
    }
  }

  #existing(type: string, topicId: string): TopicMetadata {
    const topic = this.#byId.get(topicId);
    if (!topic) throw new MetadataRecordError(`${type} of unknown topic id ${topicId}`);
    return topic;
  }

  #index(topic: TopicMetadata): void {
    this.#byName.set(topic.name, topic);
    this.#byId.set(topic.topicId, topic);
  }
}
