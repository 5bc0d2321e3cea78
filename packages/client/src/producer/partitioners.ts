/**
 * Partitioners: which partition of a topic a record goes to when the message
 * does not name one.
 *
 * The default ({@link DefaultPartitioner}) places keyed records as Kafka's
 * Java client and librdkafka's `murmur2_random` do, so a key lands in the
 * same partition whichever of these clients wrote it; keyless records use the
 * sticky partitioner of KIP-480: all keyless records of a topic go to one
 * partition until a batch for it is complete, then to another partition
 * chosen at random among those with a leader. That fills batches instead of
 * spreading every few records over all partitions.
 *
 * A custom partitioner is a function of {@link PartitionerInput}.
 */
import type { RecordHeader } from '@samsa/protocol';
import { murmur2Partition } from './murmur2.js';

/** What a partitioner sees of one record. */
export interface PartitionerInput {
  topic: string;
  /** The topic's partition count. */
  partitionCount: number;
  /** The partitions that have a leader right now, ascending. */
  availablePartitions: readonly number[];
  key: Buffer | null;
  value: Buffer | null;
  headers: readonly RecordHeader[];
}

/** Picks a partition in [0, partitionCount) for a record. */
export type Partitioner = (input: PartitionerInput) => number;

/**
 * A partitioner that is told when the producer is about to open a new batch
 * for the partition it chose, so it can move on (KIP-480's `onNewBatch`).
 * Only the built-in default implements it; the producer calls `onNewBatch`
 * and then asks `partition` again for the same record.
 */
export interface BatchAwarePartitioner {
  partition(input: PartitionerInput): number;
  /** Whether `partition` chose stickily for this record (keyless), so a new batch should move it. */
  isSticky(input: PartitionerInput): boolean;
  onNewBatch(topic: string, previousPartition: number, input: PartitionerInput): void;
}

function randomOf(list: readonly number[], random: () => number): number {
  return list[Math.floor(random() * list.length) % list.length];
}

/**
 * The default partitioner: murmur2 for keyed records (Java-compatible), sticky
 * for keyless ones. `random` is injectable for tests.
 */
export class DefaultPartitioner implements BatchAwarePartitioner {
  readonly #sticky = new Map<string, number>();
  readonly #random: () => number;

  constructor(random: () => number = Math.random) {
    this.#random = random;
  }

  partition(input: PartitionerInput): number {
    if (input.key !== null) return murmur2Partition(input.key, input.partitionCount);
    const current = this.#sticky.get(input.topic);
    if (current !== undefined && current < input.partitionCount) return current;
    return this.#choose(input, undefined);
  }

  isSticky(input: PartitionerInput): boolean {
    return input.key === null;
  }

  onNewBatch(topic: string, previousPartition: number, input: PartitionerInput): void {
    const current = this.#sticky.get(topic);
    // Another record may already have moved the topic on; move only once per batch.
    if (current === undefined || current === previousPartition) this.#choose(input, previousPartition);
  }

  /** A random available partition other than `avoid` when there is a choice. */
  #choose(input: PartitionerInput, avoid: number | undefined): number {
    const available = input.availablePartitions.length > 0 ? input.availablePartitions : allPartitions(input.partitionCount);
    let next: number;
    if (available.length === 1) next = available[0];
    else {
      const others = avoid === undefined ? available : available.filter((p) => p !== avoid);
      next = randomOf(others.length > 0 ? others : available, this.#random);
    }
    this.#sticky.set(input.topic, next);
    return next;
  }
}

const allCache = new Map<number, number[]>();
function allPartitions(count: number): number[] {
  let list = allCache.get(count);
  if (list === undefined) {
    list = Array.from({ length: count }, (_, i) => i);
    if (allCache.size < 64) allCache.set(count, list);
  }
  return list;
}

/** Built-in partitioners besides the default, as plain functions. */
export const Partitioners = {
  /**
   * librdkafka's `murmur2_random`: keyed records as the default partitioner,
   * each keyless record to a random available partition.
   */
  murmur2Random(random: () => number = Math.random): Partitioner {
    return (input) => {
      if (input.key !== null) return murmur2Partition(input.key, input.partitionCount);
      const available = input.availablePartitions.length > 0 ? input.availablePartitions : allPartitions(input.partitionCount);
      return randomOf(available, random);
    };
  },
  /** Keyless and keyed records alike in turn over the available partitions (per topic). */
  roundRobin(): Partitioner {
    const next = new Map<string, number>();
    return (input) => {
      const available = input.availablePartitions.length > 0 ? input.availablePartitions : allPartitions(input.partitionCount);
      const i = next.get(input.topic) ?? 0;
      next.set(input.topic, (i + 1) % 0x7fffffff);
      return available[i % available.length];
    };
  },
} as const;
