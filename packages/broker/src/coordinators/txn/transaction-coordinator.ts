/**
 * The transaction coordinator (Kafka's TransactionCoordinator), for every
 * transactional id (single node: this broker coordinates all of them). State
 * lives in `__transaction_state` (transaction-state-topic.ts); every change
 * is written there before it is acted on or answered.
 *
 * States and transitions (Kafka's):
 *
 *   from                      | request / event              | to (and effect)
 *   --------------------------+------------------------------+-----------------------------------------------
 *   (none)                    | InitProducerId               | Empty: new producer id, epoch 0
 *   Empty, Complete*          | InitProducerId               | Empty: epoch + 1 (new id when the epoch is exhausted)
 *   Ongoing                   | InitProducerId               | abort with epoch + 1 (fences the old producer),
 *                             |                              | then as above
 *   Prepare*                  | InitProducerId, AddPartitions,| CONCURRENT_TRANSACTIONS (markers being written)
 *                             | AddOffsets, EndTxn           |
 *   Empty, Ongoing, Complete* | AddPartitions / AddOffsets   | Ongoing (start time set when leaving Empty/Complete*)
 *   Ongoing                   | EndTxn(commit / abort)       | PrepareCommit / PrepareAbort, markers written to
 *                             |                              | every partition, then CompleteCommit / CompleteAbort
 *   CompleteCommit            | EndTxn(commit) (a retry)     | unchanged, NONE; EndTxn(abort): INVALID_TXN_STATE
 *   CompleteAbort             | EndTxn(abort) (a retry)      | unchanged, NONE; EndTxn(commit): INVALID_TXN_STATE
 *   Empty                     | EndTxn                       | INVALID_TXN_STATE
 *   Ongoing past its timeout  | timer                        | abort with epoch + 1 (the producer is fenced)
 *   Prepare* (after restart,  | load / timer                 | markers written again, then Complete*
 *     or markers failed)      |                              |
 *   Empty, Complete* idle for | timer                        | forgotten (tombstone)
 *     transactional.id.expiration.ms
 *
 * Producer checks on every request: an unknown transactional id or another
 * producer id is INVALID_PRODUCER_ID_MAPPING; another epoch is
 * PRODUCER_FENCED (handlers map it to INVALID_PRODUCER_EPOCH for request
 * versions that predate it, as Kafka does).
 *
 * Requests for one transactional id run one at a time (a per-id queue);
 * markers are written by the injected {@link MarkerWriter} and EndTxn is
 * answered once they are all written (Kafka answers after PrepareCommit and
 * writes markers in the background; answering later only makes the next
 * transaction wait less often on CONCURRENT_TRANSACTIONS).
 */
import { ErrorCode } from '@samsa/protocol';
import type { GroupTimers, TimerHandle } from '../group/timers.js';
import type { TransactionLog } from './transaction-state-topic.js';
import type { TxnLogValue, TxnState } from './transaction-log-records.js';

/** Largest producer epoch before a new producer id is taken (Kafka: Short.MaxValue - 1). */
const MAX_PRODUCER_EPOCH = 32766;
/** Bounds of the marker retry loop before a transaction is left to the timer. */
const MARKER_ATTEMPTS = 6;
const MARKER_BACKOFF_MS = 100;

/** A partition of a transaction. */
export interface TopicPartitionRef {
  topic: string;
  partition: number;
}

/** Writes transaction markers (and completes transactional offsets for __consumer_offsets partitions). */
export interface MarkerWriter {
  writeMarkers(partitions: readonly TopicPartitionRef[], marker: { producerId: number; producerEpoch: number; aborted: boolean }): Promise<void>;
}

export interface TransactionCoordinatorConfig {
  /** transaction.max.timeout.ms */
  maxTimeoutMs: number;
  /** transactional.id.expiration.ms */
  idExpirationMs: number;
  /** transaction.abort.timed.out.transaction.cleanup.interval.ms */
  abortCheckIntervalMs: number;
}

export interface TransactionCoordinatorOptions {
  log: TransactionLog;
  producerIds: { generate(): Promise<number> };
  markers: MarkerWriter;
  timers: GroupTimers;
  config: TransactionCoordinatorConfig;
  partitionExists(topic: string, partition: number): boolean;
  onError(message: string, err: unknown): void;
}

/** What the coordinator knows about one transactional id. */
export interface TxnMetadata {
  readonly transactionalId: string;
  producerId: number;
  producerEpoch: number;
  timeoutMs: number;
  state: TxnState;
  partitions: Map<string, Set<number>>;
  startTimestampMs: number;
  lastUpdateTimestampMs: number;
}

