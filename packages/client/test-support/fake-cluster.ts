/**
 * A scriptable in-process Kafka cluster for the producer's unit tests: N
 * broker nodes, each a real TCP listener on 127.0.0.1 (port chosen by the
 * OS), sharing one state. It answers ApiVersions, Metadata, InitProducerId
 * (unless disabled) and Produce, with Kafka's idempotence rules: per producer
 * and partition the next batch must start at last sequence + 1, a retry of
 * one of the last five batches gets its first answer again, anything else is
 * OUT_OF_ORDER_SEQUENCE_NUMBER. That is enough to check the client's
 * ordering and retry logic without timing: tests hold responses, inject
 * errors and drop connections at chosen requests.
 *
 * Transactions: one node is the transaction coordinator and one the group
 * coordinator (node 0 by default; the others answer NOT_COORDINATOR). They
 * serve FindCoordinator, InitProducerId with a transactional id (a known id
 * gets epoch + 1 and its open transaction is aborted: zombie fencing),
 * AddPartitionsToTxn, AddOffsetsToTxn, EndTxn and TxnOffsetCommit v0-3 with
 * Kafka's checks (another producer id: INVALID_PRODUCER_ID_MAPPING; another
 * epoch: PRODUCER_FENCED, or INVALID_PRODUCER_EPOCH before v2; EndTxn without
 * an open transaction: INVALID_TXN_STATE unless it repeats the last outcome).
 * Produce accepts a transactional batch only for a partition of the
 * producer's open transaction (INVALID_TXN_STATE, as Samsa and KIP-890) and
 * with its current epoch (INVALID_PRODUCER_EPOCH). EndTxn marks the
 * transaction's batches committed or aborted instead of writing markers;
 * `records(..., 'read_committed')` drops aborted and open ones. Offsets of
 * TxnOffsetCommit become `committedOffsets()` only when the transaction
 * commits. `onTxnRequest` injects errors or dropped connections.
 *
 * Deliberately simple: no Fetch (tests read `records()`), one topic config.
 */
import { createServer, type Server, type Socket } from 'node:net';
import {
  AddOffsetsToTxnApi,
  AddPartitionsToTxnApi,
  ApiVersionsApi,
  EndTxnApi,
  ErrorCode,
  FindCoordinatorApi,
  InitProducerIdApi,
  TxnOffsetCommitApi,
  MetadataApi,
  ProduceApi,
  Reader,
  RecordBatchHeader,
  Writer,
  ZERO_UUID,
  apiByKey,
  decodeRecordBatches,
  decodeRequestHeader,
  encodeResponseHeader,
  setBaseOffset,
  type AnyApiDescriptor,
  type MetadataRequest,
  type MetadataResponse,
  type ProduceRequest,
  type ProduceResponse,
  type DecodedRecord,
  type AddOffsetsToTxnRequest,
  type AddPartitionsToTxnRequest,
  type EndTxnRequest,
  type FindCoordinatorRequest,
  type InitProducerIdRequest,
  type TxnOffsetCommitRequest,
} from '@samsa/protocol';

/** What a test can make the broker do with one partition's batch of a Produce request. */
export type ProduceFault =
  /** Answer this error for the partition without appending. */
  | { errorCode: number }
  /** Append (or not), then close the connection instead of answering. */
  | { closeConnection: 'before-append' | 'after-append' };

/** Facts about one partition's batch in a Produce request, for fault scripts. */
export interface ProduceCall {
  node: number;
  topic: string;
  partition: number;
  producerId: number;
  baseSequence: number;
  recordCount: number;
  /** 1 for the first Produce request this cluster received, 2 for the next, ... */
  requestNumber: number;
}

/** The transaction and group coordinator APIs the fake serves. */
export type TxnApiName = 'FindCoordinator' | 'InitProducerId' | 'AddPartitionsToTxn' | 'AddOffsetsToTxn' | 'EndTxn' | 'TxnOffsetCommit';

/** Facts about one coordinator request, for fault scripts. */
export interface TxnCall {
  api: TxnApiName;
  node: number;
  /** The transactional id, or the group id of FindCoordinator key type 0 and TxnOffsetCommit. */
  key: string;
  /** 1 for the first request of this API, 2 for the next, ... */
  number: number;
  /** EndTxn: commit (true) or abort (false). */
  committed?: boolean;
}

