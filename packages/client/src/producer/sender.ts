/**
 * The sender: moves ready batches from the accumulator to partition leaders,
 * one Produce request per broker at a time up to `maxInFlightRequests`, and
 * handles the answers.
 *
 * It runs as a "pump" scheduled with setImmediate whenever something changed
 * (records appended, a batch encoded, a response, a connection opened, a
 * metadata refresh, a timer for linger/backoff/delivery deadlines). Each run:
 *
 *   1. fails batches past their delivery timeout (only in partitions with
 *      nothing in flight, so the order of outcomes stays the order of sends);
 *   2. groups the partitions that can send by leader;
 *   3. per leader with a ready connection and a free in-flight slot, drains
 *      one batch per partition into a request (at most `maxRequestSize`
 *      bytes, but always one batch), starting at a rotating partition so none
 *      starves;
 *   4. arms one timer for the earliest linger end, retry time or deadline.
 *
 * Ordering and retries. A partition may have several batches in flight, all
 * to the same broker on one connection, which answers in order. When one
 * fails, the partition stops sending and waits until all its in-flight
 * batches have come back ("drain, then resend"). Then the failed batches
 * return to the front of the queue in their original order and are resent
 * after the backoff, keeping their sequence numbers. With idempotence the
 * broker refuses every batch after a missing one (OUT_OF_ORDER_SEQUENCE_NUMBER),
 * so nothing can overtake a failed batch; resending the whole run in order
 * restores the sequence. Decision table for a failed batch b (F = the
 * partition's oldest failed batch in this round):
 *
 *   error                                      | b = F           | b after F
 *   -------------------------------------------+-----------------+------------------------
 *   OUT_OF_ORDER_SEQUENCE_NUMBER,              | reset identity, | retry, attempt not
 *   UNKNOWN_PRODUCER_ID, INVALID_PRODUCER_EPOCH| retry           | counted (a consequence)
 *   (idempotent, stamped in this generation)   |                 |
 *   retriable (Kafka's table, network, timeout)| retry if attempts and delivery time remain, else fail
 *   anything else                              | fail
 *
 * A stamped batch that fails for good leaves a hole in the sequence, so it
 * also resets the identity (see ProducerIdentity). Without idempotence,
 * a batch sent after a failed one may already be written when the failed
 * one is retried: use `maxInFlightRequests: 1` for strict order then.
 *
 * Transactions (a {@link TransactionGate}, the TransactionManager): Produce
 * requests carry the transactional id and batches the transactional flag; a
 * partition sends nothing until AddPartitionsToTxn added it to the
 * transaction; a batch that fails for good fails the transaction. Changes to
 * the table above while the gate reports a failure (transaction failed,
 * aborting, or fatally broken):
 *
 *   situation                                  | transactional producer
 *   -------------------------------------------+------------------------------------------
 *   batches not sent yet (queued or open)      | fail at once with the gate's failure
 *   failed batch, whatever the error           | fail (no retry)
 *   sequence error of b = F (first row above)  | fail, also without a gate failure: the
 *                                              | epoch changes only when the transaction is
 *                                              | aborted (ProducerIdentity passes the reset
 *                                              | on); the batches after F then fail too
 */
import { CompressionCodec, ErrorCode, ProduceApi, ZERO_UUID, type ProduceResponse } from '@samsa/protocol';
import type { Cluster } from '../cluster/cluster.js';
import { isRetriableError } from '../cluster/cluster.js';
import type { Connection } from '../connection.js';
import { ConnectionError, KafkaError } from '../kafka-error.js';
import type { Logger } from '../logger.js';
import { retryDelayMs, type RetryPolicy } from '../retry.js';
import type { BatchResult, ProducerBatch } from './producer-batch.js';
import type { ProducerIdentity } from './producer-identity.js';
import type { PartitionQueue, RecordAccumulator } from './record-accumulator.js';

