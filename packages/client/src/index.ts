export { Admin, parseHostPort, type TopicSpec, type TopicDescription, type PartitionInfo, type ConfigEntry } from './admin.js';
export { Connection, type ConnectionOptions } from './connection.js';
export { KafkaError, ConnectionError } from './kafka-error.js';
