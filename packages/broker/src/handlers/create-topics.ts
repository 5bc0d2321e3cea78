/**
 * CreateTopics (key 19), versions 0-7.
 *
 * Validation, in Kafka's order, each failing only its own topic:
 *   name listed twice in the request       INVALID_REQUEST
 *   illegal name                          INVALID_TOPIC_EXCEPTION
 *   topic exists                           TOPIC_ALREADY_EXISTS
 *   NumPartitions 0 or < -1 (-1 = num.partitions, v4+), or above the cap   INVALID_PARTITIONS
 *   ReplicationFactor 0 or < -1, or more than the live brokers (1)          INVALID_REPLICATION_FACTOR
 *   manual assignment naming another broker or leaving gaps                 INVALID_REPLICA_ASSIGNMENT
 *   unknown or invalid config, null config value                             INVALID_CONFIG
 * ValidateOnly runs every check and creates nothing. From v5 the result
 * carries the partition count, replication factor and effective configs;
 * from v7 the topic id.
 *
 * Deviation: a topic may have at most MAX_PARTITIONS_PER_TOPIC partitions
 * (each is a directory with open files on this one node).
 */
import { CreateTopicsApi, ErrorCode, ZERO_UUID, type CreateTopicsRequest, type CreateTopicsResponse } from '@samsa/protocol';
import { classifyStorageFault, StorageError } from '@samsa/storage';
import type { BrokerServices } from '../broker-services.js';
import { TopicConfigs } from '../config/effective-config.js';
import { CONFIG_SOURCE_CODES } from '../config/config-view.js';
import type { ApiHandler } from '../request-context.js';
import { topicNameProblem } from '../topic-name.js';

type TopicResult = CreateTopicsResponse['topics'][number];

export const MAX_PARTITIONS_PER_TOPIC = 10_000;

export function createTopicsHandler(s: BrokerServices): ApiHandler<CreateTopicsRequest, CreateTopicsResponse> {
  return {
    api: CreateTopicsApi,
    minVersion: 0,
    maxVersion: 7,
    async handle(ctx, req) {
      const counts = new Map<string, number>();
      for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
      const results: TopicResult[] = [];
      for (const t of req.topics) {
        const result: TopicResult = {
          name: t.name,
          topicId: ZERO_UUID,
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          topicConfigErrorCode: ErrorCode.NONE,
          numPartitions: -1,
          replicationFactor: -1,
          configs: null,
        };
        results.push(result);
        const fail = (code: number, message: string): void => {
          result.errorCode = code;
          result.errorMessage = message;
        };
        if ((counts.get(t.name) ?? 0) > 1) {
          fail(ErrorCode.INVALID_REQUEST, `Create topics request contains multiple entries for the topic ${t.name}`);
          continue;
        }
        const nameProblem = topicNameProblem(t.name);
        if (nameProblem) {
          fail(ErrorCode.INVALID_TOPIC_EXCEPTION, nameProblem);
          continue;
        }
        if (s.metadata.topic(t.name)) {
          fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${t.name}' already exists.`);
          continue;
        }
        let partitions = t.numPartitions;
        let replicationFactor = t.replicationFactor;
        if (t.assignments.length > 0) {
          if (partitions !== -1 || replicationFactor !== -1) {
            fail(ErrorCode.INVALID_REQUEST, 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.');
            continue;
          }
          const problem = assignmentProblem(t.assignments, s.nodeId);
          if (problem) {
            fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, problem);
            continue;
          }
          partitions = t.assignments.length;
          replicationFactor = t.assignments[0].brokerIds.length;
        }
        if (partitions === -1) partitions = s.config.numPartitions;
        if (replicationFactor === -1) replicationFactor = s.config.defaultReplicationFactor;
        if (partitions <= 0) {
          fail(ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.');
          continue;
        }
        if (partitions > MAX_PARTITIONS_PER_TOPIC) {
          fail(ErrorCode.INVALID_PARTITIONS, `Number of partitions ${partitions} is above this broker's limit of ${MAX_PARTITIONS_PER_TOPIC} per topic.`);
          continue;
        }
        if (replicationFactor <= 0) {
          fail(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0, or -1 to use the default value.');
          continue;
        }
        if (replicationFactor > 1) {
          fail(
            ErrorCode.INVALID_REPLICATION_FACTOR,
            `Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ${replicationFactor} cannot be reached because only 1 broker(s) are registered.`,
          );
          continue;
        }
        const overrides = new Map<string, string>();
        let nullConfig: string | null = null;
        for (const c of t.configs) {
          if (c.value === null) nullConfig = c.name;
          else overrides.set(c.name, c.value);
        }
        if (nullConfig !== null) {
          fail(ErrorCode.INVALID_CONFIG, `Null value not supported for topic configs: ${nullConfig}`);
          continue;
        }
        const validation = TopicConfigs.validate(overrides);
        if (!validation.ok) {
          fail(validation.errorCode, validation.message);
          continue;
        }
        result.numPartitions = partitions;
        result.replicationFactor = replicationFactor;
        if (ctx.apiVersion >= 5) {
          result.configs = TopicConfigs.describe(overrides, s.config).map((e) => ({
            name: e.name,
            value: e.value,
            readOnly: e.readOnly,
            configSource: CONFIG_SOURCE_CODES[e.source],
            isSensitive: e.isSensitive,
          }));
        }
        if (req.validateOnly) continue;
        try {
          const created = await s.topics.create(t.name, partitions, overrides);
          result.topicId = created.topicId;
          s.logger.info({ topic: t.name, partitions, configs: Object.fromEntries(overrides) }, 'created topic');
        } catch (err) {
          s.logger.error({ err, topic: t.name }, 'create topic failed');
          // A storage failure (out of disk space or file descriptors) keeps its Kafka code; the topic was undone.
          fail(createFailureCode(err), `Could not create topic ${t.name}: ${(err as Error).message}`);
        }
      }
      return { throttleTimeMs: 0, topics: results };
    },
  };
}

/** KAFKA_STORAGE_ERROR (or the storage error's own code) for a failed disk or open-file limit, else UNKNOWN_SERVER_ERROR. */
function createFailureCode(err: unknown): number {
  if (err instanceof StorageError) return err.code;
  return classifyStorageFault(err) !== null ? ErrorCode.KAFKA_STORAGE_ERROR : ErrorCode.UNKNOWN_SERVER_ERROR;
}

function assignmentProblem(assignments: CreateTopicsRequest['topics'][number]['assignments'], nodeId: number): string | null {
  const seen = new Set<number>();
  for (const a of assignments) {
    if (a.brokerIds.length === 0) return `Partition ${a.partitionIndex} has an empty replica list.`;
    for (const id of a.brokerIds) {
      if (id !== nodeId) return `Broker ${id} named in the assignment of partition ${a.partitionIndex} is not registered.`;
    }
    if (new Set(a.brokerIds).size !== a.brokerIds.length) return `Duplicate brokers in the assignment of partition ${a.partitionIndex}.`;
    seen.add(a.partitionIndex);
  }
  for (let p = 0; p < assignments.length; p++) {
    if (!seen.has(p)) return 'Partitions should be a consecutive 0-based integer sequence.';
  }
  return null;
}
