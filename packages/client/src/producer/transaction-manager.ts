/**
 * The transactional producer's state machine (Kafka's TransactionManager):
 * producer id and epoch for a transactional id, the partitions and groups of
 * the ongoing transaction, and commit/abort.
 *
 * Requests, all to the transaction coordinator of `transactionalId`
 * (FindCoordinator key type 1) except TxnOffsetCommit, which goes to the
 * group's coordinator (key type 0); each coordinator has a connection of its
 * own (coordinator-link.ts):
 *
 *   connect()              InitProducerId(transactionalId, transactionTimeoutMs)
 *   first batch to a new   AddPartitionsToTxn for every partition not yet in
 *     partition              the transaction, one request at a time; the
 *                            partition's batches wait until it succeeded
 *   sendOffsets()          AddOffsetsToTxn(group), then TxnOffsetCommit
 *   commit()               flush every batch, wait for sendOffsets, then
 *                            EndTxn(commit) (skipped when nothing was added)
 *   abort()                fail unsent batches, wait for those in flight,
 *                            EndTxn(abort); InitProducerId again when the
 *                            sequence numbers were lost (epoch bump)
 *
 * States and what each call does in them (the transaction() column is
 * `kafka.producer().transaction()`, the rest are methods of the Transaction
 * it returns; `state` = TransactionError SAMSA_ERR_TXN_STATE, nothing changes):
 *
 *   state          | transaction()   | send, sendOffsets | commit()             | abort()
 *   ---------------+-----------------+-------------------+----------------------+---------------------
 *   uninitialized  | state           | state             | state                | state
 *   initializing   | state           | state             | state                | state
 *   ready          | → inTransaction | state             | state                | state
 *   inTransaction  | state           | ok                | → committing         | → aborting
 *   committing     | state           | state             | join, or retry after | state
 *                  |                 |                   |   INCOMPLETE         |
 *   aborting       | state           | ABORTED           | state                | join, or retry after
 *                  |                 |                   |                      |   INCOMPLETE
 *   abortableError | state           | ABORTABLE         | ABORTABLE            | → aborting
 *   fatalError     | FATAL           | FATAL             | FATAL                | FATAL
 *
 * Other transitions: initializing → ready when InitProducerId succeeds;
 * committing/aborting → ready when EndTxn succeeds; inTransaction or
 * committing → abortableError when a batch, AddPartitionsToTxn, sendOffsets
 * or EndTxn(commit) fails with an abortable error; any state → fatalError
 * on a fatal error. A commit or abort that ran out of time (INCOMPLETE)
 * stays where it was, so only the same call can follow.
 *
 * Coordinator requests and their error table (retry, find the coordinator
 * again, abortable, fatal) are in transaction-requests.ts.
 *
 * Produce errors in a transaction: PRODUCER_FENCED,
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED and CLUSTER_AUTHORIZATION_FAILED are
 * fatal; every other batch failure is abortable (INVALID_PRODUCER_EPOCH too,
 * as in Kafka since KIP-588: the abort's EndTxn then tells whether the
 * producer was fenced).
 *
 * Sequence numbers continue across transactions with the same epoch. When a
 * batch that carried a sequence failed for good (or the broker refused the
 * sequence), the gap could never be filled: the abort then calls
 * InitProducerId again, which gives the same producer id with the next epoch
 * (the coordinator aborts anything still open for it), and every partition
 * starts again at sequence 0. An EndTxn(abort) refused with an abortable
 * error (e.g. INVALID_TXN_STATE) is handled the same way.
 */
import { ErrorCode } from '@samsa/protocol';
import { ClientError } from '../client-error.js';
import { KafkaError } from '../kafka-error.js';
import type { TransactionGate } from './sender.js';
import { TransactionError } from './transaction-error.js';
import { StepFailure, TransactionRequests, type CoordinatorApi, type OffsetsMember, type PartitionToAdd, type TopicOffsets, type TransactionRequestsOptions } from './transaction-requests.js';

