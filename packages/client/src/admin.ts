/**
 * Admin operations over the wire protocol, on the same cluster layer as the
 * producer and the consumer (cluster/cluster.ts: bootstrap, broker list,
 * one connection per broker, Metadata). Requests are routed as Kafka's admin
 * client routes them:
 *
 *   CreateTopics, DeleteTopics                 the controller (Metadata's controllerId)
 *   Metadata, DescribeConfigs,
 *   IncrementalAlterConfigs, DescribeCluster   any broker
 *   ListGroups, ListTransactions               every broker (each answers for what it coordinates)
 *   group and transactional-id requests        the key's coordinator (cluster/find-coordinator.ts)
 *   ListOffsets, DescribeProducers,
 *   DeleteRecords                              each partition's leader
 *
 * Every request is sent at the highest version both sides serve (some
 * capped, see the constants); a request the broker does not serve is refused
 * before it is sent with KafkaError UNSUPPORTED_VERSION (connection.ts;
 * librdkafka's mock cluster serves only Metadata, ListOffsets,
 * FindCoordinator, OffsetCommit and OffsetFetch of these).
 *
 * Retries: an operation that failed because the request went to the wrong
 * broker or lost its connection (see {@link isRoutingError}) runs again,
 * with a fresh coordinator lookup or leader map, after the retry policy's
 * pause, up to its retry count (5 by default), as Kafka's admin client
 * retries retriable errors. Other errors, UNKNOWN_TOPIC_OR_PARTITION
 * included, are reported at once. `connect()` itself is one pass over the
 * bootstrap addresses: it is the reachability check, and fails fast.
 */
import {
  CreateTopicsApi,
  ZERO_UUID,
  DeleteGroupsApi,
  DeleteRecordsApi,
  DescribeClusterApi,
  DescribeProducersApi,
  DescribeTransactionsApi,
  ErrorCode,
  DeleteTopicsApi,
  DescribeConfigsApi,
  DescribeGroupsApi,
  IncrementalAlterConfigsApi,
  ListGroupsApi,
  ListOffsetsApi,
  ListTransactionsApi,
  MetadataApi,
  OffsetCommitApi,
  OffsetDeleteApi,
  OffsetFetchApi,
  ProtocolDecodeError,
  type AnyApiDescriptor,
  type ApiDescriptor,
  type CreateTopicsRequest,
  type DeleteTopicsRequest,
  type DescribeConfigsRequest,
  type IncrementalAlterConfigsRequest,
  type MetadataRequest,
  type MetadataResponse,
} from '@samsa/protocol';
import { bootstrapList, parseHostPort } from './broker-address.js';
import { ClientError } from './client-error.js';
import { Cluster } from './cluster/cluster.js';
import { COORDINATOR_KEY_TYPE_GROUP, COORDINATOR_KEY_TYPE_TRANSACTION, findCoordinator, type CoordinatorKeyType } from './cluster/find-coordinator.js';
import type { Connection, ConnectionOptions } from './connection.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, LIST_OFFSETS_MAX_VERSION } from './consumer/list-offsets.js';
import { ConnectionError, KafkaError } from './kafka-error.js';
import { decodeMemberAssignment, type AssignedPartitions } from './group-assignment.js';
import { consoleLogger, type Logger } from './logger.js';
import { retryDelayMs, retryPolicy, type RetryOptions, type RetryPolicy } from './retry.js';

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

export { parseHostPort };

/** A group as ListGroups reports it. */
export interface GroupListing {
  groupId: string;
  /** `consumer` for consumer groups, `` for groups that only hold offsets (simple consumers). */
  protocolType: string;
  /** Empty, PreparingRebalance, CompletingRebalance, Stable or Dead; `` from brokers older than ListGroups v4. */
  groupState: string;
}

/** One member of a group, as DescribeGroups reports it. */
export interface GroupMemberDescription {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /**
   * The partitions assigned to the member, decoded when the group's protocol
   * type is `consumer`; null for other protocol types (Connect, Streams use
   * their own formats) or an assignment that does not decode.
   */
  assignment: AssignedPartitions[] | null;
}

/** The broker that coordinates a group. */
export interface GroupCoordinator {
  nodeId: number;
  host: string;
  port: number;
}

export interface GroupDescription {
  groupId: string;
  /** Kafka answers Dead for a group that does not exist (DescribeGroups v0-5). */
  groupState: string;
  protocolType: string;
  /** The selected protocol: the assignor (range, roundrobin, ...) for consumer groups. */
  protocolData: string;
  members: GroupMemberDescription[];
  coordinator: GroupCoordinator;
}

/** A committed offset of a group. */
export interface CommittedOffset {
  topic: string;
  partition: number;
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
}

/** An offset to commit for a group. */
export interface OffsetToCommit {
  topic: string;
  partition: number;
  offset: number;
  metadata?: string | null;
}

/** One partition's answer to ListOffsets; offset and timestamp are -1 when no record matches a timestamp. */
export interface PartitionOffset {
  partition: number;
  offset: number;
  timestamp: number;
}

/** Which offset ListOffsets looks up: the log start, the log end (high watermark), or the first at or after a time. */
export type OffsetSpec = 'earliest' | 'latest' | number;

/** A partition of a topic. */
export interface TopicPartition {
  topic: string;
  partition: number;
}

