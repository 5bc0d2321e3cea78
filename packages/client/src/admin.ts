/**
 * Admin operations over the wire protocol. Topic, config and group listing
 * requests go to the bootstrap broker (the controller in single-node mode);
 * group and transaction requests go to the key's coordinator
 * (FindCoordinator), DescribeProducers and DeleteRecords to each partition's
 * leader (Metadata), and ListTransactions to every broker, as Kafka's admin
 * client does. Routing through the cluster layer the producer uses
 * (cluster/cluster.ts, with its retries and metadata cache) is still to do:
 * requests here are not retried.
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
  FindCoordinatorApi,
  IncrementalAlterConfigsApi,
  ListGroupsApi,
  ListOffsetsApi,
  ListTransactionsApi,
  MetadataApi,
  OffsetCommitApi,
  OffsetDeleteApi,
  OffsetFetchApi,
  type CreateTopicsRequest,
  type DeleteTopicsRequest,
  type DescribeConfigsRequest,
  type IncrementalAlterConfigsRequest,
  type MetadataRequest,
  type MetadataResponse,
} from '@samsa/protocol';
import { bootstrapList, parseHostPort } from './broker-address.js';
import { ClientError } from './client-error.js';
import { Connection, type ConnectionOptions } from './connection.js';
import { KafkaError } from './kafka-error.js';
import { decodeMemberAssignment, type AssignedPartitions } from './group-assignment.js';

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

const COORDINATOR_KEY_TYPE_GROUP = 0;
const COORDINATOR_KEY_TYPE_TRANSACTION = 1;
const LIST_OFFSETS_LATEST = -1;
const LIST_OFFSETS_EARLIEST = -2;
const ISOLATION_READ_UNCOMMITTED = 0;

/** Topic, config, offset and group administration (`kafka.admin()` or `Admin.connect()`). */
export class Admin {
  #connection: Connection | null = null;
  readonly #bootstrap: string[];
  readonly #opts: ConnectionOptions;
  /** Connections to coordinators other than the bootstrap broker, by host:port. */
  readonly #others = new Map<string, Promise<Connection>>();