/** See the table at the top of this file. */
export type TransactionState = 'uninitialized' | 'initializing' | 'ready' | 'inTransaction' | 'committing' | 'aborting' | 'abortableError' | 'fatalError';

/** The calls of the state table at the top of this file. */
export type TransactionCall = 'begin' | 'send' | 'commit' | 'abort';

/**
 * What a call does in a state: go ahead (`ok`), join or repeat the running
 * commit/abort (`again`), or fail with the given TransactionError kind.
 */
export type CallVerdict = 'ok' | 'again' | 'state' | 'aborted' | 'abortable' | 'fatal';

/** The call/state table at the top of this file, as data. */
const CALL_TABLE: Readonly<Record<TransactionState, Readonly<Record<TransactionCall, CallVerdict>>>> = {
  uninitialized: { begin: 'state', send: 'state', commit: 'state', abort: 'state' },
  initializing: { begin: 'state', send: 'state', commit: 'state', abort: 'state' },
  ready: { begin: 'ok', send: 'state', commit: 'state', abort: 'state' },
  inTransaction: { begin: 'state', send: 'ok', commit: 'ok', abort: 'ok' },
  committing: { begin: 'state', send: 'state', commit: 'again', abort: 'state' },
  aborting: { begin: 'state', send: 'aborted', commit: 'state', abort: 'again' },
  abortableError: { begin: 'state', send: 'abortable', commit: 'abortable', abort: 'ok' },
  fatalError: { begin: 'fatal', send: 'fatal', commit: 'fatal', abort: 'fatal' },
};

/** What `call` does in `state` (the table at the top of this file). */
export function callVerdict(state: TransactionState, call: TransactionCall): CallVerdict {
  return CALL_TABLE[state][call];
}

/** Produce errors that end a transactional producer (see the top of this file). */
const FATAL_PRODUCE = new Set<number>([ErrorCode.PRODUCER_FENCED, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, ErrorCode.CLUSTER_AUTHORIZATION_FAILED]);

/** Settings of a {@link TransactionManager}: those of its requests, and its hooks into the producer. */
export interface TransactionManagerOptions extends TransactionRequestsOptions {
  /** Sends everything buffered now and resolves when every batch settled (the producer's flush). */
  flush: () => Promise<void>;
  /** Wakes the sender: a partition was added, or unsent batches must now fail. */
  wake: () => void;
  /** Runs once, when the producer becomes unusable. */
  onFatal: (error: TransactionError) => void;
}

export type { TopicOffsets } from './transaction-requests.js';

/** The transactional producer's state machine (see the top of this file). */
export class TransactionManager implements TransactionGate {
  readonly #o: TransactionManagerOptions;
  readonly #requests: TransactionRequests;
  #state: TransactionState = 'uninitialized';
  /** Number of the current (or last) transaction; handles of older ones are inactive. */
  #number = 0;
  readonly #partitions = new Map<string, PartitionToAdd>();
  /** AddPartitionsToTxn or AddOffsetsToTxn succeeded (or lost its answer) in this transaction: the coordinator may have it open. */
  #started = false;
  /** The sequence numbers were lost: the abort must get a new epoch (see the top of this file). */
  #bumpNeeded = false;
  #addLoop: Promise<void> | null = null;
  readonly #pendingOps = new Set<Promise<unknown>>();
  /** The running commit or abort. */
  #ending: { kind: 'commit' | 'abort'; promise: Promise<void> } | null = null;
  #abortableError: TransactionError | null = null;
  #abortedError: TransactionError | null = null;
  #fatalError: TransactionError | null = null;
  #closed = false;

  constructor(opts: TransactionManagerOptions) {
    this.#o = opts;
    this.#requests = new TransactionRequests(opts);
  }

  /** The transactional id this manager coordinates. */
  get transactionalId(): string {
    return this.#o.transactionalId;
  }

  /** Where the state machine is (see the table at the top of this file). */
  get state(): TransactionState {
    return this.#state;
  }

