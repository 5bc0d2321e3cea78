// The config API the broker codes against (one import for handlers):
// BrokerConfig (re-exported from broker-config.ts), TopicConfigs for topic
// overrides, the DescribeConfigs view types, and the storage settings shape.
//
// A topic's effective value is its override (DYNAMIC_TOPIC_CONFIG), else the
// broker synonym chain resolved by BrokerConfig.topicDefault (dynamic,
// static, or default broker values), else the topic key's built-in default.

import { ConfigError, INVALID_CONFIG, type ConfigKey, type ConfigValue, type ParsedValue } from './config-def.js';
import { BrokerConfig } from './broker-config.js';
import { describeConfigType, type ConfigEntryView } from './config-view.js';
import { TOPIC_CONFIG_DEF } from './topic-config.js';

export { BrokerConfig, type DynamicScope } from './broker-config.js';
export {
  CONFIG_SOURCE_CODES,
  CONFIG_TYPE_CODES,
  type ConfigCheckResult,
  type ConfigEntryView,
  type ConfigSource,
  type ConfigSynonymView,
  type DescribeConfigType,
} from './config-view.js';
export { ConfigError } from './config-def.js';

/**
 * Storage settings of one topic, resolved to numbers. Structurally equal to
 * the storage package's `LogConfig`. Long.MAX_VALUE ("never") becomes
 * Number.MAX_SAFE_INTEGER.
 */
export interface LogConfigValues {
  segmentBytes: number;
  segmentMs: number;
  retentionMs: number;
  retentionBytes: number;
  indexIntervalBytes: number;
  segmentIndexBytes: number;
  flushMessages: number;
  flushMs: number;
  messageTimestampType: 'CreateTime' | 'LogAppendTime';
  fileDeleteDelayMs: number;
  /** cleanup.policy in Kafka's string form: "delete", "compact", "compact,delete" or "". */
  cleanupPolicy: string;
  maxMessageBytes: number;
  preallocate: boolean;
  /** message.timestamp.before.max.ms (CreateTime only); MAX_SAFE_INTEGER means no bound. Not in storage's LogConfig: read by the produce path. */
  messageTimestampBeforeMaxMs: number;
  /** message.timestamp.after.max.ms (CreateTime only); MAX_SAFE_INTEGER means no bound. Not in storage's LogConfig: read by the produce path. */
  messageTimestampAfterMaxMs: number;
  /** delete.retention.ms, min.cleanable.dirty.ratio, min/max.compaction.lag.ms: the log cleaner's settings of compacted topics. */
  deleteRetentionMs: number;
  minCleanableDirtyRatio: number;
  minCompactionLagMs: number;
  maxCompactionLagMs: number;
}

/** Kafka's exact message when a topic asks for tiered storage on a broker without it. */
const TIERED_STORAGE_DISABLED = 'Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage.';

/**
 * Topic-level config operations: validation of overrides, DescribeConfigs
 * on TOPIC resources, and resolution into storage settings. Overrides are
 * the topic's own configs as stored (raw strings, keyed by topic config name).
 */
export class TopicConfigs {
  private constructor() {}

  /**
   * Validate topic overrides (CreateTopics configs, the result of
   * AlterConfigs/IncrementalAlterConfigs). Unknown name → INVALID_CONFIG (40)
   * "Unknown topic config name: x"; bad value → INVALID_CONFIG with Kafka's
   * "Invalid value X for configuration Y: reason". Cross-config rules are
   * checked against the broker's defaults when `broker` is given, else
   * against the built-in defaults.
   */
  static validate(
    overrides: ReadonlyMap<string, string>,
    broker?: BrokerConfig,
  ): { ok: true; parsed: Map<string, ConfigValue> } | { ok: false; errorCode: number; message: string } {
    const parsed = new Map<string, ConfigValue>();
    const exact = new Map<string, ParsedValue>();
    for (const [name, raw] of overrides) {
      if (!TOPIC_CONFIG_DEF.has(name)) return { ok: false, errorCode: INVALID_CONFIG, message: `Unknown topic config name: ${name}` };
      try {
        const p = TOPIC_CONFIG_DEF.parse(name, raw);
        parsed.set(name, p.value);
        exact.set(name, p);
      } catch (e) {
        if (e instanceof ConfigError) return { ok: false, errorCode: INVALID_CONFIG, message: e.message };
        throw e;
      }
    }
    const effective = (name: string): ParsedValue =>
      exact.get(name) ?? (broker === undefined ? TOPIC_CONFIG_DEF.defaultValue(name) : broker.topicDefault(name).value);

    // Kafka's LogConfig.validateValues.
    const minLag = effective('min.compaction.lag.ms');
    const maxLag = effective('max.compaction.lag.ms');
    if ((minLag.exact ?? 0n) > (maxLag.exact ?? 0n)) {
      return {
        ok: false,
        errorCode: INVALID_CONFIG,
        message: `conflict topic config setting min.compaction.lag.ms (${String(minLag.text)}) > max.compaction.lag.ms (${String(maxLag.text)})`,
      };
    }
    if (effective('remote.storage.enable').value === true) {
      return { ok: false, errorCode: INVALID_CONFIG, message: TIERED_STORAGE_DISABLED };
    }
    return { ok: true, parsed };
  }

