import { ErrorCode } from '../errors/error-codes.js';

const BRAND = Symbol.for('samsa.protocol.RecordFormatError');

/** Closed set of operating-error codes raised by the records layer. */
export type RecordFormatErrorCode =
  | 'SAMSA_ERR_CORRUPT_RECORD'
  | 'SAMSA_ERR_INVALID_RECORD'
  | 'SAMSA_ERR_DECOMPRESSED_TOO_LARGE'
  | 'SAMSA_ERR_UNSUPPORTED_COMPRESSION';

/**
 * Raised when record bytes (a batch, a record, a compressed block) cannot be decoded.
 * `errorCode` is the Kafka error code a broker should answer with, so a handler can
 * turn the exception into data with one catch instead of re-deriving the reason.
 * Recognised with `instanceof` across duplicated module copies via a `Symbol.for` brand.
 */
export class RecordFormatError extends Error {
  /** Operating-error code (closed union). */
  readonly code: RecordFormatErrorCode;
  /** Kafka error code to report (CORRUPT_MESSAGE unless stated otherwise). */
  readonly errorCode: number;

  constructor(message: string, opts: { code?: RecordFormatErrorCode; errorCode?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'RecordFormatError';
    this.code = opts.code ?? 'SAMSA_ERR_CORRUPT_RECORD';
    this.errorCode = opts.errorCode ?? ErrorCode.CORRUPT_MESSAGE;
    Object.defineProperty(this, BRAND, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
  }
}
