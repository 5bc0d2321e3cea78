// The few correct requests the fuzzer itself sends: topic setup before fuzzing and the
// watchdog's probes. Built from the generated types, so they are what a real client sends.
import {
  CompressionCodec,
  encodeRecordBatchSync,
  type ApiVersionsRequest,
  type CreateTopicsRequest,
  type FetchRequest,
  type InitProducerIdRequest,
  type MetadataRequest,
  type ProduceRequest,
} from '@samsa/protocol';

export function apiVersionsRequest(): ApiVersionsRequest {
  return { clientSoftwareName: 'samsa-live-fuzz', clientSoftwareVersion: '1', clusterId: null, nodeId: 0 };
}

export function createTopicsRequest(topics: ReadonlyArray<{ name: string; partitions: number; configs?: Record<string, string> }>): CreateTopicsRequest {
  return {
    topics: topics.map((t) => ({
      name: t.name,
      numPartitions: t.partitions,
      replicationFactor: 1,
      assignments: [],
      configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
    })),
    timeoutMs: 30_000,
    validateOnly: false,
  };
}

export function metadataRequest(topics: readonly string[]): MetadataRequest {
  return {
    topics: topics.map((name) => ({ topicId: '00000000000000000000000000000000', name })),
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  };
}

/** acks=1 Produce of `count` small records to one partition, as one uncompressed batch. */
export function produceRequest(topic: string, partition: number, count: number, label: string): ProduceRequest {
  const records = [];
  for (let i = 0; i < count; i++) records.push({ key: Buffer.from(`k${i % 7}`), value: Buffer.from(`${label}-${i}`) });
  const batch = encodeRecordBatchSync({ baseTimestamp: Date.now(), compression: CompressionCodec.None, records });
  return {
    transactionalId: null,
    acks: 1,
    timeoutMs: 10_000,
    topicData: [{ name: topic, topicId: '00000000000000000000000000000000', partitionData: [{ index: partition, records: batch }] }],
  };
}

/** A Fetch of one partition from `offset` that answers at once (maxWaitMs 0). */
export function fetchRequest(topic: string, partition: number, offset: number): FetchRequest {
  return {
    clusterId: null,
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1 },
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        topicId: '00000000000000000000000000000000',
        partitions: [
          {
            partition,
            currentLeaderEpoch: -1,
            fetchOffset: offset,
            lastFetchedEpoch: -1,
            logStartOffset: -1,
            partitionMaxBytes: 1 << 20,
            replicaDirectoryId: '00000000000000000000000000000000',
            highWatermark: 9223372036854775807n,
          },
        ],
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  };
}

export function initProducerIdRequest(transactionalId: string | null): InitProducerIdRequest {
  return { transactionalId, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1, enable2Pc: false, keepPreparedTxn: false };
}