/** Produce v13 addresses topics by id only; names are enough for us. */
const PRODUCE_MAX_VERSION = 12;
/** Record batches (magic 2) need Produce v3. */
const PRODUCE_MIN_VERSION = 3;
/** zstd needs Produce v7 (KIP-110). */
const PRODUCE_ZSTD_MIN_VERSION = 7;
/** Kafka keeps the state of the last five batches per producer and partition, so at most five may be in flight. */
export const MAX_IN_FLIGHT_IDEMPOTENT = 5;
/** How much longer than the broker's ack timeout the client waits for a Produce response. */
const RESPONSE_GRACE_MS = 1_000;

/** Errors after which the cached leader is probably wrong. */
const METADATA_ERRORS = new Set<number>([
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.NETWORK_EXCEPTION,
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.UNKNOWN_TOPIC_ID,
]);

/** Errors meaning the broker does not accept this producer's sequence state. */
const SEQUENCE_ERRORS = new Set<number>([ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, ErrorCode.UNKNOWN_PRODUCER_ID, ErrorCode.INVALID_PRODUCER_EPOCH]);

/**
 * What the sender asks of a transactional producer's TransactionManager
 * (see the top of this file).
 */
export interface TransactionGate {
  readonly transactionalId: string;
  /** Whether AddPartitionsToTxn added the partition to the ongoing transaction. */
  isPartitionAdded(topic: string, partition: number): boolean;
  /** While non-null, unsent batches fail with this and nothing is retried. */
  readonly failure: Error | null;
  /** A batch failed for good: the transaction cannot be committed. */
  batchFailed(error: Error): void;
}

/** Settings of a {@link Sender}. */
export interface SenderOptions {
  cluster: Cluster;
  accumulator: RecordAccumulator;
  identity: ProducerIdentity;
  lingerMs: number;
  maxInFlightRequests: number;
  maxRequestSize: number;
  requestTimeoutMs: number;
  retry: RetryPolicy;
  logger: Logger;
  now: () => number;
  random: () => number;
  /** The transactional producer's TransactionManager; null otherwise. */
  transactions?: TransactionGate | null;
}

interface NodeState {
  /** Produce requests awaiting an answer. */
  inFlight: number;
  connecting: boolean;
}

/** Sends ready batches and handles their outcome (see the top of this file). */
export class Sender {
  readonly #o: SenderOptions;
  readonly #acc: RecordAccumulator;
  readonly #cluster: Cluster;
  readonly #identity: ProducerIdentity;
  readonly #txn: TransactionGate | null;
  readonly #nodes = new Map<number, NodeState>();
  #requestsInFlight = 0;
  #scheduled = false;
  #timer: NodeJS.Timeout | null = null;
  #timerAtMs = Infinity;
  #flushing = 0;
  #cursor = 0;
  #closed = false;

  constructor(opts: SenderOptions) {
    this.#o = opts;
    this.#acc = opts.accumulator;
    this.#cluster = opts.cluster;
    this.#identity = opts.identity;
    this.#txn = opts.transactions ?? null;
  }

  /** Produce requests awaiting an answer, over all brokers. */
  get requestsInFlight(): number {
    return this.#requestsInFlight;
  }

