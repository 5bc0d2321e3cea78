/**
 * A serde turns keys or values into record bytes and back. Every call gets
 * the topic and the record's headers, which is the seam schema-registry
 * serdes need (the subject comes from the topic; a schema id can travel in
 * the payload or a header).
 *
 * `null` stays `null` in both directions (Kafka's rule), so tombstones and
 * null keys pass through every serde unchanged.
 */
import type { Headers } from '../processor/headers.js';

/** Bytes from a value. */
export type Serializer<T> = (topic: string, data: T, headers: Headers) => Buffer;
/** A value from bytes. */
export type Deserializer<T> = (topic: string, data: Buffer, headers: Headers) => T;

/** A serializer and deserializer of one type. */
export interface Serde<T> {
  /** A name for error messages and `describe()`, e.g. `String`, `JSON`. */
  readonly name: string;
  // Methods (not function properties) on purpose: a Serde<string> is then usable
  // where a Serde<unknown> is expected (default serdes, node definitions).
  serialize(topic: string, data: T, headers: Headers): Buffer;
  deserialize(topic: string, data: Buffer, headers: Headers): T;
  /**
   * Called once before the application processes anything (e.g. a schema-registry
   * serde fetches schemas here, so serialize stays synchronous on the hot path).
   */
  init?(): Promise<void>;
}

/** Serializes `data` with `serde`, keeping null. */
export function serializeNullable<T>(serde: Serde<T>, topic: string, data: T | null | undefined, headers: Headers): Buffer | null {
  return data === null || data === undefined ? null : serde.serialize(topic, data, headers);
}

/** Deserializes `data` with `serde`, keeping null. */
export function deserializeNullable<T>(serde: Serde<T>, topic: string, data: Buffer | null, headers: Headers): T | null {
  return data === null ? null : serde.deserialize(topic, data, headers);
}
