/**
 * Topic-partition sets in the two shapes the consumer uses: a list of
 * `{ topic, partitions }` (what users pass and what the group protocol
 * carries) and flat string keys (`topic\0partition`) for maps and sets.
 */
import { ClientError } from '../client-error.js';

/** One topic and some of its partitions (kafkajs' `TopicPartitions`). */
export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

/** One partition of a topic. */
export interface TopicPartition {
  topic: string;
  partition: number;
}

/** A topic-partition with an offset: the next offset to read, as Kafka commits it. */
export interface TopicPartitionOffset extends TopicPartition {
  offset: number;
}

// '\0' cannot occur in a topic name (Kafka allows [a-zA-Z0-9._-] only), so keys never collide.
const SEP = '\0';

/** The map key of a topic-partition. */
export function tpKey(topic: string, partition: number): string {
  return `${topic}${SEP}${partition}`;
}

/** The topic-partition of a {@link tpKey}. */
export function parseTpKey(key: string): TopicPartition {
  const i = key.lastIndexOf(SEP);
  return { topic: key.slice(0, i), partition: Number(key.slice(i + 1)) };
}

/** Flattens `{ topic, partitions }` lists into keys (duplicates collapse). */
export function keysOf(list: readonly TopicPartitions[]): Set<string> {
  const out = new Set<string>();
  for (const tp of list) for (const p of tp.partitions) out.add(tpKey(tp.topic, p));
  return out;
}

/** Groups topic-partitions by topic: topics sorted by name, partitions ascending. */
export function groupByTopic(items: Iterable<TopicPartition | string>): TopicPartitions[] {
  const byTopic = new Map<string, number[]>();
  for (const item of items) {
    const tp = typeof item === 'string' ? parseTpKey(item) : item;
    let list = byTopic.get(tp.topic);
    if (list === undefined) byTopic.set(tp.topic, (list = []));
    list.push(tp.partition);
  }
  return [...byTopic.keys()]
    .sort(compareStrings)
    .map((topic) => ({ topic, partitions: [...new Set(byTopic.get(topic))].sort((a, b) => a - b) }));
}

/** Code-unit order, the order Java's String.compareTo gives for the names Kafka allows. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One offset to commit: the next offset to read, as Kafka stores it (kafkajs' TopicPartitionOffsetAndMetadata). */
export interface OffsetCommitInput {
  topic: string;
  partition: number;
  /** A number, or a numeric string as kafkajs passes offsets. */
  offset: number | string;
  metadata?: string | null;
}

/** A whole offset >= 0 from a number or a numeric string; throws ClientError(SAMSA_ERR_INVALID_CONFIG) naming `what`. */
export function toOffset(v: number | string, what: string): number {
  const n = typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new ClientError('SAMSA_ERR_INVALID_CONFIG', `${what} must be a whole number >= 0, got ${JSON.stringify(v)}`);
  }
  return n;
}
