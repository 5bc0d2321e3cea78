import { errorCodeInfo } from '@samsa/protocol';

const KAFKA_ERROR_BRAND = Symbol.for('samsa.client.KafkaError');
const CONNECTION_ERROR_BRAND = Symbol.for('samsa.client.ConnectionError');

/** What a {@link KafkaError} concerns: the API that returned it and the resource. */
export interface KafkaErrorOptions {
  /** The broker's error message, when it sent one; else the table's message is used. */
  message?: string | null;
  /** Kafka's API name, e.g. `Produce`. */
  apiName?: string;
  /** The API key of the request that got the error. */
  apiKey?: number;
  /** The API version of that request. */
  apiVersion?: number;
  /** A free-form resource label (`group g1`, `orders-3`); derived from topic/partition when omitted. */
  resource?: string;
  topic?: string;
  partition?: number;
  cause?: unknown;
}

/**
 * An error code returned by a broker (or one the client maps a local failure
 * to, such as NETWORK_EXCEPTION for a lost connection), with the API and the
 * topic/partition it concerns. `code` is Kafka's numeric error code, `type`
 * its name, `retriable` whether Kafka classes it as retriable.
 *
 * Recognised with `instanceof` across duplicated copies of this package via a
 * `Symbol.for` brand.
 */
export class KafkaError extends Error {
  readonly code: number;
  readonly type: string;
  readonly retriable: boolean;
  readonly apiName: string | undefined;
  readonly apiKey: number | undefined;
  readonly apiVersion: number | undefined;
  readonly resource: string | undefined;
  readonly topic: string | undefined;
  readonly partition: number | undefined;

  constructor(code: number, opts: KafkaErrorOptions = {}) {
    const info = errorCodeInfo.get(code);
    const type = info?.name ?? `UNKNOWN_ERROR_CODE_${code}`;
    const resource =
      opts.resource ?? (opts.topic === undefined ? undefined : opts.partition === undefined ? opts.topic : `${opts.topic}-${opts.partition}`);
    super(`${resource ? `${resource}: ` : ''}${type}${opts.message ? `: ${opts.message}` : info ? `: ${info.message}` : ''}`, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'KafkaError';
    this.code = code;
    this.type = type;
    this.retriable = info?.retriable ?? false;
    this.apiName = opts.apiName;
    this.apiKey = opts.apiKey;
    this.apiVersion = opts.apiVersion;
    this.resource = resource;
    this.topic = opts.topic;
    this.partition = opts.partition;
    Object.defineProperty(this, KAFKA_ERROR_BRAND, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as { [KAFKA_ERROR_BRAND]?: unknown })[KAFKA_ERROR_BRAND] === true;
  }
}

/**
 * A connection-level failure: unreachable broker, timeout, closed socket.
 * Always retriable: the request may be sent again on a new connection.
 */
export class ConnectionError extends Error {
  readonly retriable = true;
  /** True when a request timed out (the connection was then closed). */
  readonly timedOut: boolean;

  constructor(message: string, options?: { cause?: unknown; timedOut?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ConnectionError';
    this.timedOut = options?.timedOut ?? false;
    Object.defineProperty(this, CONNECTION_ERROR_BRAND, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as { [CONNECTION_ERROR_BRAND]?: unknown })[CONNECTION_ERROR_BRAND] === true;
  }
}
