// Topic-level configs: Kafka's TopicConfig/LogConfig keys with their types,
// defaults, valid values, and the broker configs that supply their defaults.
//
// Reference: Kafka 3.9, the last release that still has every key listed here.
// Differences in Kafka 4.0, kept as 3.9 for now because Samsa accepts clients
// of both generations:
//   - message.format.version, message.timestamp.difference.max.ms and
//     message.downconversion.enable were removed (4.0 ignores them);
//   - message.timestamp.after.max.ms defaults to 3600000 (1 hour) instead of Long.MAX_VALUE;
//   - segment.bytes has a 1 MiB minimum instead of 14 bytes.
//
// A topic's effective value is, in order: the topic's own override, then the
// first broker synonym that has a value (dynamic per-broker, dynamic cluster
// default, static file, built-in default), converted to the topic key's unit.

import {
  atLeast,
  between,
  ConfigDef,
  custom,
  LONG_MAX_TEXT,
  listOf,
  oneOf,
  type ConfigKey,
  type ConfigValidator,
} from './config-def.js';

/** Values of `cleanup.policy` / `log.cleanup.policy`. */
export const CLEANUP_POLICIES = ['compact', 'delete'] as const;

/** Values of `compression.type` (topic and broker): the codecs plus `producer` (keep what the producer sent). */
export const COMPRESSION_TYPES = ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'] as const;

/** Values of `message.timestamp.type` / `log.message.timestamp.type`. */
export const TIMESTAMP_TYPES = ['CreateTime', 'LogAppendTime'] as const;

/** Kafka's gzip level rule: the JDK's 1..9, or -1 for the codec's default. */
export const gzipLevel: ConfigValidator = custom('[1,...,9] or -1', (p) => {
  const n = p.value as number;
  return n === -1 || (n >= 1 && n <= 9) ? undefined : 'Value must be between 1 and 9, or -1';
});

/** Valid lz4 levels (lz4-java's range). */
export const lz4Level: ConfigValidator = between(1, 17);

/** Valid zstd levels (zstd's negative "fast" levels through 22). */
export const zstdLevel: ConfigValidator = between(-131072, 22);

/**
 * Kafka's ThrottledReplicaListValidator: `*`, or a list of
 * `partitionId:brokerId` pairs.
 */
const throttledReplicas: ConfigValidator = custom('[partitionId]:[brokerId],[partitionId]:[brokerId],...', (p) => {
  const items = p.value as readonly string[];
  const ok = (items.length === 1 && items[0] === '*') || items.every((s) => /^\d+:\d+$/.test(s));
  return ok
    ? undefined
    : 'must be the literal \'*\' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...';
});

/**
 * Kafka's message format versions ("0.10.2", "0.10.0.0", "2.8-IV1",
 * "3.0-IV1", ...). Kafka reads only the first three dot-separated parts of a
 * 0.x version and the first two of later ones, so "0.10.0.0" means "0.10.0"
 * and "2.8.1" means "2.8". Since 3.0 every such value is accepted and ignored
 * for v2 records, so after that truncation the rule is a shape check rather
 * than Kafka's exact version table.
 */
const messageFormatVersion: ConfigValidator = custom('[0.8.0, ..., 3.0-IV1, ...]', (p) =>
  isMessageFormatVersion(p.value as string) ? undefined : 'Version `' + String(p.value) + '` is not a valid version',
);

/** Whether `version` names a Kafka message format / metadata version, read as Kafka reads it. */
export function isMessageFormatVersion(version: string): boolean {
  const parts = version.split('.');
  const significant = version.startsWith('0.') ? 3 : 2;
  const key = parts.length > significant ? parts.slice(0, significant).join('.') : version;
  return version.startsWith('0.') ? /^0\.\d+\.\d+(?:-IV\d+)?$/.test(key) : /^[1-9]\d*\.\d+(?:-IV\d+)?$/.test(key);
}