  /** Runs the pump soon (once, however often it is called before it runs). */
  schedule(): void {
    if (this.#scheduled || this.#closed) return;
    this.#scheduled = true;
    setImmediate(() => this.#pump());
  }

  /** While a flush runs, open batches are sent without waiting for `lingerMs`. */
  beginFlush(): void {
    this.#flushing++;
    this.#acc.sealAll();
    this.schedule();
  }

  endFlush(): void {
    this.#flushing--;
  }

  /** Stops the pump; batches still buffered stay unsettled (the producer flushes first). */
  close(): void {
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** A batch that could not be encoded: fail it like any permanent failure. */
  encodeFailed(batch: ProducerBatch, error: Error): void {
    const q = this.#acc.queueOf(batch.topic, batch.partition);
    this.#failForGood(q, batch, new KafkaError(ErrorCode.INVALID_RECORD, { message: `could not encode the batch: ${error.message}`, topic: batch.topic, partition: batch.partition, cause: error }));
    this.schedule();
  }

  #pump(): void {
    this.#scheduled = false;
    if (this.#closed) return;
    const now = this.#o.now();
    let wakeAtMs = Infinity;
    let wantRefresh = false;
    const identity = this.#identity;
    const blocked = identity.state === 'resetting';
    if (blocked && identity.needsAcquire && this.#requestsInFlight === 0 && this.#acc.active.size > 0) {
      if (now >= identity.nextAttemptAtMs) identity.acquire(now, () => this.schedule());
      else wakeAtMs = identity.nextAttemptAtMs;
    }

    const txn = this.#txn;
    const txnFailure = txn === null ? null : txn.failure;
    const byNode = new Map<number, PartitionQueue[]>();
    for (const q of this.#acc.active) {
      if (txnFailure !== null) this.#failUnsent(q, txnFailure);
      if (q.inFlight === 0 && q.failed.length === 0) wakeAtMs = Math.min(wakeAtMs, this.#expire(q, now));
      if (q.idle) {
        this.#acc.active.delete(q);
        continue;
      }
      if (blocked || q.failed.length > 0) continue;
      // The TransactionManager wakes the sender when AddPartitionsToTxn succeeded.
      if (txn !== null && !txn.isPartitionAdded(q.topic, q.partition)) continue;
      const head = q.queue.length > 0 ? q.queue[0] : q.open;
      if (head === null) continue;
      if (head === q.open && !this.#lingerDone(head, now)) {
        wakeAtMs = Math.min(wakeAtMs, head.createdAtMs + this.#o.lingerMs);
        continue;
      }
      if (q.retryAtMs > now) {
        wakeAtMs = Math.min(wakeAtMs, q.retryAtMs);
        continue;
      }
      if (this.#cluster.refreshedThrough <= q.metadataAfter) {
        wantRefresh = true; // the pump runs again when the refresh finished
        continue;
      }
      if (q.inFlight >= this.#maxInFlightPerPartition()) continue;
      const leader = this.#cluster.leaderOf(q.topic, q.partition);
      if (leader < 0) {
        wantRefresh = true;
        continue;
      }
      if (q.inFlight > 0 && q.inFlightNode !== leader) continue;
      let list = byNode.get(leader);
      if (list === undefined) byNode.set(leader, (list = []));
      list.push(q);
    }

    for (const [nodeId, queues] of byNode) {
      const conn = this.#cluster.readyConnection(nodeId);
      if (conn === undefined) {
        this.#connect(nodeId);
        continue;
      }
      const ns = this.#node(nodeId);
      while (ns.inFlight < this.#o.maxInFlightRequests) {
        const drained = this.#drain(nodeId, queues, now);
        if (drained === null) break;
        this.#send(nodeId, conn, ns, drained.batches, drained.acks);
      }
    }
    if (wantRefresh) this.#cluster.requestRefresh();
    this.#arm(wakeAtMs, now);
  }

  /** Takes one sendable batch from each queue for `nodeId`, as one request's worth. */
  #drain(nodeId: number, queues: PartitionQueue[], now: number): { batches: ProducerBatch[]; acks: number } | null {
    const batches: ProducerBatch[] = [];
    let size = 0;
    let acks: number | undefined;
    const n = queues.length;
    const start = this.#cursor++ % n;
    const cap = this.#maxInFlightPerPartition();
    for (let i = 0; i < n; i++) {
      const q = queues[(start + i) % n];
      if (q.inFlight >= cap || (q.inFlight > 0 && q.inFlightNode !== nodeId) || q.failed.length > 0 || q.retryAtMs > now) continue;
      if (this.#cluster.refreshedThrough <= q.metadataAfter) continue;
      if (q.queue.length === 0) {
        if (q.open === null || !this.#lingerDone(q.open, now)) continue;
        this.#acc.seal(q);
        if (q.queue.length === 0) continue;
      }
      const head = q.queue[0];
      if (head.state !== 'ready' || head.buffer === null) continue;
      if (acks !== undefined && head.acks !== acks) continue;
      const bytes = head.buffer.length;
      if (batches.length > 0 && size + bytes > this.#o.maxRequestSize) continue;
      if (!this.#stamp(q, head)) continue;
      q.queue.shift();
      head.state = 'inflight';
      head.attempts++;
      q.inFlight++;
      q.inFlightNode = nodeId;
      batches.push(head);
      size += bytes;
      acks = head.acks;
    }
    return batches.length > 0 ? { batches, acks: acks as number } : null;
  }

  /**
   * Gives `batch` the identity it must be sent with; false when it cannot be
   * sent now (a new identity is being fetched).
   */
  #stamp(q: PartitionQueue, batch: ProducerBatch): boolean {
    const id = this.#identity;
    if (id.state === 'resetting') return false;
    if (id.state === 'disabled') {
      if (batch.producerId !== -1) batch.stamp(-1, -1, -1, id.generation);
      return true;
    }
    if (batch.generation === id.generation) return true; // a retry keeps its sequence
    if (q.generation !== id.generation) {
      q.generation = id.generation;
      q.nextSequence = 0;
    }
    batch.stamp(id.producerId, id.producerEpoch, q.nextSequence, id.generation, this.#txn !== null);
    q.nextSequence = incrementSequence(q.nextSequence, batch.recordCount);
    return true;
  }

  #send(nodeId: number, conn: Connection, ns: NodeState, batches: ProducerBatch[], acks: number): void {
    let version: number;
    try {
      version = conn.version(ProduceApi, PRODUCE_MAX_VERSION);
      if (version < PRODUCE_MIN_VERSION) throw new Error(`broker ${nodeId} supports Produce only up to v${version}; record batches need v3`);
    } catch (err) {
      for (const b of batches) {
        this.#failed(b, new KafkaError(ErrorCode.UNSUPPORTED_VERSION, { message: (err as Error).message, apiName: 'Produce', apiKey: ProduceApi.apiKey, topic: b.topic, partition: b.partition }));
      }
      return;
    }
    if (version < PRODUCE_ZSTD_MIN_VERSION) {
      batches = batches.filter((b) => {
        if (b.compression !== CompressionCodec.Zstd) return true;
        this.#failed(b, new KafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, { message: `broker ${nodeId} supports Produce only up to v${version}; zstd needs v7`, apiName: 'Produce', apiKey: ProduceApi.apiKey, apiVersion: version, topic: b.topic, partition: b.partition }));
        return false;
      });
      if (batches.length === 0) return;
    }
    const byTopic = new Map<string, Array<{ index: number; records: Buffer }>>();
    for (const b of batches) {
      let list = byTopic.get(b.topic);
      if (list === undefined) byTopic.set(b.topic, (list = []));
      list.push({ index: b.partition, records: b.wireBytes() });
    }
    const request = {
      transactionalId: this.#txn === null ? null : this.#txn.transactionalId,
      acks,
      timeoutMs: this.#o.requestTimeoutMs,
      topicData: [...byTopic].map(([name, partitionData]) => ({ name, topicId: ZERO_UUID, partitionData })),
    };
    ns.inFlight++;
    this.#requestsInFlight++;
    const settle = (): void => {
      ns.inFlight--;
      this.#requestsInFlight--;
      this.schedule();
    };
    if (acks === 0) {
      conn.sendWithoutResponse(ProduceApi, version, request).then(
        () => {
          settle();
          for (const b of batches) this.#acknowledged(b, { baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 });
        },
        (err: unknown) => {
          settle();
          this.#requestFailed(nodeId, batches, err, version);
        },
      );
      return;
    }
    // A callback, not a promise: this runs for every Produce request.
    conn.sendWithCallback(ProduceApi, version, request, this.#o.requestTimeoutMs + RESPONSE_GRACE_MS, (err, res) => {
      settle();
      if (err === null) this.#answered(batches, res as ProduceResponse, version);
      else this.#requestFailed(nodeId, batches, err, version);
    });
  }

  #answered(batches: ProducerBatch[], res: ProduceResponse, version: number): void {
    const answerOf = answerLookup(res, batches.length);
    for (const b of batches) {
      const p = answerOf(b.topic, b.partition);
      if (p === undefined) {
        this.#failed(b, new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, { message: 'the Produce response has no answer for this partition', apiName: 'Produce', apiKey: ProduceApi.apiKey, apiVersion: version, topic: b.topic, partition: b.partition }));
      } else if (p.errorCode === ErrorCode.NONE) {
        this.#acknowledged(b, { baseOffset: p.baseOffset, logAppendTimeMs: p.logAppendTimeMs, logStartOffset: p.logStartOffset });
      } else if (p.errorCode === ErrorCode.DUPLICATE_SEQUENCE_NUMBER && b.producerId >= 0) {
        // Written before (an earlier attempt's answer was lost); the broker no longer knows the offset.
        this.#acknowledged(b, { baseOffset: -1, logAppendTimeMs: -1, logStartOffset: p.logStartOffset });
      } else {
        const detail = p.recordErrors.length > 0 ? p.recordErrors.map((e) => `record ${e.batchIndex}: ${e.batchIndexErrorMessage ?? ''}`).join('; ') : null;
        this.#failed(
          b,
          new KafkaError(p.errorCode, { message: p.errorMessage ?? detail, apiName: 'Produce', apiKey: ProduceApi.apiKey, apiVersion: version, topic: b.topic, partition: b.partition }),
        );
      }
    }
  }

  #requestFailed(nodeId: number, batches: ProducerBatch[], err: unknown, version: number): void {
    this.#cluster.requestRefresh();
    for (const b of batches) this.#failed(b, toBatchError(err, nodeId, b, version));
  }

  #acknowledged(batch: ProducerBatch, result: BatchResult): void {
    const q = this.#acc.queueOf(batch.topic, batch.partition);
    q.inFlight--;
    batch.complete(result);
    this.#acc.release(batch);
    if (q.inFlight === 0 && q.failed.length > 0) this.#recover(q);
  }

  #failed(batch: ProducerBatch, error: Error): void {
    const q = this.#acc.queueOf(batch.topic, batch.partition);
    q.inFlight--;
    batch.lastError = error;
    q.failed.push(batch);
    if (isMetadataError(error)) this.#cluster.requestRefresh();
    if (q.inFlight === 0) this.#recover(q);
  }

  /** Nothing of `q` is in flight any more: retry or fail its failed batches (see the table at the top). */
  #recover(q: PartitionQueue): void {
    const failed = q.failed.sort((a, b) => a.id - b.id);
    q.failed = [];
    const now = this.#o.now();
    const identity = this.#identity;
    const first = failed[0];
    const retry: ProducerBatch[] = [];
    let reset: string | null = null;
    const txn = this.#txn;
    for (const b of failed) {
      const err = b.lastError as Error;
      if (isMetadataError(err)) q.metadataAfter = Math.max(q.metadataAfter, this.#cluster.refreshesStarted);
      let retriable = isRetriableError(err);
      const stamped = identity.idempotent && b.producerId >= 0 && b.generation === identity.generation;
      if (stamped && err instanceof KafkaError && SEQUENCE_ERRORS.has(err.code)) {
        if (b === first) {
          reset ??= `${err.type} on ${b.topic}-${b.partition}`;
          // In a transaction the epoch changes only with the abort: the transaction is lost.
          retriable = txn === null;
        } else {
          retriable = true;
          b.attempts--;
        }
      }
      // Failing F for good (below) fails the transaction, and with it the batches after F.
      if (txn !== null && txn.failure !== null) retriable = false;
      if (retriable && b.attempts <= this.#o.retry.retries && now < b.deadlineMs) {
        b.state = 'ready';
        retry.push(b);
      } else {
        const why = this.#failForGood(q, b, err, false);
        if (why !== null) reset ??= why;
      }
    }
    if (retry.length > 0) {
      q.queue.unshift(...retry);
      q.retryAtMs = now + retryDelayMs(this.#o.retry, Math.max(1, retry[0].attempts), this.#o.random);
      this.#o.logger.debug('retrying batches', { topic: q.topic, partition: q.partition, batches: retry.length, error: retry[0].lastError, attempt: retry[0].attempts });
    }
    if (reset !== null) identity.requestReset(reset);
    this.schedule();
  }

  /**
   * Fails a batch for good and releases it. Returns why the producer identity
   * must be reset (a stamped batch leaves a sequence hole), or null; with
   * `resetNow` the reset is requested here.
   */
  #failForGood(q: PartitionQueue, batch: ProducerBatch, error: Error, resetNow = true): string | null {
    const identity = this.#identity;
    const stamped = identity.idempotent && batch.producerId >= 0 && batch.generation === identity.generation;
    batch.fail(error);
    this.#acc.release(batch);
    this.#o.logger.debug('batch failed', { topic: q.topic, partition: q.partition, records: batch.recordCount, error });
    this.#txn?.batchFailed(error);
    if (!stamped) return null;
    const why = `a batch of ${q.topic}-${q.partition} failed: ${error.message}`;
    if (resetNow) identity.requestReset(why);
    return why;
  }

  /** Fails every batch of `q` not sent yet (queued, open, or waiting to be retried): the transaction failed. */
  #failUnsent(q: PartitionQueue, error: Error): void {
    if (q.open !== null) {
      q.queue.push(q.open);
      q.open = null;
    }
    while (q.queue.length > 0) this.#failForGood(q, q.queue.shift() as ProducerBatch, error);
  }

  /** Fails batches of an idle partition whose delivery timeout passed; returns the next deadline. */
  #expire(q: PartitionQueue, now: number): number {
    while (q.queue.length > 0 && q.queue[0].deadlineMs <= now) {
      const b = q.queue.shift() as ProducerBatch;
      this.#failForGood(q, b, deliveryTimeout(b, now));
    }
    if (q.queue.length === 0 && q.open !== null && q.open.deadlineMs <= now) {
      const b = q.open;
      q.open = null;
      this.#failForGood(q, b, deliveryTimeout(b, now));
    }
    const head = q.queue.length > 0 ? q.queue[0] : q.open;
    return head === null ? Infinity : head.deadlineMs;
  }

