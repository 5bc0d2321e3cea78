import { ErrorCode } from '@samsa/protocol';
import { KafkaError } from '../kafka-error.js';

const TRANSACTION_ERROR_BRAND = Symbol.for('samsa.client.TransactionError');

/**
 * Closed set of codes of {@link TransactionError}; what the caller should do
 * next follows from the code alone.
 */
export type TransactionErrorCode =
  /**
   * The producer cannot continue: it was fenced by a newer producer with the
   * same transactional id (PRODUCER_FENCED, or INVALID_PRODUCER_EPOCH from a
   * coordinator), is not authorized for the id, or the broker cannot do
   * transactions. Every later call fails with the same error; disconnect and
   * create a new producer.
   */
  | 'SAMSA_ERR_TXN_FATAL'
  /** The transaction failed (a batch, AddPartitionsToTxn, sendOffsets or EndTxn(commit) failed): call `abort()`, then start another one. */
  | 'SAMSA_ERR_TXN_ABORTABLE'
  /** These records or offsets were not sent because the transaction was aborted first. */
  | 'SAMSA_ERR_TXN_ABORTED'
  /** The call does not fit the transaction's state: a second transaction, a send outside one, commit after abort. Nothing changed. */
  | 'SAMSA_ERR_TXN_STATE'
  /**
   * commit() or abort() did not get an answer from the coordinator in time
   * (retriable errors until the transaction timeout): the outcome is unknown.
   * Call the same method again.
   */
  | 'SAMSA_ERR_TXN_INCOMPLETE';

/** Options of a {@link TransactionError}. */
export interface TransactionErrorOptions {
  transactionalId: string;
  /** The broker's error (a {@link KafkaError}) or local failure behind this one. */
  cause?: unknown;
}

/**
 * An error of a transactional producer's state machine (see
 * transaction-manager.ts). `cause` holds the broker's {@link KafkaError}
 * when there is one. Recognised with `instanceof` across duplicated copies
 * of this package via a `Symbol.for` brand.
 */
export class TransactionError extends Error {
  readonly code: TransactionErrorCode;
  readonly transactionalId: string;
  /** Only SAMSA_ERR_TXN_INCOMPLETE may succeed when the same call is repeated. */
  readonly retriable: boolean;

  constructor(code: TransactionErrorCode, message: string, opts: TransactionErrorOptions) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'TransactionError';
    this.code = code;
    this.transactionalId = opts.transactionalId;
    this.retriable = code === 'SAMSA_ERR_TXN_INCOMPLETE';
    Object.defineProperty(this, TRANSACTION_ERROR_BRAND, { value: true });
  }

  /** The producer can never be used again (see SAMSA_ERR_TXN_FATAL). */
  get fatal(): boolean {
    return this.code === 'SAMSA_ERR_TXN_FATAL';
  }

  /** The transaction must be aborted before another can start. */
  get abortable(): boolean {
    return this.code === 'SAMSA_ERR_TXN_ABORTABLE';
  }

  /** A newer producer with the same transactional id took over (the cause is PRODUCER_FENCED or INVALID_PRODUCER_EPOCH). */
  get fenced(): boolean {
    const c = this.cause;
    return c instanceof KafkaError && (c.code === ErrorCode.PRODUCER_FENCED || c.code === ErrorCode.INVALID_PRODUCER_EPOCH);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as { [TRANSACTION_ERROR_BRAND]?: unknown })[TRANSACTION_ERROR_BRAND] === true;
  }
}
