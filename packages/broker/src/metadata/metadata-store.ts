/**
 * The cluster's metadata as the rest of the broker sees it: topic names, topic
 * IDs, partition counts, per-topic config overrides, dynamic broker configs
 * and the producer-id high-water mark. Callers use only this interface, so
 * the backing store can change under them: single-node mode keeps it in a
 * local metadata log with snapshots ({@link FileMetadataStore},
 * file-metadata-store.ts); cluster mode will implement it on etcd with one
 * key per topic. Either way, one change writes one record, never the whole
 * state.
 *
 * `allocateProducerIdBlock` persists a block before any id of it is used,
 * so a restart never hands out an id twice; ids of a block cut short by a
 * restart are skipped, as in Kafka.
 */
import { randomBytes } from 'node:crypto';

/** One topic as the metadata store holds it. */
export interface TopicMetadata {
  readonly name: string;
  /** 32 lowercase hex characters (the wire form of Kafka's UUID). */
  readonly topicId: string;
  readonly partitions: number;
  /** Topic-level config overrides (dynamic topic configs), by Kafka name. */
  readonly configs: ReadonlyMap<string, string>;
}

/** The broker's view of cluster metadata; every change resolves once durable. */
export interface MetadataStore {
  readonly clusterId: string;
  topics(): Iterable<TopicMetadata>;
  topic(name: string): TopicMetadata | undefined;
  topicById(topicId: string): TopicMetadata | undefined;
  createTopic(name: string, partitions: number, configs: ReadonlyMap<string, string>): Promise<TopicMetadata>;
  deleteTopic(name: string): Promise<void>;
  setPartitionCount(name: string, partitions: number): Promise<TopicMetadata>;
  setTopicConfigs(name: string, configs: ReadonlyMap<string, string>): Promise<TopicMetadata>;
  /** Dynamic broker configs of one scope ('broker' = this node, 'cluster-default' = every broker). */
  brokerConfigs(scope: BrokerConfigScope): ReadonlyMap<string, string>;
  setBrokerConfigs(scope: BrokerConfigScope, configs: ReadonlyMap<string, string>): Promise<void>;
  /** Reserves `size` producer ids never handed out before; resolves once the reservation is durable. */
  allocateProducerIdBlock(size: number): Promise<{ firstProducerId: number; size: number }>;
}

/** Scope of dynamic broker configs. */
export type BrokerConfigScope = 'broker' | 'cluster-default';

/** A random Kafka cluster id: 16 random bytes in URL-safe base64 without padding, as Kafka's Uuid.randomUuid().toString(). */
export function newClusterId(): string {
  return randomBytes(16).toString('base64url');
}

export { FileMetadataStore, type FileMetadataStoreOptions } from './file-metadata-store.js';
