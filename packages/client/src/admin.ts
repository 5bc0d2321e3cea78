/**
 * Admin operations over the wire protocol. This first cut talks to the
 * bootstrap broker (the controller in single-node mode); routing to the
 * controller and partition leaders through the cluster layer the producer
 * uses (cluster/cluster.ts) is still to do.
 */
import {
  CreateTopicsApi,
  ZERO_UUID,
  DeleteGroupsApi,
  ErrorCode,
  DeleteTopicsApi,
  DescribeConfigsApi,
  DescribeGroupsApi,
  FindCoordinatorApi,
  IncrementalAlterConfigsApi,
  ListGroupsApi,
  ListOffsetsApi,
  MetadataApi,
  OffsetCommitApi,
  OffsetDeleteApi,
  OffsetFetchApi,
  type CreateTopicsRequest,
  type DeleteTopicsRequest,
  type DescribeConfigsRequest,
  type IncrementalAlterConfigsRequest,
  type MetadataRequest,
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

const COORDINATOR_KEY_TYPE_GROUP = 0;
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
    const req: MetadataRequest = {
      topics: names ? names.map((name) => ({ name, topicId: ZERO_UUID })) : null,
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

  close(): void {
    this.#connection?.close();
    this.#connection = null;
    for (const pending of this.#others.values()) pending.then((c) => c.close(), () => {});
    this.#others.clear();
  }

  /**
   * FindCoordinator for the group, then the connection to use: the bootstrap
   * connection when it is the coordinator, else one opened (and kept) for it.
   */
  async #coordinatorFor(groupId: string): Promise<{ conn: Connection; coordinator: GroupCoordinator }> {
    const res = await this.#conn.request(FindCoordinatorApi, { key: groupId, keyType: COORDINATOR_KEY_TYPE_GROUP, coordinatorKeys: [groupId] });
    const c = res.coordinators.length > 0 ? res.coordinators[0] : res;
    if (c.errorCode !== 0) throw new KafkaError(c.errorCode, { message: c.errorMessage, apiName: 'FindCoordinator', resource: `group ${groupId}` });
    const coordinator = { nodeId: c.nodeId, host: c.host, port: c.port };
    if (c.port === this.#conn.port && sameHost(c.host, this.#conn.host)) return { conn: this.#conn, coordinator };
    const key = `${c.host}:${c.port}`;
    let pending = this.#others.get(key);
    if (!pending) {
      pending = Connection.open(c.host, c.port, this.#opts);
      this.#others.set(key, pending);
      pending.catch(() => this.#others.delete(key));
    }
    return { conn: await pending, coordinator };
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

function throwAll(errors: KafkaError[]): void {
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, errors.map((e) => e.message).join('; '));
}
