/**
 * Wire encodings of config metadata shared by CreateTopics, DescribeConfigs
 * and friends: Kafka's ConfigSource and ConfigType enums and resource types.
 */
import type { ConfigEntryView } from './config/effective-config.js';

/** DescribeConfigsResponse ConfigSource values (org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigSource). */
export const CONFIG_SOURCE: Readonly<Record<ConfigEntryView['source'], number>> = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
};

/** DescribeConfigsResponse ConfigType values. */
export const CONFIG_TYPE: Readonly<Record<ConfigEntryView['type'], number>> = {
  BOOLEAN: 1,
  STRING: 2,
  INT: 3,
  SHORT: 4,
  LONG: 5,
  DOUBLE: 6,
  LIST: 7,
  CLASS: 8,
  PASSWORD: 9,
};

/** ConfigResource.Type values used on the wire. */
export const ResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const;

/** IncrementalAlterConfigs operations. */
export const AlterConfigOp = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;
