/**
 * Consumer events, named as in kafkajs (`consumer.events.GROUP_JOIN` is
 * `'consumer.group_join'`) plus the rebalance events Kafka's Java client
 * has as a listener. `consumer.on(name, fn)` returns the function that
 * removes the listener. Listeners run synchronously and are not awaited; a
 * listener that throws is logged and does not disturb the consumer (use
 * `rebalanceListener` for callbacks the consumer must wait for).
 */
import type { Logger } from '../logger.js';
import type { TopicPartitions } from './topic-partitions.js';

/** Event names. */
export const ConsumerEvents = {
  CONNECT: 'consumer.connect',
  DISCONNECT: 'consumer.disconnect',
  STOP: 'consumer.stop',
  CRASH: 'consumer.crash',
  GROUP_JOIN: 'consumer.group_join',
  HEARTBEAT: 'consumer.heartbeat',
  REBALANCING: 'consumer.rebalancing',
  COMMIT_OFFSETS: 'consumer.commit_offsets',
  FETCH_START: 'consumer.fetch_start',
  FETCH: 'consumer.fetch',
  PARTITIONS_ASSIGNED: 'consumer.partitions_assigned',
  PARTITIONS_REVOKED: 'consumer.partitions_revoked',
  PARTITIONS_LOST: 'consumer.partitions_lost',
} as const;

/** The payload of each event. */
export interface ConsumerEventPayloads {
  'consumer.connect': null;
  'consumer.disconnect': null;
  'consumer.stop': null;
  /** The consumer stopped because of `error` (it does not restart by itself). */
  'consumer.crash': { error: Error; groupId: string | null; restart: false };
  'consumer.group_join': {
    duration: number;
    groupId: string;
    memberId: string;
    generationId: number;
    isLeader: boolean;
    leaderId: string;
    groupProtocol: string;
    /** The assignment of this generation, by topic. */
    memberAssignment: Record<string, number[]>;
  };
  'consumer.heartbeat': { groupId: string; memberId: string; groupGenerationId: number };
  'consumer.rebalancing': { groupId: string; memberId: string; reason: string };
  'consumer.commit_offsets': {
    groupId: string;
    memberId: string;
    groupGenerationId: number;
    topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: number }> }>;
  };
  'consumer.fetch_start': { nodeId: number };
  'consumer.fetch': {
    nodeId: number;
    numberOfBatches: number;
    duration: number;
    /** What each partition of the response brought: messages kept (after filtering) and their bytes. */
    partitions: Array<{ topic: string; partition: number; messages: number; bytes: number }>;
  };
  'consumer.partitions_assigned': { partitions: TopicPartitions[] };
  'consumer.partitions_revoked': { partitions: TopicPartitions[] };
  'consumer.partitions_lost': { partitions: TopicPartitions[] };
}

/** An event name. */
export type ConsumerEventName = keyof ConsumerEventPayloads;

/** What a listener receives (kafkajs' InstrumentationEvent shape). */
export interface ConsumerEvent<E extends ConsumerEventName> {
  id: number;
  type: E;
  timestamp: number;
  payload: ConsumerEventPayloads[E];
}

/** A minimal typed emitter. */
export class ConsumerEventEmitter {
  readonly #listeners = new Map<ConsumerEventName, Set<(event: ConsumerEvent<ConsumerEventName>) => void>>();
  readonly #logger: Logger;
  #nextId = 0;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  on<E extends ConsumerEventName>(type: E, listener: (event: ConsumerEvent<E>) => void): () => void {
    let set = this.#listeners.get(type);
    if (set === undefined) this.#listeners.set(type, (set = new Set()));
    const fn = listener as (event: ConsumerEvent<ConsumerEventName>) => void;
    set.add(fn);
    return () => {
      set.delete(fn);
    };
  }

  emit<E extends ConsumerEventName>(type: E, payload: ConsumerEventPayloads[E]): void {
    const set = this.#listeners.get(type);
    if (set === undefined || set.size === 0) return;
    const event: ConsumerEvent<E> = { id: this.#nextId++, type, timestamp: Date.now(), payload };
    for (const fn of [...set]) {
      try {
        fn(event as ConsumerEvent<ConsumerEventName>);
      } catch (err) {
        this.#logger.error(`consumer event listener for ${type} failed`, { error: err });
      }
    }
  }
}
