/**
 * The cluster's topic metadata: names, topic IDs, partition counts and
 * per-topic config overrides. Single-node mode keeps it in one JSON file in
 * the first log dir, replaced atomically (write temp, fsync, rename, fsync
 * dir) so a kill -9 at any point leaves either the old or the new state.
 * Cluster mode will implement the same interface on etcd.
 *
 * File: `<logDir>/__samsa_metadata.json`
 *   { "version": 1, "clusterId": "...", "topics": [ { "name", "topicId", "partitions", "configs": {k: v} } ],
 *     "brokerConfigs": { "broker": {k: v}, "cluster-default": {k: v} },
 *     "nextProducerId": n }
 *
 * `nextProducerId` is the first producer id not yet handed out in a block
 * (absent = 0). A block is persisted before any id of it is used, so a
 * restart never hands out an id twice; ids of a block cut short by a restart
 * are skipped, as in Kafka.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { ZERO_UUID } from '@samsa/protocol';

export interface TopicMetadata {
  readonly name: string;
  /** 32 lowercase hex characters (the wire form of Kafka's UUID). */
  readonly topicId: string;
  readonly partitions: number;
  /** Topic-level config overrides (dynamic topic configs), by Kafka name. */
  readonly configs: ReadonlyMap<string, string>;
}

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

export type BrokerConfigScope = 'broker' | 'cluster-default';

interface StoredTopic {
  name: string;
  topicId: string;
  partitions: number;
  configs: Record<string, string>;
}

interface StoredFile {
  version: 1;
  clusterId: string;
  topics: StoredTopic[];
  brokerConfigs?: Partial<Record<BrokerConfigScope, Record<string, string>>>;
  nextProducerId?: number;
}

const FILE_NAME = '__samsa_metadata.json';

/** A random Kafka cluster id: 16 random bytes in URL-safe base64 without padding, as Kafka's Uuid.randomUuid().toString(). */
export function newClusterId(): string {
  return randomBytes(16).toString('base64url');
}

function newTopicId(): string {
  // Kafka reserves the all-zero and METADATA_TOPIC ids; a random id colliding with them is vanishingly unlikely, but cheap to rule out.
  for (;;) {
    const id = randomBytes(16).toString('hex');
    if (id !== ZERO_UUID && id !== '00000000000000000000000000000001') return id;
  }
}

/** MetadataStore backed by a local JSON file (single-node mode). */
export class FileMetadataStore implements MetadataStore {
  readonly #path: string;
  readonly #byName = new Map<string, TopicMetadata>();
  readonly #byId = new Map<string, TopicMetadata>();
  readonly #brokerConfigs = new Map<BrokerConfigScope, ReadonlyMap<string, string>>();
  #clusterId: string;
  #nextProducerId = 0;
  /** Writes are serialized so concurrent admin requests cannot interleave file replacements. */
  #writeChain: Promise<void> = Promise.resolve();

  private constructor(path: string, clusterId: string) {
    this.#path = path;
    this.#clusterId = clusterId;
  }

