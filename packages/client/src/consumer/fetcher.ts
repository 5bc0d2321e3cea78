/**
 * Fetching: one loop per partition leader, each with at most one Fetch in
 * flight, over the cluster's shared connection to that broker.
 *
 * A loop asks for the partitions it leads that are fetchable: assigned and
 * positioned, not paused, not already in a fetch, not backing off after an
 * error, and holding fewer than `maxBufferedBytesPerPartition` bytes of
 * undelivered messages. That last rule is the backpressure: a partition
 * whose application is slow stops being fetched, so memory stays bounded
 * (per partition: the bound plus one response's worth) however far the
 * application falls behind. When nothing is fetchable the loop sleeps until
 * woken (a delivery freed room, a seek, a resume, a new assignment).
 *
 * Each answered partition is checked against the epoch it was fetched in (a
 * seek or revoke in the meantime drops the answer), decoded, filtered
 * (control batches always; aborted transactions with read_committed, see
 * aborted-transactions.ts) and buffered; its fetch offset moves past the
 * last whole batch, control batches included.
 *
 * Errors per partition:
 *
 *   | error                                              | action                                  |
 *   | -------------------------------------------------- | --------------------------------------- |
 *   | OFFSET_OUT_OF_RANGE                                 | reset policy (host.outOfRange)          |
 *   | retriable (NOT_LEADER_OR_FOLLOWER, leader epochs,   | refresh metadata, back off this         |
 *   | UNKNOWN_TOPIC_OR_PARTITION, storage, ...)           | partition (retry policy, no limit)      |
 *   | anything else (authorization, corrupt records)      | fatal (host.failed)                     |
 *
 * A lost connection or a failed request backs off the whole loop and
 * refreshes the metadata (the leader may have moved).
 */
import { ErrorCode, FetchApi, ZERO_UUID, decodeRecordBatches, isRetriable, type DecodedBatch, type FetchResponse } from '@samsa/protocol';
import type { Cluster } from '../cluster/cluster.js';
import { KafkaError } from '../kafka-error.js';
import type { Logger } from '../logger.js';
import { retryDelayMs, type RetryPolicy } from '../retry.js';
import { AbortedTransactionFilter } from './aborted-transactions.js';
import type { ConsumerEventEmitter } from './consumer-events.js';
import { toConsumerMessage, type ConsumerMessage } from './consumer-message.js';
import type { AssignedPartition } from './partition-state.js';

/** Fetch v13+ names topics by id. */
const FETCH_MAX_VERSION = 12;
/** Upper bound of any backoff between fetch attempts. */
const MAX_FETCH_BACKOFF_MS = 5_000;
/** An idle loop re-checks this often even without a wake-up (leaders may have moved). */
const IDLE_RECHECK_MS = 1_000;

/** What the fetcher needs from the consumer. */
export interface FetcherHost {
  /** Assigned partitions (any phase). */
  partitions(): Iterable<AssignedPartition>;
  /** Whether the application paused the partition. */
  isPaused(p: AssignedPartition): boolean;
  /** New messages were buffered for `p`. */
  buffered(p: AssignedPartition): void;
  /** The fetch position of `p` is out of range (apply the reset policy). */
  outOfRange(p: AssignedPartition): void;
  /** A lasting error: the consumer must stop. */
  failed(error: Error): void;
}

/** Settings of a {@link Fetcher}. */
export interface FetcherOptions {
  cluster: Cluster;
  host: FetcherHost;
  events: ConsumerEventEmitter;
  logger: Logger;
  retry: RetryPolicy;
  random: () => number;
  readCommitted: boolean;
  minBytes: number;
  maxBytes: number;
  maxBytesPerPartition: number;
  maxBufferedBytesPerPartition: number;
  maxWaitTimeMs: number;
  requestTimeoutMs: number;
  rackId: string;
}

/** What a partition looked like when its fetch was sent. */
interface Sent {
  p: AssignedPartition;
  epoch: number;
  fetchOffset: number;
  first: boolean;
}