/** What a test can make a coordinator do with one request. */
export type TxnFault =
  /** Answer this error (everywhere in the response) without acting. */
  | { errorCode: number }
  /** Close the connection instead of answering, before or after acting on the request (a lost answer). */
  | { closeConnection: 'before-apply' | 'after-apply' };

/** A transactional id's state at the fake coordinator. */
export interface FakeTxnState {
  producerId: number;
  producerEpoch: number;
  state: 'Empty' | 'Ongoing' | 'CompleteCommit' | 'CompleteAbort';
  /** `topic-partition` of the open (or last) transaction. */
  partitions: string[];
  groups: string[];
}

/** Options of {@link startFakeCluster}. */
export interface FakeClusterOptions {
  nodes?: number;
  /** Advertise and serve InitProducerId (default true). */
  initProducerId?: boolean;
  /** Topics and their partition count; each partition is led by node (partition % nodes). */
  topics?: Record<string, number>;
  /** Decides a fault per partition batch; undefined = normal handling. */
  onProduce?: (call: ProduceCall) => ProduceFault | undefined;
  /** Serve the transaction APIs (default: when InitProducerId is served). */
  transactions?: boolean;
  /** Decides a fault per coordinator request; undefined = normal handling. */
  onTxnRequest?: (call: TxnCall) => TxnFault | undefined;
}

interface Entry {
  producerId: number;
  producerEpoch: number;
  firstSequence: number;
  lastSequence: number;
  baseOffset: number;
}

/** Transaction status of a stored batch: null when not transactional. */
type BatchTxnStatus = 'open' | 'committed' | 'aborted' | null;

interface FakeTxn {
  producerId: number;
  producerEpoch: number;
  state: FakeTxnState['state'];
  /** `topic-partition`. */
  partitions: Set<string>;
  groups: Set<string>;
  /** TxnOffsetCommit offsets waiting for the outcome: group → `topic-partition` → offset. */
  pendingOffsets: Map<string, Map<string, number>>;
}

const TXN_APIS = new Map<number, TxnApiName>([
  [FindCoordinatorApi.apiKey, 'FindCoordinator'],
  [InitProducerIdApi.apiKey, 'InitProducerId'],
  [AddPartitionsToTxnApi.apiKey, 'AddPartitionsToTxn'],
  [AddOffsetsToTxnApi.apiKey, 'AddOffsetsToTxn'],
  [EndTxnApi.apiKey, 'EndTxn'],
  [TxnOffsetCommitApi.apiKey, 'TxnOffsetCommit'],
]);

function txnKey(api: TxnApiName, req: unknown): string {
  switch (api) {
    case 'FindCoordinator':
      return (req as FindCoordinatorRequest).key;
    case 'InitProducerId':
      return (req as InitProducerIdRequest).transactionalId ?? '';
    case 'AddPartitionsToTxn':
      return (req as AddPartitionsToTxnRequest).v3AndBelowTransactionalId;
    case 'AddOffsetsToTxn':
      return (req as AddOffsetsToTxnRequest).transactionalId;
    case 'EndTxn':
      return (req as EndTxnRequest).transactionalId;
    case 'TxnOffsetCommit':
      return (req as TxnOffsetCommitRequest).groupId;
  }
}