  /**
   * An admin client for `bootstrap` (one address, a comma-separated list or
   * an array); call {@link Admin.connect} before anything else. `kafka.admin()`
   * returns one of these.
   */
  constructor(bootstrap: string | readonly string[], opts: ConnectionOptions = {}) {
    this.#bootstrap = bootstrapList(bootstrap);
    if (this.#bootstrap.length === 0) throw new ClientError('SAMSA_ERR_INVALID_CONFIG', 'no bootstrap address given');
    for (const b of this.#bootstrap) parseHostPort(b);
    this.#opts = opts;
  }

  /** Creates an admin client and connects it. */
  static async connect(bootstrap: string | readonly string[], opts: ConnectionOptions = {}): Promise<Admin> {
    const admin = new Admin(bootstrap, opts);
    await admin.connect();
    return admin;
  }

  /** Connects to the first bootstrap address that answers (in order); a no-op when connected. */
  async connect(): Promise<void> {
    if (this.#connection !== null && !this.#connection.closed) return;
    let lastError: unknown;
    for (const address of this.#bootstrap) {
      const { host, port } = parseHostPort(address);
      try {
        this.#connection = await Connection.open(host, port, this.#opts);
        return;
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError;
  }

  /** Closes the connections (kafkajs' name for {@link Admin.close}). */
  async disconnect(): Promise<void> {
    this.close();
  }

  get #conn(): Connection {
    if (this.#connection === null) throw new ClientError('SAMSA_ERR_NOT_CONNECTED', 'the admin client is not connected: call connect() first');
    return this.#connection;
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
      topics: names.map((name) => ({ name, topicId: ZERO_UUID })),
      topicNames: names,
      timeoutMs: opts.timeoutMs ?? 30_000,
    };
    const res = await this.#conn.request(DeleteTopicsApi, req);
    throwAll(res.responses.filter((r) => r.errorCode !== 0).map((r) => new KafkaError(r.errorCode, { message: r.errorMessage, apiName: 'DeleteTopics', resource: r.name ?? r.topicId })));
  }

  /** Topics and partitions; all topics when `names` is omitted. */
  async describeTopics(names?: string[]): Promise<TopicDescription[]> {
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

  /**
   * Every group the bootstrap broker coordinates (single-node: all of them),
   * sorted by id. `states` filters case-insensitively (ListGroups v4+); brokers
   * older than that report no state, so none of their groups is filtered out.
   */
  async listGroups(states: string[] = []): Promise<GroupListing[]> {
    const res = await this.#conn.request(ListGroupsApi, { statesFilter: states, typesFilter: [] });
    if (res.errorCode !== 0) throw new KafkaError(res.errorCode, { apiName: 'ListGroups' });
    const wanted = new Set(states.map((s) => s.toLowerCase()));
    return res.groups
      .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.groupState }))
      .filter((g) => wanted.size === 0 || g.groupState === '' || wanted.has(g.groupState.toLowerCase()))
      .sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  }

  /** State, protocol and members (with decoded assignments) of each group, asked of its coordinator. */
  async describeGroups(groupIds: string[]): Promise<GroupDescription[]> {
    const out: GroupDescription[] = [];
    for (const groupId of groupIds) {
      const { conn, coordinator } = await this.#coordinatorFor(groupId);
      const res = await conn.request(DescribeGroupsApi, { groups: [groupId], includeAuthorizedOperations: false });
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
  }

  /**
   * The group's committed offsets, sorted by topic and partition; only the
   * topics named when `topics` is given. Partitions without a commit are left out.
   */
  async fetchOffsets(groupId: string, topics?: string[]): Promise<CommittedOffset[]> {
    const { conn } = await this.#coordinatorFor(groupId);
    // topics = null asks for every commit of the group; filtering here avoids
    // having to list each topic's partitions first (v0-7 need them).
    const res = await conn.request(OffsetFetchApi, {
      groupId,
      topics: null,
      groups: [{ groupId, memberId: null, memberEpoch: -1, topics: null }],
      requireStable: false,
    });
    let errorCode = res.errorCode;
    let found: { name: string; partitions: { partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; metadata: string | null; errorCode: number }[] }[] = res.topics;
    if (res.groups.length > 0) {
      const g = res.groups.find((x) => x.groupId === groupId) ?? res.groups[0];
      errorCode = g.errorCode;
      found = g.topics;
    }
    if (errorCode !== 0) throw new KafkaError(errorCode, { apiName: 'OffsetFetch', resource: `group ${groupId}` });
    const wanted = topics ? new Set(topics) : null;
    const out: CommittedOffset[] = [];
    const errors: KafkaError[] = [];
    for (const t of found) {
      if (wanted && !wanted.has(t.name)) continue;
      for (const p of t.partitions) {
        if (p.errorCode !== 0) errors.push(new KafkaError(p.errorCode, { apiName: 'OffsetFetch', resource: `group ${groupId}, ${t.name}-${p.partitionIndex}` }));
        else if (p.committedOffset >= 0) {
          out.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.metadata });
        }
      }
    }
    throwAll(errors);
    return out.sort(byTopicPartition);
  }

  /**
   * One offset per partition of `topic` (ListOffsets): the log start offset
   * ('earliest'), the log end offset ('latest', the high watermark), or the
   * first offset whose timestamp is at or after `spec` ms (-1 when none).
   */
  async listOffsets(topic: string, spec: OffsetSpec): Promise<PartitionOffset[]> {
    const [described] = await this.describeTopics([topic]);
    const timestamp = spec === 'earliest' ? LIST_OFFSETS_EARLIEST : spec === 'latest' ? LIST_OFFSETS_LATEST : spec;
    if (!Number.isSafeInteger(timestamp) || (typeof spec === 'number' && spec < 0)) {
      throw new RangeError(`listOffsets: timestamp must be a non-negative whole number of ms, got ${String(spec)}`);
    }
    const res = await this.#conn.request(ListOffsetsApi, {
      replicaId: -1,
      isolationLevel: ISOLATION_READ_UNCOMMITTED,
      topics: [{ name: topic, partitions: described.partitions.map((p) => ({ partitionIndex: p.partition, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 })) }],
      timeoutMs: 30_000,
    });
    const out: PartitionOffset[] = [];
    const errors: KafkaError[] = [];
    for (const t of res.topics) {
      for (const p of t.partitions) {
        if (p.errorCode !== 0) errors.push(new KafkaError(p.errorCode, { apiName: 'ListOffsets', resource: `${t.name}-${p.partitionIndex}` }));
        // v0 answers in oldStyleOffsets.
        else out.push({ partition: p.partitionIndex, offset: p.oldStyleOffsets.length > 0 ? p.oldStyleOffsets[0] : p.offset, timestamp: p.timestamp });
      }
    }
    throwAll(errors);
    return out.sort((a, b) => a.partition - b.partition);
  }

  /**
   * Commits offsets as a simple consumer (generation -1, no member id): the
   * coordinator accepts this only while the group has no active members.
   */
  async commitOffsets(groupId: string, offsets: OffsetToCommit[]): Promise<void> {
    if (offsets.length === 0) return;
    const byTopic = new Map<string, OffsetToCommit[]>();
    for (const o of offsets) {
      const list = byTopic.get(o.topic) ?? [];
      list.push(o);
      byTopic.set(o.topic, list);
    }
    const { conn } = await this.#coordinatorFor(groupId);
    const res = await conn.request(OffsetCommitApi, {
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
    });
    const errors: KafkaError[] = [];
    for (const t of res.topics) {
      for (const p of t.partitions) {
        if (p.errorCode !== 0) errors.push(new KafkaError(p.errorCode, { apiName: 'OffsetCommit', resource: `group ${groupId}, ${t.name}-${p.partitionIndex}` }));
      }
    }
    throwAll(errors);
  }

  /** Deletes groups and their offsets; each must be Empty (NON_EMPTY_GROUP otherwise). */
  async deleteGroups(groupIds: string[]): Promise<void> {
    const errors: KafkaError[] = [];
    for (const groupId of groupIds) {
      const { conn } = await this.#coordinatorFor(groupId);
      const res = await conn.request(DeleteGroupsApi, { groupsNames: [groupId] });
      for (const r of res.results) {
        if (r.errorCode !== 0) errors.push(new KafkaError(r.errorCode, { message: r.errorMessage, apiName: 'DeleteGroups', resource: `group ${r.groupId}` }));
      }
    }
    throwAll(errors);
  }

  /** Deletes the group's committed offsets for some partitions of a topic (OffsetDelete). */
  async deleteOffsets(groupId: string, topic: string, partitions: number[]): Promise<void> {
    const { conn } = await this.#coordinatorFor(groupId);
    const res = await conn.request(OffsetDeleteApi, {
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
  }

  /**
   * Cluster id, controller and brokers: DescribeCluster when the broker
   * serves it (Kafka 2.8+), else Metadata.
   */
  async describeCluster(): Promise<ClusterDescription> {
    const conn = this.#conn;
    if (conn.supports(DescribeClusterApi)) {
      const res = await conn.request(DescribeClusterApi, { includeClusterAuthorizedOperations: false, endpointType: 1, includeFencedBrokers: false });
      if (res.errorCode !== 0) throw new KafkaError(res.errorCode, { message: res.errorMessage, apiName: 'DescribeCluster' });
      return {
        clusterId: res.clusterId,
        controllerId: res.controllerId,
        brokers: res.brokers.map((b) => ({ nodeId: b.brokerId, host: b.host, port: b.port, rack: b.rack })).sort((a, b) => a.nodeId - b.nodeId),
      };
    }
    const res = await this.#metadata([]);
    return { clusterId: res.clusterId, controllerId: res.controllerId, brokers: brokersOf(res) };
  }

  /**
   * The transactional ids of the cluster (ListTransactions to every broker,
   * each answering for the ids it coordinates), sorted by id.
   */
  async listTransactions(filters: ListTransactionsFilters = {}): Promise<TransactionListing[]> {
    const minDurationMs = filters.minDurationMs ?? -1;
    if (!Number.isSafeInteger(minDurationMs) || minDurationMs < -1) {
      throw new ClientError('SAMSA_ERR_INVALID_CONFIG', `listTransactions: minDurationMs must be a whole number of ms >= 0, got ${String(filters.minDurationMs)}`);
    }
    const out: TransactionListing[] = [];
    for (const broker of brokersOf(await this.#metadata([]))) {
      const conn = await this.#connectionTo(broker.host, broker.port);
      const version = conn.version(ListTransactionsApi);
      if (minDurationMs >= 0 && version < 1) {
        throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, { message: `broker ${broker.nodeId} only serves ListTransactions v0, which has no duration filter`, apiName: 'ListTransactions' });
      }
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
  }

  /**
   * State, producer, timeout and partitions of each transactional id, asked
   * of its coordinator, in the order given. Ids the coordinator does not know
   * fail with KafkaError TRANSACTIONAL_ID_NOT_FOUND (an AggregateError when
   * several ids fail).
   */
  async describeTransactions(transactionalIds: string[]): Promise<TransactionDescription[]> {
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
      const res = await conn.request(DescribeTransactionsApi, { transactionalIds: ids });
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
  }

  /**
   * The active idempotent and transactional producers of each partition
   * (DescribeProducers, asked of the partition's leader), sorted by topic and
   * partition. A missing topic or partition fails with KafkaError
   * UNKNOWN_TOPIC_OR_PARTITION (an AggregateError when several fail).
   */
  async describeProducers(topicPartitions: TopicPartition[]): Promise<PartitionProducers[]> {
    const out: PartitionProducers[] = [];
    const errors: KafkaError[] = [];
    for (const [leader, topics] of await this.#byLeader(topicPartitions, 'DescribeProducers', errors)) {
      const conn = await this.#connectionTo(leader.host, leader.port);
      const res = await conn.request(DescribeProducersApi, {
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
  }

  /**
   * Deletes the records of `topic` before the given offsets (DeleteRecords,
   * asked of each partition's leader): the log start offset moves there, -1
   * meaning the high watermark. Resolves with the new log start offsets,
   * sorted by partition; OFFSET_OUT_OF_RANGE beyond the high watermark.
   */
  async deleteRecords(topic: string, partitions: RecordsToDelete[], opts: { timeoutMs?: number } = {}): Promise<DeletedRecords[]> {
    for (const p of partitions) {
      if (!Number.isSafeInteger(p.offset) || p.offset < -1) throw new RangeError(`deleteRecords: offset must be a whole number >= -1, got ${String(p.offset)} for ${topic}-${p.partition}`);
    }
    const offsets = new Map(partitions.map((p) => [p.partition, p.offset]));
    const out: DeletedRecords[] = [];
    const errors: KafkaError[] = [];
    const wanted = [...offsets.keys()].map((partition) => ({ topic, partition }));
    for (const [leader, topics] of await this.#byLeader(wanted, 'DeleteRecords', errors)) {
      const conn = await this.#connectionTo(leader.host, leader.port);
      const res = await conn.request(DeleteRecordsApi, {
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
  }

  close(): void {
    this.#connection?.close();
    this.#connection = null;
    for (const pending of this.#others.values()) pending.then((c) => c.close(), () => {});
    this.#others.clear();
  }

  /** A Metadata request (v1-12) for `topics` (null: every topic; []: none, only brokers). */
  async #metadata(topics: string[] | null): Promise<MetadataResponse> {
    const req: MetadataRequest = {
      topics: topics === null ? null : topics.map((name) => ({ name, topicId: ZERO_UUID })),
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    };
    return this.#conn.request(MetadataApi, req, 12);
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

  /**
   * FindCoordinator for a group (key type 0) or a transactional id (1), then
   * the connection to use: the bootstrap connection when it is the
   * coordinator, else one opened (and kept) for it.
   */
  async #coordinatorFor(key: string, keyType = COORDINATOR_KEY_TYPE_GROUP): Promise<{ conn: Connection; coordinator: GroupCoordinator }> {
    const res = await this.#conn.request(FindCoordinatorApi, { key, keyType, coordinatorKeys: [key] });
    const c = res.coordinators.length > 0 ? res.coordinators[0] : res;
    const what = keyType === COORDINATOR_KEY_TYPE_GROUP ? 'group' : 'transactional id';
    if (c.errorCode !== 0) throw new KafkaError(c.errorCode, { message: c.errorMessage, apiName: 'FindCoordinator', resource: `${what} ${key}` });
    const coordinator = { nodeId: c.nodeId, host: c.host, port: c.port };
    return { conn: await this.#connectionTo(c.host, c.port), coordinator };
  }

  /** The bootstrap connection when it is `host:port`, else one opened for it and kept until close(). */
  async #connectionTo(host: string, port: number): Promise<Connection> {
    if (port === this.#conn.port && sameHost(host, this.#conn.host)) return this.#conn;
    const key = `${host}:${port}`;
    const cached = this.#others.get(key);
    if (cached) {
      const conn = await cached;
      if (!conn.closed) return conn;
      // It failed since: open a new one below.
      if (this.#others.get(key) === cached) this.#others.delete(key);
    }
    const pending = this.#others.get(key) ?? Connection.open(host, port, this.#opts);
    this.#others.set(key, pending);
    pending.catch(() => {
      if (this.#others.get(key) === pending) this.#others.delete(key);
    });
    return pending;
  }
}

function sameHost(a: string, b: string): boolean {
  const loopback = (h: string): boolean => h === 'localhost' || h === '::1' || h.startsWith('127.');
  return a === b || (loopback(a) && loopback(b));
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
