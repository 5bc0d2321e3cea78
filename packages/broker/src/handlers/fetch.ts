/**
 * Fetch (key 1), versions 0-16.
 *
 * Serves stored batch bytes as they are on disk, never decoded. Per
 * partition: from the batch containing FetchOffset, up to PartitionMaxBytes,
 * bounded by the response's MaxBytes; the first batch of the response is
 * always whole even when larger than both limits (KIP-74), so a consumer can
 * always make progress. Reads stop at the high watermark (read_uncommitted)
 * or the last stable offset (read_committed: below the oldest open
 * transaction). read_committed responses list the aborted transactions
 * overlapping the returned batches (producer id, first offset), from the
 * partition's aborted-transaction index, so the consumer drops their records.
 *
 * Long poll: with fewer than MinBytes available the request waits up to
 * MaxWaitMs and is woken by an append to any partition it reads.
 *
 * Fetch sessions (KIP-227): no sessions are created; every response carries
 * SessionId 0, which tells clients to keep sending full fetches. An
 * incremental fetch for a session id we never issued gets
 * FETCH_SESSION_ID_NOT_FOUND.
 *
 * Errors per partition: UNKNOWN_TOPIC_OR_PARTITION, OFFSET_OUT_OF_RANGE
 * (below log start or beyond log end), FENCED_LEADER_EPOCH /
 * UNKNOWN_LEADER_EPOCH (CurrentLeaderEpoch older / newer than ours),
 * KAFKA_STORAGE_ERROR.
 *
 * Version notes: v13+ name topics by id (UNKNOWN_TOPIC_ID for an id we
 * don't know). v15's ReplicaState and v16's NodeEndpoints matter only to
 * followers and to leader changes, which a single node doesn't have.
 *
 * v0-v3 read magic 0/1: the stored batches are down-converted per partition
 * (fetch/down-convert.ts; rules in docs/protocol-versions.md), and the
 * converted bytes are what MinBytes and MaxBytes count.
 *
 * Not yet: v17 (replica directory ids), follower fetches.
 */
import { ErrorCode, FetchApi, RECORD_BATCH_HEADER_SIZE, RecordBatchHeader, type FetchRequest, type FetchResponse } from '@samsa/protocol';
import { OffsetOutOfRangeError } from '@samsa/storage';
import { SINGLE_NODE_LEADER_EPOCH, type BrokerServices } from '../broker-services.js';
import { partitionKey } from '../fetch/append-notifier.js';
import { downConvertForFetch, FIRST_MAGIC_2_FETCH_VERSION } from '../fetch/down-convert.js';
import type { ApiHandler } from '../request-context.js';

type PartitionData = FetchResponse['responses'][number]['partitions'][number];

const READ_COMMITTED = 1;
const EMPTY = Buffer.alloc(0);

export function fetchHandler(s: BrokerServices): ApiHandler<FetchRequest, FetchResponse> {
  return {
    api: FetchApi,
    minVersion: 0,
    maxVersion: 16,
    async handle(ctx, req) {
      if (req.sessionId !== 0 && req.sessionEpoch > 0) {
        return { throttleTimeMs: 0, errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [], nodeEndpoints: [] };
      }
      const useTopicIds = ctx.apiVersion >= 13;
      const deadline = Date.now() + Math.max(0, req.maxWaitMs);
      // Built only once a fetch has to wait: most fetches under load answer at once.
      let keys: string[] | null = null;
      for (;;) {
        const { response, bytes, anyError } = await readOnce(s, req, useTopicIds, ctx.apiVersion);
        const remaining = deadline - Date.now();
        // Like Kafka's DelayedFetch: an error in any partition completes the wait early.
        if (bytes >= req.minBytes || anyError || remaining <= 0) return response;
        keys ??= waitKeys(s, req, useTopicIds);
        await s.notifier.wait(keys, remaining);
        if (Date.now() >= deadline) return (await readOnce(s, req, useTopicIds, ctx.apiVersion)).response;
      }
    },
  };
}

function waitKeys(s: BrokerServices, req: FetchRequest, useTopicIds: boolean): string[] {
  const keys: string[] = [];
  for (const t of req.topics) {
    const name = useTopicIds ? s.metadata.topicById(t.topicId)?.name : t.topic;
    if (name !== undefined) for (const p of t.partitions) keys.push(partitionKey(name, p.partition));
  }
  return keys;
}

