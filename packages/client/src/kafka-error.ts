import { errorCodeInfo } from '@samsa/protocol';

/** An error code returned by a broker, with the API and resource it concerns. */
export class KafkaError extends Error {
  readonly code: number;
  readonly type: string;
  readonly retriable: boolean;
  readonly apiName: string | undefined;
  readonly resource: string | undefined;

  constructor(code: number, opts: { message?: string | null; apiName?: string; resource?: string } = {}) {
    const info = errorCodeInfo.get(code);
    const type = info?.name ?? `UNKNOWN_ERROR_CODE_${code}`;
    super(`${opts.resource ? `${opts.resource}: ` : ''}${type}${opts.message ? `: ${opts.message}` : info ? `: ${info.message}` : ''}`);
    this.name = 'KafkaError';
    this.code = code;
    this.type = type;
    this.retriable = info?.retriable ?? false;
    this.apiName = opts.apiName;
    this.resource = opts.resource;
  }
}

/** A connection-level failure: unreachable broker, timeout, closed socket. */
export class ConnectionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConnectionError';
  }
}
