/**
 * The round-robin assignor (Kafka's RoundRobinAssignor, protocol name
 * `roundrobin`): every partition of every subscribed topic, sorted by topic
 * then partition, goes to the next member in a circle of all members (in
 * order), skipping members not subscribed to its topic.
 */
import { compareStrings, groupByTopic, type TopicPartition, type TopicPartitions } from '../topic-partitions.js';
import { sortedMembers, type AssignInput, type PartitionAssigner } from './assignor.js';

/** `roundrobin`: partitions dealt out one by one (eager). */
export const roundRobinAssigner: PartitionAssigner = {
  name: 'roundrobin',
  rebalanceProtocol: 'eager',
  assign({ members, partitionsPerTopic }: AssignInput): Map<string, TopicPartitions[]> {
    const owned = new Map<string, TopicPartition[]>(members.map((m) => [m.memberId, []]));
    const circle = sortedMembers(members);
    if (circle.length === 0) return new Map();
    let next = 0;
    const topics = [...partitionsPerTopic.keys()].sort(compareStrings);
    for (const topic of topics) {
      if (!circle.some((m) => m.subscription.topics.includes(topic))) continue;
      const count = partitionsPerTopic.get(topic) as number;
      for (let partition = 0; partition < count; partition++) {
        // At least one member subscribes, so this finds one within a lap.
        while (!circle[next % circle.length].subscription.topics.includes(topic)) next++;
        (owned.get(circle[next % circle.length].memberId) as TopicPartition[]).push({ topic, partition });
        next++;
      }
    }
    return new Map([...owned].map(([id, list]) => [id, groupByTopic(list)]));
  },
};