  static async open(dir: string, opts: { clusterId?: string } = {}): Promise<FileMetadataStore> {
    await fsp.mkdir(dir, { recursive: true });
    const path = join(dir, FILE_NAME);
    let stored: StoredFile | undefined;
    try {
      stored = JSON.parse(await fsp.readFile(path, 'utf8')) as StoredFile;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new Error(`cannot read topic metadata ${path}: ${(err as Error).message}`, { cause: err });
      }
    }
    const store = new FileMetadataStore(path, stored?.clusterId ?? opts.clusterId ?? newClusterId());
    for (const t of stored?.topics ?? []) store.#index(toTopic(t));
    for (const scope of ['broker', 'cluster-default'] as const) {
      store.#brokerConfigs.set(scope, new Map(Object.entries(stored?.brokerConfigs?.[scope] ?? {})));
    }
    const nextProducerId = stored?.nextProducerId ?? 0;
    if (!Number.isSafeInteger(nextProducerId) || nextProducerId < 0) throw new Error(`corrupt nextProducerId ${nextProducerId} in ${path}`);
    store.#nextProducerId = nextProducerId;
    if (!stored) await store.#persist();
    return store;
  }

  get clusterId(): string {
    return this.#clusterId;
  }

  topics(): Iterable<TopicMetadata> {
    return this.#byName.values();
  }

  topic(name: string): TopicMetadata | undefined {
    return this.#byName.get(name);
  }

  topicById(topicId: string): TopicMetadata | undefined {
    return this.#byId.get(topicId);
  }

  async createTopic(name: string, partitions: number, configs: ReadonlyMap<string, string>): Promise<TopicMetadata> {
    if (this.#byName.has(name)) throw new Error(`topic ${name} already exists`);
    const topic: TopicMetadata = { name, topicId: newTopicId(), partitions, configs: new Map(configs) };
    this.#index(topic);
    try {
      await this.#persist();
    } catch (err) {
      // Not written (e.g. out of file descriptors): the topic does not exist, here either.
      this.#byName.delete(name);
      this.#byId.delete(topic.topicId);
      throw err;
    }
    return topic;
  }

  async deleteTopic(name: string): Promise<void> {
    const topic = this.#byName.get(name);
    if (!topic) return;
    this.#byName.delete(name);
    this.#byId.delete(topic.topicId);
    await this.#persist();
  }

  async setPartitionCount(name: string, partitions: number): Promise<TopicMetadata> {
    return this.#replace(name, (t) => ({ ...t, partitions }));
  }

  async setTopicConfigs(name: string, configs: ReadonlyMap<string, string>): Promise<TopicMetadata> {
    return this.#replace(name, (t) => ({ ...t, configs: new Map(configs) }));
  }

  brokerConfigs(scope: BrokerConfigScope): ReadonlyMap<string, string> {
    return this.#brokerConfigs.get(scope) ?? new Map();
  }

  async setBrokerConfigs(scope: BrokerConfigScope, configs: ReadonlyMap<string, string>): Promise<void> {
    this.#brokerConfigs.set(scope, new Map(configs));
    await this.#persist();
  }

  async allocateProducerIdBlock(size: number): Promise<{ firstProducerId: number; size: number }> {
    if (!Number.isSafeInteger(size) || size <= 0) throw new RangeError(`producer id block size ${size}`);
    const firstProducerId = this.#nextProducerId;
    this.#nextProducerId += size;
    await this.#persist();
    return { firstProducerId, size };
  }

  async #replace(name: string, change: (t: TopicMetadata) => TopicMetadata): Promise<TopicMetadata> {
    const current = this.#byName.get(name);
    if (!current) throw new Error(`unknown topic ${name}`);
    const next = change(current);
    this.#index(next);
    try {
      await this.#persist();
    } catch (err) {
      this.#index(current); // not written: the change did not happen
      throw err;
    }
    return next;
  }

  #index(topic: TopicMetadata): void {
    this.#byName.set(topic.name, topic);
    this.#byId.set(topic.topicId, topic);
  }

  #persist(): Promise<void> {
    const snapshot: StoredFile = {
      version: 1,
      clusterId: this.#clusterId,
      topics: [...this.#byName.values()].map((t) => ({
        name: t.name,
        topicId: t.topicId,
        partitions: t.partitions,
        configs: Object.fromEntries(t.configs),
      })),
      brokerConfigs: {
        broker: Object.fromEntries(this.brokerConfigs('broker')),
        'cluster-default': Object.fromEntries(this.brokerConfigs('cluster-default')),
      },
      nextProducerId: this.#nextProducerId,
    };
    const write = async (): Promise<void> => {
      const tmp = `${this.#path}.tmp`;
      const fh = await fsp.open(tmp, 'w');
      try {
        await fh.writeFile(JSON.stringify(snapshot, null, 1));
        await fh.datasync();
      } finally {
        await fh.close();
      }
      await fsp.rename(tmp, this.#path);
      const dir = await fsp.open(join(this.#path, '..'), 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    };
    this.#writeChain = this.#writeChain.then(write, write);
    return this.#writeChain;
  }
}

function toTopic(t: StoredTopic): TopicMetadata {
  return { name: t.name, topicId: t.topicId, partitions: t.partitions, configs: new Map(Object.entries(t.configs ?? {})) };
}
