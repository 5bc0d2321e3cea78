/**
 * What a group member subscribes to: topic names and regular expressions,
 * each with the reset policy of its `subscribe()` call, and the lookups
 * that turn them into topics with partition counts.
 *
 * Regular expressions are matched against every topic the cluster lists
 * (internal topics excluded, as Kafka's `exclude.internal.topics` does), at
 * every join and every metadata check, so topics created later are picked
 * up. Topics that do not exist yet count as having no partitions.
 */
import { MetadataApi, ZERO_UUID } from '@samsa/protocol';
import type { Cluster } from '../cluster/cluster.js';
import { ConnectionError } from '../kafka-error.js';
import type { AutoOffsetReset } from './consumer-options.js';
import { compareStrings } from './topic-partitions.js';

const METADATA_MAX_VERSION = 12;

/** One subscribe() entry. */
interface Entry {
  matcher: string | RegExp;
  /** The reset policy of this entry's `subscribe` call, null for the consumer's default. */
  reset: AutoOffsetReset | null;
}

/** The topics and patterns a consumer subscribed to. */
export class Subscription {
  readonly #entries: Entry[] = [];

  /** Adds names or patterns (kafkajs: subscribe adds to what is there). */
  add(matchers: ReadonlyArray<string | RegExp>, reset: AutoOffsetReset | null): void {
    for (const matcher of matchers) {
      const same = this.#entries.find((e) => String(e.matcher) === String(matcher) && typeof e.matcher === typeof matcher);
      if (same !== undefined) same.reset = reset ?? same.reset;
      else this.#entries.push({ matcher: matcher instanceof RegExp ? new RegExp(matcher.source, matcher.flags.replace(/[gy]/g, '')) : matcher, reset });
    }
  }

  get empty(): boolean {
    return this.#entries.length === 0;
  }

  /** Whether a regular expression is among the entries (then every topic name must be listed). */
  get hasPatterns(): boolean {
    return this.#entries.some((e) => e.matcher instanceof RegExp);
  }

  /** Literal topic names. */
  literals(): string[] {
    return this.#entries.filter((e) => typeof e.matcher === 'string').map((e) => e.matcher as string);
  }

  /** The subscribed topics among `allTopics` (plus literal names even when they do not exist), sorted. */
  resolve(allTopics: Iterable<string> | null): string[] {
    const out = new Set(this.literals());
    if (allTopics !== null) {
      for (const t of allTopics) if (this.#entries.some((e) => e.matcher instanceof RegExp && e.matcher.test(t))) out.add(t);
    }
    return [...out].sort(compareStrings);
  }

  /** The reset policy for `topic`: the first matching entry's, else `fallback`. */
  resetFor(topic: string, fallback: AutoOffsetReset): AutoOffsetReset {
    for (const e of this.#entries) {
      const match = typeof e.matcher === 'string' ? e.matcher === topic : e.matcher.test(topic);
      if (match && e.reset !== null) return e.reset;
    }
    return fallback;
  }
}

/** A Metadata answer reduced to what subscriptions need. */
export interface TopicCounts {
  /** Partition count of every listed topic without an error. */
  partitions: Map<string, number>;
  /** Every non-internal topic name, when all topics were asked for. */
  all: string[] | null;
  /** Requested topics the broker answered with an error (e.g. not created yet). */
  missing: string[];
}

/**
 * Asks one broker for the partition counts of `topics`, or of every topic
 * when `topics` is null. Connection failures move on to another broker.
 */
export async function topicCounts(cluster: Cluster, topics: readonly string[] | null, allowAutoTopicCreation: boolean): Promise<TopicCounts> {
  let lastError: unknown = new ConnectionError('no broker answered Metadata');
  for (let attempt = 0; attempt < 3; attempt++) {
    const conn = await cluster.anyConnection();
    const version = conn.version(MetadataApi, METADATA_MAX_VERSION);
    try {
      const res = await conn.send(MetadataApi, version, {
        topics: topics === null ? (version === 0 ? [] : null) : topics.map((name) => ({ name, topicId: ZERO_UUID })),
        allowAutoTopicCreation,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      });
      const partitions = new Map<string, number>();
      const missing: string[] = [];
      const all: string[] = [];
      for (const t of res.topics) {
        if (t.name === null) continue;
        if (t.errorCode !== 0 || t.partitions.length === 0) {
          missing.push(t.name);
          continue;
        }
        partitions.set(t.name, t.partitions.length);
        if (!t.isInternal && !t.name.startsWith('__')) all.push(t.name);
      }
      return { partitions, all: topics === null ? all.sort(compareStrings) : null, missing };
    } catch (err) {
      lastError = err;
      if (!(err instanceof ConnectionError)) throw err;
    }
  }
  throw lastError;
}
