/**
 * Per-partition log configuration, named after Kafka's topic configs
 * (`segment.bytes` → `segmentBytes`, ...), with Kafka's defaults.
 */

/** Log configuration of one partition. */
export interface LogConfig {
  /** segment.bytes: roll the active segment before it would exceed this size. */
  segmentBytes: number;
  /** segment.ms: roll once the active segment spans more than this (by batch timestamps). */
  segmentMs: number;
  /** retention.ms: delete segments whose largest timestamp is older than this; -1 = infinite. */
  retentionMs: number;
  /** retention.bytes: delete oldest segments while the log is larger than this; -1 = infinite. */
  retentionBytes: number;
  /** index.interval.bytes: bytes of log between two offset-index entries. */
  indexIntervalBytes: number;
  /** segment.index.bytes: maximum size of an index file; the segment rolls when it is full. */
  segmentIndexBytes: number;
  /** flush.messages: fdatasync after this many unflushed records (MAX_SAFE_INTEGER = leave it to the OS). */
  flushMessages: number;
  /** flush.ms: fdatasync when the oldest unflushed data is this old (MAX_SAFE_INTEGER = never). */
  flushMs: number;
  /** message.timestamp.type. */
  messageTimestampType: 'CreateTime' | 'LogAppendTime';
  /** file.delete.delay.ms (accepted for compatibility; files are unlinked once no reader holds them). */
  fileDeleteDelayMs: number;
  /** preallocate (accepted; segments are not preallocated). */
  preallocate?: boolean;
  /**
   * cleanup.policy: 'delete' | 'compact' | 'compact,delete'. With `delete`
   * retention.ms/bytes apply (retention.ts); with `compact` the log cleaner
   * keeps the latest record per key (compaction/).
   */
  cleanupPolicy: string;
  /** max.message.bytes: largest record batch accepted by append. */
  maxMessageBytes: number;
  /** message.timestamp.before.max.ms / after.max.ms: how far a CreateTime timestamp may lie from the broker's clock (checked by the produce path; absent = unlimited). */
  messageTimestampBeforeMaxMs?: number;
  messageTimestampAfterMaxMs?: number;
  /** delete.retention.ms: how long compaction keeps a tombstone after the clean that first kept it (absent = 86400000). */
  deleteRetentionMs?: number;
  /** min.cleanable.dirty.ratio: dirty bytes / all cleanable-or-clean bytes above which a compacted log is cleaned (absent = 0.5). */
  minCleanableDirtyRatio?: number;
  /** min.compaction.lag.ms: a record stays uncompacted at least this long (absent = 0). */
  minCompactionLagMs?: number;
  /** max.compaction.lag.ms: a record is compacted at most this long after it was written (absent = never). */
  maxCompactionLagMs?: number;
}

/** Kafka's defaults. */
export const defaultLogConfig: LogConfig = Object.freeze({
  segmentBytes: 1_073_741_824,
  segmentMs: 604_800_000,
  retentionMs: 604_800_000,
  retentionBytes: -1,
  indexIntervalBytes: 4096,
  segmentIndexBytes: 10_485_760,
  flushMessages: Number.MAX_SAFE_INTEGER,
  flushMs: Number.MAX_SAFE_INTEGER,
  messageTimestampType: 'CreateTime',
  fileDeleteDelayMs: 60_000,
  preallocate: false,
  cleanupPolicy: 'delete',
  maxMessageBytes: 1_048_588,
  deleteRetentionMs: 86_400_000,
  minCleanableDirtyRatio: 0.5,
  minCompactionLagMs: 0,
  maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
});

/** Kafka topic-config name → LogConfig field, for the numeric settings. */
const numericKeys: Record<string, keyof LogConfig> = {
  'segment.bytes': 'segmentBytes',
  'segment.ms': 'segmentMs',
  'retention.ms': 'retentionMs',
  'retention.bytes': 'retentionBytes',
  'index.interval.bytes': 'indexIntervalBytes',
  'segment.index.bytes': 'segmentIndexBytes',
  'flush.messages': 'flushMessages',
  'flush.ms': 'flushMs',
  'file.delete.delay.ms': 'fileDeleteDelayMs',
  'max.message.bytes': 'maxMessageBytes',
  'delete.retention.ms': 'deleteRetentionMs',
  'min.compaction.lag.ms': 'minCompactionLagMs',
  'max.compaction.lag.ms': 'maxCompactionLagMs',
};

/**
 * Converts Kafka topic configs (`{'retention.ms': '1000'}`) into a partial
 * LogConfig. Unknown keys are ignored (they belong to other layers); bad
 * values throw RangeError naming the key. Values above 2^53 (Kafka's
 * Long.MAX_VALUE for flush.*) clamp to MAX_SAFE_INTEGER.
 */
