/**
 * Offset lookups by time (ListOffsets) for starting positions: the log start
 * (`EARLIEST`), the end (`LATEST`: the high watermark, or the last stable
 * offset with read_committed) or the first offset at or after a timestamp.
 * Requests go to each partition's leader; leader errors refresh the
 * metadata and are retried with the retry policy.
 */
import { ErrorCode, ListOffsetsApi, type ListOffsetsResponse } from '@samsa/protocol';
import type { Cluster } from '../cluster/cluster.js';
import { isRetriableError } from '../cluster/cluster.js';
import { KafkaError } from '../kafka-error.js';
import { retryDelayMs, type RetryPolicy } from '../retry.js';
import { tpKey, type TopicPartition } from './topic-partitions.js';

/** ListOffsets' special timestamp for the end of the log. */
export const LATEST_TIMESTAMP = -1;
/** ListOffsets' special timestamp for the start of the log. */
export const EARLIEST_TIMESTAMP = -2;

/**
 * Highest version used, here and by the admin client. v4 adds leader epochs, which neither
 * uses; and librdkafka's mock cluster (2.0.2) writes v4-5 partitions 4 bytes too long (the
 * leader epoch as an int64), which garbles answers that hold more than one partition.
 * v1-3 are served by every broker, Kafka 4 included (KIP-896 removed only v0).
 */
export const LIST_OFFSETS_MAX_VERSION = 3;

/** One lookup: a partition and a timestamp (or EARLIEST/LATEST). */
export interface OffsetQuery extends TopicPartition {
  timestamp: number;
}

/** One answer: the offset (-1 when no record is at or after the timestamp) and that record's timestamp. */
export interface OffsetAnswer {
  offset: number;
  timestamp: number;
}

/** Options of {@link listOffsets}. */
export interface ListOffsetsOptions {
  readCommitted: boolean;
  retry: RetryPolicy;
  random: () => number;
  requestTimeoutMs: number;
  /** Stops retrying when this returns true (the consumer stopped). */
  cancelled?: () => boolean;
}

/** Looks up every query; resolves with answers by topic-partition key, or throws the first lasting error. */
export async function listOffsets(cluster: Cluster, queries: readonly OffsetQuery[], opts: ListOffsetsOptions): Promise<Map<string, OffsetAnswer>> {
  const out = new Map<string, OffsetAnswer>();
  let pending = [...queries];
  for (let attempt = 0; pending.length > 0; attempt++) {
    const failed: Array<{ q: OffsetQuery; error: unknown }> = [];
    const byLeader = new Map<number, OffsetQuery[]>();
    for (const q of pending) {
      let leader = cluster.leaderOf(q.topic, q.partition);
      if (leader < 0) {
        try {
          const md = await cluster.topicMetadata(q.topic, { refresh: attempt > 0 });
          leader = md.partitions[q.partition]?.leaderId ?? -1;
        } catch (err) {
          failed.push({ q, error: err });
          continue;
        }
      }
      if (leader < 0) {
        failed.push({ q, error: new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, { apiName: 'ListOffsets', topic: q.topic, partition: q.partition }) });
        continue;
      }
      let list = byLeader.get(leader);
      if (list === undefined) byLeader.set(leader, (list = []));
      list.push(q);
    }
    await Promise.all(
      [...byLeader].map(async ([nodeId, list]) => {
        let res: ListOffsetsResponse;
        let version: number;
        try {
          const conn = await cluster.openConnection(nodeId);
          version = conn.version(ListOffsetsApi, LIST_OFFSETS_MAX_VERSION);
          res = await conn.send(ListOffsetsApi, version, {
            replicaId: -1,
            isolationLevel: opts.readCommitted ? 1 : 0,
            timeoutMs: opts.requestTimeoutMs,
            topics: [...groupQueries(list)].map(([name, qs]) => ({
              name,
              partitions: qs.map((q) => ({ partitionIndex: q.partition, currentLeaderEpoch: -1, timestamp: q.timestamp, maxNumOffsets: 1 })),
            })),
          });
        } catch (err) {
          for (const q of list) failed.push({ q, error: err });
          return;
        }
        const answered = new Set<string>();
        for (const t of res.topics) {
          for (const p of t.partitions) {
            const q = list.find((x) => x.topic === t.name && x.partition === p.partitionIndex);
            if (q === undefined) continue;
            answered.add(tpKey(q.topic, q.partition));
            if (p.errorCode !== 0) {
              failed.push({ q, error: new KafkaError(p.errorCode, { apiName: 'ListOffsets', apiKey: ListOffsetsApi.apiKey, apiVersion: version, topic: q.topic, partition: q.partition }) });
              continue;
            }
            const offset = version === 0 ? (p.oldStyleOffsets[0] ?? -1) : p.offset;
            out.set(tpKey(q.topic, q.partition), { offset, timestamp: version === 0 ? -1 : p.timestamp });
          }
        }
        for (const q of list) {
          if (!answered.has(tpKey(q.topic, q.partition))) {
            failed.push({ q, error: new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, { apiName: 'ListOffsets', topic: q.topic, partition: q.partition, message: 'the partition is missing from the answer' }) });
          }
        }
      }),
    );
    if (failed.length === 0) break;
    const lasting = failed.find((f) => !isRetriableError(f.error));
    if (lasting !== undefined) throw lasting.error;
    if (attempt >= opts.retry.retries || opts.cancelled?.() === true) throw failed[0].error;
    await new Promise((resolve) => setTimeout(resolve, retryDelayMs(opts.retry, attempt + 1, opts.random)));
    await cluster.refresh().catch(() => {});
    pending = failed.map((f) => f.q);
  }
  return out;
}

function groupQueries(list: readonly OffsetQuery[]): Map<string, OffsetQuery[]> {
  const m = new Map<string, OffsetQuery[]>();
  for (const q of list) {
    let l = m.get(q.topic);
    if (l === undefined) m.set(q.topic, (l = []));
    l.push(q);
  }
  return m;
}
