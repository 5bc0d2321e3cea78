/**
 * ListOffsets (key 2), versions 0-9.
 *
 * Timestamp sentinels (Kafka's ListOffsetsRequest):
 *   -1 LATEST            high watermark (read_uncommitted) or last stable offset (read_committed)
 *   -2 EARLIEST          log start offset
 *   -3 MAX_TIMESTAMP     offset of the record with the largest timestamp (v7+, KIP-734)
 *   -4 EARLIEST_LOCAL    log start offset: every segment is local (v8+, KIP-405)
 *   -5 LATEST_TIERED     -1 / -1: nothing is tiered (v9+, KIP-1005)
 *   >= 0                 first offset whose timestamp is >= the given one, or -1 / -1
 * v0 answers the same offsets in OldStyleOffsets (at most MaxNumOffsets of them).
 */
import { ErrorCode, ListOffsetsApi, type ListOffsetsRequest, type ListOffsetsResponse } from '@samsa/protocol';
import { SINGLE_NODE_LEADER_EPOCH, type BrokerServices } from '../broker-services.js';
import type { ApiHandler } from '../request-context.js';

type PartitionResponse = ListOffsetsResponse['topics'][number]['partitions'][number];

const LATEST = -1;
const EARLIEST = -2;
const MAX_TIMESTAMP = -3;
const EARLIEST_LOCAL = -4;
const LATEST_TIERED = -5;

export function listOffsetsHandler(s: BrokerServices): ApiHandler<ListOffsetsRequest, ListOffsetsResponse> {
  return {
    api: ListOffsetsApi,
    minVersion: 0,
    maxVersion: 9,
    async handle(ctx, req) {
      const topics: ListOffsetsResponse['topics'] = [];
      for (const t of req.topics) {
        const topic = s.metadata.topic(t.name);
        const partitions: PartitionResponse[] = [];
        for (const p of t.partitions) {
          const out: PartitionResponse = {
            partitionIndex: p.partitionIndex,
            errorCode: ErrorCode.NONE,
            oldStyleOffsets: [],
            timestamp: -1,
            offset: -1,
            leaderEpoch: -1,
          };
          partitions.push(out);
          const log = topic && p.partitionIndex >= 0 && p.partitionIndex < topic.partitions ? s.topics.log(t.name, p.partitionIndex) : undefined;
          if (!log) {
            out.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
            continue;
          }
          if (!log.online) {
            // Its log dir is offline (a storage fault): Kafka answers KAFKA_STORAGE_ERROR for its partitions.
            out.errorCode = ErrorCode.KAFKA_STORAGE_ERROR;
            continue;
          }
          if (p.currentLeaderEpoch >= 0 && p.currentLeaderEpoch !== SINGLE_NODE_LEADER_EPOCH) {
            out.errorCode = p.currentLeaderEpoch < SINGLE_NODE_LEADER_EPOCH ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH;
            continue;
          }
          try {
            switch (p.timestamp) {
              case LATEST:
                // isolationLevel is v2+; earlier versions read uncommitted.
                out.offset = ctx.apiVersion >= 2 && req.isolationLevel === 1 ? log.lastStableOffset : log.highWatermark;
                break;
              case EARLIEST:
              case EARLIEST_LOCAL:
                out.offset = log.logStartOffset;
                break;
              case LATEST_TIERED:
                break;
              case MAX_TIMESTAMP: {
                const found = await log.offsetOfMaxTimestamp();
                if (found) {
                  out.offset = found.offset;
                  out.timestamp = found.timestamp;
                }
                break;
              }
              default: {
                if (p.timestamp < 0) {
                  out.errorCode = ErrorCode.INVALID_REQUEST;
                  break;
                }
                const found = await log.offsetForTimestamp(p.timestamp);
                if (found) {
                  out.offset = found.offset;
                  out.timestamp = found.timestamp;
                }
              }
            }
          } catch (err) {
            s.logger.error({ err, topic: t.name, partition: p.partitionIndex }, 'list offsets failed');
            out.errorCode = ErrorCode.KAFKA_STORAGE_ERROR;
          }
          if (out.errorCode === ErrorCode.NONE && out.offset >= 0) out.leaderEpoch = SINGLE_NODE_LEADER_EPOCH;
          if (ctx.apiVersion === 0 && out.offset >= 0 && p.maxNumOffsets > 0) out.oldStyleOffsets = [out.offset];
        }
        topics.push({ name: t.name, partitions });
      }
      return { throttleTimeMs: 0, topics };
    },
  };
}
