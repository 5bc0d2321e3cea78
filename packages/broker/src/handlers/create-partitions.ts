/**
 * CreatePartitions (key 37), versions 0-3.
 *
 * Grows a topic to Count partitions. Errors: UNKNOWN_TOPIC_OR_PARTITION,
 * INVALID_PARTITIONS when Count is not larger than the current count (or above
 * the per-topic cap, or the topic is internal), INVALID_REPLICA_ASSIGNMENT when assignments don't cover
 * exactly the new partitions with this broker, INVALID_REQUEST for a topic
 * listed twice. ValidateOnly checks without changing anything.
 */
import { CreatePartitionsApi, ErrorCode, type CreatePartitionsRequest, type CreatePartitionsResponse } from '@samsa/protocol';
import { classifyStorageFault, StorageError } from '@samsa/storage';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler } from '../request-context.js';
import { isInternalTopic } from '../topic-name.js';
import { MAX_PARTITIONS_PER_TOPIC } from './create-topics.js';

type Result = CreatePartitionsResponse['results'][number];

export function createPartitionsHandler(s: BrokerServices): ApiHandler<CreatePartitionsRequest, CreatePartitionsResponse> {
  return {
    api: CreatePartitionsApi,
    minVersion: 0,
    maxVersion: 3,
    async handle(_ctx, req) {
      const counts = new Map<string, number>();
      for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
      const results: Result[] = [];
      for (const t of req.topics) {
        const result: Result = { name: t.name, errorCode: ErrorCode.NONE, errorMessage: null };
        results.push(result);
        const fail = (code: number, message: string | null): void => {
          result.errorCode = code;
          result.errorMessage = message;
        };
        if ((counts.get(t.name) ?? 0) > 1) {
          fail(ErrorCode.INVALID_REQUEST, `Duplicate topic in request: ${t.name}`);
          continue;
        }
        const topic = s.metadata.topic(t.name);
        if (!topic) {
          fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${t.name}' does not exist.`);
          continue;
        }
        if (isInternalTopic(topic.name)) {
          // A new count would move groups (and later transactional ids) to other partitions of the topic.
          fail(ErrorCode.INVALID_PARTITIONS, `The partition count of internal topic ${topic.name} cannot be changed.`);
          continue;
        }
        if (t.count <= topic.partitions) {
          fail(
            ErrorCode.INVALID_PARTITIONS,
            t.count === topic.partitions
              ? `Topic already has ${topic.partitions} partitions.`
              : `The topic ${t.name} currently has ${topic.partitions} partition(s); ${t.count} would not be an increase.`,
          );
          continue;
        }
        if (t.count > MAX_PARTITIONS_PER_TOPIC) {
          fail(ErrorCode.INVALID_PARTITIONS, `Number of partitions ${t.count} is above this broker's limit of ${MAX_PARTITIONS_PER_TOPIC} per topic.`);
          continue;
        }
        if (t.assignments !== null) {
          const added = t.count - topic.partitions;
          if (t.assignments.length !== added) {
            fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Increasing the number of partitions by ${added} but ${t.assignments.length} assignments provided.`);
            continue;
          }
          const bad = t.assignments.find((a) => a.brokerIds.length === 0 || a.brokerIds.some((id) => id !== s.nodeId));
          if (bad) {
            fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Assignment ${JSON.stringify(bad.brokerIds)} names a broker that is not registered.`);
            continue;
          }
        }
        if (req.validateOnly) continue;
        try {
          await s.topics.addPartitions(t.name, t.count);
          s.logger.info({ topic: t.name, partitions: t.count }, 'added partitions');
        } catch (err) {
          s.logger.error({ err, topic: t.name }, 'create partitions failed');
          // A storage failure (out of disk space or file descriptors) keeps its Kafka code; the new partitions were undone.
          fail(err instanceof StorageError ? err.code : classifyStorageFault(err) !== null ? ErrorCode.KAFKA_STORAGE_ERROR : ErrorCode.UNKNOWN_SERVER_ERROR, (err as Error).message);
        }
      }
      return { throttleTimeMs: 0, results };
    },
  };
}