  #connect(nodeId: number): void {
    const ns = this.#node(nodeId);
    if (ns.connecting) return;
    ns.connecting = true;
    this.#cluster.openConnection(nodeId).then(
      () => {
        ns.connecting = false;
        this.schedule();
      },
      (err: unknown) => {
        ns.connecting = false;
        if (this.#closed) return;
        this.#o.logger.debug('cannot connect to broker', { nodeId, error: err });
        this.#cluster.requestRefresh();
        // Each partition led by the unreachable broker counts one failed attempt for its next batch.
        const now = this.#o.now();
        for (const q of this.#acc.active) {
          if (q.inFlight > 0 || q.failed.length > 0 || q.retryAtMs > now) continue;
          if (this.#cluster.leaderOf(q.topic, q.partition) !== nodeId) continue;
          if (q.queue.length === 0 && q.open !== null && this.#lingerDone(q.open, now)) this.#acc.seal(q);
          const head = q.queue.length > 0 ? q.queue[0] : undefined;
          if (head === undefined || head.state !== 'ready') continue;
          q.queue.shift();
          head.attempts++;
          head.lastError = toBatchError(err, nodeId, head, undefined);
          q.failed.push(head);
          this.#recover(q);
        }
        this.schedule();
      },
    );
  }

  #lingerDone(open: ProducerBatch, now: number): boolean {
    return this.#flushing > 0 || this.#acc.underMemoryPressure || now >= open.createdAtMs + this.#o.lingerMs;
  }

