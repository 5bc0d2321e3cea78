/**
 * {@link MetadataStore} of single-node mode: the state lives in memory
 * (metadata-image.ts) and every change is one record appended to the metadata
 * log in the first log dir (metadata-log.ts, which documents the files).
 * This class checks the caller's request and turns it into that record.
 */
import { randomBytes } from 'node:crypto';
import { ZERO_UUID } from '@samsa/protocol';
import { nodeFs, type Fs } from '@samsa/storage';
import { MetadataLog, type MetadataRecovery } from './metadata-log.js';
import type { MetadataRecord } from './metadata-record.js';
import { newClusterId, type BrokerConfigScope, type MetadataStore, type TopicMetadata } from './metadata-store.js';

export interface FileMetadataStoreOptions {
  /** Cluster id of a new store; an existing store keeps its own. */
  clusterId?: string;
  /** File system (tests inject faults); node:fs by default. */
  fs?: Fs;
  /** Floor of the snapshot trigger in log bytes (metadata-log.ts); tests lower it to snapshot often. */
  snapshotMinLogBytes?: number;
}

function newTopicId(): string {
  // Kafka reserves the all-zero and METADATA_TOPIC ids; a random id colliding with them is vanishingly unlikely, but cheap to rule out.
  for (;;) {
    const id = randomBytes(16).toString('hex');
    if (id !== ZERO_UUID && id !== '00000000000000000000000000000001') return id;
  }
}

/** MetadataStore backed by a local metadata log with snapshots (single-node mode). */
export class FileMetadataStore implements MetadataStore {
  readonly #log: MetadataLog;

  private constructor(log: MetadataLog) {
    this.#log = log;
  }

  /** Opens (creating, migrating or recovering as needed) the metadata of `dir`. */
  static async open(dir: string, opts: FileMetadataStoreOptions = {}): Promise<FileMetadataStore> {
    const log = await MetadataLog.open({
      fs: opts.fs ?? nodeFs,
      dir,
      newClusterId: () => opts.clusterId ?? newClusterId(),
      snapshotMinLogBytes: opts.snapshotMinLogBytes,
    });
    return new FileMetadataStore(log);
  }

  /** What opening found (torn tail cut, legacy file migrated), for the broker's log. */
  get recovery(): MetadataRecovery {
    return this.#log.recovery;
  }

  /** Writes and snapshots so far (tests and benchmarks). */
  get stats(): { readonly writes: number; readonly snapshots: number; readonly nextOffset: number } {
    return { ...this.#log.stats, nextOffset: this.#log.nextOffset };
  }

  get clusterId(): string {
    return this.#log.image.clusterId;
  }

  topics(): Iterable<TopicMetadata> {
    return this.#log.image.topics();
  }

  topic(name: string): TopicMetadata | undefined {
    return this.#log.image.topic(name);
  }

  topicById(topicId: string): TopicMetadata | undefined {
    return this.#log.image.topicById(topicId);
  }

  async createTopic(name: string, partitions: number, configs: ReadonlyMap<string, string>): Promise<TopicMetadata> {
    if (this.topic(name)) throw new Error(`topic ${name} already exists`);
    checkPartitions(partitions);
    const topicId = newTopicId();
    return this.#commitTopicChange({ type: 'CreateTopic', name, topicId, partitions, configs: Object.fromEntries(configs) });
  }

  async deleteTopic(name: string): Promise<void> {
    const topic = this.topic(name);
    if (!topic) return;
    await this.#log.commit({ type: 'DeleteTopic', topicId: topic.topicId });
  }

  async setPartitionCount(name: string, partitions: number): Promise<TopicMetadata> {
    const topic = this.#known(name);
    checkPartitions(partitions);
    return this.#commitTopicChange({ type: 'SetPartitionCount', topicId: topic.topicId, partitions });
  }

  async setTopicConfigs(name: string, configs: ReadonlyMap<string, string>): Promise<TopicMetadata> {
    const topic = this.#known(name);
    return this.#commitTopicChange({ type: 'SetTopicConfigs', topicId: topic.topicId, configs: Object.fromEntries(configs) });
  }

  brokerConfigs(scope: BrokerConfigScope): ReadonlyMap<string, string> {
    return this.#log.image.brokerConfigs(scope);
  }

  async setBrokerConfigs(scope: BrokerConfigScope, configs: ReadonlyMap<string, string>): Promise<void> {
    await this.#log.commit({ type: 'SetBrokerConfigs', scope, configs: Object.fromEntries(configs) });
  }

  async allocateProducerIdBlock(size: number): Promise<{ firstProducerId: number; size: number }> {
    if (!Number.isSafeInteger(size) || size <= 0) throw new RangeError(`producer id block size ${size}`);
    const firstProducerId = this.#log.image.nextProducerId;
    const nextProducerId = firstProducerId + size;
    if (!Number.isSafeInteger(nextProducerId)) throw new RangeError('producer ids exhausted');
    // The image moves to nextProducerId inside commit, synchronously, so a concurrent call gets the next block.
    await this.#log.commit({ type: 'AllocateProducerIds', nextProducerId });
    return { firstProducerId, size };
  }

  /** Waits for pending changes and closes the log file; later changes reject. */
  close(): Promise<void> {
    return this.#log.close();
  }

  #known(name: string): TopicMetadata {
    const topic = this.topic(name);
    if (!topic) throw new Error(`unknown topic ${name}`);
    return topic;
  }

  /** Commits a change of one topic and returns the topic as that change left it, once durable. */
  async #commitTopicChange(record: MetadataRecord & { topicId: string }): Promise<TopicMetadata> {
    const durable = this.#log.commit(record);
    // commit applied the record synchronously (or rejected without applying it).
    const topic = this.topicById(record.topicId);
    await durable;
    if (!topic) throw new Error(`topic ${record.topicId} missing right after its change was applied`);
    return topic;
  }
}

function checkPartitions(partitions: number): void {
  if (!Number.isSafeInteger(partitions) || partitions < 1) throw new RangeError(`partition count ${partitions}`);
}
