/**
 * The range assignor (Kafka's RangeAssignor, protocol name `range`): topic by
 * topic, the members subscribed to it, in order, get consecutive ranges of
 * its partitions; the first `partitions % members` get one extra. Members
 * subscribed to the same topics therefore get the same partition numbers of
 * every topic, which co-partitioned joins rely on.
 */
import { groupByTopic, type TopicPartition, type TopicPartitions } from '../topic-partitions.js';
import { sortedMembers, type AssignInput, type PartitionAssigner } from './assignor.js';

/** `range`: consecutive partitions of each topic per member (eager). */
export const rangeAssigner: PartitionAssigner = {
  name: 'range',
  rebalanceProtocol: 'eager',
  assign({ members, partitionsPerTopic }: AssignInput): Map<string, TopicPartitions[]> {
    const owned = new Map<string, TopicPartition[]>(members.map((m) => [m.memberId, []]));
    const ordered = sortedMembers(members);
    for (const [topic, count] of [...partitionsPerTopic].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const subscribers = ordered.filter((m) => m.subscription.topics.includes(topic));
      if (subscribers.length === 0) continue;
      const each = Math.floor(count / subscribers.length);
      const extra = count % subscribers.length;
      subscribers.forEach((m, i) => {
        const start = i * each + Math.min(i, extra);
        const length = each + (i < extra ? 1 : 0);
        const list = owned.get(m.memberId) as TopicPartition[];
        for (let p = start; p < start + length; p++) list.push({ topic, partition: p });
      });
    }
    return new Map([...owned].map(([id, list]) => [id, groupByTopic(list)]));
  },
};