/** Result of InitProducerId. */
export interface InitProducerIdResult {
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

function copy(m: TxnMetadata): TxnMetadata {
  return { ...m, partitions: new Map([...m.partitions].map(([t, ps]) => [t, new Set(ps)])) };
}

function toLogValue(m: TxnMetadata): TxnLogValue {
  return {
    producerId: m.producerId,
    producerEpoch: m.producerEpoch,
    transactionTimeoutMs: m.timeoutMs,
    state: m.state,
    partitions: new Map([...m.partitions].map(([t, ps]) => [t, [...ps].sort((a, b) => a - b)])),
    lastUpdateTimestampMs: m.lastUpdateTimestampMs,
    startTimestampMs: m.startTimestampMs,
  };
}

function partitionList(m: TxnMetadata): TopicPartitionRef[] {
  const out: TopicPartitionRef[] = [];
  for (const [topic, ps] of m.partitions) for (const partition of ps) out.push({ topic, partition });
  return out;
}

const isPrepare = (s: TxnState): boolean => s === 'PrepareCommit' || s === 'PrepareAbort' || s === 'PrepareEpochFence';
const isComplete = (s: TxnState): boolean => s === 'CompleteCommit' || s === 'CompleteAbort';

export class TransactionCoordinator {
  readonly #opts: TransactionCoordinatorOptions;
  readonly #txns = new Map<string, TxnMetadata>();
  readonly #queues = new Map<string, Promise<unknown>>();
  #sweepTimer: TimerHandle | null = null;
  #shutDown = false;

  constructor(opts: TransactionCoordinatorOptions) {
    this.#opts = opts;
  }