/** A broker of the cluster, as DescribeCluster (or Metadata) reports it. */
export interface BrokerNode {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

/** What {@link Admin.describeCluster} returns. */
export interface ClusterDescription {
  /** null from brokers that answer only Metadata v0-1 (no cluster id yet). */
  clusterId: string | null;
  /** The controller's node id; -1 when the broker does not tell. */
  controllerId: number;
  /** Sorted by node id. */
  brokers: BrokerNode[];
}

/** Filters of {@link Admin.listTransactions}; every given filter must match. */
export interface ListTransactionsFilters {
  /**
   * Kafka's state names, exactly: Empty, Ongoing, PrepareCommit, PrepareAbort,
   * CompleteCommit, CompleteAbort, Dead, PrepareEpochFence. A name the
   * broker does not know is refused (ClientError SAMSA_ERR_INVALID_CONFIG).
   */
  states?: string[];
  /** Only these producer ids. */
  producerIds?: number[];
  /**
   * Only transactions that have been running at least this long (ms), the
   * DurationFilter of ListTransactions v1 (KIP-994); KafkaError
   * UNSUPPORTED_VERSION from brokers with only v0.
   */
  minDurationMs?: number;
}

/** One transactional id, as ListTransactions reports it. */
export interface TransactionListing {
  transactionalId: string;
  producerId: number;
  transactionState: string;
  /** The broker that answered (each broker lists the ids it coordinates). */
  coordinatorId: number;
}

/** One transactional id, as DescribeTransactions reports it. */
export interface TransactionDescription {
  transactionalId: string;
  coordinatorId: number;
  transactionState: string;
  producerId: number;
  producerEpoch: number;
  transactionTimeoutMs: number;
  /** When the current (or last) transaction started, ms since the epoch; null when none was ever started. */
  transactionStartTimeMs: number | null;
  /** The partitions of the ongoing transaction, sorted; empty when none is ongoing. */
  topicPartitions: TopicPartition[];
}

/** One producer a partition knows (its idempotent/transactional producer state). */
export interface ProducerStateDescription {
  producerId: number;
  producerEpoch: number;
  /** Sequence number of the producer's last batch; null when it has none (only a transaction marker). */
  lastSequence: number | null;
  /** Max timestamp of the producer's last batch; null when it has none. */
  lastTimestamp: number | null;
  /** Epoch of the transaction coordinator that wrote its last marker; null when none. */
  coordinatorEpoch: number | null;
  /** First offset of the producer's open transaction on this partition; null when none is open. */
  currentTxnStartOffset: number | null;
}

/** The producers of one partition (DescribeProducers). */
export interface PartitionProducers {
  topic: string;
  partition: number;
  activeProducers: ProducerStateDescription[];
}

/** Where DeleteRecords moves a partition's log start: an offset, or -1 for the high watermark. */
export interface RecordsToDelete {
  partition: number;
  offset: number;
}

/** A partition's log start offset after DeleteRecords. */
export interface DeletedRecords {
  partition: number;
  lowWatermark: number;
}

const ISOLATION_READ_UNCOMMITTED = 0;
/** OffsetFetch v10 and OffsetCommit v10 address topics by id; the admin client names them. */
const OFFSET_FETCH_MAX_VERSION = 9;
const OFFSET_COMMIT_MAX_VERSION = 9;

/** Options of an {@link Admin}: the connection's, and how operations are retried. */
export interface AdminOptions extends ConnectionOptions {
  /** Retries of operations that went to the wrong broker or lost their connection ({@link RetryOptions}). */
  retry?: RetryOptions;
  /** Where the cluster layer's warnings go [stderr for warn and error]. */
  logger?: Logger;
}

/** Error codes that mean the request went to the wrong broker (or one not ready): ask again after a new lookup. */
const ROUTING_ERRORS = new Set<number>([
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.NOT_CONTROLLER,
]);

/**
 * Whether an admin operation that failed with `err` is worth running again:
 * a lost connection, or only errors of {@link ROUTING_ERRORS} (every one, when
 * several partitions or groups failed).
 */
export function isRoutingError(err: unknown): boolean {
  if (err instanceof ConnectionError) return true;
  if (err instanceof KafkaError) return ROUTING_ERRORS.has(err.code);
  if (err instanceof AggregateError) return err.errors.length > 0 && err.errors.every((e) => isRoutingError(e));
  return false;
}

/** Topic, config, offset and group administration (`kafka.admin()` or `Admin.connect()`). */
export class Admin {
  #cluster: Cluster | null = null;
  readonly #bootstrap: string[];
  readonly #opts: AdminOptions;
  readonly #retry: RetryPolicy;

