const STREAMS_ERROR_BRAND = Symbol.for('samsa.streams.StreamsError');

/** Closed set of operating-error codes raised by Samsa Streams. */
export type StreamsErrorCode =
  /** The topology is invalid: unknown parent, duplicate name, store not connected, no source. */
  | 'SAMSA_ERR_STREAMS_TOPOLOGY'
  /** A configuration value is missing or invalid. */
  | 'SAMSA_ERR_STREAMS_CONFIG'
  /** A key or value could not be serialized or deserialized. */
  | 'SAMSA_ERR_STREAMS_SERDE'
  /** Source topics are missing or not co-partitioned; an internal topic exists with the wrong shape. */
  | 'SAMSA_ERR_STREAMS_TOPICS'
  /** A state store was used wrongly (closed, unknown, restored past its bound). */
  | 'SAMSA_ERR_STREAMS_STATE'
  /** The application is not in a state that allows the call (start twice, query before running). */
  | 'SAMSA_ERR_STREAMS_ILLEGAL_STATE'
  /** Processing a record or committing failed; the instance stops (Kafka's SHUTDOWN_CLIENT). */
  | 'SAMSA_ERR_STREAMS_PROCESSING';

/**
 * An error of Samsa Streams' own making. Broker answers that caused it are in
 * `cause`. Recognised by a `Symbol.for` brand, so copies of the package agree.
 */
export class StreamsError extends Error {
  readonly code: StreamsErrorCode;

  constructor(code: StreamsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StreamsError';
    this.code = code;
    Object.defineProperty(this, STREAMS_ERROR_BRAND, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as { [STREAMS_ERROR_BRAND]?: unknown })[STREAMS_ERROR_BRAND] === true;
  }
}
