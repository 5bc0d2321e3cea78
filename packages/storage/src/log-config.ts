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
  /** cleanup.policy: 'delete' | 'compact' | 'compact,delete'. Only 'delete' is applied today. */
  cleanupPolicy: string;
  /** max.message.bytes: largest record batch accepted by append. */
  maxMessageBytes: number;
  /** message.timestamp.before.max.ms / after.max.ms: how far a CreateTime timestamp may lie from the broker's clock (checked by the produce path; absent = unlimited). */
  messageTimestampBeforeMaxMs?: number;
  messageTimestampAfterMaxMs?: number;
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
}

/** True when cleanup.policy includes `delete` (time/size retention applies). */
export function hasDeletePolicy(c: LogConfig): boolean {
  return c.cleanupPolicy.split(',').some((p) => p.trim() === 'delete');
}