  /**
   * An admin client for `bootstrap` (one address, a comma-separated list or
   * an array); call {@link Admin.connect} before anything else. `kafka.admin()`
   * returns one of these.
   */
  constructor(bootstrap: string | readonly string[], opts: AdminOptions = {}) {
    this.#bootstrap = bootstrapList(bootstrap);
    if (this.#bootstrap.length === 0) throw new ClientError('SAMSA_ERR_INVALID_CONFIG', 'no bootstrap address given');
    for (const b of this.#bootstrap) parseHostPort(b);
    this.#opts = opts;
    this.#retry = retryPolicy(opts.retry);
  }

  /** Creates an admin client and connects it. */
  static async connect(bootstrap: string | readonly string[], opts: AdminOptions = {}): Promise<Admin> {
    const admin = new Admin(bootstrap, opts);
    await admin.connect();
    return admin;
  }

  /**
   * Connects to the first bootstrap address that answers (in order) and
   * learns the brokers (Metadata); one pass, no retries; a no-op when
   * connected.
   */
  async connect(): Promise<void> {
    if (this.#cluster !== null) return;
    const timeoutMs = this.#opts.timeoutMs ?? 30_000;
    const cluster = new Cluster({
      clientId: this.#opts.clientId ?? 'samsa',
      brokers: this.#bootstrap,
      connectionTimeoutMs: this.#opts.connectTimeoutMs ?? timeoutMs,
      requestTimeoutMs: timeoutMs,
      retry: this.#retry,
      logger: this.#opts.logger ?? consoleLogger,
      allowAutoTopicCreation: false,
    });
    try {
      await cluster.metadata([]);
    } catch (err) {
      cluster.close();
      throw err;
    }
    this.#cluster = cluster;
  }

  /** Closes the connections (kafkajs' name for {@link Admin.close}). */
  async disconnect(): Promise<void> {
    this.close();
  }

  get #clusterOrThrow(): Cluster {
    if (this.#cluster === null) throw new ClientError('SAMSA_ERR_NOT_CONNECTED', 'the admin client is not connected: call connect() first');
    return this.#cluster;
  }

  /** A connection to any broker (the one already open, preferably). */
  #anyBroker(): Promise<Connection> {
    return this.#clusterOrThrow.anyConnection();
  }

  /** The connection to broker `nodeId`, refreshing the broker list once when it does not know the node yet. */
  async #broker(nodeId: number): Promise<Connection> {
    const cluster = this.#clusterOrThrow;
    if (cluster.broker(nodeId) === undefined) await cluster.metadata([]);
    return cluster.openConnection(nodeId);
  }

  /**
   * The controller's connection; any broker when Metadata names none, or one
   * it does not list (librdkafka's mock cluster names controller 0 among
   * brokers 1-3): that broker answers NOT_CONTROLLER if it matters.
   */
  #controller(): Promise<Connection> {
    const cluster = this.#clusterOrThrow;
    const id = cluster.controllerId;
    return id >= 0 && cluster.broker(id) !== undefined ? cluster.openConnection(id) : this.#anyBroker();
  }

  /** Runs `operation`, again after a pause while it fails with {@link isRoutingError} (see the top of this file). */
  async #retrying<T>(operation: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await operation();
      } catch (err) {
        if (this.#cluster === null || attempt >= this.#retry.retries || !isRoutingError(err)) throw err;
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs(this.#retry, attempt + 1)));
      }
    }
  }