/** The fetch loops (see the top of this file). */
export class Fetcher {
  readonly #o: FetcherOptions;
  #running = false;
  /** The running loop of each node. A loop removes its own entry synchronously as it ends, see #loop. */
  readonly #loops = new Map<number, { done: Promise<void> }>();
  #wakers: Array<() => void> = [];
  #wakeTimer: NodeJS.Timeout | null = null;
  #wakeAtMs = Infinity;
  /** Partitions that got only part of an oversized batch go first in their next fetch (KIP-74). */
  readonly #first = new Set<AssignedPartition>();
  #unsubscribe: (() => void) | null = null;
  #lastMetadataRequestMs = 0;
  #rotation = 0;

  constructor(opts: FetcherOptions) {
    this.#o = opts;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#unsubscribe = this.#o.cluster.onChange(() => this.wake());
    this.wake();
  }

  /** Stops the loops (a fetch in flight is answered and dropped). */
  async stop(): Promise<void> {
    this.#running = false;
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    if (this.#wakeTimer !== null) clearTimeout(this.#wakeTimer);
    this.#wakeTimer = null;
    this.#wakeAtMs = Infinity;
    this.#wakeAll();
    await Promise.allSettled([...this.#loops.values()].map((l) => l.done));
  }

  /** Re-evaluates what to fetch now: call after anything that may make a partition fetchable. */
  wake(): void {
    if (!this.#running) return;
    this.#wakeAll();
    this.#ensureLoops();
  }

  #wakeAll(): void {
    for (const fn of this.#wakers.splice(0)) fn();
  }

  /** Wakes the loops at `atMs` (backoffs ending). */
  #wakeAt(atMs: number): void {
    if (!this.#running || atMs >= this.#wakeAtMs) return;
    if (this.#wakeTimer !== null) clearTimeout(this.#wakeTimer);
    this.#wakeAtMs = atMs;
    this.#wakeTimer = setTimeout(() => {
      this.#wakeTimer = null;
      this.#wakeAtMs = Infinity;
      this.wake();
    }, Math.max(0, atMs - Date.now()));
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wakers.push(done);
    });
  }

  #fetchable(p: AssignedPartition, now: number): boolean {
    return (
      p.phase === 'ready' &&
      p.fetchOffset >= 0 &&
      !p.fetchInFlight &&
      !this.#o.host.isPaused(p) &&
      p.bufferedBytes < this.#o.maxBufferedBytesPerPartition &&
      p.fetchRetryAtMs <= now
    );
  }

  #ensureLoops(): void {
    const now = Date.now();
    let unknownLeader = false;
    for (const p of this.#o.host.partitions()) {
      if (p.phase !== 'ready') continue;
      if (p.fetchRetryAtMs > now) this.#wakeAt(p.fetchRetryAtMs);
      if (!this.#fetchable(p, now)) continue;
      const leader = this.#o.cluster.leaderOf(p.topic, p.partition);
      if (leader < 0) {
        unknownLeader = true;
        continue;
      }
      if (!this.#loops.has(leader)) {
        this.#o.logger.debug('fetch loop starts', { nodeId: leader });
        const entry = { done: Promise.resolve() };
        this.#loops.set(leader, entry);
        entry.done = this.#loop(leader, entry);
      }
    }
    if (unknownLeader) this.#refreshMetadata();
  }

  #refreshMetadata(): void {
    // Topics of assigned partitions must be in the cluster's wanted set; topicMetadata adds them.
    const now = Date.now();
    if (now - this.#lastMetadataRequestMs < 100) {
      this.#wakeAt(now + 100);
      return;
    }
    this.#lastMetadataRequestMs = now;
    const topics = new Set<string>();
    for (const p of this.#o.host.partitions()) if (p.phase === 'ready' && this.#o.cluster.leaderOf(p.topic, p.partition) < 0) topics.add(p.topic);
    for (const t of topics) this.#o.cluster.topicMetadata(t).catch(() => {});
    this.#o.cluster.requestRefresh();
    this.#wakeAt(now + IDLE_RECHECK_MS);
  }

