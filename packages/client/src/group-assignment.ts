/**
 * Decodes what a consumer-protocol member was assigned, from the opaque
 * `memberAssignment` bytes that DescribeGroups returns.
 *
 * The bytes are Kafka's ConsumerProtocolAssignment prefixed by an int16
 * version. As in Kafka's ConsumerProtocol, a version above the newest we know
 * is read as the newest (later versions only add tagged or trailing fields),
 * and empty bytes mean "no assignment yet" (a member in a rebalance).
 */
import { Reader, decodeConsumerProtocolAssignment, ConsumerProtocolAssignmentVersions } from '@samsa/protocol';

/** One topic and the partitions of it assigned to a member. */
export interface AssignedPartitions {
  topic: string;
  partitions: number[];
}

/**
 * The partitions in a `consumer` protocol member assignment, sorted by topic
 * and partition. Throws `ProtocolDecodeError` on malformed bytes.
 */
export function decodeMemberAssignment(bytes: Buffer): AssignedPartitions[] {
  if (bytes.length === 0) return [];
  const r = new Reader(bytes);
  const version = r.readInt16();
  const decoded = decodeConsumerProtocolAssignment(r, Math.min(Math.max(version, ConsumerProtocolAssignmentVersions.min), ConsumerProtocolAssignmentVersions.max));
  return decoded.assignedPartitions
    .map((tp) => ({ topic: tp.topic, partitions: [...tp.partitions].sort((a, b) => a - b) }))
    .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
}
