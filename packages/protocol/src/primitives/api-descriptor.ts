import type { Reader } from './reader.js';
import type { Writer } from './writer.js';

/**
 * Everything the network layer needs to know about one API key: its version range
 * (the union of Kafka 3.9 and trunk), header versions and codecs. Generated per API
 * in `src/messages/<api>.ts` and collected in `apiByKey` (`src/messages/api-table.ts`).
 */
export interface ApiDescriptor<Req, Res> {
  apiKey: number;
  /** Kafka's API name without the Request/Response suffix, e.g. `Produce`. */
  name: string;
  minVersion: number;
  maxVersion: number;
  /** The first flexible (KIP-482) version; `Infinity` when the API is never flexible. */
  flexibleMinVersion: number;
  /** Kafka marks the top version as still in development and does not advertise it by default. */
  latestVersionUnstable: boolean;
  /** Kafka roles that serve the API (`broker`, `controller`, `zkBroker`). */
  listeners: string[];
  requestHeaderVersion(version: number): number;
  responseHeaderVersion(version: number): number;
  encodeRequest(w: Writer, msg: Req, version: number): void;
  decodeRequest(r: Reader, version: number): Req;
  encodeResponse(w: Writer, msg: Res, version: number): void;
  decodeResponse(r: Reader, version: number): Res;
}

/**
 * The element type of `apiByKey`. Decoders return `unknown`; the encoders accept
 * `unknown` only through TypeScript's method-parameter bivariance, so callers that
 * hold an `AnyApiDescriptor` must pass the message type of that same API (a router
 * passes back what its handler built from `decodeRequest`). Code that knows the API
 * statically should use the typed descriptor (`ProduceApi`, ...).
 */
export type AnyApiDescriptor = ApiDescriptor<unknown, unknown>;