  /**
   * Fetches for `nodeId` until no assigned partition is led by it. The map entry is removed
   * in the `finally` below, synchronously as the loop ends: a promise callback would run a
   * microtask later, and a wake() in between (a fetch answer and a ListOffsets answer can
   * arrive in the same socket read) would see a loop that is gone and start none.
   */
  async #loop(nodeId: number, entry: { done: Promise<void> }): Promise<void> {
    try {
      let failures = 0;
      while (this.#running) {
        const now = Date.now();
        const parts: AssignedPartition[] = [];
        let led = false;
        for (const p of this.#o.host.partitions()) {
          if (p.phase !== 'ready' || this.#o.cluster.leaderOf(p.topic, p.partition) !== nodeId) continue;
          led = true;
          if (this.#fetchable(p, now)) parts.push(p);
        }
        if (!led) {
          this.#o.logger.debug('fetch loop ends: no partition led by the node', { nodeId });
          return;
        }
        if (parts.length === 0) {
          await this.#sleep(IDLE_RECHECK_MS);
          continue;
        }
        const ok = await this.#fetchOnce(nodeId, parts);
        if (ok) {
          failures = 0;
          continue;
        }
        failures++;
        this.#o.cluster.requestRefresh();
        await this.#sleep(Math.min(MAX_FETCH_BACKOFF_MS, retryDelayMs(this.#o.retry, failures, this.#o.random)));
      }
    } finally {
      if (this.#loops.get(nodeId) === entry) this.#loops.delete(nodeId);
    }
  }

  /** One Fetch to `nodeId`; false when the request itself failed. */
  async #fetchOnce(nodeId: number, parts: AssignedPartition[]): Promise<boolean> {
    const o = this.#o;
    // The first partition of a response always gets a whole batch (KIP-74) and the response's byte
    // budget goes to partitions in order, so the order rotates; partitions that got only part of
    // an oversized batch go first.
    const shift = this.#rotation++ % parts.length;
    parts = [...parts.slice(shift), ...parts.slice(0, shift)];
    parts.sort((a, b) => Number(this.#first.has(b)) - Number(this.#first.has(a)));
    const sent: Sent[] = parts.map((p, i) => ({ p, epoch: p.epoch, fetchOffset: p.fetchOffset, first: i === 0 }));
    for (const s of sent) s.p.fetchInFlight = true;
    const started = Date.now();
    let res: FetchResponse;
    let version: number;
    try {
      const conn = await o.cluster.openConnection(nodeId);
      version = conn.version(FetchApi, FETCH_MAX_VERSION);
      o.events.emit('consumer.fetch_start', { nodeId });
      res = await conn.send(
        FetchApi,
        version,
        {
          clusterId: null,
          replicaId: -1,
          replicaState: { replicaId: -1, replicaEpoch: -1 },
          maxWaitMs: o.maxWaitTimeMs,
          minBytes: o.minBytes,
          maxBytes: o.maxBytes,
          isolationLevel: o.readCommitted ? 1 : 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: byTopic(sent).map(([topic, list]) => ({
            topic,
            topicId: ZERO_UUID,
            partitions: list.map((s) => ({
              partition: s.p.partition,
              currentLeaderEpoch: -1,
              fetchOffset: s.fetchOffset,
              lastFetchedEpoch: -1,
              logStartOffset: -1,
              partitionMaxBytes: o.maxBytesPerPartition,
              replicaDirectoryId: ZERO_UUID,
              highWatermark: 0x7fffffffffffffffn,
            })),
          })),
          forgottenTopicsData: [],
          rackId: o.rackId,
        },
        { timeoutMs: o.requestTimeoutMs + o.maxWaitTimeMs },
      );
    } catch (err) {
      for (const s of sent) s.p.fetchInFlight = false;
      // A lost connection is retried; an error no retry can fix (a broker without a Fetch version
      // this client speaks: UNSUPPORTED_VERSION) fails the consumer instead of looping quietly.
      if (this.#running && err instanceof KafkaError && !err.retriable) {
        o.host.failed(err);
        return false;
      }
      if (this.#running) o.logger.debug('fetch failed', { nodeId, error: err });
      return false;
    }
    for (const s of sent) s.p.fetchInFlight = false;
    if (res.errorCode !== 0) {
      o.logger.debug('fetch answered with an error', { nodeId, error: new KafkaError(res.errorCode, { apiName: 'Fetch', apiKey: FetchApi.apiKey, apiVersion: version }) });
      return false;
    }
    let batches = 0;
    const report: Array<{ topic: string; partition: number; messages: number; bytes: number }> = [];
    const bySent = new Map(sent.map((s) => [`${s.p.topic}\0${s.p.partition}`, s]));
    for (const t of res.responses) {
      for (const pd of t.partitions) {
        const s = bySent.get(`${t.topic}\0${pd.partitionIndex}`);
        if (s === undefined) continue;
        const r = await this.#handlePartition(s, pd, version);
        batches += r.batches;
        report.push({ topic: s.p.topic, partition: s.p.partition, messages: r.messages, bytes: r.bytes });
      }
    }
    o.events.emit('consumer.fetch', { nodeId, numberOfBatches: batches, duration: Date.now() - started, partitions: report });
    return true;
  }

  /** Buffers one partition's answer; returns how many batches it held and what was kept. */
  async #handlePartition(s: Sent, pd: FetchResponse['responses'][number]['partitions'][number], version: number): Promise<{ batches: number; messages: number; bytes: number }> {
    const none = { batches: 0, messages: 0, bytes: 0 };
    const { p } = s;
    const o = this.#o;
    if (p.phase !== 'ready' || p.epoch !== s.epoch) return none;
    if (pd.errorCode !== 0) {
      const error = new KafkaError(pd.errorCode, { apiName: 'Fetch', apiKey: FetchApi.apiKey, apiVersion: version, topic: p.topic, partition: p.partition });
      if (pd.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
        o.host.outOfRange(p);
      } else if (isRetriable(pd.errorCode)) {
        p.fetchFailures++;
        p.fetchRetryAtMs = Date.now() + Math.min(MAX_FETCH_BACKOFF_MS, retryDelayMs(o.retry, p.fetchFailures, o.random));
        o.logger.debug('fetch error, retrying', { error });
        o.cluster.requestRefresh();
        this.#wakeAt(p.fetchRetryAtMs);
      } else {
        o.host.failed(error);
      }
      return none;
    }
    p.fetchFailures = 0;
    if (pd.highWatermark >= 0) p.highWatermark = pd.highWatermark;
    const records = pd.records;
    if (records === null || records.length === 0) return none;
    let decoded: DecodedBatch[];
    try {
      decoded = await decodeRecordBatches(records);
    } catch (err) {
      o.host.failed(
        new KafkaError(ErrorCode.CORRUPT_MESSAGE, { apiName: 'Fetch', topic: p.topic, partition: p.partition, message: `at offset ${s.fetchOffset}: ${(err as Error).message}`, cause: err }),
      );
      return none;
    }
    // Decompression yielded: a seek or revoke may have happened meanwhile.
    if (p.phase !== 'ready' || p.epoch !== s.epoch) return none;
    if (decoded.length === 0) {
      // Only part of a batch fit into maxBytesPerPartition.
      if (s.first) {
        o.host.failed(
          new KafkaError(ErrorCode.MESSAGE_TOO_LARGE, {
            apiName: 'Fetch',
            topic: p.topic,
            partition: p.partition,
            message: `the batch at offset ${s.fetchOffset} is larger than maxBytesPerPartition (${o.maxBytesPerPartition}) and the broker sends only part of it; raise maxBytesPerPartition`,
          }),
        );
      } else {
        this.#first.add(p);
        this.wake();
      }
      return none;
    }
    this.#first.delete(p);
    const filter = o.readCommitted ? new AbortedTransactionFilter(pd.abortedTransactions) : null;
    const messages: ConsumerMessage[] = [];
    let next = s.fetchOffset;
    for (const batch of decoded) {
      if (batch.lastOffset + 1 > next) next = batch.lastOffset + 1;
      const decision = filter === null ? (batch.isControl ? 'skip' : 'deliver') : filter.decide(batch);
      if (decision === 'skip' || batch.lastOffset < s.fetchOffset) continue;
      for (const r of batch.records) {
        if (r.offset >= s.fetchOffset) messages.push(toConsumerMessage(p.topic, p.partition, r, batch.timestampType, batch.partitionLeaderEpoch));
      }
    }
    p.fetchOffset = next;
    const before = p.bufferedBytes;
    p.push(messages);
    if (messages.length > 0) o.host.buffered(p);
    return { batches: decoded.length, messages: messages.length, bytes: p.bufferedBytes - before };
  }
}

function byTopic(sent: readonly Sent[]): Array<[string, Sent[]]> {
  const m = new Map<string, Sent[]>();
  for (const s of sent) {
    let l = m.get(s.p.topic);
    if (l === undefined) m.set(s.p.topic, (l = []));
    l.push(s);
  }
  return [...m];
}
