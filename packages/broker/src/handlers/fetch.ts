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
 * MaxWaitMs and is woken by an append to any partition it reads. As in
 * Kafka's ReplicaManager, the fetch is answered at once, without waiting,
 * when MaxWaitMs <= 0, when it names no partitions (nothing could wake it),
 * when any partition has an error, or when the broker cannot take another
 * waiter (the notifier's bound) or is shutting down. Each read after the
 * first follows a real append or the timer: the loop never re-reads without
 * waiting on I/O (issue 16: a wait that resolved at once spun the event loop
 * until the deadline and froze the broker).
 *
 * Response size (KIP-74): each partition gets at most
 * min(PartitionMaxBytes, what is left of MaxBytes), MaxBytes itself capped by
 * the broker's fetch.max.bytes (KIP-541). Only the first batch of
 * the whole response may exceed that, so a consumer always makes progress;
 * once the response holds data, a batch that does not fit is left for the
 * next fetch.
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
import { clampTimerDelay } from '../timer-delay.js';
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
      const maxWaitMs = clampTimerDelay(req.maxWaitMs);
      const deadline = Date.now() + maxWaitMs;
      let read = await readOnce(s, req, useTopicIds, ctx.apiVersion);
      if (read.bytes >= req.minBytes || read.anyError || maxWaitMs === 0) return read.response;
      // Built only once a fetch has to wait: most fetches under load answer at once.
      const keys = waitKeys(s, req, useTopicIds);
      for (;;) {
        const outcome = await s.notifier.wait(keys, deadline - Date.now());
        // Only an append can have changed what a read returns; any other outcome ends the fetch.
        if (outcome !== 'appended') return outcome === 'timeout' ? (await readOnce(s, req, useTopicIds, ctx.apiVersion)).response : read.response;
        read = await readOnce(s, req, useTopicIds, ctx.apiVersion);
        if (read.bytes >= req.minBytes || read.anyError || Date.now() >= deadline) return read.response;
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
  // The broker's fetch.max.bytes caps the request's MaxBytes (KIP-541).
  let budget = Math.min(req.maxBytes, s.config.fetchMaxBytes);
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
      // KIP-74: a partition gets only what is left of the response's budget, and only the response's first batch may exceed it.
      const maxBytes = Math.min(p.partitionMaxBytes, budget);
      const firstOfResponse = bytes === 0;
      if (maxBytes <= 0 && !firstOfResponse) continue;
      try {
        const result = await log.read(p.fetchOffset, maxBytes, { maxOffset: readCommitted ? lastStableOffset : highWatermark });
        if (result.bytes > 0) {
          const whole = result.buffers.length === 1 ? result.buffers[0] : Buffer.concat(result.buffers, result.bytes);
          // The log returns its first batch whole even above maxBytes; that is allowed only for the response's first batch.
          let records = firstOfResponse ? whole : batchesWithin(whole, maxBytes);
          if (version < FIRST_MAGIC_2_FETCH_VERSION && topic && records.length > 0) {
            const converted = await downConvertForFetch(s, topic, version, p.fetchOffset, records, maxBytes, firstOfResponse);
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

/** The leading whole batches of `records` that fit in `maxBytes` (possibly none). */
function batchesWithin(records: Buffer, maxBytes: number): Buffer {
  let used = 0;
  while (used + RECORD_BATCH_HEADER_SIZE <= records.length) {
    const size = new RecordBatchHeader(records, used).totalSize;
    if (used + size > maxBytes) break;
    used += size;
  }
  return used === records.length ? records : records.subarray(0, used);
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
