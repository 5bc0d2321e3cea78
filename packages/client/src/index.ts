export { Kafka, type KafkaConfig } from './kafka.js';
export {
  Producer,
  type ProducerOptions,
  type ProducerRecord,
  type TopicMessages,
  type SendBatchInput,
} from './producer/producer.js';
export type { Message, MessageHeaders, RecordMetadata, CompressionType, Acks } from './producer/message.js';
export { DefaultPartitioner, Partitioners, type Partitioner, type PartitionerInput } from './producer/partitioners.js';
export { murmur2, murmur2Partition } from './producer/murmur2.js';
export type { RetryOptions } from './retry.js';
export { consoleLogger, silentLogger, type Logger } from './logger.js';
export {
  Admin,
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
