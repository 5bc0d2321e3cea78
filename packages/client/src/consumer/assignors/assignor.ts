/**
 * Partition assignors: the leader of a consumer group runs one to split the
 * subscribed topics' partitions among the members. The group picks the
 * assignor every member offers (the protocol name in JoinGroup); each
 * consumer offers its `partitionAssigners` in order of preference.
 *
 * The rebalance protocol follows from the assignors a consumer offers:
 * cooperative (KIP-429) only when every offered assignor supports it,
 * otherwise eager, as in Kafka's Java client. Eager members give up all
 * their partitions before rejoining; cooperative members keep them and give
 * up only what the new assignment takes away.
 */
import type { TopicPartitions } from '../topic-partitions.js';
import type { MemberSubscription } from './member-metadata.js';

/** How members hand partitions over in a rebalance. */
export type RebalanceProtocol = 'eager' | 'cooperative';

/** One member as the assignor sees it. */
export interface AssignorMember {
  memberId: string;
  /** The static member id (KIP-345), or null. Members are ordered by it when present, as in Kafka. */
  groupInstanceId: string | null;
  subscription: MemberSubscription;
}

/** Input of {@link PartitionAssigner.assign}. */
export interface AssignInput {
  members: readonly AssignorMember[];
  /** Partition count of every subscribed topic that exists (topics missing here get no assignment). */
  partitionsPerTopic: ReadonlyMap<string, number>;
}

/** A partition assignment strategy. Implement it to plug in your own. */
export interface PartitionAssigner {
  /** The protocol name sent in JoinGroup (`range`, `roundrobin`, `cooperative-sticky`). */
  readonly name: string;
  /** Whether members may keep partitions through a rebalance. */
  readonly rebalanceProtocol: RebalanceProtocol;
  /** Every member's partitions, by member id (members without partitions may be left out). */
  assign(input: AssignInput): Map<string, TopicPartitions[]>;
}

/** Members in Kafka's order: by group instance id when set, else by member id. */
export function sortedMembers(members: readonly AssignorMember[]): AssignorMember[] {
  const sortKey = (m: AssignorMember): string => m.groupInstanceId ?? m.memberId;
  return [...members].sort((a, b) => {
    const ka = sortKey(a);
    const kb = sortKey(b);
    return ka < kb ? -1 : ka > kb ? 1 : a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0;
  });
}
