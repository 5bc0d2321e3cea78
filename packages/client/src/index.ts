export { Kafka, type KafkaConfig } from './kafka.js';
export {
  Producer,
  type ProducerOptions,
  type ProducerRecord,
  type TopicMessages,
  type SendBatchInput,
} from './producer/producer.js';
export type { Message, MessageHeaders, RecordMetadata, CompressionType, Acks } from './producer/message.js';
export { Transaction, type SendOffsetsInput, type PartitionOffsetInput } from './producer/transaction.js';
export { TransactionError, type TransactionErrorCode } from './producer/transaction-error.js';
export type { TransactionState } from './producer/transaction-manager.js';
export { DefaultPartitioner, Partitioners, type Partitioner, type PartitionerInput } from './producer/partitioners.js';
export { murmur2, murmur2Partition } from './producer/murmur2.js';
export {
  Consumer,
  type SubscribeInput,
  type AssignInput,
  type SeekInput,
  type ConsumerRunConfig,
  type StreamOptions,
  type MembershipInfo,
} from './consumer/consumer.js';
export type {
  ConsumerOptions,
  RunOptions,
  RebalanceListener,
  AssignerName,
  AutoOffsetReset,
  IsolationLevel,
} from './consumer/consumer-options.js';
export type { ConsumerMessage, ConsumerMessageHeaders } from './consumer/consumer-message.js';
export type { ConsumerGroupMetadata } from './consumer/group-metadata.js';
export { Batch } from './consumer/batch.js';
export type { EachMessagePayload, EachBatchPayload, EachMessageHandler, EachBatchHandler } from './consumer/handler-delivery.js';
export type { TopicPartitions, OffsetCommitInput } from './consumer/topic-partitions.js';
export { ConsumerEvents, type ConsumerEvent, type ConsumerEventName, type ConsumerEventPayloads } from './consumer/consumer-events.js';
export type { PartitionAssigner, AssignorMember, AssignInput as AssignorInput, RebalanceProtocol } from './consumer/assignors/assignor.js';
export type { MemberSubscription } from './consumer/assignors/member-metadata.js';
export { rangeAssigner } from './consumer/assignors/range.js';
export { roundRobinAssigner } from './consumer/assignors/round-robin.js';
export { cooperativeStickyAssigner } from './consumer/assignors/cooperative-sticky.js';
export type { RetryOptions } from './retry.js';
export { consoleLogger, silentLogger, type Logger } from './logger.js';
export {
  Admin,
  type AdminOptions,
  parseHostPort,
  type TopicSpec,
  type TopicDescription,
  type PartitionInfo,
  type ConfigEntry,
  type GroupListing,
  type GroupDescription,
  type GroupMemberDescription,
  type GroupCoordinator,
  type CommittedOffset,
  type OffsetToCommit,
  type PartitionOffset,
  type OffsetSpec,
  type TopicPartition,
  type BrokerNode,
  type ClusterDescription,
  type ListTransactionsFilters,
  type TransactionListing,
  type TransactionDescription,
  type ProducerStateDescription,
  type PartitionProducers,
  type RecordsToDelete,
  type DeletedRecords,
} from './admin.js';
export { decodeMemberAssignment, type AssignedPartitions } from './group-assignment.js';
export { Connection, type ConnectionOptions, type SendOptions } from './connection.js';
export { KafkaError, ConnectionError, type KafkaErrorOptions } from './kafka-error.js';
export { ClientError, type ClientErrorCode } from './client-error.js';
