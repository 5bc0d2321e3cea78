/**
 * Metadata (key 3), versions 0-13.
 *
 * Lists this broker and the requested topics (all topics when the list is
 * null, or empty in v0). Every partition is led by this node with leader
 * epoch 0 and a single replica. Unknown topics are created when
 * auto.create.topics.enable is true and the request allows it (always for
 * v0-3, AllowAutoTopicCreation from v4), with num.partitions partitions.
 * Invalid names get INVALID_TOPIC_EXCEPTION; unknown ones
 * UNKNOWN_TOPIC_OR_PARTITION. Topic IDs are returned from v10; lookup by ID
 * (v10+ with a null name) is answered from the metadata store.
 *
 * Authorized operations (v8+, cluster ones v8-10) are computed when the
 * request asks (auth/authorized-operations.ts): every topic in the answer
 * gets them, except an unknown topic id (Kafka answers those apart).
 *
 * Version notes: v13 adds a top-level error code, always NONE here.
 * Deviation: Kafka answers LEADER_NOT_AVAILABLE for a topic it just
 * auto-created; creation here is synchronous, so the topic is returned ready.
 */
import { ErrorCode, MetadataApi, ZERO_UUID, type MetadataRequest, type MetadataResponse } from '@samsa/protocol';
import { AUTHORIZED_OPERATIONS_OMITTED, authorizedOperations } from '../auth/authorized-operations.js';
import { SINGLE_NODE_LEADER_EPOCH, type BrokerServices } from '../broker-services.js';
import type { TopicMetadata } from '../metadata/metadata-store.js';
import type { ApiHandler } from '../request-context.js';
import { isInternalTopic, topicNameProblem } from '../topic-name.js';

type ResponseTopic = MetadataResponse['topics'][number];

export function metadataHandler(s: BrokerServices): ApiHandler<MetadataRequest, MetadataResponse> {
  return {
    api: MetadataApi,
    minVersion: 0,
    maxVersion: 13,
    async handle(ctx, req) {
      const version = ctx.apiVersion;
      const endpoint = s.advertisedEndpoint(ctx.conn.listenerName);
      const allTopics = req.topics === null || (version === 0 && req.topics.length === 0);
      const withOps = req.includeTopicAuthorizedOperations;
      const topics: ResponseTopic[] = [];
      if (allTopics) {
        for (const t of s.metadata.topics()) topics.push(describeTopic(s, t, withOps));
      } else {
        const autoCreate = s.config.autoCreateTopicsEnable && (version < 4 || req.allowAutoTopicCreation);
        for (const requested of req.topics ?? []) {
          if (requested.name === null) {
            const t = s.metadata.topicById(requested.topicId);
            topics.push(t ? describeTopic(s, t, withOps) : errorTopic(null, requested.topicId, ErrorCode.UNKNOWN_TOPIC_ID, false));
            continue;
          }
          const name = requested.name;
          let t = s.metadata.topic(name);
          if (!t) {
            if (topicNameProblem(name) !== null) {
              topics.push(errorTopic(name, ZERO_UUID, ErrorCode.INVALID_TOPIC_EXCEPTION, withOps));
              continue;
            }
            if (!autoCreate) {
              topics.push(errorTopic(name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, withOps));
              continue;
            }
            try {
              t = await s.topics.create(name, s.config.numPartitions, new Map());
              s.logger.info({ topic: name, partitions: t.partitions }, 'auto-created topic');
            } catch (err) {
              // Another request may have created it meanwhile; anything else is retriable for the client.
              t = s.metadata.topic(name);
              if (!t) {
                s.logger.warn({ err, topic: name }, 'auto-create failed');
                topics.push(errorTopic(name, ZERO_UUID, ErrorCode.LEADER_NOT_AVAILABLE, withOps));
                continue;
              }
            }
          }
          topics.push(describeTopic(s, t, withOps));
        }
      }
      return {
        throttleTimeMs: 0,
        brokers: [{ nodeId: s.nodeId, host: endpoint.host, port: endpoint.port, rack: null }],
        clusterId: s.metadata.clusterId,
        controllerId: s.nodeId,
        topics,
        clusterAuthorizedOperations: authorizedOperations({ resourceType: 'cluster', name: 'kafka-cluster' }, req.includeClusterAuthorizedOperations),
        errorCode: ErrorCode.NONE,
      };
    },
  };
}

function describeTopic(s: BrokerServices, t: TopicMetadata, withOps: boolean): ResponseTopic {
  const partitions: ResponseTopic['partitions'] = [];
  for (let p = 0; p < t.partitions; p++) {
    partitions.push({
      errorCode: ErrorCode.NONE,
      partitionIndex: p,
      leaderId: s.nodeId,
      leaderEpoch: SINGLE_NODE_LEADER_EPOCH,
      replicaNodes: [s.nodeId],
      isrNodes: [s.nodeId],
      offlineReplicas: [],
    });
  }
  return {
    errorCode: ErrorCode.NONE,
    name: t.name,
    topicId: t.topicId,
    isInternal: isInternalTopic(t.name),
    partitions,
    topicAuthorizedOperations: authorizedOperations({ resourceType: 'topic', name: t.name }, withOps),
  };
}

function errorTopic(name: string | null, topicId: string, errorCode: number, withOps: boolean): ResponseTopic {
  return {
    errorCode,
    name,
    topicId,
    isInternal: false,
    partitions: [],
    topicAuthorizedOperations: withOps ? authorizedOperations({ resourceType: 'topic', name }, true) : AUTHORIZED_OPERATIONS_OMITTED,
  };
}