/** A response of `api` with `errorCode` wherever it has an error code. */
function txnErrorResponse(api: TxnApiName, req: unknown, errorCode: number): unknown {
  switch (api) {
    case 'FindCoordinator':
      return { throttleTimeMs: 0, errorCode, errorMessage: null, nodeId: -1, host: '', port: -1, coordinators: [] };
    case 'InitProducerId':
      return { throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1, ongoingTxnProducerId: -1, ongoingTxnProducerEpoch: -1 };
    case 'AddPartitionsToTxn':
      return {
        throttleTimeMs: 0,
        errorCode: 0,
        resultsByTransaction: [],
        resultsByTopicV3AndBelow: (req as AddPartitionsToTxnRequest).v3AndBelowTopics.map((t) => ({
          name: t.name,
          resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: errorCode })),
        })),
      };
    case 'AddOffsetsToTxn':
      return { throttleTimeMs: 0, errorCode };
    case 'EndTxn':
      return { throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1 };
    case 'TxnOffsetCommit':
      return {
        throttleTimeMs: 0,
        topics: (req as TxnOffsetCommitRequest).topics.map((t) => ({ name: t.name, topicId: t.topicId, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
      };
  }
}

interface PartitionState {
  leader: number;
  batches: Buffer[];
  /** Per stored batch (same index): its producer id and transaction status. */
  batchTxn: Array<{ producerId: number; status: BatchTxnStatus }>;
  nextOffset: number;
  /** Per producer id: last five batches (for duplicates) and the last sequence. */
  producers: Map<number, Entry[]>;
}

export interface FakeCluster {
  /** `127.0.0.1:port` of node 0. */
  readonly bootstrap: string;
  /** Ports by node id. */
  readonly ports: number[];
  /**
   * Decoded records of a partition, in offset order; read_committed drops
   * records of aborted and still open transactions.
   */
  records(topic: string, partition: number, isolation?: 'read_uncommitted' | 'read_committed'): Promise<DecodedRecord[]>;
  /** Raw batches of a partition as stored. */
  batches(topic: string, partition: number): Buffer[];
  /** Produce requests received so far. */
  produceRequests(): number;
  /** Metadata requests received so far. */
  metadataRequests(): number;
  /** TCP connections accepted so far, over all nodes. */
  acceptedConnections(): number;
  /** While held, Produce answers are queued (in order) instead of sent. */
  holdProduceResponses(hold: boolean): void;
  /** Moves a partition's leadership (Metadata reports it; the old leader answers NOT_LEADER_OR_FOLLOWER). */
  setLeader(topic: string, partition: number, node: number): void;
  /** Replaces the fault script. */
  setFaults(fn: FakeClusterOptions['onProduce']): void;
  /** Closes every client connection (they reconnect); the listeners stay. */
  dropConnections(): void;
  /** API names of the requests received, in order (ApiVersions and Metadata left out); EndTxn as `EndTxn(commit)` / `EndTxn(abort)`. */
  requestLog(): string[];
  /** Moves the transaction coordinator (the old node answers NOT_COORDINATOR). */
  setTxnCoordinator(node: number): void;
  /** Moves the group coordinator. */
  setGroupCoordinator(node: number): void;
  /** Replaces the coordinator fault script. */
  setTxnFaults(fn: FakeClusterOptions['onTxnRequest']): void;
  /** A transactional id's coordinator state, if known. */
  txnState(transactionalId: string): FakeTxnState | undefined;
  /** The group's committed offsets (`topic-partition` → offset), from committed transactions. */
  committedOffsets(group: string): Record<string, number>;
  stop(): Promise<void>;
}

export async function startFakeCluster(opts: FakeClusterOptions = {}): Promise<FakeCluster> {
  const nodeCount = opts.nodes ?? 1;
  const withInit = opts.initProducerId ?? true;
  let faults = opts.onProduce;
  const topics = new Map<string, PartitionState[]>();
  const addTopic = (name: string, n: number): void => {
    topics.set(
      name,
      Array.from({ length: n }, (_, p) => ({ leader: p % nodeCount, batches: [], batchTxn: [], nextOffset: 0, producers: new Map() })),
    );
  };
  for (const [name, n] of Object.entries(opts.topics ?? {})) addTopic(name, n);
  const withTxn = opts.transactions ?? withInit;
  let txnFaults = opts.onTxnRequest;
  let txnCoordinator = 0;
  let groupCoordinator = 0;
  const txns = new Map<string, FakeTxn>();
  const committed = new Map<string, Map<string, number>>();
  const txnCounts = new Map<TxnApiName, number>();
  const log: string[] = [];
  let nextProducerId = 1000;
  let produceCount = 0;
  let metadataCount = 0;
  let accepted = 0;
  let hold = false;
  const sockets = new Set<Socket>();
  /** Answers waiting to be written, per connection (answers leave in request order). */
  const held = new Map<Socket, Array<() => void>>();
  const servers: Server[] = [];
  const ports: number[] = [];

  const apiKeys = [
    { apiKey: ApiVersionsApi.apiKey, minVersion: 0, maxVersion: 3 },
    { apiKey: MetadataApi.apiKey, minVersion: 1, maxVersion: 12 },
    { apiKey: ProduceApi.apiKey, minVersion: 3, maxVersion: 9 },
  ];
  if (withInit) apiKeys.push({ apiKey: InitProducerIdApi.apiKey, minVersion: 0, maxVersion: 4 });
  if (withTxn) {
    for (const api of [FindCoordinatorApi, AddPartitionsToTxnApi, AddOffsetsToTxnApi, EndTxnApi, TxnOffsetCommitApi]) apiKeys.push({ apiKey: api.apiKey, minVersion: 0, maxVersion: 3 });
  }

  function metadata(req: MetadataRequest): MetadataResponse {
    metadataCount++;
    const names = req.topics === null ? [...topics.keys()] : req.topics.map((t) => t.name ?? '');
    return {
      throttleTimeMs: 0,
      brokers: ports.map((port, nodeId) => ({ nodeId, host: '127.0.0.1', port, rack: null })),
      clusterId: 'fake',
      controllerId: 0,
      clusterAuthorizedOperations: -2147483648,
      errorCode: 0,
      topics: names.map((name) => {
        const parts = topics.get(name);
        return {
          errorCode: parts === undefined ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : 0,
          name,
          topicId: ZERO_UUID,
          isInternal: false,
          topicAuthorizedOperations: -2147483648,
          partitions: (parts ?? []).map((p, i) => ({
            errorCode: 0,
            partitionIndex: i,
            leaderId: p.leader,
            leaderEpoch: 0,
            replicaNodes: [p.leader],
            isrNodes: [p.leader],
            offlineReplicas: [],
          })),
        };
      }),
    };
  }

  /** Kafka's duplicate/sequence check, then append. Returns [errorCode, baseOffset]. */
  function append(part: PartitionState, batch: Buffer, txnStatus: BatchTxnStatus): [number, number] {
    const h = new RecordBatchHeader(batch, 0);
    const pid = h.producerId;
    if (pid >= 0) {
      let entries = part.producers.get(pid) ?? [];
      const epoch = entries.length > 0 ? entries[entries.length - 1].producerEpoch : -1;
      if (h.producerEpoch < epoch) return [ErrorCode.INVALID_PRODUCER_EPOCH, -1];
      if (h.producerEpoch > epoch) entries = []; // a new epoch starts again at sequence 0
      const dup = entries.find((e) => e.firstSequence === h.baseSequence && e.lastSequence === h.lastSequence);
      if (dup !== undefined) return [0, dup.baseOffset];
      const last = entries.length > 0 ? entries[entries.length - 1].lastSequence : -1;
      const expected = last === 0x7fffffff ? 0 : last + 1;
      if (entries.length === 0 && h.baseSequence !== 0) return [ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, -1];
      if (entries.length > 0 && h.baseSequence !== expected) return [ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, -1];
      entries.push({ producerId: pid, producerEpoch: h.producerEpoch, firstSequence: h.baseSequence, lastSequence: h.lastSequence, baseOffset: part.nextOffset });
      if (entries.length > 5) entries.shift();
      part.producers.set(pid, entries);
    }
    const copy = Buffer.from(batch);
    setBaseOffset(copy, 0, part.nextOffset);
    const base = part.nextOffset;
    part.batches.push(copy);
    part.batchTxn.push({ producerId: pid, status: txnStatus });
    part.nextOffset += h.lastOffsetDelta + 1;
    return [0, base];
  }

  /** Transactional batches must belong to a partition of the producer's open transaction, at its epoch. */
  function checkTransactional(transactionalId: string | null, topic: string, partition: number, h: RecordBatchHeader): number {
    const txn = transactionalId === null ? undefined : txns.get(transactionalId);
    if (txn === undefined || txn.producerId !== h.producerId) return ErrorCode.INVALID_TXN_STATE;
    if (h.producerEpoch < txn.producerEpoch) return ErrorCode.INVALID_PRODUCER_EPOCH;
    if (txn.state !== 'Ongoing' || !txn.partitions.has(`${topic}-${partition}`)) return ErrorCode.INVALID_TXN_STATE;
    return ErrorCode.NONE;
  }

  /** Kafka's producer checks of a coordinator request: NONE, or the error to answer. */
  function checkProducer(txn: FakeTxn | undefined, producerId: number, producerEpoch: number, version: number, fencedSince: number): number {
    if (txn === undefined || txn.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (txn.producerEpoch !== producerEpoch) return version >= fencedSince ? ErrorCode.PRODUCER_FENCED : ErrorCode.INVALID_PRODUCER_EPOCH;
    return ErrorCode.NONE;
  }

  /** The outcome of a transaction: its batches and pending offsets (markers, in Kafka). */
  function endTransaction(txn: FakeTxn, commit: boolean): void {
    for (const tp of txn.partitions) {
      const i = tp.lastIndexOf('-');
      const part = topics.get(tp.slice(0, i))?.[Number(tp.slice(i + 1))];
      if (part === undefined) continue;
      for (const b of part.batchTxn) if (b.producerId === txn.producerId && b.status === 'open') b.status = commit ? 'committed' : 'aborted';
    }
    if (commit) {
      for (const [group, offsets] of txn.pendingOffsets) {
        let c = committed.get(group);
        if (c === undefined) committed.set(group, (c = new Map()));
        for (const [tp, offset] of offsets) c.set(tp, offset);
      }
    }
    txn.pendingOffsets.clear();
    txn.state = commit ? 'CompleteCommit' : 'CompleteAbort';
  }

  function txnHandle(api: TxnApiName, node: number, req: unknown, version: number): unknown {
    switch (api) {
      case 'FindCoordinator': {
        const r = req as FindCoordinatorRequest;
        const nodeId = version >= 1 && r.keyType === 1 ? txnCoordinator : groupCoordinator;
        return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId, host: '127.0.0.1', port: ports[nodeId], coordinators: [] };
      }
      case 'InitProducerId': {
        const r = req as InitProducerIdRequest;
        if (node !== txnCoordinator) return txnErrorResponse(api, req, ErrorCode.NOT_COORDINATOR);
        const id = r.transactionalId as string;
        let txn = txns.get(id);
        if (txn === undefined) {
          txn = { producerId: nextProducerId++, producerEpoch: 0, state: 'Empty', partitions: new Set(), groups: new Set(), pendingOffsets: new Map() };
          txns.set(id, txn);
        } else {
          if (txn.state === 'Ongoing') endTransaction(txn, false); // fences the previous producer's transaction
          txn.producerEpoch++;
          txn.state = 'Empty';
        }
        return { throttleTimeMs: 0, errorCode: 0, producerId: txn.producerId, producerEpoch: txn.producerEpoch, ongoingTxnProducerId: -1, ongoingTxnProducerEpoch: -1 };
      }
      case 'AddPartitionsToTxn': {
        const r = req as AddPartitionsToTxnRequest;
        if (node !== txnCoordinator) return txnErrorResponse(api, req, ErrorCode.NOT_COORDINATOR);
        const txn = txns.get(r.v3AndBelowTransactionalId);
        const code = checkProducer(txn, r.v3AndBelowProducerId, r.v3AndBelowProducerEpoch, version, 2);
        if (code !== ErrorCode.NONE) return txnErrorResponse(api, req, code);
        const unknown = r.v3AndBelowTopics.some((t) => t.partitions.some((p) => topics.get(t.name)?.[p] === undefined));
        if (unknown) {
          return {
            throttleTimeMs: 0,
            errorCode: 0,
            resultsByTransaction: [],
            resultsByTopicV3AndBelow: r.v3AndBelowTopics.map((t) => ({
              name: t.name,
              resultsByPartition: t.partitions.map((p) => ({
                partitionIndex: p,
                partitionErrorCode: topics.get(t.name)?.[p] === undefined ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.OPERATION_NOT_ATTEMPTED,
              })),
            })),
          };
        }
        const t = txn as FakeTxn;
        if (t.state !== 'Ongoing') {
          t.partitions.clear();
          t.groups.clear();
          t.state = 'Ongoing';
        }
        for (const topic of r.v3AndBelowTopics) for (const p of topic.partitions) t.partitions.add(`${topic.name}-${p}`);
        return txnErrorResponse(api, req, ErrorCode.NONE);
      }
      case 'AddOffsetsToTxn': {
        const r = req as AddOffsetsToTxnRequest;
        if (node !== txnCoordinator) return txnErrorResponse(api, req, ErrorCode.NOT_COORDINATOR);
        const txn = txns.get(r.transactionalId);
        const code = checkProducer(txn, r.producerId, r.producerEpoch, version, 2);
        if (code !== ErrorCode.NONE) return txnErrorResponse(api, req, code);
        const t = txn as FakeTxn;
        if (t.state !== 'Ongoing') {
          t.partitions.clear();
          t.groups.clear();
          t.state = 'Ongoing';
        }
        t.groups.add(r.groupId);
        return txnErrorResponse(api, req, ErrorCode.NONE);
      }
      case 'EndTxn': {
        const r = req as EndTxnRequest;
        if (node !== txnCoordinator) return txnErrorResponse(api, req, ErrorCode.NOT_COORDINATOR);
        const txn = txns.get(r.transactionalId);
        let code = checkProducer(txn, r.producerId, r.producerEpoch, version, 2);
        if (code === ErrorCode.NONE) {
          const t = txn as FakeTxn;
          if (t.state === 'Ongoing') endTransaction(t, r.committed);
          else if (!((t.state === 'CompleteCommit' && r.committed) || (t.state === 'CompleteAbort' && !r.committed))) code = ErrorCode.INVALID_TXN_STATE;
        }
        return txnErrorResponse(api, req, code);
      }
      case 'TxnOffsetCommit': {
        const r = req as TxnOffsetCommitRequest;
        if (node !== groupCoordinator) return txnErrorResponse(api, req, ErrorCode.NOT_COORDINATOR);
        const txn = txns.get(r.transactionalId);
        let code = checkProducer(txn, r.producerId, r.producerEpoch, 2, 2);
        if (code === ErrorCode.NONE && ((txn as FakeTxn).state !== 'Ongoing' || !(txn as FakeTxn).groups.has(r.groupId))) code = ErrorCode.INVALID_TXN_STATE;
        if (code !== ErrorCode.NONE) return txnErrorResponse(api, req, code);
        const t = txn as FakeTxn;
        let pending = t.pendingOffsets.get(r.groupId);
        if (pending === undefined) t.pendingOffsets.set(r.groupId, (pending = new Map()));
        for (const topic of r.topics) for (const p of topic.partitions) pending.set(`${topic.name}-${p.partitionIndex}`, p.committedOffset);
        return txnErrorResponse(api, req, ErrorCode.NONE);
      }
    }
  }

  function produce(node: number, req: ProduceRequest, socket: Socket): ProduceResponse | 'close' {
    const requestNumber = ++produceCount;
    let close = false;
    const responses = req.topicData.map((t) => ({
      name: t.name,
      topicId: t.topicId,
      partitionResponses: t.partitionData.map((pd) => {
        const r = { index: pd.index, errorCode: 0, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: 0, recordErrors: [], errorMessage: null, currentLeader: { leaderId: -1, leaderEpoch: -1 } };
        const part = topics.get(t.name)?.[pd.index];
        if (part === undefined) return { ...r, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
        if (part.leader !== node) return { ...r, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
        const batch = pd.records ?? Buffer.alloc(0);
        const h = new RecordBatchHeader(batch, 0);
        const fault = faults?.({ node, topic: t.name, partition: pd.index, producerId: h.producerId, baseSequence: h.baseSequence, recordCount: h.recordCount, requestNumber });
        if (fault !== undefined && 'errorCode' in fault) return { ...r, errorCode: fault.errorCode };
        if (fault !== undefined && fault.closeConnection === 'before-append') {
          close = true;
          return r;
        }
        if (h.isTransactional) {
          const code = checkTransactional(req.transactionalId, t.name, pd.index, h);
          if (code !== ErrorCode.NONE) return { ...r, errorCode: code };
        }
        const [errorCode, baseOffset] = append(part, batch, h.isTransactional ? 'open' : null);
        if (fault !== undefined) close = true;
        return { ...r, errorCode, baseOffset };
      }),
    }));
    if (close) {
      socket.destroy();
      return 'close';
    }
    return { responses, throttleTimeMs: 0, nodeEndpoints: [] };
  }

  function onFrame(node: number, socket: Socket, frame: Buffer): void {
    const peek = new Reader(frame);
    const apiKey = peek.readInt16();
    const version = peek.readInt16();
    const api = apiByKey.get(apiKey) as AnyApiDescriptor;
    const r = new Reader(frame);
    const header = decodeRequestHeader(r, api.requestHeaderVersion(version));
    const req = api.decodeRequest(r, version);
    let res: unknown;
    if (apiKey !== ApiVersionsApi.apiKey && apiKey !== MetadataApi.apiKey) {
      log.push(apiKey === EndTxnApi.apiKey ? `EndTxn(${(req as EndTxnRequest).committed ? 'commit' : 'abort'})` : api.name);
    }
    let txnApi = withTxn ? TXN_APIS.get(apiKey) : undefined;
    if (txnApi === 'InitProducerId' && (req as InitProducerIdRequest).transactionalId === null) txnApi = undefined; // idempotent only
    if (txnApi !== undefined) {
      const n = (txnCounts.get(txnApi) ?? 0) + 1;
      txnCounts.set(txnApi, n);
      const call: TxnCall = { api: txnApi, node, key: txnKey(txnApi, req), number: n };
      if (txnApi === 'EndTxn') call.committed = (req as EndTxnRequest).committed;
      const fault = txnFaults?.(call);
      if (fault !== undefined && 'closeConnection' in fault) {
        if (fault.closeConnection === 'after-apply') txnHandle(txnApi, node, req, version);
        socket.destroy();
        return;
      }
      res = fault !== undefined ? txnErrorResponse(txnApi, req, fault.errorCode) : txnHandle(txnApi, node, req, version);
    } else if (apiKey === ApiVersionsApi.apiKey) {
      res = { errorCode: 0, apiKeys, throttleTimeMs: 0, supportedFeatures: [], finalizedFeaturesEpoch: -1, finalizedFeatures: [], zkMigrationReady: false };
    } else if (apiKey === MetadataApi.apiKey) {
      res = metadata(req as MetadataRequest);
    } else if (apiKey === InitProducerIdApi.apiKey && withInit) {
      res = { throttleTimeMs: 0, errorCode: 0, producerId: nextProducerId++, producerEpoch: 0, ongoingTxnProducerId: -1, ongoingTxnProducerEpoch: -1 };
    } else if (apiKey === ProduceApi.apiKey) {
      const out = produce(node, req as ProduceRequest, socket);
      if (out === 'close') return;
      if ((req as ProduceRequest).acks === 0) return;
      res = out;
    } else {
      socket.destroy();
      return;
    }
    const w = new Writer();
    encodeResponseHeader(w, { correlationId: header.correlationId }, api.responseHeaderVersion(version));
    api.encodeResponse(w, res, version);
    const size = Buffer.alloc(4);
    size.writeInt32BE(w.length);
    const bytes = Buffer.concat([size, ...w.toBuffers()]);
    const send = (): void => {
      if (!socket.destroyed) socket.write(bytes);
    };
    // Responses leave in request order: once one is held, later ones queue behind it.
    const queue = held.get(socket);
    if (queue !== undefined) queue.push(send);
    else if (hold && apiKey === ProduceApi.apiKey) held.set(socket, [send]);
    else send();
  }

  for (let node = 0; node < nodeCount; node++) {
    const server = createServer((socket) => {
      accepted++;
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
      let buf = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
          const size = buf.readInt32BE(0);
          const frame = buf.subarray(4, 4 + size);
          buf = buf.subarray(4 + size);
          if (socket.destroyed) return;
          onFrame(node, socket, frame);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    servers.push(server);
    ports.push(address.port);
  }

  return {
    bootstrap: `127.0.0.1:${ports[0]}`,
    ports,
    async records(topic, partition, isolation = 'read_uncommitted') {
      const part = topics.get(topic)?.[partition];
      if (part === undefined) return [];
      const visible = part.batches.filter((_, i) => isolation === 'read_uncommitted' || part.batchTxn[i].status === null || part.batchTxn[i].status === 'committed');
      const batches = await decodeRecordBatches(Buffer.concat(visible));
      return batches.flatMap((b) => b.records);
    },
    batches: (topic, partition) => topics.get(topic)?.[partition]?.batches ?? [],
    produceRequests: () => produceCount,
    metadataRequests: () => metadataCount,
    acceptedConnections: () => accepted,
    holdProduceResponses(h) {
      hold = h;
      if (h) return;
      const queues = [...held.values()];
      held.clear();
      for (const q of queues) for (const send of q) send();
    },
    setLeader(topic, partition, node) {
      const part = topics.get(topic)?.[partition];
      if (part !== undefined) part.leader = node;
    },
    setFaults(fn) {
      faults = fn;
    },
    dropConnections() {
      held.clear();
      for (const s of sockets) s.destroy();
    },
    requestLog: () => [...log],
    setTxnCoordinator(node) {
      txnCoordinator = node;
    },
    setGroupCoordinator(node) {
      groupCoordinator = node;
    },
    setTxnFaults(fn) {
      txnFaults = fn;
    },
    txnState(transactionalId) {
      const t = txns.get(transactionalId);
      if (t === undefined) return undefined;
      return { producerId: t.producerId, producerEpoch: t.producerEpoch, state: t.state, partitions: [...t.partitions].sort(), groups: [...t.groups].sort() };
    },
    committedOffsets(group) {
      return Object.fromEntries(committed.get(group) ?? []);
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}