/** Kafka 3.9 topic-level configs, in Kafka's documentation order. */
export const TOPIC_CONFIG_KEYS: readonly ConfigKey[] = [
  {
    name: 'cleanup.policy', type: 'list', default: 'delete', validator: listOf(...CLEANUP_POLICIES), importance: 'medium',
    doc: 'How old segments are cleaned: "delete" drops them past the retention limits, "compact" keeps the latest record per key; both may be given.',
  },
  {
    name: 'compression.type', type: 'string', default: 'producer', validator: oneOf(...COMPRESSION_TYPES), importance: 'medium',
    doc: 'Codec batches are stored with. "producer" keeps the producer\'s codec; "uncompressed" stores them uncompressed. Applied to message sets of Produce v0-v2 (converted to v2 batches); v2 batches keep the producer\'s codec.',
  },
  { name: 'compression.gzip.level', type: 'int', default: '-1', validator: gzipLevel, importance: 'medium', doc: 'Level used when compression.type is gzip.' },
  { name: 'compression.lz4.level', type: 'int', default: '9', validator: lz4Level, importance: 'medium', doc: 'Level used when compression.type is lz4.' },
  { name: 'compression.zstd.level', type: 'int', default: '3', validator: zstdLevel, importance: 'medium', doc: 'Level used when compression.type is zstd.' },
  {
    name: 'delete.retention.ms', type: 'long', default: '86400000', validator: atLeast(0), importance: 'medium',
    doc: 'How long tombstones are kept on compacted topics, which bounds how long a reader starting at offset 0 may take to see a consistent snapshot.',
  },
  { name: 'file.delete.delay.ms', type: 'long', default: '60000', validator: atLeast(0), importance: 'medium', doc: 'Delay before a deleted segment\'s files are removed from disk.' },
  {
    name: 'flush.messages', type: 'long', default: LONG_MAX_TEXT, validator: atLeast(1), importance: 'medium',
    doc: 'Force an fsync after this many messages. The default leaves flushing to the operating system and relies on replication for durability.',
  },
  {
    name: 'flush.ms', type: 'long', default: LONG_MAX_TEXT, validator: atLeast(0), importance: 'medium',
    doc: 'Force an fsync when data has been unflushed for this long. The default leaves flushing to the operating system.',
  },
  {
    name: 'follower.replication.throttled.replicas', type: 'list', default: '', validator: throttledReplicas, importance: 'medium',
    doc: 'Replicas whose follower-side replication is throttled: partitionId:brokerId pairs, or * for all.',
  },
  {
    name: 'index.interval.bytes', type: 'int', default: '4096', validator: atLeast(0), importance: 'medium',
    doc: 'Bytes of records between two offset-index entries. Smaller means a denser index and shorter scans.',
  },
  {
    name: 'leader.replication.throttled.replicas', type: 'list', default: '', validator: throttledReplicas, importance: 'medium',
    doc: 'Replicas whose leader-side replication is throttled: partitionId:brokerId pairs, or * for all.',
  },
  {
    name: 'local.retention.bytes', type: 'long', default: '-2', validator: atLeast(-2), importance: 'medium',
    doc: 'Tiered storage: bytes kept locally before segments are eligible for local deletion. -2 means use retention.bytes.',
  },
  {
    name: 'local.retention.ms', type: 'long', default: '-2', validator: atLeast(-2), importance: 'medium',
    doc: 'Tiered storage: time segments stay local before being eligible for local deletion. -2 means use retention.ms.',
  },
  {
    name: 'max.compaction.lag.ms', type: 'long', default: LONG_MAX_TEXT, validator: atLeast(1), importance: 'medium',
    doc: 'Longest a record may stay uncompacted in the log.',
  },
  {
    name: 'max.message.bytes', type: 'int', default: '1048588', validator: atLeast(0), importance: 'medium',
    doc: 'Largest record batch (after compression) the topic accepts.',
  },
  {
    name: 'message.downconversion.enable', type: 'boolean', default: 'true', importance: 'low',
    doc: 'Whether fetches from old clients may be down-converted to older formats. Removed in Kafka 4.0.',
  },
  {
    name: 'message.format.version', type: 'string', default: '3.0-IV1', validator: messageFormatVersion, importance: 'medium',
    doc: 'Deprecated: ignored for v2 records. Removed in Kafka 4.0.',
  },
  {
    name: 'message.timestamp.after.max.ms', type: 'long', default: LONG_MAX_TEXT, validator: atLeast(0), importance: 'medium',
    doc: 'With CreateTime, how far a record timestamp may be ahead of the broker clock before the batch is rejected.',
  },
  {
    name: 'message.timestamp.before.max.ms', type: 'long', default: LONG_MAX_TEXT, validator: atLeast(0), importance: 'medium',
    doc: 'With CreateTime, how far a record timestamp may be behind the broker clock before the batch is rejected.',
  },
  {
    name: 'message.timestamp.difference.max.ms', type: 'long', default: LONG_MAX_TEXT, validator: atLeast(0), importance: 'medium',
    doc: 'Deprecated in favour of message.timestamp.before.max.ms and message.timestamp.after.max.ms. Removed in Kafka 4.0.',
  },
  {
    name: 'message.timestamp.type', type: 'string', default: 'CreateTime', validator: oneOf(...TIMESTAMP_TYPES), importance: 'medium',
    doc: 'Whether record timestamps are the producer\'s (CreateTime) or the broker\'s append time (LogAppendTime).',
  },
  {
    name: 'min.cleanable.dirty.ratio', type: 'double', default: '0.5', validator: between(0, 1), importance: 'medium',
    doc: 'Fraction of the log that must be uncompacted before the cleaner compacts it.',
  },
  {
    name: 'min.compaction.lag.ms', type: 'long', default: '0', validator: atLeast(0), importance: 'medium',
    doc: 'Shortest time a record stays uncompacted in the log.',
  },
  {
    name: 'min.insync.replicas', type: 'int', default: '1', validator: atLeast(1), importance: 'medium',
    doc: 'With acks=all, the number of in-sync replicas that must acknowledge a write for it to succeed.',
  },
  { name: 'preallocate', type: 'boolean', default: 'false', importance: 'medium', doc: 'Preallocate the file when a segment is created.' },
  {
    name: 'remote.log.copy.disable', type: 'boolean', default: 'false', importance: 'medium',
    doc: 'Tiered storage: stop copying segments to remote storage while keeping what is there readable.',
  },
  {
    name: 'remote.log.delete.on.disable', type: 'boolean', default: 'false', importance: 'medium',
    doc: 'Tiered storage: delete remote data when tiering is turned off for the topic.',
  },
  {
    name: 'remote.storage.enable', type: 'boolean', default: 'false', importance: 'medium',
    doc: 'Tiered storage for the topic. Samsa has no tiered storage, so only false is accepted.',
  },
  {
    name: 'retention.bytes', type: 'long', default: '-1', importance: 'medium',
    doc: 'With the delete policy, the size a partition may grow to before old segments are deleted. -1 means no size limit.',
  },
  {
    name: 'retention.ms', type: 'long', default: '604800000', validator: atLeast(-1), importance: 'medium',
    doc: 'With the delete policy, how long a segment is kept after its newest record. -1 means no time limit.',
  },
  {
    name: 'segment.bytes', type: 'int', default: '1073741824', validator: atLeast(14), importance: 'medium',
    doc: 'Size at which the active segment is rolled.',
  },
  {
    name: 'segment.index.bytes', type: 'int', default: '10485760', validator: atLeast(4), importance: 'medium',
    doc: 'Size of the preallocated offset index of a segment, which bounds its number of entries.',
  },
  {
    name: 'segment.jitter.ms', type: 'long', default: '0', validator: atLeast(0), importance: 'medium',
    doc: 'Upper bound of a random amount subtracted from segment.ms, so partitions do not all roll at once.',
  },
  {
    name: 'segment.ms', type: 'long', default: '604800000', validator: atLeast(1), importance: 'medium',
    doc: 'Age of the active segment\'s first record at which the segment is rolled, even if not full.',
  },
  {
    name: 'unclean.leader.election.enable', type: 'boolean', default: 'false', importance: 'medium',
    doc: 'Whether a replica outside the ISR may become leader as a last resort, at the cost of losing data.',
  },
];