  /**
   * DescribeConfigs on a TOPIC resource: each value comes from the topic's
   * override (DYNAMIC_TOPIC_CONFIG), else from the broker synonyms
   * (DYNAMIC_*_BROKER_CONFIG / STATIC_BROKER_CONFIG / DEFAULT_CONFIG of the
   * broker key), else the built-in default (DEFAULT_CONFIG). Topic configs
   * are never read-only. Sorted by name; unknown requested names are skipped.
   */
  static describe(
    overrides: ReadonlyMap<string, string>,
    broker: BrokerConfig,
    names?: readonly string[],
    includeSynonyms = false,
    includeDocumentation = false,
  ): ConfigEntryView[] {
    const wanted = names === undefined || names.length === 0 ? TOPIC_CONFIG_DEF.names() : names.filter((n) => TOPIC_CONFIG_DEF.has(n));
    return [...new Set(wanted)].sort().map((name) => {
      const key = TOPIC_CONFIG_DEF.key(name) as ConfigKey;
      const fromBroker = broker.topicDefault(name);
      const synonyms = [...fromBroker.synonyms];
      let value = fromBroker.value.text;
      const raw = overrides.get(name);
      if (raw !== undefined) {
        // Stored overrides were validated when written; show a stray one as stored rather than failing the describe.
        value = TopicConfigs.#tryCanonical(name, raw);
        synonyms.unshift({ name, value, source: 'DYNAMIC_TOPIC_CONFIG' });
      }
      return {
        name,
        value,
        source: synonyms[0]?.source ?? 'DEFAULT_CONFIG',
        readOnly: false,
        isSensitive: false,
        synonyms: includeSynonyms ? synonyms : [],
        type: describeConfigType(key.type),
        documentation: includeDocumentation ? key.doc : '',
      };
    });
  }

  static #tryCanonical(name: string, raw: string): string | null {
    try {
      return TOPIC_CONFIG_DEF.parse(name, raw).text;
    } catch {
      return raw;
    }
  }

  /**
   * Every topic config's effective value for a topic (override, else broker
   * default), keyed by topic config name.
   * @throws ConfigError if a stored override is invalid.
   */
  static effective(overrides: ReadonlyMap<string, string>, broker: BrokerConfig): Map<string, ConfigValue> {
    const out = new Map<string, ConfigValue>();
    for (const name of TOPIC_CONFIG_DEF.names()) {
      const raw = overrides.get(name);
      out.set(name, raw === undefined ? broker.topicDefault(name).value.value : TOPIC_CONFIG_DEF.parse(name, raw).value);
    }
    return out;
  }

  /**
   * Resolved storage settings for a topic, shaped as the storage package's
   * LogConfig. Long.MAX_VALUE defaults (flush.messages, flush.ms) become
   * Number.MAX_SAFE_INTEGER.
   * @throws ConfigError if a stored override is invalid.
   */
  static toLogConfig(overrides: ReadonlyMap<string, string>, broker: BrokerConfig): LogConfigValues {
    const parsedOf = (name: string): ParsedValue => {
      const raw = overrides.get(name);
      return raw === undefined ? broker.topicDefault(name).value : TOPIC_CONFIG_DEF.parse(name, raw);
    };
    const num = (name: string): number => parsedOf(name).value as number;
    return {
      segmentBytes: num('segment.bytes'),
      segmentMs: num('segment.ms'),
      retentionMs: num('retention.ms'),
      retentionBytes: num('retention.bytes'),
      indexIntervalBytes: num('index.interval.bytes'),
      segmentIndexBytes: num('segment.index.bytes'),
      flushMessages: num('flush.messages'),
      flushMs: num('flush.ms'),
      messageTimestampType: parsedOf('message.timestamp.type').value as 'CreateTime' | 'LogAppendTime',
      fileDeleteDelayMs: num('file.delete.delay.ms'),
      cleanupPolicy: parsedOf('cleanup.policy').text ?? '',
      maxMessageBytes: num('max.message.bytes'),
      preallocate: parsedOf('preallocate').value as boolean,
      messageTimestampBeforeMaxMs: num('message.timestamp.before.max.ms'),
      messageTimestampAfterMaxMs: num('message.timestamp.after.max.ms'),
      deleteRetentionMs: num('delete.retention.ms'),
      minCleanableDirtyRatio: num('min.cleanable.dirty.ratio'),
      minCompactionLagMs: num('min.compaction.lag.ms'),
      maxCompactionLagMs: num('max.compaction.lag.ms'),
    };
  }
}
