/**
 * The idempotent producer's identity: producer id and epoch from
 * InitProducerId, and a generation number that changes whenever they do.
 *
 * Sequence numbers live with each partition's queue; a partition whose
 * recorded generation differs from the current one starts again at sequence
 * 0, and a batch stamped in an older generation is stamped again before it
 * is sent (see ProducerBatch.stamp).
 *
 * States:
 *
 *   disabled   not idempotent (asked for, or the broker lacks InitProducerId)
 *   ready      batches may be stamped and sent
 *   resetting  a new identity is needed: the sender stops sending, waits for
 *              every in-flight request to settle, then calls acquire()
 *
 * A reset is requested when the broker no longer accepts our sequence state
 * (OUT_OF_ORDER_SEQUENCE_NUMBER on a partition's oldest batch in flight,
 * UNKNOWN_PRODUCER_ID, INVALID_PRODUCER_EPOCH) or when a stamped batch failed
 * for good (its sequence numbers leave a gap the broker would refuse). The
 * new identity is a fresh producer id, which every broker version supports;
 * bumping the epoch (KIP-360) is not used yet.
 *
 * Fallback: when the broker we ask does not list InitProducerId in
 * ApiVersions, the producer warns through the logger and continues without
 * idempotence.
 *
 * Transactional producers: the TransactionManager owns the identity. It gets
 * it from the transaction coordinator and hands it over with
 * {@link ProducerIdentity.adopt}; a reset request is passed to its
 * `onSequenceLost` instead (the epoch can only change when the transaction
 * is aborted), and the sender never acquires an identity itself.
 */
import { InitProducerIdApi, ErrorCode } from '@samsa/protocol';
import type { Cluster } from '../cluster/cluster.js';
import { isRetriableError } from '../cluster/cluster.js';
import { KafkaError } from '../kafka-error.js';
import type { Logger } from '../logger.js';
import { retryDelayMs, type RetryPolicy } from '../retry.js';

/** See the state list at the top of this file. */
export type IdentityState = 'disabled' | 'ready' | 'resetting';

/** InitProducerId v6 adds two-phase-commit fields we do not use. */
const INIT_PRODUCER_ID_MAX_VERSION = 5;
/** Errors of InitProducerId worth retrying besides Kafka's retriable ones (as Java's client does). */
const RETRY_INIT = new Set<number>([ErrorCode.CONCURRENT_TRANSACTIONS]);

/** Producer id, epoch and generation of an idempotent producer. */
export class ProducerIdentity {
  readonly #cluster: Cluster;
  readonly #retry: RetryPolicy;
  readonly #logger: Logger;
  readonly #random: () => number;
  #state: IdentityState;
  #producerId = -1;
  #producerEpoch = -1;
  #generation = 0;
  #acquiring = false;
  #failures = 0;
  #nextAttemptAtMs = 0;

  readonly #onSequenceLost: ((reason: string) => void) | null;

  /** With `onSequenceLost`, the identity is transactional (see the top of this file). */
  constructor(enabled: boolean, cluster: Cluster, retry: RetryPolicy, logger: Logger, random: () => number, onSequenceLost?: (reason: string) => void) {
    this.#state = enabled ? 'resetting' : 'disabled';
    this.#cluster = cluster;
    this.#retry = retry;
    this.#logger = logger;
    this.#random = random;
    this.#onSequenceLost = onSequenceLost ?? null;
  }

  /** True when a TransactionManager owns this identity. */
  get transactional(): boolean {
    return this.#onSequenceLost !== null;
  }

  get state(): IdentityState {
    return this.#state;
  }

  /** True while the producer writes idempotently (or is getting a new identity to do so). */
  get idempotent(): boolean {
    return this.#state !== 'disabled';
  }

  get producerId(): number {
    return this.#producerId;
  }

  get producerEpoch(): number {
    return this.#producerEpoch;
  }

  get generation(): number {
    return this.#generation;
  }