  #maxInFlightPerPartition(): number {
    return this.#identity.idempotent ? Math.min(MAX_IN_FLIGHT_IDEMPOTENT, this.#o.maxInFlightRequests) : this.#o.maxInFlightRequests;
  }

  #node(nodeId: number): NodeState {
    let ns = this.#nodes.get(nodeId);
    if (ns === undefined) this.#nodes.set(nodeId, (ns = { inFlight: 0, connecting: false }));
    return ns;
  }

  /** One timer for the earliest wake-up; an earlier one replaces a later one. */
  #arm(atMs: number, now: number): void {
    if (atMs === Infinity || this.#closed) return;
    if (this.#timer !== null && this.#timerAtMs <= atMs) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timerAtMs = atMs;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#timerAtMs = Infinity;
      this.#pump();
    }, Math.max(0, atMs - now));
  }
}

type PartitionAnswer = ProduceResponse['responses'][number]['partitionResponses'][number];

/**
 * Finds a partition's answer in a Produce response. A request usually
 * carries a batch or two: those are searched for, with no per-partition key
 * built; larger responses are indexed once.
 */
function answerLookup(res: ProduceResponse, batchCount: number): (topic: string, partition: number) => PartitionAnswer | undefined {
  if (batchCount <= 4) {
    return (topic, partition) => {
      for (const t of res.responses) {
        if (t.name !== topic) continue;
        for (const p of t.partitionResponses) if (p.index === partition) return p;
      }
      return undefined;
    };
  }
  const answers = new Map<string, Map<number, PartitionAnswer>>();
  for (const t of res.responses) {
    let byPartition = answers.get(t.name);
    if (byPartition === undefined) answers.set(t.name, (byPartition = new Map()));
    for (const p of t.partitionResponses) byPartition.set(p.index, p);
  }
  return (topic, partition) => answers.get(topic)?.get(partition);
}

