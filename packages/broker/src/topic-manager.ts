/**
 * Creates, grows and deletes topics: the metadata entry and the partition
 * logs together. Metadata is written first on create (a crash leaves a topic
 * whose logs are created lazily on start) and removed first on delete (a
 * crash leaves orphan directories that the next start removes).
 */
import { resolve, sep } from 'node:path';
import type { LogDirFailure, LogManager, PartitionLog } from '@samsa/storage';
import { TopicConfigs, type BrokerConfig } from './config/effective-config.js';
import type { MetadataStore, TopicMetadata } from './metadata/metadata-store.js';

export class TopicManager {
  readonly #metadata: MetadataStore;
  readonly #logs: LogManager;
  readonly #config: BrokerConfig;
  /** Serializes topic changes so two admin requests never interleave on one topic. */
  #chain: Promise<unknown> = Promise.resolve();

  constructor(metadata: MetadataStore, logs: LogManager, config: BrokerConfig) {
    this.#metadata = metadata;
    this.#logs = logs;
    this.#config = config;
  }

  #serialize<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(fn, fn);
    this.#chain = next.catch(() => undefined);
    return next;
  }

  /** Opens (creating when missing) every partition log the metadata names, and removes logs of topics that no longer exist. */
  async reconcile(): Promise<void> {
    for (const topic of this.#metadata.topics()) {
      for (let p = 0; p < topic.partitions; p++) await this.#ensureLog(topic, p);
    }
    for (const log of this.#logs.partitions()) {
      const topic = this.#metadata.topic(log.topic);
      if (!topic || log.partition >= topic.partitions) await this.#logs.deletePartition(log.topic, log.partition);
    }
  }

  create(name: string, partitions: number, configs: ReadonlyMap<string, string>): Promise<TopicMetadata> {
    return this.#serialize(async () => {
      const topic = await this.#metadata.createTopic(name, partitions, configs);
      try {
        for (let p = 0; p < partitions; p++) await this.#ensureLog(topic, p);
      } catch (err) {
        // A partition could not be created (e.g. out of file descriptors): undo the whole
        // topic, so a create never half-succeeds. If the undo fails too, the next start's
        // reconcile opens the missing logs.
        try {
          await this.#metadata.deleteTopic(name);
          for (let p = 0; p < partitions; p++) await this.#logs.deletePartition(name, p);
        } catch {
          // Keep the first error: it is the one the client should see.
        }
        throw err;
      }
      return topic;
    });
  }

  delete(name: string): Promise<void> {
    return this.#serialize(async () => {
      const topic = this.#metadata.topic(name);
      if (!topic) return;
      await this.#metadata.deleteTopic(name);
      for (let p = 0; p < topic.partitions; p++) await this.#logs.deletePartition(name, p);
    });
  }

  addPartitions(name: string, count: number): Promise<TopicMetadata> {
    return this.#serialize(async () => {
      const before = this.#metadata.topic(name);
      const topic = await this.#metadata.setPartitionCount(name, count);
      const from = before?.partitions ?? 0;
      try {
        for (let p = from; p < count; p++) await this.#ensureLog(topic, p);
      } catch (err) {
        // As for create: all the new partitions or none (the next start's reconcile finishes an undo that failed).
        try {
          await this.#metadata.setPartitionCount(name, from);
          for (let p = from; p < count; p++) await this.#logs.deletePartition(name, p);
        } catch {
          // Keep the first error.
        }
        throw err;
      }
      return topic;
    });
  }

  setConfigs(name: string, configs: ReadonlyMap<string, string>): Promise<TopicMetadata> {
    return this.#serialize(async () => {
      const topic = await this.#metadata.setTopicConfigs(name, configs);
      const logConfig = TopicConfigs.toLogConfig(new Map(topic.configs), this.#config);
      for (let p = 0; p < topic.partitions; p++) this.#logs.get(name, p)?.updateConfig(logConfig);
      return topic;
    });
  }

  /** Re-applies broker-level defaults to every log (after a dynamic broker config change). */
  refreshLogConfigs(): void {
    for (const topic of this.#metadata.topics()) {
      const logConfig = TopicConfigs.toLogConfig(new Map(topic.configs), this.#config);
      for (let p = 0; p < topic.partitions; p++) this.#logs.get(topic.name, p)?.updateConfig(logConfig);
    }
  }

  /** Partition logs stored under `logDir`. */
  logsInDir(logDir: string): PartitionLog[] {
    const root = resolve(logDir) + sep;
    return this.#logs.partitions().filter((l) => resolve(l.dir).startsWith(root));
  }

  /** Why `logDir` (as in log.dirs) is offline, or null while it serves. */
  logDirFailure(logDir: string): LogDirFailure | null {
    return this.#logs.logDirFailure(logDir);
  }

  log(topic: string, partition: number): PartitionLog | undefined {
    return this.#logs.get(topic, partition);
  }

  async #ensureLog(topic: TopicMetadata, partition: number): Promise<PartitionLog> {
    const logConfig = TopicConfigs.toLogConfig(new Map(topic.configs), this.#config);
    return this.#logs.getOrCreate(topic.name, partition, logConfig);
  }
}
