/**
 * Admin operations over the wire protocol. This first cut talks to the
 * bootstrap broker (the controller in single-node mode); routing to the
 * controller and partition leaders comes with the full client.
 */
import {
  CreateTopicsApi,
  DeleteTopicsApi,
  DescribeConfigsApi,
  IncrementalAlterConfigsApi,
  MetadataApi,
  type CreateTopicsRequest,
  type DeleteTopicsRequest,
  type DescribeConfigsRequest,
  type IncrementalAlterConfigsRequest,
  type MetadataRequest,
} from '@samsa/protocol';
import { Connection, type ConnectionOptions } from './connection.js';
import { KafkaError } from './kafka-error.js';

export interface TopicSpec {
  name: string;
  numPartitions?: number;
  replicationFactor?: number;
  configs?: Record<string, string>;
}

export interface PartitionInfo {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
}

export interface TopicDescription {
  name: string;
  topicId: string;
  isInternal: boolean;
  partitions: PartitionInfo[];
}

export interface ConfigEntry {
  name: string;
  value: string | null;
  source: number;
  readOnly: boolean;
  isSensitive: boolean;
}

const TOPIC_RESOURCE = 2;

/** Parses "host:port" (IPv6 as "[addr]:port"). */
export function parseHostPort(address: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(address.trim());
  if (!m) throw new Error(`bad broker address '${address}': expected host:port, e.g. 127.0.0.1:9092`);
  return { host: m[1], port: Number(m[2]) };
}

export class Admin {
  readonly #conn: Connection;

  private constructor(conn: Connection) {
    this.#conn = conn;
  }

  static async connect(bootstrap: string, opts: ConnectionOptions = {}): Promise<Admin> {
    const { host, port } = parseHostPort(bootstrap.split(',')[0]);
    return new Admin(await Connection.open(host, port, opts));
  }

  async createTopics(topics: TopicSpec[], opts: { validateOnly?: boolean; timeoutMs?: number } = {}): Promise<void> {
    const req: CreateTopicsRequest = {
      topics: topics.map((t) => ({
        name: t.name,
        numPartitions: t.numPartitions ?? -1,
        replicationFactor: t.replicationFactor ?? -1,
        assignments: [],
        configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
      })),
      timeoutMs: opts.timeoutMs ?? 30_000,
      validateOnly: opts.validateOnly ?? false,
    };
    const res = await this.#conn.request(CreateTopicsApi, req);
    const errors = res.topics.filter((t) => t.errorCode !== 0).map((t) => new KafkaError(t.errorCode, { message: t.errorMessage, apiName: 'CreateTopics', resource: t.name }));
    throwAll(errors);
  }

  async deleteTopics(names: string[], opts: { timeoutMs?: number } = {}): Promise<void> {
    const req: DeleteTopicsRequest = {
      topics: names.map((name) => ({ name, topicId: '0'.repeat(32) })),
      topicNames: names,
      timeoutMs: opts.timeoutMs ?? 30_000,
    };
    const res = await this.#conn.request(DeleteTopicsApi, req);
    throwAll(res.responses.filter((r) => r.errorCode !== 0).map((r) => new KafkaError(r.errorCode, { message: r.errorMessage, apiName: 'DeleteTopics', resource: r.name ?? r.topicId })));
  }

  /** Topics and partitions; all topics when `names` is omitted. */
  async describeTopics(names?: string[]): Promise<TopicDescription[]> {
    const req: MetadataRequest = {
      topics: names ? names.map((name) => ({ name, topicId: '0'.repeat(32) })) : null,
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    };
    const res = await this.#conn.request(MetadataApi, req, 12);
    throwAll(res.topics.filter((t) => t.errorCode !== 0).map((t) => new KafkaError(t.errorCode, { apiName: 'Metadata', resource: t.name ?? t.topicId })));
    return res.topics
      .map((t) => ({
        name: t.name ?? '',
        topicId: t.topicId,
        isInternal: t.isInternal,
        partitions: t.partitions
          .map((p) => ({ partition: p.partitionIndex, leader: p.leaderId, leaderEpoch: p.leaderEpoch, replicas: p.replicaNodes, isr: p.isrNodes }))
          .sort((a, b) => a.partition - b.partition),
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async listTopics(): Promise<string[]> {
    return (await this.describeTopics()).map((t) => t.name);
  }

  async describeTopicConfigs(name: string): Promise<ConfigEntry[]> {
    const req: DescribeConfigsRequest = {
      resources: [{ resourceType: TOPIC_RESOURCE, resourceName: name, configurationKeys: null }],
      includeSynonyms: false,
      includeDocumentation: false,
    };
    const res = await this.#conn.request(DescribeConfigsApi, req);
    const r = res.results[0];
    if (r.errorCode !== 0) throw new KafkaError(r.errorCode, { message: r.errorMessage, apiName: 'DescribeConfigs', resource: name });
    return r.configs.map((c) => ({ name: c.name, value: c.value, source: c.configSource, readOnly: c.readOnly, isSensitive: c.isSensitive }));
  }

  /** Sets and deletes topic config overrides (IncrementalAlterConfigs). */
  async alterTopicConfigs(name: string, set: Record<string, string>, remove: string[] = []): Promise<void> {
    const req: IncrementalAlterConfigsRequest = {
      resources: [
        {
          resourceType: TOPIC_RESOURCE,
          resourceName: name,
          configs: [
            ...Object.entries(set).map(([k, v]) => ({ name: k, configOperation: 0, value: v })),
            ...remove.map((k) => ({ name: k, configOperation: 1, value: null })),
          ],
        },
      ],
      validateOnly: false,
    };
    const res = await this.#conn.request(IncrementalAlterConfigsApi, req);
    throwAll(res.responses.filter((r) => r.errorCode !== 0).map((r) => new KafkaError(r.errorCode, { message: r.errorMessage, apiName: 'IncrementalAlterConfigs', resource: r.resourceName })));
  }

  close(): void {
    this.#conn.close();
  }
}

function throwAll(errors: KafkaError[]): void {
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, errors.map((e) => e.message).join('; '));
}
