/**
 * DeleteTopics (key 20), versions 0-6.
 *
 * Deletes by name (v0-5 TopicNames, v6 Topics[].Name) or by id (v6
 * Topics[].TopicId with a null name). Errors: TOPIC_DELETION_DISABLED when
 * delete.topic.enable=false, UNKNOWN_TOPIC_OR_PARTITION / UNKNOWN_TOPIC_ID,
 * INVALID_REQUEST when a v6 entry names both or neither.
 */
import { DeleteTopicsApi, ErrorCode, ZERO_UUID, type DeleteTopicsRequest, type DeleteTopicsResponse } from '@samsa/protocol';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler } from '../request-context.js';

type Result = DeleteTopicsResponse['responses'][number];

export function deleteTopicsHandler(s: BrokerServices): ApiHandler<DeleteTopicsRequest, DeleteTopicsResponse> {
  return {
    api: DeleteTopicsApi,
    minVersion: 0,
    maxVersion: 6,
    async handle(ctx, req) {
      const targets: Array<{ name: string | null; topicId: string }> =
        ctx.apiVersion >= 6 ? req.topics.map((t) => ({ name: t.name, topicId: t.topicId })) : req.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
      const responses: Result[] = [];
      for (const target of targets) {
        const result: Result = { name: target.name, topicId: target.topicId, errorCode: ErrorCode.NONE, errorMessage: null };
        responses.push(result);
        const byId = target.topicId !== ZERO_UUID;
        if (byId === (target.name !== null)) {
          result.errorCode = ErrorCode.INVALID_REQUEST;
          result.errorMessage = 'Each topic must be named by exactly one of name or topic id';
          continue;
        }
        const topic = byId ? s.metadata.topicById(target.topicId) : s.metadata.topic(target.name ?? '');
        if (!topic) {
          result.errorCode = byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          continue;
        }
        result.name = topic.name;
        result.topicId = topic.topicId;
        if (!s.config.deleteTopicEnable) {
          result.errorCode = ErrorCode.TOPIC_DELETION_DISABLED;
          result.errorMessage = 'Topic deletion is disabled (delete.topic.enable=false)';
          continue;
        }
        try {
          await s.topics.delete(topic.name);
          s.logger.info({ topic: topic.name }, 'deleted topic');
        } catch (err) {
          s.logger.error({ err, topic: topic.name }, 'delete topic failed');
          result.errorCode = ErrorCode.UNKNOWN_SERVER_ERROR;
          result.errorMessage = (err as Error).message;
        }
      }
      return { throttleTimeMs: 0, responses };
    },
  };
}
