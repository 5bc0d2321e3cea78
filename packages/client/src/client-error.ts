const CLIENT_ERROR_BRAND = Symbol.for('samsa.client.ClientError');

/** Closed set of operating-error codes raised by the client itself (not by a broker). */
export type ClientErrorCode =
  /** An option of `Kafka`, `producer()` or `send()` is invalid or inconsistent. */
  | 'SAMSA_ERR_INVALID_CONFIG'
  /** A message or partitioner result is not valid (wrong type, partition out of range). */
  | 'SAMSA_ERR_INVALID_MESSAGE'
  /** The producer or admin client is not connected (not yet, or no longer). */
  | 'SAMSA_ERR_NOT_CONNECTED';

/**
 * An error of the client's own making: bad arguments, a call in the wrong
 * state. Broker answers are {@link KafkaError}; network failures are
 * {@link ConnectionError}. Recognised by a `Symbol.for` brand.
 */
export class ClientError extends Error {
  readonly code: ClientErrorCode;
  readonly retriable = false;

  constructor(code: ClientErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ClientError';
    this.code = code;
    Object.defineProperty(this, CLIENT_ERROR_BRAND, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as { [CLIENT_ERROR_BRAND]?: unknown })[CLIENT_ERROR_BRAND] === true;
  }
}
