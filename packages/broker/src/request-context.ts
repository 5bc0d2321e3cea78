import type { ApiDescriptor, RequestHeader } from '@samsa/protocol';
import type { ConnectionInfo } from './network/connection.js';

/** What a handler knows about the request it serves. Security will add the principal here. */
export interface RequestContext {
  readonly header: RequestHeader;
  readonly apiVersion: number;
  readonly conn: ConnectionInfo;
}

/**
 * One API served by the broker. The versions here are what ApiVersions
 * advertises, so they must be exactly the versions the handler implements.
 * `handle` returns null when the protocol wants no response (Produce, acks=0).
 */
export interface ApiHandler<Req, Res> {
  readonly api: ApiDescriptor<Req, Res>;
  readonly minVersion: number;
  readonly maxVersion: number;
  handle(ctx: RequestContext, request: Req): Res | null | Promise<Res | null>;
}
