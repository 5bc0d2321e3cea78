/**
 * Record headers as Kafka stores them: an ordered list in which a name may
 * repeat and a value may be null. Kept as a plain array so records copy
 * cheaply; `lastHeader` is Kafka's lookup rule (the last one wins).
 */

/** One header. */
export interface Header {
  readonly key: string;
  readonly value: Buffer | null;
}

/** The headers of a record, in order. */
export type Headers = readonly Header[];

/** The value of the last header named `key`, or undefined. */
export function lastHeader(headers: Headers, key: string): Buffer | null | undefined {
  for (let i = headers.length - 1; i >= 0; i--) if (headers[i].key === key) return headers[i].value;
  return undefined;
}
