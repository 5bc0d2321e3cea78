import { Connection, parseHostPort } from '@samsa/client';
import { FetchApi, MetadataApi, ZERO_UUID, decodeRecordBatches, type DecodedBatch, type FetchRequest } from '@samsa/protocol';

/** Everything a topic holds, read with plain Fetch requests from each partition's leader. */
export interface FetchedTopic {
  /** Batches per partition, in offset order (index = partition). */
  partitions: DecodedBatch[][];
}

/** Fetch v11 is the last version that names topics (v13 uses ids); the mock serves up to v11. */
const FETCH_MAX_VERSION = 11;

/** A Fetch request for one partition from `offset`, maxWaitMs 0 (read_uncommitted: 0, read_committed: 1). */
export function fetchOnePartition(topic: string, partition: number, offset: number, isolationLevel: 0 | 1): FetchRequest {
  return {
    clusterId: null,
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1 },
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 32 << 20,
    isolationLevel,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        topicId: ZERO_UUID,
        partitions: [
          {
            partition,
            currentLeaderEpoch: -1,
            fetchOffset: offset,
            lastFetchedEpoch: -1,
            logStartOffset: -1,
            partitionMaxBytes: 16 << 20,
            replicaDirectoryId: ZERO_UUID,
            highWatermark: 9223372036854775807n,
          },
        ],
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  };
}

/**
 * Reads every batch of `topic` from offset 0 up to each partition's high watermark: Metadata
 * for the leaders, then Fetch (maxWaitMs 0) from each leader. Works against Samsa and
 * librdkafka's mock cluster. Bounded: at most `maxRounds` fetches per partition.
 */
export async function fetchTopic(bootstrap: string, topic: string, maxRounds = 1000): Promise<FetchedTopic> {
  const { host, port } = parseHostPort(bootstrap);
  const boot = await Connection.open(host, port, { timeoutMs: 15_000 });
  const conns = new Map<number, Connection>();
  try {
    const md = await boot.request(
      MetadataApi,
      { topics: [{ name: topic, topicId: ZERO_UUID }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false },
      9,
    );
    const t = md.topics.find((x) => x.name === topic);
    if (t === undefined || t.errorCode !== 0) throw new Error(`fetchTopic: metadata of ${topic}: error ${t?.errorCode ?? 'missing'}`);
    const partitions: DecodedBatch[][] = [];
    for (const p of [...t.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex)) {
      const broker = md.brokers.find((b) => b.nodeId === p.leaderId);
      if (broker === undefined) throw new Error(`fetchTopic: ${topic}-${p.partitionIndex} has no leader`);
      let conn = conns.get(broker.nodeId);
      if (conn === undefined) {
        conn = await Connection.open(broker.host, broker.port, { timeoutMs: 15_000 });
        conns.set(broker.nodeId, conn);
      }
      const batches: DecodedBatch[] = [];
      let offset = 0;
      for (let round = 0; ; round++) {
        if (round >= maxRounds) throw new Error(`fetchTopic: ${topic}-${p.partitionIndex} still not read to its end after ${maxRounds} fetches`);
        const res = await conn.request(FetchApi, fetchOnePartition(topic, p.partitionIndex, offset, 0), FETCH_MAX_VERSION);
        const pd = res.responses[0]?.partitions[0];
        if (pd === undefined || pd.errorCode !== 0) throw new Error(`fetchTopic: ${topic}-${p.partitionIndex} at ${offset}: error ${pd?.errorCode ?? 'no answer'}`);
        const got = (await decodeRecordBatches(pd.records ?? Buffer.alloc(0))).filter((b) => b.lastOffset >= offset);
        batches.push(...got);
        if (got.length > 0) offset = got[got.length - 1].lastOffset + 1;
        if (offset >= pd.highWatermark) break;
        if (got.length === 0) throw new Error(`fetchTopic: ${topic}-${p.partitionIndex}: no batch at ${offset} below the high watermark ${pd.highWatermark}`);
      }
      partitions[p.partitionIndex] = batches;
    }
    return { partitions };
  } finally {
    boot.close();
    for (const c of conns.values()) c.close();
  }
}