/** The topic config definitions. */
export const TOPIC_CONFIG_DEF = new ConfigDef(TOPIC_CONFIG_KEYS);

/**
 * One broker config that supplies a default, with the factor that converts
 * its unit into the consuming key's unit (log.retention.hours → ms: 3600000).
 */
export interface BrokerSynonym {
  readonly name: string;
  readonly factor: bigint;
}

const MS = 1n;
const MINUTE_MS = 60_000n;
const HOUR_MS = 3_600_000n;

const one = (name: string): readonly BrokerSynonym[] => [{ name, factor: MS }];

/**
 * Kafka's ServerTopicConfigSynonyms: for each topic config, the broker
 * configs that provide its default, highest precedence first. Configs absent
 * here have no broker-level default (the throttled-replica lists and the
 * tiered-storage switches) and fall back to their built-in default.
 */
export const TOPIC_CONFIG_SYNONYMS: ReadonlyMap<string, readonly BrokerSynonym[]> = new Map([
  ['cleanup.policy', one('log.cleanup.policy')],
  ['compression.type', one('compression.type')],
  ['compression.gzip.level', one('compression.gzip.level')],
  ['compression.lz4.level', one('compression.lz4.level')],
  ['compression.zstd.level', one('compression.zstd.level')],
  ['delete.retention.ms', one('log.cleaner.delete.retention.ms')],
  ['file.delete.delay.ms', one('log.segment.delete.delay.ms')],
  ['flush.messages', one('log.flush.interval.messages')],
  ['flush.ms', [{ name: 'log.flush.interval.ms', factor: MS }, { name: 'log.flush.scheduler.interval.ms', factor: MS }]],
  ['index.interval.bytes', one('log.index.interval.bytes')],
  ['local.retention.bytes', one('log.local.retention.bytes')],
  ['local.retention.ms', one('log.local.retention.ms')],
  ['max.compaction.lag.ms', one('log.cleaner.max.compaction.lag.ms')],
  ['max.message.bytes', one('message.max.bytes')],
  ['message.downconversion.enable', one('log.message.downconversion.enable')],
  ['message.format.version', one('log.message.format.version')],
  ['message.timestamp.after.max.ms', one('log.message.timestamp.after.max.ms')],
  ['message.timestamp.before.max.ms', one('log.message.timestamp.before.max.ms')],
  ['message.timestamp.difference.max.ms', one('log.message.timestamp.difference.max.ms')],
  ['message.timestamp.type', one('log.message.timestamp.type')],
  ['min.cleanable.dirty.ratio', one('log.cleaner.min.cleanable.ratio')],
  ['min.compaction.lag.ms', one('log.cleaner.min.compaction.lag.ms')],
  ['min.insync.replicas', one('min.insync.replicas')],
  ['preallocate', one('log.preallocate')],
  ['retention.bytes', one('log.retention.bytes')],
  [
    'retention.ms',
    [
      { name: 'log.retention.ms', factor: MS },
      { name: 'log.retention.minutes', factor: MINUTE_MS },
      { name: 'log.retention.hours', factor: HOUR_MS },
    ],
  ],
  ['segment.bytes', one('log.segment.bytes')],
  ['segment.index.bytes', one('log.index.size.max.bytes')],
  ['segment.jitter.ms', [{ name: 'log.roll.jitter.ms', factor: MS }, { name: 'log.roll.jitter.hours', factor: HOUR_MS }]],
  ['segment.ms', [{ name: 'log.roll.ms', factor: MS }, { name: 'log.roll.hours', factor: HOUR_MS }]],
  ['unclean.leader.election.enable', one('unclean.leader.election.enable')],
]);
