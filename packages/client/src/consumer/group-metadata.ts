/**
 * A group member's identity at one moment, as Java's ConsumerGroupMetadata:
 * what a transactional producer passes to `sendOffsets` so the group
 * coordinator can refuse the offsets of a consumer that has been rebalanced
 * away from its partitions (KIP-447: TxnOffsetCommit v3 checks the
 * generation and member id, and answers ILLEGAL_GENERATION,
 * UNKNOWN_MEMBER_ID or FENCED_INSTANCE_ID instead of committing a zombie's
 * offsets).
 */
export interface ConsumerGroupMetadata {
  groupId: string;
  /** -1 while the consumer is not a member (before its first join, after leaving). */
  generationId: number;
  /** '' while the consumer is not a member. */
  memberId: string;
  /** The static member id (`groupInstanceId`), or null. */
  groupInstanceId: string | null;
}
