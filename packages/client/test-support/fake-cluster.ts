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
 * Deliberately simple: no Fetch (tests read `records()`), one topic config.
 */
import { createServer, type Server, type Socket } from 'node:net';
import {
  ApiVersionsApi,
  ErrorCode,
  InitProducerIdApi,
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

/** Options of {@link startFakeCluster}. */
export interface FakeClusterOptions {
  nodes?: number;
  /** Advertise and serve InitProducerId (default true). */
  initProducerId?: boolean;
  /** Topics and their partition count; each partition is led by node (partition % nodes). */
  topics?: Record<string, number>;
  /** Decides a fault per partition batch; undefined = normal handling. */
  onProduce?: (call: ProduceCall) => ProduceFault | undefined;
}

interface Entry {
  producerId: number;
  firstSequence: number;
  lastSequence: number;
  baseOffset: number;
}

interface PartitionState {
  leader: number;
  batches: Buffer[];
  nextOffset: number;
  /** Per producer id: last five batches (for duplicates) and the last sequence. */
  producers: Map<number, Entry[]>;
}

export interface FakeCluster {
  /** `127.0.0.1:port` of node 0. */
  readonly bootstrap: string;
  /** Ports by node id. */
  readonly ports: number[];
  /** Decoded records of a partition, in offset order. */
  records(topic: string, partition: number): Promise<DecodedRecord[]>;
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
      Array.from({ length: n }, (_, p) => ({ leader: p % nodeCount, batches: [], nextOffset: 0, producers: new Map() })),
    );
  };
  for (const [name, n] of Object.entries(opts.topics ?? {})) addTopic(name, n);
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
  function append(part: PartitionState, batch: Buffer): [number, number] {
    const h = new RecordBatchHeader(batch, 0);
    const pid = h.producerId;
    if (pid >= 0) {
      const entries = part.producers.get(pid) ?? [];
      const dup = entries.find((e) => e.firstSequence === h.baseSequence && e.lastSequence === h.lastSequence);
      if (dup !== undefined) return [0, dup.baseOffset];
      const last = entries.length > 0 ? entries[entries.length - 1].lastSequence : -1;
      const expected = last === 0x7fffffff ? 0 : last + 1;
      if (entries.length === 0 && h.baseSequence !== 0) return [ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, -1];
      if (entries.length > 0 && h.baseSequence !== expected) return [ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, -1];
      entries.push({ producerId: pid, firstSequence: h.baseSequence, lastSequence: h.lastSequence, baseOffset: part.nextOffset });
      if (entries.length > 5) entries.shift();
      part.producers.set(pid, entries);
    }
    const copy = Buffer.from(batch);
    setBaseOffset(copy, 0, part.nextOffset);
    const base = part.nextOffset;
    part.batches.push(copy);
    part.nextOffset += h.lastOffsetDelta + 1;
    return [0, base];
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
        const [errorCode, baseOffset] = append(part, batch);
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
    if (apiKey === ApiVersionsApi.apiKey) {
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
    async records(topic, partition) {
      const part = topics.get(topic)?.[partition];
      if (part === undefined) return [];
      const batches = await decodeRecordBatches(Buffer.concat(part.batches));
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
    async stop() {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}
