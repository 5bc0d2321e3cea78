/**
 * The group's partition assignor (protocol name `samsa-streams`, eager).
 * It hands out tasks, not partitions: task `<subtopology>_<p>` is partition
 * p of every source topic of that sub-topology, and all of them go to the
 * same member, which is what lets a task join or aggregate records of
 * several topics. Tasks are dealt round-robin over the members in Kafka's
 * member order, so each member gets within one task of the others.
 *
 * Not yet: stickiness (tasks return to the member that has their state) and
 * the cooperative protocol; with in-memory stores every moved task restores
 * from its changelog anyway.
 */
import type { AssignorMember, PartitionAssigner, TopicPartitions } from '@samsa/client';

/** Builds the assignor for a topology whose consumed topics map to sub-topologies. */
export function taskAssignor(subtopologyByTopic: ReadonlyMap<string, number>): PartitionAssigner {
  return {
    name: 'samsa-streams',
    rebalanceProtocol: 'eager',
    assign({ members, partitionsPerTopic }) {
      const topicsBySub = new Map<number, string[]>();
      for (const [topic, sub] of subtopologyByTopic) {
        if (!partitionsPerTopic.has(topic)) continue;
        let list = topicsBySub.get(sub);
        if (list === undefined) topicsBySub.set(sub, (list = []));
        list.push(topic);
      }
      const tasks: Array<{ sub: number; partition: number; topics: string[] }> = [];
      for (const [sub, topics] of [...topicsBySub].sort(([a], [b]) => a - b)) {
        const count = Math.max(...topics.map((t) => partitionsPerTopic.get(t) as number));
        for (let p = 0; p < count; p++) tasks.push({ sub, partition: p, topics: topics.filter((t) => p < (partitionsPerTopic.get(t) as number)) });
      }
      // Deal partition numbers first so one member does not get every task of partition 0.
      tasks.sort((a, b) => a.partition - b.partition || a.sub - b.sub);
      const ordered = sortMembers(members);
      const out = new Map<string, Map<string, number[]>>(ordered.map((m) => [m.memberId, new Map()]));
      tasks.forEach((task, i) => {
        const m = ordered[i % ordered.length];
        const owned = out.get(m.memberId) as Map<string, number[]>;
        for (const t of task.topics) {
          let list = owned.get(t);
          if (list === undefined) owned.set(t, (list = []));
          list.push(task.partition);
        }
      });
      return new Map([...out].map(([id, byTopic]): [string, TopicPartitions[]] => [id, [...byTopic].map(([topic, partitions]) => ({ topic, partitions }))]));
    },
  };
}

function sortMembers(members: readonly AssignorMember[]): AssignorMember[] {
  const key = (m: AssignorMember): string => m.groupInstanceId ?? m.memberId;
  return [...members].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
