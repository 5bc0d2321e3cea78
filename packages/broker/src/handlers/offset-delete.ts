/**
 * OffsetDelete (key 47), version 0.
 *
 * Deletes a group's committed offsets for partitions it no longer consumes
 * (tombstones in `__consumer_offsets`). Top level: GROUP_ID_NOT_FOUND
 * (unknown group), NON_EMPTY_GROUP (members of a non-consumer protocol),
 * INVALID_GROUP_ID. Per partition: GROUP_SUBSCRIBED_TO_TOPIC when a member's
 * subscription (consumer protocol) names the topic — or when subscriptions
 * cannot be decoded, as Kafka — and UNKNOWN_TOPIC_OR_PARTITION.
 */
import { OffsetDeleteApi, type OffsetDeleteRequest, type OffsetDeleteResponse } from '@samsa/protocol';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler } from '../request-context.js';

export function offsetDeleteHandler(s: BrokerServices): ApiHandler<OffsetDeleteRequest, OffsetDeleteResponse> {
  return {
    api: OffsetDeleteApi,
    minVersion: 0,
    maxVersion: 0,
    async handle(_ctx, req) {
      const r = await s.groups.deleteOffsets(
        req.groupId,
        req.topics.map((t) => ({ topic: t.name, partitions: t.partitions.map((p) => p.partitionIndex) })),
      );
      return {
        errorCode: r.errorCode,
        throttleTimeMs: 0,
        topics: r.topics.map((t) => ({
          name: t.topic,
          partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, errorCode: p.errorCode })),
        })),
      };
    },
  };
}
