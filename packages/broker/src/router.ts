/**
 * Turns request frames into response frames: reads the header, checks the
 * API and version against what is served, decodes, calls the handler and
 * encodes the response with the header version the request's version calls
 * for.
 *
 * Failure truth table (Kafka's behaviour):
 *   unknown api key                      -> close the connection
 *   ApiVersions at an unknown version    -> v0 body, UNSUPPORTED_VERSION, full key list (KIP-511)
 *   other api at an unsupported version  -> close the connection
 *   body that fails to decode            -> close the connection
 *   handler-level problem                -> error code in the response (handlers never throw them)
 */
import { ApiKey, ErrorCode, Reader, Writer, decodeRequestHeader, encodeApiVersionsResponse, encodeResponseHeader } from '@samsa/protocol';
import type { ConnectionInfo } from './network/connection.js';
import type { ApiHandler, RequestContext } from './request-context.js';

/** Thrown for requests the broker answers by closing the connection. */
export class RequestRejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RequestRejectedError';
  }
}

type AnyHandler = ApiHandler<unknown, unknown>;

export class Router {
  readonly #handlers = new Map<number, AnyHandler>();
  /** Requests whose handler has not settled yet; shutdown waits for them before closing the logs. */
  readonly #inFlight = new Set<Promise<unknown>>();

  register<Req, Res>(handler: ApiHandler<Req, Res>): void {
    this.#handlers.set(handler.api.apiKey, handler as unknown as AnyHandler);
  }

  /** The ApiVersions list: exactly the registered handlers' ranges, ordered by key. */
  supportedVersions(): Array<{ apiKey: number; minVersion: number; maxVersion: number }> {
    return [...this.#handlers.values()]
      .map((h) => ({ apiKey: h.api.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }))
      .sort((a, b) => a.apiKey - b.apiKey);
  }

  handleFrame(frame: Buffer, conn: ConnectionInfo): Promise<Buffer[] | null> | Buffer[] | null {
    const apiKey = frame.readInt16BE(0);
    const apiVersion = frame.readInt16BE(2);
    const handler = this.#handlers.get(apiKey);
    if (!handler) throw new RequestRejectedError(`unknown api key ${apiKey}`);
    if (apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
      if (apiKey === ApiKey.ApiVersions) return this.#unsupportedApiVersions(frame.readInt32BE(4));
      throw new RequestRejectedError(
        `unsupported version ${apiVersion} of api key ${apiKey} (supported ${handler.minVersion}-${handler.maxVersion})`,
      );
    }
    const api = handler.api;
    const reader = new Reader(frame);
    const header = decodeRequestHeader(reader, api.requestHeaderVersion(apiVersion));
    const request = api.decodeRequest(reader, apiVersion);
    const ctx: RequestContext = { header, apiVersion, conn };
    const result = handler.handle(ctx, request);
    if (!(result instanceof Promise)) return result === null ? null : encode(handler, ctx, result);
    this.#inFlight.add(result);
    const forget = (): void => {
      this.#inFlight.delete(result);
    };
    result.then(forget, forget);
    return result.then((res) => (res === null ? null : encode(handler, ctx, res)));
  }

  /** Resolves once every request already dispatched has settled, or after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    const settled = (async () => {
      while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
    })();
    await Promise.race([settled, timeout]);
    clearTimeout(timer);
  }

  #unsupportedApiVersions(correlationId: number): Buffer[] {
    const w = new Writer();
    encodeResponseHeader(w, { correlationId }, 0);
    encodeApiVersionsResponse(
      w,
      {
        errorCode: ErrorCode.UNSUPPORTED_VERSION,
        apiKeys: this.supportedVersions(),
        throttleTimeMs: 0,
        supportedFeatures: [],
        finalizedFeaturesEpoch: -1,
        finalizedFeatures: [],
        zkMigrationReady: false,
      },
      0,
    );
    return frameOf(w);
  }
}

function encode(handler: AnyHandler, ctx: RequestContext, response: unknown): Buffer[] {
  const w = new Writer();
  encodeResponseHeader(w, { correlationId: ctx.header.correlationId }, handler.api.responseHeaderVersion(ctx.apiVersion));
  handler.api.encodeResponse(w, response, ctx.apiVersion);
  return frameOf(w);
}

function frameOf(w: Writer): Buffer[] {
  const size = Buffer.allocUnsafe(4);
  size.writeInt32BE(w.length, 0);
  return [size, ...w.toBuffers()];
}
