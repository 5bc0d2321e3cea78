// The DescribeConfigs view of a config entry, shared by broker and topic
// descriptions: Kafka's ConfigSource and ConfigType names with their wire
// codes, and the result shape handlers put on the wire.

import type { ConfigType } from './config-def.js';

/** Kafka's DescribeConfigs ConfigSource, by name. */
export type ConfigSource =
  | 'DYNAMIC_TOPIC_CONFIG'
  | 'DYNAMIC_BROKER_CONFIG'
  | 'DYNAMIC_DEFAULT_BROKER_CONFIG'
  | 'STATIC_BROKER_CONFIG'
  | 'DEFAULT_CONFIG'
  | 'UNKNOWN';

/** Wire codes of ConfigSource in DescribeConfigs v1+. */
export const CONFIG_SOURCE_CODES: Readonly<Record<ConfigSource, number>> = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
};

/** Kafka's DescribeConfigs ConfigType, by name. */
export type DescribeConfigType = 'BOOLEAN' | 'STRING' | 'INT' | 'SHORT' | 'LONG' | 'DOUBLE' | 'LIST' | 'CLASS' | 'PASSWORD';

/** Wire codes of ConfigType in DescribeConfigs v3+ (0 is UNKNOWN). */
export const CONFIG_TYPE_CODES: Readonly<Record<DescribeConfigType, number>> = {
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

/** One synonym of a described config: a name, its own (unconverted) value, and where that value came from. */
export interface ConfigSynonymView {
  name: string;
  /** null for sensitive values, and for a set-but-null value. */
  value: string | null;
  source: ConfigSource;
}

/** One DescribeConfigs result entry. */
export interface ConfigEntryView {
  name: string;
  /** Kafka's string form of the effective value; null when unset and for sensitive (password) values. */
  value: string | null;
  source: ConfigSource;
  readOnly: boolean;
  isSensitive: boolean;
  /** Highest precedence first; empty unless synonyms were requested. */
  synonyms: ConfigSynonymView[];
  type: DescribeConfigType;
  /** The doc string when documentation was requested, otherwise '' (Kafka sends null; the handler may map it). */
  documentation: string;
}

/** Outcome of a config check, in the shape handlers put on the wire. */
export type ConfigCheckResult = { ok: true } | { ok: false; errorCode: number; message: string };

/** Kafka's DescribeConfigs type name of a definition type. */
export function describeConfigType(type: ConfigType): DescribeConfigType {
  return type.toUpperCase() as DescribeConfigType;
}