  async createTopics(topics: TopicSpec[], opts: { validateOnly?: boolean; timeoutMs?: number } = {}): Promise<void> {
    return this.#retrying(async () => {
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
      const res = await send(await this.#controller(), CreateTopicsApi, req);
      const errors = res.topics.filter((t) => t.errorCode !== 0).map((t) => new KafkaError(t.errorCode, { message: t.errorMessage, apiName: 'CreateTopics', resource: t.name }));
      throwAll(errors);
    });
  }

  async deleteTopics(names: string[], opts: { timeoutMs?: number } = {}): Promise<void> {
    return this.#retrying(async () => {
      const req: DeleteTopicsRequest = {
        topics: names.map((name) => ({ name, topicId: ZERO_UUID })),
        topicNames: names,
        timeoutMs: opts.timeoutMs ?? 30_000,
      };
      const res = await send(await this.#controller(), DeleteTopicsApi, req);
      throwAll(res.responses.filter((r) => r.errorCode !== 0).map((r) => new KafkaError(r.errorCode, { message: r.errorMessage, apiName: 'DeleteTopics', resource: r.name ?? r.topicId })));
    });
  }

  /** Topics and partitions; all topics when `names` is omitted. */
  async describeTopics(names?: string[]): Promise<TopicDescription[]> {
    return this.#retrying(async () => {
      const res = await this.#metadata(names ?? null);
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
    });
  }

  async listTopics(): Promise<string[]> {
    return (await this.describeTopics()).map((t) => t.name);
  }

  async describeTopicConfigs(name: string): Promise<ConfigEntry[]> {
    return this.#retrying(async () => {
      const req: DescribeConfigsRequest = {
        resources: [{ resourceType: TOPIC_RESOURCE, resourceName: name, configurationKeys: null }],
        includeSynonyms: false,
        includeDocumentation: false,
      };
      const res = await send(await this.#anyBroker(), DescribeConfigsApi, req);
      const r = res.results[0];
      if (r.errorCode !== 0) throw new KafkaError(r.errorCode, { message: r.errorMessage, apiName: 'DescribeConfigs', resource: name });
      return r.configs.map((c) => ({ name: c.name, value: c.value, source: c.configSource, readOnly: c.readOnly, isSensitive: c.isSensitive }));
    });
  }

  /** Sets and deletes topic config overrides (IncrementalAlterConfigs). */
  async alterTopicConfigs(name: string, set: Record<string, string>, remove: string[] = []): Promise<void> {
    return this.#retrying(async () => {
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
      const res = await send(await this.#anyBroker(), IncrementalAlterConfigsApi, req);
      throwAll(res.responses.filter((r) => r.errorCode !== 0).map((r) => new KafkaError(r.errorCode, { message: r.errorMessage, apiName: 'IncrementalAlterConfigs', resource: r.resourceName })));
    });
  }

  /**
   * Every group of the cluster (ListGroups to every broker, each answering
   * for the groups it coordinates), sorted by id. `states` filters
   * case-insensitively (ListGroups v4+); brokers older than that report no
   * state, so none of their groups is filtered out.
   */
  async listGroups(states: string[] = []): Promise<GroupListing[]> {
    return this.#retrying(async () => {
      const wanted = new Set(states.map((s) => s.toLowerCase()));
      const out: GroupListing[] = [];
      for (const broker of brokersOf(await this.#metadata([]))) {
        const res = await send(await this.#broker(broker.nodeId), ListGroupsApi, { statesFilter: states, typesFilter: [] });
        if (res.errorCode !== 0) throw new KafkaError(res.errorCode, { apiName: 'ListGroups', resource: `broker ${broker.nodeId}` });
        for (const g of res.groups) {
          if (wanted.size === 0 || g.groupState === '' || wanted.has(g.groupState.toLowerCase())) out.push({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.groupState });
        }
      }
      return out.sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
    });
  }

  /** State, protocol and members (with decoded assignments) of each group, asked of its coordinator. */
  async describeGroups(groupIds: string[]): Promise<GroupDescription[]> {
    return this.#retrying(async () => {
      const out: GroupDescription[] = [];
      for (const groupId of groupIds) {
        const { conn, coordinator } = await this.#coordinatorFor(groupId);
        const res = await send(conn, DescribeGroupsApi, { groups: [groupId], includeAuthorizedOperations: false });
        const g = res.groups.find((x) => x.groupId === groupId) ?? res.groups[0];
        if (!g) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, { message: 'the DescribeGroups response has no group', apiName: 'DescribeGroups', resource: `group ${groupId}` });
        if (g.errorCode !== 0) throw new KafkaError(g.errorCode, { message: g.errorMessage, apiName: 'DescribeGroups', resource: `group ${groupId}` });
        out.push({
          groupId: g.groupId,
          groupState: g.groupState,
          protocolType: g.protocolType,
          protocolData: g.protocolData,
          coordinator,
          members: g.members.map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            clientId: m.clientId,
            clientHost: m.clientHost,
            assignment: g.protocolType === 'consumer' ? tryDecodeAssignment(m.memberAssignment) : null,
          })),
        });
      }
      return out;
    });
  }

  /**
   * The group's committed offsets, sorted by topic and partition; partitions
   * without a commit are left out.
   *
   * With `topics`, the partitions of those topics are asked for by name
   * (their count from Metadata first), which every broker serves at every
   * version; topics the broker does not know have no offsets to return.
   * Without, one OffsetFetch asks for every topic of the group (null topics,
   * v2+). A broker with only v0-1, or whose answer to that form does not
   * decode (librdkafka's mock cluster echoes the null back), gives KafkaError
   * UNSUPPORTED_VERSION: name the topics there.
   */
  async fetchOffsets(groupId: string, topics?: string[]): Promise<CommittedOffset[]> {
    return this.#retrying(async () => {
      if (topics !== undefined && topics.length === 0) return [];
      let wanted: Array<{ name: string; partitionIndexes: number[] }> | null = null;
      if (topics !== undefined) {
        const res = await this.#metadata([...new Set(topics)]);
        wanted = res.topics
          .filter((t) => t.errorCode === 0 && t.name !== null && t.partitions.length > 0)
          .map((t) => ({ name: t.name ?? '', partitionIndexes: t.partitions.map((p) => p.partitionIndex).sort((a, b) => a - b) }));
        if (wanted.length === 0) return [];
      }
      const { conn } = await this.#coordinatorFor(groupId);
      const version =
        wanted === null
          ? versionFor(conn, OffsetFetchApi, { minVersion: 2, maxVersion: OFFSET_FETCH_MAX_VERSION, needs: `fetching every offset of group ${groupId} (name its topics instead)` })
          : versionFor(conn, OffsetFetchApi, { maxVersion: OFFSET_FETCH_MAX_VERSION });
      let res;
      try {
        res = await conn.send(OffsetFetchApi, version, {
          groupId,
          topics: wanted,
          groups: [{ groupId, memberId: null, memberEpoch: -1, topics: wanted?.map((t) => ({ ...t, topicId: ZERO_UUID })) ?? null }],
          requireStable: false,
        });
      } catch (err) {
        if (wanted !== null || !(err instanceof ProtocolDecodeError)) throw err;
        throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, {
          message: `broker ${conn.host}:${conn.port} answered OffsetFetch v${version} for every topic of the group with a response that does not decode (${err.message}): it does not serve that form; name the topics`,
          apiName: 'OffsetFetch',
          apiKey: OffsetFetchApi.apiKey,
          apiVersion: version,
          resource: `group ${groupId}`,
          cause: err,
        });
      }
      let errorCode = res.errorCode;
      let found: { name: string; partitions: { partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; metadata: string | null; errorCode: number }[] }[] = res.topics;
      if (version >= 8) {
        const g = res.groups.find((x) => x.groupId === groupId) ?? res.groups[0];
        if (g === undefined) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, { message: 'the OffsetFetch response has no group', apiName: 'OffsetFetch', resource: `group ${groupId}` });
        errorCode = g.errorCode;
        found = g.topics;
      }
      if (errorCode !== 0) throw new KafkaError(errorCode, { apiName: 'OffsetFetch', apiVersion: version, resource: `group ${groupId}` });
      const named = topics === undefined ? null : new Set(topics);
      const out: CommittedOffset[] = [];
      const errors: KafkaError[] = [];
      for (const t of found) {
        if (named !== null && !named.has(t.name)) continue;
        for (const p of t.partitions) {
          if (p.errorCode !== 0) errors.push(new KafkaError(p.errorCode, { apiName: 'OffsetFetch', resource: `group ${groupId}, ${t.name}-${p.partitionIndex}`, topic: t.name, partition: p.partitionIndex }));
          else if (p.committedOffset >= 0) {
            out.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.metadata });
          }
        }
      }
      throwAll(errors);
      return out.sort(byTopicPartition);
    });
  }

  /**
   * One offset per partition of `topic` (ListOffsets, asked of each
   * partition's leader): the log start offset ('earliest'), the log end offset
   * ('latest', the high watermark), or the first offset whose timestamp is at
   * or after `spec` ms (-1 when none, with timestamp -1).
   */
  async listOffsets(topic: string, spec: OffsetSpec): Promise<PartitionOffset[]> {
    return this.#retrying(async () => {
      const timestamp = spec === 'earliest' ? EARLIEST_TIMESTAMP : spec === 'latest' ? LATEST_TIMESTAMP : spec;
      if (!Number.isSafeInteger(timestamp) || (typeof spec === 'number' && spec < 0)) {
        throw new RangeError(`listOffsets: timestamp must be a non-negative whole number of ms, got ${String(spec)}`);
      }
      const [described] = await this.describeTopics([topic]);
      const out: PartitionOffset[] = [];
      const errors: KafkaError[] = [];
      const wanted = described.partitions.map((p) => ({ topic, partition: p.partition }));
      for (const [leader, topics] of await this.#byLeader(wanted, 'ListOffsets', errors)) {
        const conn = await this.#broker(leader.nodeId);
        const version = versionFor(conn, ListOffsetsApi, { maxVersion: LIST_OFFSETS_MAX_VERSION });
        const res = await conn.send(ListOffsetsApi, version, {
          replicaId: -1,
          isolationLevel: ISOLATION_READ_UNCOMMITTED,
          topics: [...topics].map(([name, partitions]) => ({
            name,
            partitions: partitions.map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 })),
          })),
          timeoutMs: 30_000,
        });
        const asked = new Set(topics.get(topic));
        for (const t of res.topics) {
          for (const p of t.partitions) {
            if (t.name !== topic || !asked.delete(p.partitionIndex)) {
              errors.push(new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, { message: `broker ${leader.nodeId} answered ListOffsets v${version} for a partition it was not asked about`, apiName: 'ListOffsets', apiVersion: version, topic: t.name, partition: p.partitionIndex }));
            } else if (p.errorCode !== 0) {
              errors.push(new KafkaError(p.errorCode, { apiName: 'ListOffsets', apiVersion: version, topic, partition: p.partitionIndex }));
            } else {
              // v0 answers in oldStyleOffsets (empty when no offset matches).
              const offset = version === 0 ? (p.oldStyleOffsets[0] ?? -1) : p.offset;
              out.push({ partition: p.partitionIndex, offset, timestamp: version === 0 ? -1 : p.timestamp });
            }
          }
        }
        for (const partition of asked) {
          errors.push(new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, { message: `broker ${leader.nodeId} left it out of its ListOffsets answer`, apiName: 'ListOffsets', apiVersion: version, topic, partition }));
        }
      }
      throwAll(errors);
      return out.sort((a, b) => a.partition - b.partition);
    });
  }

  /**
   * Commits offsets as a simple consumer (generation -1, no member id): the
   * coordinator accepts this only while the group has no active members.
   */
  async commitOffsets(groupId: string, offsets: OffsetToCommit[]): Promise<void> {
    return this.#retrying(async () => {
      if (offsets.length === 0) return;
      const byTopic = new Map<string, OffsetToCommit[]>();
      for (const o of offsets) {
        const list = byTopic.get(o.topic) ?? [];
        list.push(o);
        byTopic.set(o.topic, list);
      }
      const { conn } = await this.#coordinatorFor(groupId);
      const req = {
        groupId,
        generationIdOrMemberEpoch: -1,
        memberId: '',
        groupInstanceId: null,
        retentionTimeMs: -1,
        topics: [...byTopic].map(([name, list]) => ({
          name,
          topicId: ZERO_UUID,
          partitions: list.map((o) => ({
            partitionIndex: o.partition,
            committedOffset: o.offset,
            committedLeaderEpoch: -1,
            commitTimestamp: -1,
            committedMetadata: o.metadata ?? '',
          })),
        })),
      };
      const res = await send(conn, OffsetCommitApi, req, { maxVersion: OFFSET_COMMIT_MAX_VERSION });
      const errors: KafkaError[] = [];
      for (const t of res.topics) {
        for (const p of t.partitions) {
          if (p.errorCode !== 0) errors.push(new KafkaError(p.errorCode, { apiName: 'OffsetCommit', resource: `group ${groupId}, ${t.name}-${p.partitionIndex}`, topic: t.name, partition: p.partitionIndex }));
        }
      }
      throwAll(errors);
    });
  }

  /** Deletes groups and their offsets; each must be Empty (NON_EMPTY_GROUP otherwise). */
  async deleteGroups(groupIds: string[]): Promise<void> {
    return this.#retrying(async () => {
      const errors: KafkaError[] = [];
      for (const groupId of groupIds) {
        const { conn } = await this.#coordinatorFor(groupId);
        const res = await send(conn, DeleteGroupsApi, { groupsNames: [groupId] });
        for (const r of res.results) {
          if (r.errorCode !== 0) errors.push(new KafkaError(r.errorCode, { message: r.errorMessage, apiName: 'DeleteGroups', resource: `group ${r.groupId}` }));
        }
      }
      throwAll(errors);
    });
  }

  /** Deletes the group's committed offsets for some partitions of a topic (OffsetDelete). */
  async deleteOffsets(groupId: string, topic: string, partitions: number[]): Promise<void> {
    return this.#retrying(async () => {
      const { conn } = await this.#coordinatorFor(groupId);
      const res = await send(conn, OffsetDeleteApi, {
        groupId,
        topics: [{ name: topic, partitions: partitions.map((partitionIndex) => ({ partitionIndex })) }],
      });
      if (res.errorCode !== 0) throw new KafkaError(res.errorCode, { apiName: 'OffsetDelete', resource: `group ${groupId}` });
      const errors: KafkaError[] = [];
      for (const t of res.topics) {
        for (const p of t.partitions) {
          if (p.errorCode !== 0) errors.push(new KafkaError(p.errorCode, { apiName: 'OffsetDelete', resource: `group ${groupId}, ${t.name}-${p.partitionIndex}` }));
        }
      }
      throwAll(errors);
    });
  }

  /**
   * Cluster id, controller and brokers: DescribeCluster when the broker
   * serves it (Kafka 2.8+), else Metadata.
   */
  async describeCluster(): Promise<ClusterDescription> {
    return this.#retrying(async () => {
      const conn = await this.#anyBroker();
      if (conn.supports(DescribeClusterApi)) {
        const res = await send(conn, DescribeClusterApi, { includeClusterAuthorizedOperations: false, endpointType: 1, includeFencedBrokers: false });
        if (res.errorCode !== 0) throw new KafkaError(res.errorCode, { message: res.errorMessage, apiName: 'DescribeCluster' });
        return {
          clusterId: res.clusterId,
          controllerId: res.controllerId,
          brokers: res.brokers.map((b) => ({ nodeId: b.brokerId, host: b.host, port: b.port, rack: b.rack })).sort((a, b) => a.nodeId - b.nodeId),
        };
      }
      const res = await this.#metadata([]);
      return { clusterId: res.clusterId, controllerId: res.controllerId, brokers: brokersOf(res) };
    });
  }

  /**
   * The transactional ids of the cluster (ListTransactions to every broker,
   * each answering for the ids it coordinates), sorted by id.
   */
  async listTransactions(filters: ListTransactionsFilters = {}): Promise<TransactionListing[]> {
    return this.#retrying(async () => {
      const minDurationMs = filters.minDurationMs ?? -1;
      if (!Number.isSafeInteger(minDurationMs) || minDurationMs < -1) {
        throw new ClientError('SAMSA_ERR_INVALID_CONFIG', `listTransactions: minDurationMs must be a whole number of ms >= 0, got ${String(filters.minDurationMs)}`);
      }
      const out: TransactionListing[] = [];
      for (const broker of brokersOf(await this.#metadata([]))) {
        const conn = await this.#broker(broker.nodeId);
        const version = versionFor(conn, ListTransactionsApi, minDurationMs >= 0 ? { minVersion: 1, needs: 'the duration filter (minDurationMs)' } : {});
        const res = await conn.send(ListTransactionsApi, version, {
          stateFilters: filters.states ?? [],
          producerIdFilters: filters.producerIds ?? [],
          durationFilter: minDurationMs,
          transactionalIdPattern: null,
        });
        if (res.errorCode !== 0) throw new KafkaError(res.errorCode, { apiName: 'ListTransactions', resource: `broker ${broker.nodeId}` });
        if (res.unknownStateFilters.length > 0) {
          throw new ClientError('SAMSA_ERR_INVALID_CONFIG', `listTransactions: broker ${broker.nodeId} does not know the state${res.unknownStateFilters.length > 1 ? 's' : ''} ${res.unknownStateFilters.join(', ')}`);
        }
        for (const t of res.transactionStates) {
          out.push({ transactionalId: t.transactionalId, producerId: t.producerId, transactionState: t.transactionState, coordinatorId: broker.nodeId });
        }
      }
      return out.sort((a, b) => (a.transactionalId < b.transactionalId ? -1 : a.transactionalId > b.transactionalId ? 1 : a.coordinatorId - b.coordinatorId));
    });
  }

  /**
   * State, producer, timeout and partitions of each transactional id, asked
   * of its coordinator, in the order given. Ids the coordinator does not know
   * fail with KafkaError TRANSACTIONAL_ID_NOT_FOUND (an AggregateError when
   * several ids fail).
   */
  async describeTransactions(transactionalIds: string[]): Promise<TransactionDescription[]> {
    return this.#retrying(async () => {
      const byCoordinator = new Map<string, { conn: Connection; coordinatorId: number; ids: string[] }>();
      for (const id of new Set(transactionalIds)) {
        const { conn, coordinator } = await this.#coordinatorFor(id, COORDINATOR_KEY_TYPE_TRANSACTION);
        const key = `${coordinator.host}:${coordinator.port}`;
        const entry = byCoordinator.get(key) ?? { conn, coordinatorId: coordinator.nodeId, ids: [] };
        entry.ids.push(id);
        byCoordinator.set(key, entry);
      }
      const found = new Map<string, TransactionDescription>();
      const errors: KafkaError[] = [];
      for (const { conn, coordinatorId, ids } of byCoordinator.values()) {
        const res = await send(conn, DescribeTransactionsApi, { transactionalIds: ids });
        for (const t of res.transactionStates) {
          if (t.errorCode !== 0) {
            errors.push(new KafkaError(t.errorCode, { apiName: 'DescribeTransactions', resource: `transactional id ${t.transactionalId}` }));
            continue;
          }
          found.set(t.transactionalId, {
            transactionalId: t.transactionalId,
            coordinatorId,
            transactionState: t.transactionState,
            producerId: t.producerId,
            producerEpoch: t.producerEpoch,
            transactionTimeoutMs: t.transactionTimeoutMs,
            transactionStartTimeMs: t.transactionStartTimeMs < 0 ? null : t.transactionStartTimeMs,
            topicPartitions: t.topics.flatMap((x) => x.partitions.map((partition) => ({ topic: x.topic, partition }))).sort(byTopicPartition),
          });
        }
        for (const id of ids) {
          if (!found.has(id) && !errors.some((e) => e.resource === `transactional id ${id}`)) {
            errors.push(new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, { message: 'the DescribeTransactions response left it out', apiName: 'DescribeTransactions', resource: `transactional id ${id}` }));
          }
        }
      }
      throwAll(errors);
      return transactionalIds.map((id) => found.get(id) as TransactionDescription);
    });
  }

  /**
   * The active idempotent and transactional producers of each partition
   * (DescribeProducers, asked of the partition's leader), sorted by topic and
   * partition. A missing topic or partition fails with KafkaError
   * UNKNOWN_TOPIC_OR_PARTITION (an AggregateError when several fail).
   */
  async describeProducers(topicPartitions: TopicPartition[]): Promise<PartitionProducers[]> {
    return this.#retrying(async () => {
      const out: PartitionProducers[] = [];
      const errors: KafkaError[] = [];
      for (const [leader, topics] of await this.#byLeader(topicPartitions, 'DescribeProducers', errors)) {
        const conn = await this.#broker(leader.nodeId);
        const res = await send(conn, DescribeProducersApi, {
          topics: [...topics].map(([name, partitions]) => ({ name, partitionIndexes: partitions })),
        });
        for (const t of res.topics) {
          for (const p of t.partitions) {
            if (p.errorCode !== 0) {
              errors.push(new KafkaError(p.errorCode, { message: p.errorMessage, apiName: 'DescribeProducers', topic: t.name, partition: p.partitionIndex }));
              continue;
            }
            out.push({
              topic: t.name,
              partition: p.partitionIndex,
              activeProducers: p.activeProducers
                .map((a) => ({
                  producerId: a.producerId,
                  producerEpoch: a.producerEpoch,
                  lastSequence: a.lastSequence < 0 ? null : a.lastSequence,
                  lastTimestamp: a.lastTimestamp < 0 ? null : a.lastTimestamp,
                  coordinatorEpoch: a.coordinatorEpoch < 0 ? null : a.coordinatorEpoch,
                  currentTxnStartOffset: a.currentTxnStartOffset < 0 ? null : a.currentTxnStartOffset,
                }))
                .sort((a, b) => a.producerId - b.producerId),
            });
          }
        }
      }
      throwAll(errors);
      return out.sort(byTopicPartition);
    });
  }

  /**
   * Deletes the records of `topic` before the given offsets (DeleteRecords,
   * asked of each partition's leader): the log start offset moves there, -1
   * meaning the high watermark. Resolves with the new log start offsets,
   * sorted by partition; OFFSET_OUT_OF_RANGE beyond the high watermark.
   */
  async deleteRecords(topic: string, partitions: RecordsToDelete[], opts: { timeoutMs?: number } = {}): Promise<DeletedRecords[]> {
    return this.#retrying(async () => {
      for (const p of partitions) {
        if (!Number.isSafeInteger(p.offset) || p.offset < -1) throw new RangeError(`deleteRecords: offset must be a whole number >= -1, got ${String(p.offset)} for ${topic}-${p.partition}`);
      }
      const offsets = new Map(partitions.map((p) => [p.partition, p.offset]));
      const out: DeletedRecords[] = [];
      const errors: KafkaError[] = [];
      const wanted = [...offsets.keys()].map((partition) => ({ topic, partition }));
      for (const [leader, topics] of await this.#byLeader(wanted, 'DeleteRecords', errors)) {
        const conn = await this.#broker(leader.nodeId);
        const res = await send(conn, DeleteRecordsApi, {
          topics: [...topics].map(([name, ps]) => ({ name, partitions: ps.map((partitionIndex) => ({ partitionIndex, offset: offsets.get(partitionIndex) as number })) })),
          timeoutMs: opts.timeoutMs ?? 30_000,
        });
        for (const t of res.topics) {
          for (const p of t.partitions) {
            if (p.errorCode !== 0) errors.push(new KafkaError(p.errorCode, { apiName: 'DeleteRecords', topic: t.name, partition: p.partitionIndex }));
            else out.push({ partition: p.partitionIndex, lowWatermark: p.lowWatermark });
          }
        }
      }
      throwAll(errors);
      return out.sort((a, b) => a.partition - b.partition);
    });
  }

  /** Closes the connections; `connect()` may open new ones later. */
  close(): void {
    this.#cluster?.close();
    this.#cluster = null;
  }

  /** A Metadata request (v1-12) for `topics` (null: every topic; []: none, only brokers), through the cluster layer. */
  #metadata(topics: string[] | null): Promise<MetadataResponse> {
    return this.#clusterOrThrow.metadata(topics);
  }

  /**
   * Groups partitions by their leader (Metadata). Topics the broker reports
   * an error for, partitions it does not list and partitions without a
   * leader add a KafkaError to `errors` and are left out.
   */
  async #byLeader(partitions: TopicPartition[], apiName: string, errors: KafkaError[]): Promise<Map<BrokerNode, Map<string, number[]>>> {
    const topics = [...new Set(partitions.map((p) => p.topic))];
    const out = new Map<BrokerNode, Map<string, number[]>>();
    if (topics.length === 0) return out;
    const res = await this.#metadata(topics);
    const brokers = new Map(brokersOf(res).map((b) => [b.nodeId, b]));
    const byName = new Map(res.topics.map((t) => [t.name ?? '', t]));
    for (const { topic, partition } of partitions) {
      const t = byName.get(topic);
      if (t === undefined || t.errorCode !== 0) {
        errors.push(new KafkaError(t?.errorCode ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, { apiName, topic, partition }));
        continue;
      }
      const p = t.partitions.find((x) => x.partitionIndex === partition);
      const leader = p === undefined ? undefined : brokers.get(p.leaderId);
      if (p === undefined || leader === undefined) {
        errors.push(new KafkaError(p === undefined ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.LEADER_NOT_AVAILABLE, { apiName, topic, partition }));
        continue;
      }
      const forLeader = out.get(leader) ?? new Map<string, number[]>();
      const list = forLeader.get(topic) ?? [];
      if (!list.includes(partition)) list.push(partition);
      forLeader.set(topic, list);
      out.set(leader, forLeader);
    }
    return out;
  }

  /** The coordinator of a group or transactional id (FindCoordinator) and the connection to it. */
  async #coordinatorFor(key: string, keyType: CoordinatorKeyType = COORDINATOR_KEY_TYPE_GROUP): Promise<{ conn: Connection; coordinator: GroupCoordinator }> {
    const coordinator = await findCoordinator(this.#clusterOrThrow, keyType, key);
    const known = this.#clusterOrThrow.broker(coordinator.nodeId);
    // A coordinator that is not (yet) in the broker list, or listed at another address: learn the brokers again.
    if (known === undefined || known.port !== coordinator.port || known.host !== coordinator.host) await this.#clusterOrThrow.metadata([]);
    return { conn: await this.#clusterOrThrow.openConnection(coordinator.nodeId), coordinator };
  }
}

