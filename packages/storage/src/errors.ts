/**
 * Operating errors raised by the storage layer.
 *
 * Every storage error carries the Kafka error code a handler should put in
 * its response (`code`), so the broker never has to guess how a storage
 * failure maps onto the wire. Recognised by a `Symbol.for` brand rather than
 * the prototype chain so that two copies of this package (or a bundled one)
 * still agree on `instanceof`.
 */
import { ErrorCode } from '@samsa/protocol';

const storageErrorBrand = Symbol.for('samsa.storage.StorageError');
const offsetOutOfRangeBrand = Symbol.for('samsa.storage.OffsetOutOfRangeError');

/**
 * What kind of storage fault an error is, when the code raising it knows
 * better than its errno tells (see log-dir-health.ts for the truth table):
 * `sync-failed` an fsync/fdatasync failed, `io-failed` the log can no longer
 * vouch for its files, `no-space` the device is full, `no-descriptors` the
 * process (EMFILE) or system (ENFILE) is out of file descriptors.
 */
export type StorageFault = 'no-space' | 'no-descriptors' | 'sync-failed' | 'io-failed';

/** Base class of storage errors; `code` is a Kafka error code (see `ErrorCode`). */
export class StorageError extends Error {
  override name = 'StorageError';
  /** Kafka error code for the response, e.g. `ErrorCode.KAFKA_STORAGE_ERROR`. */
  readonly code: number;
  /** Set on I/O failures whose kind the raiser decided (see {@link StorageFault}). */
  readonly fault: StorageFault | undefined;

  constructor(code: number, message: string, options?: { cause?: unknown; fault?: StorageFault }) {
    super(message, options);
    this.code = code;
    this.fault = options?.fault;
    Object.defineProperty(this, storageErrorBrand, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[storageErrorBrand] === true;
  }
}

/**
 * The requested offset is outside `[logStartOffset, logEndOffset]` (or above
 * the high watermark for DeleteRecords). `code` is `ErrorCode.OFFSET_OUT_OF_RANGE`.
 */
export class OffsetOutOfRangeError extends StorageError {
  override name = 'OffsetOutOfRangeError';
  readonly offset: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;

  constructor(offset: number, logStartOffset: number, logEndOffset: number, what = 'log') {
    super(
      ErrorCode.OFFSET_OUT_OF_RANGE,
      `offset ${offset} is out of range for ${what} [${logStartOffset}, ${logEndOffset}]`,
    );
    this.offset = offset;
    this.logStartOffset = logStartOffset;
    this.logEndOffset = logEndOffset;
    Object.defineProperty(this, offsetOutOfRangeBrand, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[offsetOutOfRangeBrand] === true;
  }
}