export function logConfigFromTopicConfigs(configs: Readonly<Record<string, string | null | undefined>>): Partial<LogConfig> {
  const out: Partial<Record<keyof LogConfig, unknown>> = {};
  for (const [key, raw] of Object.entries(configs)) {
    if (raw === null || raw === undefined) continue;
    const field = numericKeys[key];
    if (field !== undefined) {
      if (!/^-?\d+$/.test(raw.trim())) throw new RangeError(`${key}: not an integer: ${raw}`);
      const n = Number(raw.trim());
      out[field] = Math.min(n, Number.MAX_SAFE_INTEGER);
    } else if (key === 'message.timestamp.type') {
      if (raw !== 'CreateTime' && raw !== 'LogAppendTime') throw new RangeError(`${key}: ${raw}`);
      out.messageTimestampType = raw;
    } else if (key === 'min.cleanable.dirty.ratio') {
      const n = Number(raw.trim());
      if (raw.trim() === '' || !Number.isFinite(n)) throw new RangeError(`${key}: not a number: ${raw}`);
      out.minCleanableDirtyRatio = n;
    } else if (key === 'cleanup.policy') {
      out.cleanupPolicy = raw;
    } else if (key === 'preallocate') {
      out.preallocate = raw === 'true';
    }
  }
  const partial = out as Partial<LogConfig>;
  validateLogConfig(partial);
  return partial;
}

/** Throws RangeError for values the log cannot work with. */
export function validateLogConfig(c: Partial<LogConfig>): void {
  const positive = (v: number | undefined, name: string, min: number): void => {
    if (v !== undefined && (!Number.isSafeInteger(v) || v < min)) throw new RangeError(`${name} must be an integer >= ${min}, got ${v}`);
  };
  positive(c.segmentBytes, 'segment.bytes', 14);
  positive(c.segmentMs, 'segment.ms', 1);
  positive(c.indexIntervalBytes, 'index.interval.bytes', 0);
  positive(c.segmentIndexBytes, 'segment.index.bytes', 12);
  positive(c.flushMessages, 'flush.messages', 1);
  positive(c.flushMs, 'flush.ms', 0);
  positive(c.maxMessageBytes, 'max.message.bytes', 0);
  positive(c.retentionMs, 'retention.ms', -1);
  positive(c.retentionBytes, 'retention.bytes', -1);
  positive(c.deleteRetentionMs, 'delete.retention.ms', 0);
  positive(c.minCompactionLagMs, 'min.compaction.lag.ms', 0);
  positive(c.maxCompactionLagMs, 'max.compaction.lag.ms', 1);
  const ratio = c.minCleanableDirtyRatio;
  if (ratio !== undefined && !(ratio >= 0 && ratio <= 1)) throw new RangeError(`min.cleanable.dirty.ratio must be in [0, 1], got ${ratio}`);
}

/** True when cleanup.policy includes `delete` (time/size retention applies). */
export function hasDeletePolicy(c: LogConfig): boolean {
  return c.cleanupPolicy.split(',').some((p) => p.trim() === 'delete');
}

/** True when cleanup.policy includes `compact` (the log cleaner keeps the latest record per key). */
export function hasCompactPolicy(c: LogConfig): boolean {
  return c.cleanupPolicy.split(',').some((p) => p.trim() === 'compact');
}

/** The compaction settings of a config, with Kafka's defaults for absent ones. */
export interface CompactionSettings {
  deleteRetentionMs: number;
  minCleanableDirtyRatio: number;
  minCompactionLagMs: number;
  maxCompactionLagMs: number;
}

/** {@link CompactionSettings} of `c`. */
export function compactionSettings(c: LogConfig): CompactionSettings {
  return {
    deleteRetentionMs: c.deleteRetentionMs ?? 86_400_000,
    minCleanableDirtyRatio: c.minCleanableDirtyRatio ?? 0.5,
    minCompactionLagMs: c.minCompactionLagMs ?? 0,
    maxCompactionLagMs: c.maxCompactionLagMs ?? Number.MAX_SAFE_INTEGER,
  };
}

/**
 * The segment.ms the active segment rolls by: for a compacted log, at most
 * max.compaction.lag.ms, since the cleaner never touches the active segment
 * and a record must not wait longer than that to be compacted (Kafka's
 * LogConfig.maxSegmentMs).
 */
export function maxSegmentMs(c: LogConfig): number {
  if (!hasCompactPolicy(c)) return c.segmentMs;
  return Math.min(c.segmentMs, compactionSettings(c).maxCompactionLagMs);
}