  /** Whether a reset is waiting to start (no acquisition running). */
  get needsAcquire(): boolean {
    return this.#state === 'resetting' && !this.#acquiring && this.#onSequenceLost === null;
  }

  /** Earliest time of the next acquisition attempt after failures. */
  get nextAttemptAtMs(): number {
    return this.#nextAttemptAtMs;
  }

  /**
   * The first identity, at connect: retried with the retry policy; a
   * non-retriable error (e.g. CLUSTER_AUTHORIZATION_FAILED) is thrown.
   */
  async init(): Promise<void> {
    if (this.#state === 'disabled' || this.#onSequenceLost !== null) return;
    let attempt = 0;
    for (;;) {
      try {
        await this.#acquireOnce();
        return;
      } catch (err) {
        if (attempt >= this.#retry.retries || !retriableInit(err)) throw err;
        attempt++;
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs(this.#retry, attempt, this.#random)));
      }
    }
  }

  /** Asks for a new identity (no-op when disabled or already resetting). */
  requestReset(reason: string): void {
    if (this.#onSequenceLost !== null) {
      this.#onSequenceLost(reason);
      return;
    }
    if (this.#state !== 'ready') return;
    this.#logger.warn('resetting the idempotent producer id', { reason, producerId: this.#producerId, producerEpoch: this.#producerEpoch });
    this.#state = 'resetting';
  }

  /**
   * Takes an identity obtained elsewhere (a transactional producer's
   * InitProducerId): a new generation, so every partition starts again at
   * sequence 0.
   */
  adopt(producerId: number, producerEpoch: number): void {
    this.#producerId = producerId;
    this.#producerEpoch = producerEpoch;
    this.#generation++;
    this.#state = 'ready';
  }

  /**
   * One acquisition attempt in the background (the sender calls this once
   * nothing is in flight); `done` runs when it settled either way. Failures
   * are logged and the next attempt backs off.
   */
  acquire(nowMs: number, done: () => void): void {
    if (!this.needsAcquire) return;
    this.#acquiring = true;
    this.#acquireOnce().then(
      () => {
        this.#acquiring = false;
        this.#failures = 0;
        done();
      },
      (err: unknown) => {
        this.#acquiring = false;
        this.#failures++;
        this.#nextAttemptAtMs = nowMs + retryDelayMs(this.#retry, this.#failures, this.#random);
        this.#logger.warn('could not get a producer id', { error: err, attempt: this.#failures });
        done();
      },
    );
  }

  async #acquireOnce(): Promise<void> {
    const conn = await this.#cluster.anyConnection();
    if (!conn.supports(InitProducerIdApi)) {
      this.#logger.warn(
        `broker ${conn.host}:${conn.port} does not support InitProducerId: the producer continues without idempotence, ` +
          'so a retry may write a batch twice or out of order (create the producer with idempotent: false to choose this explicitly)',
      );
      this.#state = 'disabled';
      this.#producerId = -1;
      this.#producerEpoch = -1;
      this.#generation++;
      return;
    }
    const version = conn.version(InitProducerIdApi, INIT_PRODUCER_ID_MAX_VERSION);
    const res = await conn.send(InitProducerIdApi, version, {
      transactionalId: null,
      transactionTimeoutMs: 60_000,
      producerId: -1,
      producerEpoch: -1,
      enable2Pc: false,
      keepPreparedTxn: false,
    });
    if (res.errorCode !== ErrorCode.NONE) {
      throw new KafkaError(res.errorCode, { apiName: 'InitProducerId', apiKey: InitProducerIdApi.apiKey, apiVersion: version });
    }
    this.#producerId = res.producerId;
    this.#producerEpoch = res.producerEpoch;
    this.#generation++;
    this.#state = 'ready';
    this.#logger.debug('producer id assigned', { producerId: res.producerId, producerEpoch: res.producerEpoch });
  }
}

function retriableInit(err: unknown): boolean {
  return isRetriableError(err) || (err instanceof KafkaError && RETRY_INIT.has(err.code));
}
