/**
 * Which `__consumer_offsets` partition holds a group, exactly as Kafka
 * computes it, so the group lands where Kafka tools (and a future
 * multi-broker Samsa) expect it:
 *
 *   partition = Utils.abs(groupId.hashCode()) % offsets.topic.num.partitions
 *
 * String.hashCode is over UTF-16 code units (JS strings are UTF-16 too):
 * h = 31 * h + c with 32-bit wrap-around. Utils.abs maps Integer.MIN_VALUE
 * to 0 (Math.abs would leave it negative in Java).
 */

/** Java's `String.hashCode()`. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's `Utils.abs`: |n|, with Integer.MIN_VALUE mapped to 0. */
export function kafkaAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n);
}

/** The `__consumer_offsets` partition of `groupId`. */
export function offsetsPartitionFor(groupId: string, numPartitions: number): number {
  return kafkaAbs(javaStringHashCode(groupId)) % numPartitions;
}
