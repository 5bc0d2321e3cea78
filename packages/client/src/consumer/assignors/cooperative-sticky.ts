/**
 * The cooperative sticky assignor (protocol name `cooperative-sticky`, the
 * name Kafka's CooperativeStickyAssignor and librdkafka use; KIP-429). It
 * keeps partitions where they are, balances the counts, and never moves a
 * partition in one step: a partition that changes owner is first left
 * unassigned, so its old owner revokes it; the old owner then rejoins
 * (every cooperative member rejoins after revoking) and the partition goes
 * to its new owner in the next generation. No partition is ever owned by
 * two members at once.
 *
 * Steps, on the members' subscriptions (topics, owned partitions, generation):
 *
 *   1. Ownership claims: a member keeps the partitions it says it owns, if
 *      it still subscribes to the topic and the partition exists. Two
 *      members claiming one partition (one of them missed a generation):
 *      the higher generation wins, then member order.
 *   2. Every unowned partition (sorted by topic, partition) goes to the
 *      member subscribed to its topic that has the fewest partitions (ties:
 *      member order).
 *   3. Balance: while some member has at least two partitions more than
 *      another member subscribed to one of its topics, one such partition
 *      moves there (one it was just given rather than one it owned). Each move lowers the sum of squared counts,
 *      so this ends; with identical subscriptions it ends with counts that
 *      differ by at most one.
 *   4. Cooperative hand-over: a partition whose new owner differs from a
 *      current owner that is still in the group is removed from the new
 *      owner's assignment for this generation.
 */
import { compareStrings, groupByTopic, parseTpKey, tpKey, type TopicPartitions } from '../topic-partitions.js';
import { sortedMembers, type AssignInput, type AssignorMember, type PartitionAssigner } from './assignor.js';

/** `cooperative-sticky`: sticky, balanced, incremental (cooperative). */
export const cooperativeStickyAssigner: PartitionAssigner = {
  name: 'cooperative-sticky',
  rebalanceProtocol: 'cooperative',
  assign(input: AssignInput): Map<string, TopicPartitions[]> {
    return stickyAssignment(input, true);
  },
};

/** The assignment of steps 1-3, and step 4 when `cooperative` (exported for tests). */
export function stickyAssignment({ members, partitionsPerTopic }: AssignInput, cooperative: boolean): Map<string, TopicPartitions[]> {
  const ordered = sortedMembers(members);
  const rank = new Map(ordered.map((m, i) => [m.memberId, i]));
  const subscribed = new Map(ordered.map((m) => [m.memberId, new Set(m.subscription.topics)]));
  const owner = new Map<string, string>(); // partition key -> member id
  const owned = new Map<string, string[]>(ordered.map((m) => [m.memberId, []])); // member id -> partition keys

  // 1. Claims, highest generation first, then member order.
  const claimants = [...ordered].sort((a, b) => b.subscription.generationId - a.subscription.generationId || (rank.get(a.memberId) as number) - (rank.get(b.memberId) as number));
  const previousOwner = new Map<string, string>();
  for (const m of claimants) {
    for (const tp of m.subscription.ownedPartitions) {
      const count = partitionsPerTopic.get(tp.topic);
      if (count === undefined || !subscribed.get(m.memberId)?.has(tp.topic)) continue;
      for (const p of tp.partitions) {
        const key = tpKey(tp.topic, p);
        if (p < 0 || p >= count || owner.has(key)) continue;
        owner.set(key, m.memberId);
        previousOwner.set(key, m.memberId);
        (owned.get(m.memberId) as string[]).push(key);
      }
    }
  }

  // 2. Unowned partitions to the least loaded subscriber.
  const topics = [...partitionsPerTopic.keys()].sort(compareStrings);
  const subscribersOf = new Map<string, AssignorMember[]>(topics.map((t) => [t, ordered.filter((m) => subscribed.get(m.memberId)?.has(t))]));
  const countOf = (id: string): number => (owned.get(id) as string[]).length;
  for (const topic of topics) {
    const candidates = subscribersOf.get(topic) as AssignorMember[];
    if (candidates.length === 0) continue;
    const count = partitionsPerTopic.get(topic) as number;
    for (let p = 0; p < count; p++) {
      const key = tpKey(topic, p);
      if (owner.has(key)) continue;
      let best = candidates[0];
      for (const c of candidates) if (countOf(c.memberId) < countOf(best.memberId)) best = c;
      owner.set(key, best.memberId);
      (owned.get(best.memberId) as string[]).push(key);
    }
  }

  // 3. Balance. Bounded: every move lowers sum(count^2) by at least 2.
  let budget = 1 + [...owned.values()].reduce((s, l) => s + l.length * l.length, 0);
  for (let moved = true; moved && budget > 0; ) {
    moved = false;
    const byLoad = [...ordered].sort((a, b) => countOf(b.memberId) - countOf(a.memberId) || (rank.get(a.memberId) as number) - (rank.get(b.memberId) as number));
    for (const from of byLoad) {
      // Partitions the member owned before come first, so the ones it was just given move first.
      const kept = (k: string): number => (previousOwner.get(k) === from.memberId ? 0 : 1);
      const list = (owned.get(from.memberId) as string[]).sort((a, b) => kept(a) - kept(b) || compareKeys(a, b));
      for (let i = list.length - 1; i >= 0 && !moved; i--) {
        const { topic } = parseTpKey(list[i]);
        let target: AssignorMember | undefined;
        for (const c of subscribersOf.get(topic) as AssignorMember[]) {
          if (countOf(c.memberId) <= list.length - 2 && (target === undefined || countOf(c.memberId) < countOf(target.memberId))) target = c;
        }
        if (target === undefined) continue;
        const [key] = list.splice(i, 1);
        owner.set(key, target.memberId);
        (owned.get(target.memberId) as string[]).push(key);
        moved = true;
        budget--;
      }
      if (moved) break;
    }
  }

  // 4. Hand-over in two generations.
  const out = new Map<string, TopicPartitions[]>();
  for (const m of ordered) {
    let keys = owned.get(m.memberId) as string[];
    if (cooperative) keys = keys.filter((k) => previousOwner.get(k) === undefined || previousOwner.get(k) === m.memberId);
    out.set(m.memberId, groupByTopic(keys));
  }
  return out;
}

function compareKeys(a: string, b: string): number {
  const x = parseTpKey(a);
  const y = parseTpKey(b);
  return compareStrings(x.topic, y.topic) || x.partition - y.partition;
}
