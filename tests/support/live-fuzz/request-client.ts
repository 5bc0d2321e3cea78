// A well-behaved Kafka client of one connection, built on the generated codecs: the
// fuzzer's own topic setup and its watchdog speak through it. One request at a time, each
// bounded by a timeout.
import { Reader, Writer, decodeResponseHeader, encodeRequestHeader, type ApiDescriptor } from '@samsa/protocol';
import { RawConnection } from '../raw-kafka.js';

export class RequestClient {
  readonly #conn: RawConnection;
  #correlationId = 1;

  private constructor(conn: RawConnection) {
    this.#conn = conn;
  }

  static async open(bootstrap: string, timeoutMs: number): Promise<RequestClient> {
    return new RequestClient(await RawConnection.open(bootstrap, timeoutMs));
  }

  get closed(): boolean {
    return this.#conn.closed;
  }

  /**
   * Sends `request` at `version` and decodes the response; rejects when the broker closes
   * the connection, answers another correlation id, or does not answer within `timeoutMs`.
   */
  async request<Req, Res>(api: ApiDescriptor<Req, Res>, version: number, request: Req, timeoutMs: number): Promise<Res> {
    const correlationId = this.#correlationId++;
    const w = new Writer();
    encodeRequestHeader(w, { requestApiKey: api.apiKey, requestApiVersion: version, correlationId, clientId: 'live-fuzz-watchdog' }, api.requestHeaderVersion(version));
    api.encodeRequest(w, request, version);
    const payload = w.toBuffer();
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(payload.length, 0);
    this.#conn.send(Buffer.concat([prefix, payload]));
    const frame = await this.#conn.next(timeoutMs);
    if (frame === 'closed') throw new Error(`${api.name} v${version}: the broker closed the connection`);
    const r = new Reader(frame);
    const header = decodeResponseHeader(r, api.responseHeaderVersion(version));
    if (header.correlationId !== correlationId) {
      throw new Error(`${api.name} v${version}: correlation id ${header.correlationId}, expected ${correlationId}`);
    }
    return api.decodeResponse(r, version);
  }

  close(): void {
    this.#conn.destroy();
  }
}
