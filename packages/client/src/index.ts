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
} from './admin.js';
export { decodeMemberAssignment, type AssignedPartitions } from './group-assignment.js';
export { Connection, type ConnectionOptions } from './connection.js';
export { KafkaError, ConnectionError } from './kafka-error.js';
