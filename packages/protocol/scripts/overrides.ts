// Type-mapping overrides for the protocol generator, in the style of redpanda's
// generator.py. Paths are `<MessageName>.<Field>.<Field>...` with Kafka's JSON names.

/**
 * int64 fields decoded as `bigint` instead of a safe-integer `number`.
 *
 * Everything else stays a `number` (offsets, timestamps, producer ids and epochs
 * all fit in 53 bits in practice), and the Reader rejects values that do not fit.
 * A field belongs here when Kafka puts values beyond 2^53 on the wire.
 */
export const int64AsBigint: ReadonlySet<string> = new Set([
  // Default Long.MAX_VALUE ("no high watermark known"), sent by replicas from v18.
  'FetchRequest.Topics.Partitions.HighWatermark',
]);