  /** Installs the state read from `__transaction_state`, finishes interrupted commits/aborts and starts the timer. */
  async load(states: ReadonlyMap<string, TxnLogValue>): Promise<void> {
    for (const [transactionalId, v] of states) {
      this.#txns.set(transactionalId, {
        transactionalId,
        producerId: v.producerId,
        producerEpoch: v.producerEpoch,
        timeoutMs: v.transactionTimeoutMs,
        state: v.state,
        partitions: new Map([...v.partitions].map(([t, ps]) => [t, new Set(ps)])),
        startTimestampMs: v.startTimestampMs,
        lastUpdateTimestampMs: v.lastUpdateTimestampMs,
      });
    }
    await this.sweep();
    this.#scheduleSweep();
  }

  /** A transactional id's state (read-only), for Describe/ListTransactions and produce verification. */
  get(transactionalId: string): Readonly<TxnMetadata> | undefined {
    return this.#txns.get(transactionalId);
  }

  /** Every known transactional id's state (read-only). */
  all(): IterableIterator<Readonly<TxnMetadata>> {
    return this.#txns.values();
  }

  initProducerId(transactionalId: string, timeoutMs: number, producerId: number, producerEpoch: number): Promise<InitProducerIdResult> {
    return this.#serial(transactionalId, async () => {
      const fail = (errorCode: number): InitProducerIdResult => ({ errorCode, producerId: -1, producerEpoch: -1 });
      if (timeoutMs <= 0 || timeoutMs > this.#opts.config.maxTimeoutMs) return fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
      const now = this.#opts.timers.nowMs();
      let m = this.#txns.get(transactionalId);
      if (m === undefined) {
        const fresh: TxnMetadata = {
          transactionalId,
          producerId: await this.#opts.producerIds.generate(),
          producerEpoch: 0,
          timeoutMs,
          state: 'Empty',
          partitions: new Map(),
          startTimestampMs: -1,
          lastUpdateTimestampMs: now,
        };
        if (!(await this.#persist(fresh))) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
        return { errorCode: ErrorCode.NONE, producerId: fresh.producerId, producerEpoch: 0 };
      }
      // KIP-360: a producer naming its id and epoch must be the current one.
      if (producerId >= 0 && (producerId !== m.producerId || producerEpoch !== m.producerEpoch)) {
        return fail(producerId !== m.producerId ? ErrorCode.INVALID_PRODUCER_ID_MAPPING : ErrorCode.PRODUCER_FENCED);
      }
      if (isPrepare(m.state)) return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
      if (m.state === 'Ongoing') {
        const aborted = await this.#complete(m, false, true);
        if (aborted !== ErrorCode.NONE) return fail(aborted);
        m = this.#txns.get(transactionalId);
        if (m === undefined) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      }
      const next = copy(m);
      if (next.producerEpoch >= MAX_PRODUCER_EPOCH) {
        next.producerId = await this.#opts.producerIds.generate();
        next.producerEpoch = 0;
      } else {
        next.producerEpoch++;
      }
      next.timeoutMs = timeoutMs;
      next.state = 'Empty';
      next.partitions = new Map();
      next.startTimestampMs = -1;
      next.lastUpdateTimestampMs = now;
      if (!(await this.#persist(next))) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      return { errorCode: ErrorCode.NONE, producerId: next.producerId, producerEpoch: next.producerEpoch };
    });
  }

  /**
   * AddPartitionsToTxn: returns an error code per partition (the same code for
   * all when the request as a whole fails; OPERATION_NOT_ATTEMPTED for the
   * valid ones when some do not exist).
   */
  addPartitions(transactionalId: string, producerId: number, producerEpoch: number, partitions: readonly TopicPartitionRef[]): Promise<number[]> {
    return this.#serial(transactionalId, async () => {
      const all = (code: number): number[] => partitions.map(() => code);
      const m = this.#txns.get(transactionalId);
      const problem = this.#checkProducer(m, producerId, producerEpoch);
      if (problem !== ErrorCode.NONE || m === undefined) return all(problem);
      if (isPrepare(m.state)) return all(ErrorCode.CONCURRENT_TRANSACTIONS);
      const missing = partitions.map((p) => !this.#opts.partitionExists(p.topic, p.partition));
      if (missing.some((x) => x)) return missing.map((x) => (x ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.OPERATION_NOT_ATTEMPTED));
      const news = partitions.filter((p) => !(m.partitions.get(p.topic)?.has(p.partition) ?? false));
      if (m.state === 'Ongoing' && news.length === 0) return all(ErrorCode.NONE);
      const next = copy(m);
      const now = this.#opts.timers.nowMs();
      if (next.state !== 'Ongoing') {
        next.state = 'Ongoing';
        next.startTimestampMs = now;
        next.partitions = new Map();
      }
      for (const p of news) {
        let set = next.partitions.get(p.topic);
        if (set === undefined) next.partitions.set(p.topic, (set = new Set()));
        set.add(p.partition);
      }
      next.lastUpdateTimestampMs = now;
      return all((await this.#persist(next)) ? ErrorCode.NONE : ErrorCode.COORDINATOR_NOT_AVAILABLE);
    });
  }

  /** EndTxn: commits or aborts the ongoing transaction (see the table at the top). */
  endTxn(transactionalId: string, producerId: number, producerEpoch: number, commit: boolean): Promise<number> {
    return this.#serial(transactionalId, async () => {
      const m = this.#txns.get(transactionalId);
      const problem = this.#checkProducer(m, producerId, producerEpoch);
      if (problem !== ErrorCode.NONE || m === undefined) return problem;
      switch (m.state) {
        case 'Ongoing':
          return this.#complete(m, commit, false);
        case 'CompleteCommit':
          return commit ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE;
        case 'CompleteAbort':
          return commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.NONE;
        case 'PrepareCommit':
        case 'PrepareAbort':
        case 'PrepareEpochFence':
          return ErrorCode.CONCURRENT_TRANSACTIONS;
        default:
          return ErrorCode.INVALID_TXN_STATE;
      }
    });
  }

  /**
   * KIP-890 verification of a transactional write or offset commit: the
   * producer is the id's current one and the partition is in its ongoing
   * transaction. NONE, or the error code to answer with.
   */
  verifyPartition(transactionalId: string | null, producerId: number, producerEpoch: number, topic: string, partition: number): number {
    if (transactionalId === null) return ErrorCode.INVALID_TXN_STATE;
    const m = this.#txns.get(transactionalId);
    const problem = this.#checkProducer(m, producerId, producerEpoch);
    if (problem !== ErrorCode.NONE || m === undefined) return problem === ErrorCode.PRODUCER_FENCED ? ErrorCode.INVALID_PRODUCER_EPOCH : problem;
    if (m.state !== 'Ongoing' || !(m.partitions.get(topic)?.has(partition) ?? false)) return ErrorCode.INVALID_TXN_STATE;
    return ErrorCode.NONE;
  }

  /**
   * One pass of the background work: aborts (and fences) transactions past
   * their timeout, finishes commits/aborts whose markers are not all
   * written, and forgets ids idle for transactional.id.expiration.ms.
   */
  async sweep(): Promise<void> {
    const now = this.#opts.timers.nowMs();
    const work: Array<Promise<unknown>> = [];
    for (const m of [...this.#txns.values()]) {
      if (this.#shutDown) break;
      const id = m.transactionalId;
      if (m.state === 'Ongoing' && now >= m.startTimestampMs + m.timeoutMs) {
        work.push(this.#serial(id, async () => {
          const cur = this.#txns.get(id);
          if (cur?.state === 'Ongoing' && this.#opts.timers.nowMs() >= cur.startTimestampMs + cur.timeoutMs) await this.#complete(cur, false, true);
        }));
      } else if (isPrepare(m.state)) {
        work.push(this.#serial(id, async () => {
          const cur = this.#txns.get(id);
          if (cur !== undefined && isPrepare(cur.state)) await this.#writeMarkersAndFinish(cur, cur.state === 'PrepareCommit');
        }));
      } else if ((m.state === 'Empty' || isComplete(m.state)) && now >= m.lastUpdateTimestampMs + this.#opts.config.idExpirationMs) {
        work.push(this.#serial(id, async () => {
          const cur = this.#txns.get(id);
          if (cur === undefined || cur.lastUpdateTimestampMs !== m.lastUpdateTimestampMs) return;
          try {
            await this.#opts.log.write(id, null);
            this.#txns.delete(id);
          } catch (err) {
            this.#opts.onError(`expiring transactional id ${id} failed`, err);
          }
        }));
      }
    }
    await Promise.all(work);
  }

  /** Stops the timer; requests in flight finish. */
  shutdown(): void {
    this.#shutDown = true;
    this.#opts.timers.clear(this.#sweepTimer);
    this.#sweepTimer = null;
  }

  #scheduleSweep(): void {
    if (this.#shutDown) return;
    this.#sweepTimer = this.#opts.timers.set(this.#opts.config.abortCheckIntervalMs, () => {
      this.#sweepTimer = null;
      void this.sweep()
        .catch((err: unknown) => this.#opts.onError('transaction sweep failed', err))
        .finally(() => this.#scheduleSweep());
    });
  }

  #checkProducer(m: TxnMetadata | undefined, producerId: number, producerEpoch: number): number {
    if (m === undefined || m.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (m.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
    return ErrorCode.NONE;
  }

  /**
   * Ends `m`'s ongoing transaction: Prepare* persisted, markers written,
   * Complete* persisted. `fence` bumps the epoch first (timeouts and
   * InitProducerId over an open transaction), so the old producer's writes
   * and requests are refused from then on.
   */
  async #complete(m: TxnMetadata, commit: boolean, fence: boolean): Promise<number> {
    const prepared = copy(m);
    if (fence && prepared.producerEpoch < MAX_PRODUCER_EPOCH) prepared.producerEpoch++;
    prepared.state = commit ? 'PrepareCommit' : 'PrepareAbort';
    prepared.lastUpdateTimestampMs = this.#opts.timers.nowMs();
    if (!(await this.#persist(prepared))) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    return (await this.#writeMarkersAndFinish(prepared, commit)) ? ErrorCode.NONE : ErrorCode.COORDINATOR_NOT_AVAILABLE;
  }

  /** Writes the markers (retrying a few times) and persists Complete*; false leaves the transaction in Prepare* for the timer. */
  async #writeMarkersAndFinish(m: TxnMetadata, commit: boolean): Promise<boolean> {
    const partitions = partitionList(m).filter((p) => this.#opts.partitionExists(p.topic, p.partition));
    const marker = { producerId: m.producerId, producerEpoch: m.producerEpoch, aborted: !commit };
    let delay = MARKER_BACKOFF_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#opts.markers.writeMarkers(partitions, marker);
        break;
      } catch (err) {
        if (attempt >= MARKER_ATTEMPTS || this.#shutDown) {
          this.#opts.onError(`writing transaction markers for ${m.transactionalId} failed; retrying later`, err);
          return false;
        }
        await new Promise<void>((resolve) => this.#opts.timers.set(delay, resolve));
        delay *= 2;
      }
    }
    const done = copy(m);
    done.state = commit ? 'CompleteCommit' : 'CompleteAbort';
    done.partitions = new Map();
    done.lastUpdateTimestampMs = this.#opts.timers.nowMs();
    return this.#persist(done);
  }

  /** Writes the new state, then installs it; false (state unchanged) when the write failed. */
  async #persist(next: TxnMetadata): Promise<boolean> {
    try {
      await this.#opts.log.write(next.transactionalId, toLogValue(next));
    } catch (err) {
      this.#opts.onError(`writing __transaction_state for ${next.transactionalId} failed`, err);
      return false;
    }
    this.#txns.set(next.transactionalId, next);
    return true;
  }

  /** Runs `fn` after every earlier request for the same transactional id. */
  #serial<T>(transactionalId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#queues.get(transactionalId) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.#queues.set(transactionalId, tail);
    void tail.then(() => {
      if (this.#queues.get(transactionalId) === tail) this.#queues.delete(transactionalId);
    });
    return run;
  }
}
