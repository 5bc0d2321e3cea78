import { connect, type Socket } from 'node:net';
import { withTimeout } from './wait-for.js';

/**
 * Hand-built Kafka frames for tests that send malformed or unusual requests; deliberately
 * independent of @samsa/protocol. A request header v1 is apiKey int16, apiVersion int16,
 * correlationId int32, clientId nullable string; v2 adds an (empty) tagged-field section.
 */
export function requestFrame(
  apiKey: number,
  apiVersion: number,
  correlationId: number,
  body: Buffer = Buffer.alloc(0),
  options: { clientId?: string; headerVersion?: 1 | 2 } = {},
): Buffer {
  const clientId = Buffer.from(options.clientId ?? 'raw-test');
  const header = Buffer.alloc(10);
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(apiVersion, 2);
  header.writeInt32BE(correlationId, 4);
  header.writeInt16BE(clientId.length, 8);
  const parts: Buffer[] = [header, clientId];
  if ((options.headerVersion ?? 1) === 2) parts.push(Buffer.from([0]));
  parts.push(body);
  return withLengthPrefix(Buffer.concat(parts));
}

/** Prefixes `payload` with its int32 length. */
export function withLengthPrefix(payload: Buffer): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(payload.length, 0);
  return Buffer.concat([prefix, payload]);
}

/** One raw TCP connection that splits what it receives into length-prefixed frames. */
export class RawConnection {
  readonly #socket: Socket;
  #buffer = Buffer.alloc(0);
  readonly #frames: Buffer[] = [];
  #waiters: Array<() => void> = [];
  #closed = false;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      while (this.#buffer.length >= 4) {
        const size = this.#buffer.readInt32BE(0);
        if (this.#buffer.length < 4 + size) break;
        this.#frames.push(this.#buffer.subarray(4, 4 + size));
        this.#buffer = this.#buffer.subarray(4 + size);
      }
      this.#wake();
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#wake();
    });
    socket.on('error', () => {
      // a reset by the broker shows as 'close'
    });
  }

  static open(bootstrap: string, timeoutMs = 5_000): Promise<RawConnection> {
    const [host, port] = bootstrap.split(':');
    const socket = connect({ host, port: Number(port) });
    return withTimeout(
      new Promise<RawConnection>((resolve, reject) => {
        socket.once('connect', () => resolve(new RawConnection(socket)));
        socket.once('error', reject);
      }),
      timeoutMs,
      `connect to ${bootstrap}`,
    );
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  get closed(): boolean {
    return this.#closed;
  }

  send(data: Buffer): void {
    this.#socket.write(data);
  }

  /** Half-closes the sending side (the broker sees EOF). */
  end(): void {
    this.#socket.end();
  }

  /**
   * The next response frame (without its length prefix), or 'closed' if the broker closes
   * the connection first; rejects after `timeoutMs`.
   */
  async next(timeoutMs: number): Promise<Buffer | 'closed'> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frame = this.#frames.shift();
      if (frame !== undefined) return frame;
      if (this.#closed) return 'closed';
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`no response frame and no close within ${timeoutMs} ms`);
      await withTimeout(new Promise<void>((resolve) => this.#waiters.push(resolve)), remaining, 'response frame or close').catch(
        () => undefined,
      );
    }
  }

  destroy(): void {
    this.#socket.destroy();
  }
}

/** An ApiVersions response body in the v0 layout (after the 4-byte correlation id). */
export interface ApiVersionsV0 {
  correlationId: number;
  errorCode: number;
  apiKeys: Array<{ apiKey: number; minVersion: number; maxVersion: number }>;
}

/**
 * Parses the v0 layout of an ApiVersions response: correlationId, errorCode, then an int32
 * count of (apiKey, minVersion, maxVersion) int16 triples. Brokers answer an ApiVersions
 * request at an unsupported version in this layout (KIP-511) so any client can read it.
 */
export function parseApiVersionsV0(frame: Buffer): ApiVersionsV0 {
  const count = frame.length >= 10 ? frame.readInt32BE(6) : -1;
  if (count < 0 || frame.length < 10 + count * 6) {
    throw new Error(`not an ApiVersions v0 response: ${frame.toString('hex').slice(0, 200)}`);
  }
  const correlationId = frame.readInt32BE(0);
  const errorCode = frame.readInt16BE(4);
  const apiKeys: ApiVersionsV0['apiKeys'] = [];
  for (let i = 0; i < count; i++) {
    const at = 10 + i * 6;
    apiKeys.push({ apiKey: frame.readInt16BE(at), minVersion: frame.readInt16BE(at + 2), maxVersion: frame.readInt16BE(at + 4) });
  }
  return { correlationId, errorCode, apiKeys };
}

/** Sends ApiVersions v0 on a fresh connection and checks the answer: proof of a live broker. */
export async function apiVersionsWorks(bootstrap: string, timeoutMs = 5_000): Promise<ApiVersionsV0> {
  const conn = await RawConnection.open(bootstrap, timeoutMs);
  try {
    conn.send(requestFrame(18, 0, 4242));
    const frame = await conn.next(timeoutMs);
    if (frame === 'closed') throw new Error('ApiVersions v0: connection closed');
    const parsed = parseApiVersionsV0(frame);
    if (parsed.correlationId !== 4242) throw new Error(`ApiVersions v0: correlation id ${parsed.correlationId}`);
    if (parsed.errorCode !== 0) throw new Error(`ApiVersions v0: error ${parsed.errorCode}`);
    return parsed;
  } finally {
    conn.destroy();
  }
}