function isMetadataError(err: unknown): boolean {
  return err instanceof KafkaError && METADATA_ERRORS.has(err.code);
}

/** Kafka's sequence arithmetic: int32, wrapping from 2^31-1 to 0. */
export function incrementSequence(sequence: number, increment: number): number {
  return sequence > 0x7fffffff - increment ? increment - (0x7fffffff - sequence) - 1 : sequence + increment;
}

/** A request-level failure as the batch's error: network problems become NETWORK_EXCEPTION / REQUEST_TIMED_OUT. */
function toBatchError(err: unknown, nodeId: number, b: ProducerBatch, version: number | undefined): Error {
  if (err instanceof KafkaError) return err;
  if (err instanceof ConnectionError) {
    return new KafkaError(err.timedOut ? ErrorCode.REQUEST_TIMED_OUT : ErrorCode.NETWORK_EXCEPTION, {
      message: `broker ${nodeId}: ${err.message}`,
      apiName: 'Produce',
      apiKey: ProduceApi.apiKey,
      apiVersion: version,
      topic: b.topic,
      partition: b.partition,
      cause: err,
    });
  }
  return err instanceof Error ? err : new Error(String(err));
}

function deliveryTimeout(b: ProducerBatch, now: number): KafkaError {
  const last = b.lastError === null ? '' : ` (last error: ${b.lastError.message})`;
  return new KafkaError(ErrorCode.REQUEST_TIMED_OUT, {
    message: `${b.recordCount} record(s) not delivered within the delivery timeout: ${now - b.createdAtMs} ms since the first was added, ${b.attempts} attempt(s)${last}`,
    apiName: 'Produce',
    apiKey: ProduceApi.apiKey,
    topic: b.topic,
    partition: b.partition,
    cause: b.lastError ?? undefined,
  });
}