  /** The fatal error, once the producer is unusable. */
  get fatalError(): TransactionError | null {
    return this.#fatalError;
  }

  // ---- TransactionGate (what the sender asks) ----

  /** Whether AddPartitionsToTxn added the partition to the ongoing transaction. */
  isPartitionAdded(topic: string, partition: number): boolean {
    return this.#partitions.get(`${topic}\0${partition}`)?.status === 'added';
  }

  /** While the transaction failed, is aborting or the producer is broken: the error unsent batches fail with. */
  get failure(): Error | null {
    switch (this.#state) {
      case 'abortableError':
        return this.#abortableError;
      case 'aborting':
        return this.#abortedError;
      case 'fatalError':
        return this.#fatalError;
      default:
        return null;
    }
  }

  /** A batch failed for good: the transaction becomes abortable (or the producer fatally broken). */
  batchFailed(error: Error): void {
    if (error instanceof TransactionError) return; // failed because the transaction already failed
    if (error instanceof KafkaError && FATAL_PRODUCE.has(error.code)) {
      this.#toFatal(error, 'Produce');
      return;
    }
    this.#toAbortable(error);
  }

  /** The sequence numbers can no longer continue (ProducerIdentity in transactional mode calls this). */
  sequenceLost(reason: string): void {
    if (!this.#bumpNeeded) this.#o.logger.warn('transactional producer: sequence numbers lost; the abort will bump the epoch', { transactionalId: this.#o.transactionalId, reason });
    this.#bumpNeeded = true;
  }

  // ---- life cycle ----

  /** InitProducerId at connect (see the top of this file). Throws the fatal TransactionError, or the last retriable error. */
  async initialize(): Promise<void> {
    if (this.#state === 'fatalError') throw this.#fatalError as TransactionError;
    this.#state = 'initializing';
    try {
      await this.#initProducerId();
      this.#state = 'ready';
    } catch (err) {
      if (err instanceof StepFailure) {
        if (err.kind === 'fatal' || err.kind === 'abortable') throw this.#toFatal(err.error, err.api);
        this.#state = 'uninitialized';
        throw err.error;
      }
      this.#state = 'uninitialized';
      throw err;
    }
  }

  /** Starts a transaction; returns its number. Throws TransactionError per the table at the top. */
  begin(): number {
    this.#check('begin', null);
    this.#state = 'inTransaction';
    this.#number++;
    this.#abortedError = null;
    return this.#number;
  }

  /**
   * The number of the transaction a send belongs to (`transaction`, or the
   * current one when null); throws when the send is not allowed now.
   */
  sendable(transaction: number | null): number {
    this.#check('send', transaction);
    return this.#number;
  }

  /**
   * Just before a send's records are appended (after waiting for metadata
   * and buffer room): still the same transaction, not failed or aborting?
   * Sends called before commit() may still append while it flushes.
   */
  assertAppendable(transaction: number): void {
    if (transaction === this.#number && (this.#state === 'inTransaction' || this.#state === 'committing')) return;
    this.#check('send', transaction);
    throw this.#stateError('the transaction ended before these records were queued');
  }

  /** Whether handle `transaction` is still open (not committed, aborted or fatally failed). */
  isActive(transaction: number): boolean {
    return !this.#closed && transaction === this.#number && (this.#state === 'inTransaction' || this.#state === 'committing' || this.#state === 'aborting' || this.#state === 'abortableError');
  }

  /**
   * A record was appended for this partition: unless it is in the
   * transaction already, AddPartitionsToTxn (batched with other new
   * partitions of the same turn) must succeed before its batches are sent.
   */
  addPartition(topic: string, partition: number): void {
    const key = `${topic}\0${partition}`;
    if (this.#partitions.has(key)) return;
    this.#partitions.set(key, { topic, partition, status: 'pending' });
    this.#addLoop ??= this.#runAdds().finally(() => {
      this.#addLoop = null;
    });
  }

  /** AddOffsetsToTxn, then TxnOffsetCommit to the group's coordinator. */
  sendOffsets(transaction: number, groupId: string, member: OffsetsMember, topics: TopicOffsets[]): Promise<void> {
    try {
      this.#check('send', transaction);
    } catch (err) {
      return Promise.reject(err);
    }
    const op = this.#sendOffsets(groupId, member, topics);
    this.#pendingOps.add(op);
    void op.then(
      () => this.#pendingOps.delete(op),
      () => this.#pendingOps.delete(op),
    );
    return op;
  }

  /** Commits transaction `transaction` (see the table at the top of this file). */
  commit(transaction: number): Promise<void> {
    return this.#end('commit', transaction);
  }

  /** Aborts transaction `transaction` (see the table at the top of this file). */
  abort(transaction: number): Promise<void> {
    return this.#end('abort', transaction);
  }

  /** Resolves when no commit or abort is running. */
  async idle(): Promise<void> {
    while (this.#ending !== null) await this.#ending.promise.catch(() => {});
  }

  /** Stops retries and closes the coordinator connections (disconnect). */
  close(): void {
    this.#closed = true;
    this.#requests.close();
  }

  // ---- internals ----

  /** Throws the TransactionError the call table prescribes unless `call` may go ahead now. */
  #check(call: TransactionCall, transaction: number | null): void {
    if (this.#closed && this.#state !== 'fatalError') {
      throw new ClientError('SAMSA_ERR_NOT_CONNECTED', 'the producer disconnected (a transaction belongs to the connection it was started on)');
    }
    if (transaction !== null && transaction !== this.#number && this.#state !== 'fatalError') {
      throw this.#stateError(`this transaction is no longer active (transaction ${transaction}; the producer is at ${this.#number})`);
    }
    const verdict = callVerdict(this.#state, call);
    switch (verdict) {
      case 'ok':
      case 'again':
        return;
      case 'fatal':
        throw this.#fatalError as TransactionError;
      case 'abortable':
        throw this.#abortableError as TransactionError;
      case 'aborted':
        throw this.#abortedError ?? this.#stateError('the transaction is being aborted');
      case 'state':
        throw this.#stateError(stateMessage(this.#state, call));
    }
  }

  #stateError(message: string): TransactionError {
    return new TransactionError('SAMSA_ERR_TXN_STATE', message, { transactionalId: this.#o.transactionalId });
  }

  #end(kind: 'commit' | 'abort', transaction: number): Promise<void> {
    try {
      this.#check(kind, transaction);
    } catch (err) {
      return Promise.reject(err);
    }
    const running = this.#ending;
    if (running !== null) {
      // The same call joins the running one. abort() while a commit runs is allowed only once
      // the commit failed (abortableError): it starts when the commit has finished.
      if (running.kind === kind) return running.promise;
      return running.promise.then(
        () => this.#end(kind, transaction),
        () => this.#end(kind, transaction),
      );
    }
    if (kind === 'commit') this.#state = 'committing';
    else {
      this.#state = 'aborting';
      this.#abortedError ??= new TransactionError('SAMSA_ERR_TXN_ABORTED', 'the transaction was aborted before these records were sent', {
        transactionalId: this.#o.transactionalId,
      });
      this.#o.wake(); // the sender fails the unsent batches
    }
    const promise = (kind === 'commit' ? this.#commit() : this.#abort()).finally(() => {
      this.#ending = null;
    });
    this.#ending = { kind, promise };
    return promise;
  }

