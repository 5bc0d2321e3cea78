/**
 * DeleteRecords (key 21), versions 0-2.
 *
 * Moves a partition's log start offset forward: records before Offset become
 * unreadable at once and whole segments below it are deleted. Offset -1
 * means the high watermark. Errors: UNKNOWN_TOPIC_OR_PARTITION,
 * OFFSET_OUT_OF_RANGE (beyond the high watermark or below -1),
 * KAFKA_STORAGE_ERROR. LowWatermark is the resulting log start offset.
 */
import { DeleteRecordsApi, ErrorCode, type DeleteRecordsRequest, type DeleteRecordsResponse } from '@samsa/protocol';
import { OffsetOutOfRangeError } from '@samsa/storage';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler } from '../request-context.js';

const HIGH_WATERMARK = -1;

export function deleteRecordsHandler(s: BrokerServices): ApiHandler<DeleteRecordsRequest, DeleteRecordsResponse> {
  return {
    api: DeleteRecordsApi,
    minVersion: 0,
    maxVersion: 2,
    async handle(_ctx, req) {
      const topics: DeleteRecordsResponse['topics'] = [];
      for (const t of req.topics) {
        const partitions: DeleteRecordsResponse['topics'][number]['partitions'] = [];
        for (const p of t.partitions) {
          const out = { partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: ErrorCode.NONE as number };
          partitions.push(out);
          const log = s.topics.log(t.name, p.partitionIndex);
          if (!log) {
            out.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
            continue;
          }
          const target = p.offset === HIGH_WATERMARK ? log.highWatermark : p.offset;
          if (target < 0 || target > log.highWatermark) {
            out.errorCode = ErrorCode.OFFSET_OUT_OF_RANGE;
            continue;
          }
          try {
            out.lowWatermark = await log.deleteRecordsBefore(target);
          } catch (err) {
            if (err instanceof OffsetOutOfRangeError) {
              out.errorCode = ErrorCode.OFFSET_OUT_OF_RANGE;
            } else {
              s.logger.error({ err, topic: t.name, partition: p.partitionIndex }, 'delete records failed');
              out.errorCode = ErrorCode.KAFKA_STORAGE_ERROR;
            }
          }
        }
        topics.push({ name: t.name, partitions });
      }
      return { throttleTimeMs: 0, topics };
    },
  };
}
