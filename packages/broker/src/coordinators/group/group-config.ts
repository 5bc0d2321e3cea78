/**
 * The group coordinator's limits and timeouts (broker configs) and their
 * defaults, shared by its parts (membership, offsets, retention).
 */

/** Limits and timeouts (broker configs). */
export interface GroupCoordinatorConfig {
  /** group.initial.rebalance.delay.ms */
  initialRebalanceDelayMs: number;
  /** group.min.session.timeout.ms */
  minSessionTimeoutMs: number;
  /** group.max.session.timeout.ms */
  maxSessionTimeoutMs: number;
  /** group.max.size, capped at {@link MAX_GROUP_MEMBERS}. */
  maxGroupSize: number;
  /** offset.metadata.max.bytes (Kafka default 4096). */
  offsetMetadataMaxBytes: number;
  /** offsets.retention.minutes in ms (Kafka default 7 days; see {@link OffsetRetention.expire} in offset-retention.ts). */
  offsetsRetentionMs?: number;
  /** offsets.retention.check.interval.ms (Kafka default 600000): how often expired offsets are looked for. */
  offsetsRetentionCheckIntervalMs?: number;
}

/** Kafka's offsets.retention.minutes default (7 days), in ms. */
export const DEFAULT_OFFSETS_RETENTION_MS = 7 * 24 * 60 * 60_000;

/** Kafka's offsets.retention.check.interval.ms default. */
export const DEFAULT_OFFSETS_RETENTION_CHECK_INTERVAL_MS = 600_000;

/**
 * Samsa's own cap on members per group, whatever group.max.size says
 * (Kafka's default is Integer.MAX_VALUE). Every member costs a timer and its
 * metadata; a rebalance answers all of them at once.
 */
export const MAX_GROUP_MEMBERS = 10_000;

/** How long a brand-new member's JoinGroup may wait in a rebalance before it is dropped (Kafka's NewMemberJoinTimeoutMs). */
export const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60_000;

/** Kafka's offset.metadata.max.bytes default. */
export const DEFAULT_OFFSET_METADATA_MAX_BYTES = 4096;

/** The config with every optional field filled in and group.max.size capped. */
export function resolveGroupConfig(config: GroupCoordinatorConfig): Required<GroupCoordinatorConfig> {
  return {
    offsetsRetentionMs: DEFAULT_OFFSETS_RETENTION_MS,
    offsetsRetentionCheckIntervalMs: DEFAULT_OFFSETS_RETENTION_CHECK_INTERVAL_MS,
    ...config,
    maxGroupSize: Math.min(config.maxGroupSize, MAX_GROUP_MEMBERS),
  };
}