/** What {@link versionFor} needs to know about an API. */
type ApiVersionRange = Pick<AnyApiDescriptor, 'apiKey' | 'name' | 'minVersion' | 'maxVersion'>;

/**
 * The version to send `api` at on `conn`: the highest both sides serve, at
 * most `maxVersion`, and at least `minVersion` when the request needs a form
 * older versions lack (`needs` says which). Below that, or when the broker
 * serves the API at no common version (Connection.version), KafkaError
 * UNSUPPORTED_VERSION naming the broker and the API, before anything is
 * sent. Not retriable: asking again will not help (librdkafka's mock
 * cluster, for one, serves no topic, config or group-listing admin API).
 */
function versionFor(conn: Connection, api: ApiVersionRange, opts: { minVersion?: number; maxVersion?: number; needs?: string } = {}): number {
  const version = conn.version(api, opts.maxVersion ?? api.maxVersion);
  const minVersion = opts.minVersion ?? api.minVersion;
  if (version < minVersion) {
    throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, {
      message: `broker ${conn.host}:${conn.port} serves ${api.name} up to v${version}; ${opts.needs ?? 'this request'} needs v${minVersion}+`,
      apiName: api.name,
      apiKey: api.apiKey,
    });
  }
  return version;
}

/** Sends `msg` at the version {@link versionFor} picks. */
function send<Req, Res>(conn: Connection, api: ApiDescriptor<Req, Res>, msg: Req, opts: { minVersion?: number; maxVersion?: number; needs?: string } = {}): Promise<Res> {
  return conn.send(api, versionFor(conn, api, opts), msg);
}

function tryDecodeAssignment(bytes: Buffer): AssignedPartitions[] | null {
  try {
    return decodeMemberAssignment(bytes);
  } catch {
    return null;
  }
}

function byTopicPartition(a: { topic: string; partition: number }, b: { topic: string; partition: number }): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;
}

function brokersOf(res: MetadataResponse): BrokerNode[] {
  return res.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack })).sort((a, b) => a.nodeId - b.nodeId);
}

function throwAll(errors: KafkaError[]): void {
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, errors.map((e) => e.message).join('; '));
}