async function readOnce(s: BrokerServices, req: FetchRequest, useTopicIds: boolean, version: number): Promise<{ response: FetchResponse; bytes: number; anyError: boolean }> {
  let budget = req.maxBytes;
  let bytes = 0;
  let anyError = false;
  const readCommitted = req.isolationLevel === READ_COMMITTED;
  const responses: FetchResponse['responses'] = [];
  for (const t of req.topics) {
    const topic = useTopicIds ? s.metadata.topicById(t.topicId) : s.metadata.topic(t.topic);
    const partitions: PartitionData[] = [];
    for (const p of t.partitions) {
      const out = emptyPartition(p.partition, readCommitted);
      partitions.push(out);
      const log = topic && p.partition >= 0 && p.partition < topic.partitions ? s.topics.log(topic.name, p.partition) : undefined;
      if (!log) {
        out.errorCode = useTopicIds && !topic ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        anyError = true;
        continue;
      }
      if (p.currentLeaderEpoch >= 0 && p.currentLeaderEpoch !== SINGLE_NODE_LEADER_EPOCH) {
        out.errorCode = p.currentLeaderEpoch < SINGLE_NODE_LEADER_EPOCH ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH;
        anyError = true;
        continue;
      }
      const highWatermark = log.highWatermark;
      const lastStableOffset = log.lastStableOffset;
      out.highWatermark = highWatermark;
      out.lastStableOffset = lastStableOffset;
      out.logStartOffset = log.logStartOffset;
      // Once the response holds data, a partition gets only what still fits; the first batch of the response may exceed (KIP-74).
      const maxBytes = bytes === 0 ? p.partitionMaxBytes : Math.min(p.partitionMaxBytes, budget);
      if (maxBytes <= 0) continue;
      try {
        const result = await log.read(p.fetchOffset, maxBytes, { maxOffset: readCommitted ? lastStableOffset : highWatermark });
        if (result.bytes > 0) {
          let records = result.buffers.length === 1 ? result.buffers[0] : Buffer.concat(result.buffers, result.bytes);
          if (version < FIRST_MAGIC_2_FETCH_VERSION && topic) {
            const converted = await downConvertForFetch(s, topic, version, p.fetchOffset, records, maxBytes);
            if (converted.records === null) {
              out.errorCode = converted.errorCode;
              anyError = true;
              continue;
            }
            records = converted.records;
          }
          out.records = records;
          bytes += records.length;
          budget -= records.length;
          if (readCommitted) {
            out.abortedTransactions = log
              .abortedTransactions(p.fetchOffset, endOffsetOf(records))
              .map((a) => ({ producerId: a.producerId, firstOffset: a.firstOffset }));
          }
        }
        out.logStartOffset = result.logStartOffset;
      } catch (err) {
        anyError = true;
        if (err instanceof OffsetOutOfRangeError) {
          out.errorCode = ErrorCode.OFFSET_OUT_OF_RANGE;
        } else {
          s.logger.error({ err, topic: topic?.name, partition: p.partition }, 'read failed');
          out.errorCode = ErrorCode.KAFKA_STORAGE_ERROR;
        }
      }
    }
    responses.push({ topic: t.topic, topicId: t.topicId, partitions });
  }
  return { response: { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses, nodeEndpoints: [] }, bytes, anyError };
}

/** The offset after the last whole batch in `records` (batches back to back, as the log returns them). */
function endOffsetOf(records: Buffer): number {
  let end = -1;
  for (let pos = 0; pos + RECORD_BATCH_HEADER_SIZE <= records.length; ) {
    const h = new RecordBatchHeader(records, pos);
    end = h.lastOffset + 1;
    pos += h.totalSize;
  }
  return end;
}

function emptyPartition(partitionIndex: number, readCommitted: boolean): PartitionData {
  return {
    partitionIndex,
    errorCode: ErrorCode.NONE,
    highWatermark: -1,
    lastStableOffset: -1,
    logStartOffset: -1,
    divergingEpoch: { epoch: -1, endOffset: -1 },
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
    snapshotId: { endOffset: -1, epoch: -1 },
    abortedTransactions: readCommitted ? [] : null,
    preferredReadReplica: -1,
    records: EMPTY,
  };
}