  async #commit(): Promise<void> {
    await this.#settleWork();
    if (this.#state !== 'committing') {
      // A batch or sendOffsets failed meanwhile.
      this.#check('commit', null);
      throw this.#stateError(`cannot commit in state ${this.#state}`);
    }
    if (this.#started) {
      try {
        await this.#requests.endTxn(true);
      } catch (err) {
        throw this.#stepError(err, 'commit');
      }
    }
    this.#complete('committed');
  }

  async #abort(): Promise<void> {
    await this.#settleWork();
    if (this.#state === 'fatalError') throw this.#fatalError as TransactionError;
    if (this.#started) {
      try {
        await this.#requests.endTxn(false);
      } catch (err) {
        if (!(err instanceof StepFailure) || err.kind !== 'abortable') throw this.#stepError(err, 'abort');
        // E.g. INVALID_TXN_STATE: InitProducerId aborts whatever the coordinator still has open.
        this.#o.logger.warn('EndTxn(abort) refused; re-initializing the producer id instead', { transactionalId: this.#o.transactionalId, error: err.error });
        this.#bumpNeeded = true;
      }
    }
    if (this.#bumpNeeded) {
      try {
        await this.#initProducerId();
      } catch (err) {
        throw this.#stepError(err, 'abort');
      }
      this.#bumpNeeded = false;
    }
    this.#complete('aborted');
  }

  /** Everything of the transaction settled: buffered sends and batches, sendOffsets, AddPartitionsToTxn. */
  async #settleWork(): Promise<void> {
    await this.#o.flush();
    while (this.#pendingOps.size > 0) await Promise.allSettled([...this.#pendingOps]);
    while (this.#addLoop !== null) await this.#addLoop;
  }

  /** Maps a failed commit/abort step to the state change and the error the caller gets. */
  #stepError(err: unknown, during: 'commit' | 'abort'): Error {
    if (!(err instanceof StepFailure)) return err instanceof Error ? err : new Error(String(err));
    if (err.kind === 'fatal') return this.#toFatal(err.error, err.api);
    if (err.kind === 'abortable' && during === 'commit') return this.#toAbortable(err.error) ?? (this.#abortableError as TransactionError);
    if (err.kind === 'cancelled') return err.error instanceof Error ? err.error : new Error(String(err.error));
    // Out of time: the outcome is unknown; the state stays committing/aborting so only the same call can follow.
    return new TransactionError(
      'SAMSA_ERR_TXN_INCOMPLETE',
      `${during}: no answer from the transaction coordinator within transactionTimeoutMs (${this.#o.transactionTimeoutMs} ms); the outcome is unknown, call ${during}() again (last error: ${err.message})`,
      { transactionalId: this.#o.transactionalId, cause: err.error },
    );
  }

  #complete(outcome: 'committed' | 'aborted'): void {
    this.#state = 'ready';
    this.#partitions.clear();
    this.#started = false;
    this.#abortableError = null;
    this.#o.logger.debug(`transaction ${outcome}`, { transactionalId: this.#o.transactionalId, transaction: this.#number });
  }

  /** inTransaction/committing → abortableError; returns the new error, or null when the state did not change. */
  #toAbortable(error: unknown): TransactionError | null {
    if (this.#state !== 'inTransaction' && this.#state !== 'committing') return null;
    this.#abortableError = new TransactionError('SAMSA_ERR_TXN_ABORTABLE', `the transaction failed and must be aborted: ${error instanceof Error ? error.message : String(error)}`, {
      transactionalId: this.#o.transactionalId,
      cause: error,
    });
    this.#state = 'abortableError';
    this.#o.logger.debug('transaction failed', { transactionalId: this.#o.transactionalId, error });
    this.#o.wake();
    return this.#abortableError;
  }

  /** Any state → fatalError; returns the fatal error (the first one, if already fatal). */
  #toFatal(error: unknown, api: CoordinatorApi | 'Produce'): TransactionError {
    if (this.#fatalError !== null) return this.#fatalError;
    const id = this.#o.transactionalId;
    const code = error instanceof KafkaError ? error.code : -1;
    const what = error instanceof KafkaError ? `${error.type} from ${api}` : `${api} failed: ${error instanceof Error ? error.message : String(error)}`;
    let message: string;
    if (code === ErrorCode.PRODUCER_FENCED || code === ErrorCode.INVALID_PRODUCER_EPOCH) {
      message = `producer fenced: a newer producer with transactional id "${id}" took over (${what}); this producer cannot be used any more, create a new one`;
    } else if (code === ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED || code === ErrorCode.CLUSTER_AUTHORIZATION_FAILED) {
      message = `not authorized to use transactional id "${id}" (${what}); this producer cannot be used any more`;
    } else {
      message = `transactional producer "${id}" cannot continue (${what}); create a new producer`;
    }
    this.#fatalError = new TransactionError('SAMSA_ERR_TXN_FATAL', message, { transactionalId: id, cause: error });
    this.#state = 'fatalError';
    this.#o.logger.error(message, { transactionalId: id });
    this.#o.wake();
    this.#o.onFatal(this.#fatalError);
    return this.#fatalError;
  }

  async #runAdds(): Promise<void> {
    // Let the rest of this send (and others of the same turn) register their partitions: one request for all.
    await new Promise<void>((resolve) => setImmediate(resolve));
    for (;;) {
      if (!this.#adding()) return;
      const batch = [...this.#partitions.values()].filter((p) => p.status === 'pending');
      if (batch.length === 0) return;
      for (const p of batch) p.status = 'adding';
      try {
        await this.#addPartitions(batch);
      } catch (err) {
        // Nobody awaits this loop but commit/abort: every failure becomes a state change.
        if (!(err instanceof StepFailure)) this.#toAbortable(err);
        else if (err.kind === 'fatal') this.#toFatal(err.error, err.api);
        else if (err.kind !== 'cancelled') this.#toAbortable(err.error);
        return;
      }
      this.#o.wake();
    }
  }

  #adding(): boolean {
    return !this.#closed && (this.#state === 'inTransaction' || this.#state === 'committing');
  }

  async #addPartitions(batch: PartitionToAdd[]): Promise<void> {
    await this.#requests.addPartitions(batch, {
      wanted: () => this.#adding(),
      maybeStarted: () => {
        this.#started = true;
      },
      added: () => this.#o.wake(),
    });
  }

  async #sendOffsets(groupId: string, member: OffsetsMember, topics: TopicOffsets[]): Promise<void> {
    const hooks = {
      wanted: () => this.#adding(),
      maybeStarted: () => {
        this.#started = true;
      },
    };
    try {
      await this.#requests.addOffsets(groupId, hooks);
      await this.#requests.txnOffsetCommit(groupId, member, topics, hooks);
    } catch (err) {
      if (!(err instanceof StepFailure)) throw err;
      if (err.kind === 'fatal') throw this.#toFatal(err.error, err.api);
      if (err.kind === 'cancelled') {
        this.#check('send', null);
        throw err.error;
      }
      throw this.#toAbortable(err.error) ?? this.failure ?? err.error;
    }
  }

  async #initProducerId(): Promise<void> {
    const { producerId, producerEpoch } = await this.#requests.initProducerId();
    this.#o.identity.adopt(producerId, producerEpoch);
    this.#o.logger.debug('transactional producer id assigned', { transactionalId: this.#o.transactionalId, producerId, producerEpoch });
  }
}

function stateMessage(state: TransactionState, call: TransactionCall): string {
  const doing = call === 'begin' ? 'start a transaction' : call === 'send' ? 'send in a transaction' : `${call} the transaction`;
  switch (state) {
    case 'uninitialized':
    case 'initializing':
      return `cannot ${doing}: the producer is not connected (call connect() first)`;
    case 'ready':
      return call === 'send' ? 'no transaction is active: a transactional producer sends within producer.transaction()' : `cannot ${doing}: no transaction is active`;
    case 'inTransaction':
      return `cannot ${doing}: a transaction is already active (one at a time: commit or abort it first)`;
    case 'committing':
      return `cannot ${doing}: the transaction is being committed`;
    case 'aborting':
      return `cannot ${doing}: the transaction is being aborted`;
    case 'abortableError':
      return `cannot ${doing}: the previous transaction failed and must be aborted first (abort())`;
    case 'fatalError':
      return `cannot ${doing}: the producer failed fatally`;
  }
}
