/**
 * One TCP connection to a broker. Requests are pipelined; responses come back
 * in request order, and each is matched to its request by correlation id.
 * On connect, ApiVersions is exchanged so every request can be sent at the
 * highest version both sides support.
 *
 * Timeouts: one timer per connection, armed for the earliest deadline of the
 * requests pending (not one timer per request: setting and clearing a timer
 * costs more than a small request's whole encoding). When it fires, a request
 * past its deadline fails the connection; otherwise it is armed again for
 * the earliest remaining deadline.
 */
import { connect, type Socket } from 'node:net';
import {
  ApiVersionsApi,
  ErrorCode,
  Reader,
  Writer,
  decodeResponseHeader,
  encodeRequestHeader,
  type ApiDescriptor,
} from '@samsa/protocol';
import { ConnectionError, KafkaError } from './kafka-error.js';

export interface ConnectionOptions {
  clientId?: string;
  /** Per-request timeout (and connect timeout unless `connectTimeoutMs` is set); 30 s by default. */
  timeoutMs?: number;
  /** Bound on establishing the TCP connection and, separately, on the ApiVersions handshake; `timeoutMs` by default. */
  connectTimeoutMs?: number;
}

/** Options of one request. */
export interface SendOptions {
  /** This request's timeout, instead of the connection's `timeoutMs`. */
  timeoutMs?: number;
}

/** Receives a request's outcome: an error, or null and the decoded response. */
export type ResponseCallback<Res> = (error: Error | null, response: Res | undefined) => void;

interface Pending {
  correlationId: number;
  api: ApiDescriptor<unknown, unknown>;
  version: number;
  callback: ResponseCallback<unknown>;
  timeoutMs: number;
  /** performance.now() after which the request has timed out. */
  deadline: number;
}

export class Connection {
  readonly host: string;
  readonly port: number;
  readonly #socket: Socket;
  readonly #clientId: string;
  readonly #timeoutMs: number;
  readonly #pending: Pending[] = [];
  #nextCorrelationId = 1;
  #chunks: Buffer[] = [];
  #buffered = 0;
  #closedError: Error | null = null;
  #versions = new Map<number, { minVersion: number; maxVersion: number }>();
  /** The timeout timer (see the top of this file) and the deadline it is armed for. */
  #timer: NodeJS.Timeout | null = null;
  #timerAt = Infinity;

  private constructor(socket: Socket, host: string, port: number, opts: ConnectionOptions) {
    this.#socket = socket;
    this.host = host;
    this.port = port;
    this.#clientId = opts.clientId ?? 'samsa';
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) => this.#failAll(new ConnectionError(`connection to ${host}:${port} failed: ${err.message}`, { cause: err })));
    socket.on('close', () => this.#failAll(new ConnectionError(`connection to ${host}:${port} closed`)));
  }

  /** Connects and negotiates API versions. */
  static async open(host: string, port: number, opts: ConnectionOptions = {}): Promise<Connection> {
    const timeoutMs = opts.connectTimeoutMs ?? opts.timeoutMs ?? 30_000;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host, port, noDelay: true });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new ConnectionError(`timed out connecting to ${host}:${port} after ${timeoutMs} ms`, { timedOut: true }));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        reject(new ConnectionError(`cannot connect to ${host}:${port}: ${(err as NodeJS.ErrnoException).code ?? err.message}`, { cause: err }));
      });
    });
    const conn = new Connection(socket, host, port, opts);
    let res;
    try {
      // The handshake is part of connecting: a peer that accepts TCP but never answers (not a Kafka broker) is bounded by the connect timeout too.
      res = await conn.send(ApiVersionsApi, 0, { clientSoftwareName: 'samsa', clientSoftwareVersion: '0.1.0', clusterId: null, nodeId: -1 }, { timeoutMs });
    } catch (err) {
      conn.close();
      throw err;
    }
    if (res.errorCode !== 0) {
      conn.close();
      throw new KafkaError(res.errorCode, { apiName: 'ApiVersions', apiKey: ApiVersionsApi.apiKey, apiVersion: 0 });
    }
    for (const k of res.apiKeys) conn.#versions.set(k.apiKey, { minVersion: k.minVersion, maxVersion: k.maxVersion });
    return conn;
  }

  /**
   * The highest version of `api` both this client and the broker support, at
   * most `max`. A broker that does not list the API in ApiVersions, or serves
   * none of those versions, gets KafkaError UNSUPPORTED_VERSION naming the
   * broker and the API: not retriable, since asking the same broker again
   * cannot help (every caller, from the admin client to the fetch loop, then
   * reports it instead of retrying it).
   */
  version(api: ApiDescriptor<unknown, unknown> | { apiKey: number; name: string; minVersion: number; maxVersion: number }, max = api.maxVersion): number {
    const broker = this.#versions.get(api.apiKey);
    const refuse = (message: string): KafkaError => new KafkaError(ErrorCode.UNSUPPORTED_VERSION, { message, apiName: api.name, apiKey: api.apiKey });
    if (!broker) throw refuse(`broker ${this.host}:${this.port} does not serve ${api.name} (API key ${api.apiKey} is not in its ApiVersions answer)`);
    const v = Math.min(max, broker.maxVersion);
    if (v < Math.max(api.minVersion, broker.minVersion)) {
      throw refuse(`broker ${this.host}:${this.port}: no common version of ${api.name}: broker ${broker.minVersion}-${broker.maxVersion}, client ${api.minVersion}-${max}`);
    }
    return v;
  }

  /** Whether the broker advertised `api` in ApiVersions (at any version). */
  supports(api: { apiKey: number }): boolean {
    return this.#versions.has(api.apiKey);
  }

  /** True once the connection failed or was closed; every later request is rejected. */
  get closed(): boolean {
    return this.#closedError !== null;
  }

  /** Sends a request at the negotiated version (capped at `maxVersion`) and returns the decoded response. */
  request<Req, Res>(api: ApiDescriptor<Req, Res>, msg: Req, maxVersion?: number): Promise<Res> {
    return this.send(api, this.version(api as unknown as ApiDescriptor<unknown, unknown>, maxVersion ?? api.maxVersion), msg);
  }

  /**
   * Sends a request at `version` and resolves with the decoded response. A
   * timeout fails this request and every other one pending on the connection
   * (responses come in order, so a late one could not be matched any more)
   * and closes it.
   */
  send<Req, Res>(api: ApiDescriptor<Req, Res>, version: number, msg: Req, opts: SendOptions = {}): Promise<Res> {
    if (this.#closedError) return Promise.reject(this.#closedError);
    const correlationId = this.#nextCorrelationId++;
    const frame = this.#encode(api, version, msg, correlationId);
    const timeoutMs = opts.timeoutMs ?? this.#timeoutMs;
    return new Promise<Res>((resolve, reject) => {
      this.#enqueue(correlationId, frame, api, version, timeoutMs, (err, res) => {
        if (err === null) resolve(res as Res);
        else reject(err);
      });
    });
  }

  /**
   * {@link send} with a callback instead of a promise, for hot paths. The
   * callback runs exactly once, never synchronously within this call (on a
   * closed connection it runs in a microtask, as a rejection would).
   * Encoding errors throw, as they do from `send`.
   */
  sendWithCallback<Req, Res>(api: ApiDescriptor<Req, Res>, version: number, msg: Req, timeoutMs: number | undefined, callback: ResponseCallback<Res>): void {
    const closed = this.#closedError;
    if (closed !== null) {
      queueMicrotask(() => callback(closed, undefined));
      return;
    }
    const correlationId = this.#nextCorrelationId++;
    const frame = this.#encode(api, version, msg, correlationId);
    this.#enqueue(correlationId, frame, api, version, timeoutMs ?? this.#timeoutMs, callback);
  }

  #enqueue<Res>(correlationId: number, frame: Buffer[], api: ApiDescriptor<unknown, Res>, version: number, timeoutMs: number, callback: ResponseCallback<Res>): void {
    const deadline = performance.now() + timeoutMs;
    this.#pending.push({ correlationId, api: api as ApiDescriptor<unknown, unknown>, version, callback: callback as ResponseCallback<unknown>, timeoutMs, deadline });
    if (deadline < this.#timerAt) this.#arm(deadline);
    this.#write(frame);
  }

  #arm(deadline: number): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timerAt = deadline;
    // Timers have millisecond resolution: never fire before the deadline.
    this.#timer = setTimeout(() => this.#onTimer(), Math.max(1, Math.ceil(deadline - performance.now())));
  }

  #onTimer(): void {
    this.#timer = null;
    this.#timerAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    for (const p of this.#pending) {
      if (p.deadline <= now) {
        this.#failAll(new ConnectionError(`${p.api.name} request to ${this.host}:${this.port} timed out after ${p.timeoutMs} ms`, { timedOut: true }));
        return;
      }
      if (p.deadline < next) next = p.deadline;
    }
    if (next !== Infinity) this.#arm(next);
  }

  /**
   * Sends a request the broker does not answer (Produce with acks=0). Resolves
   * once the bytes were handed to the kernel; rejects if the connection is or
   * becomes closed first.
   */
  sendWithoutResponse<Req>(api: ApiDescriptor<Req, unknown>, version: number, msg: Req): Promise<void> {
    if (this.#closedError) return Promise.reject(this.#closedError);
    const frame = this.#encode(api, version, msg, this.#nextCorrelationId++);
    return new Promise<void>((resolve, reject) => {
      this.#write(frame, (err) => {
        if (err) reject(this.#closedError ?? new ConnectionError(`write to ${this.host}:${this.port} failed: ${err.message}`, { cause: err }));
        else resolve();
      });
    });
  }

  /** The request as a size-prefixed frame: one buffer when small, else chunks that reference large record batches. */
  #encode<Req>(api: ApiDescriptor<Req, unknown>, version: number, msg: Req, correlationId: number): Buffer[] {
    const w = new Writer();
    const sizeAt = w.reserveInt32();
    encodeRequestHeader(
      w,
      { requestApiKey: api.apiKey, requestApiVersion: version, correlationId, clientId: this.#clientId },
      api.requestHeaderVersion(version),
    );
    api.encodeRequest(w, msg, version);
    w.patchInt32(sizeAt, w.length - 4);
    return w.toBuffers();
  }

  #write(frame: Buffer[], done?: (err: Error | null | undefined) => void): void {
    // A single buffer skips the cork/writev path, the common case for small requests.
    if (frame.length === 1) {
      this.#socket.write(frame[0], done);
      return;
    }
    this.#socket.cork();
    for (let i = 0; i < frame.length; i++) this.#socket.write(frame[i], i === frame.length - 1 ? done : undefined);
    this.#socket.uncork();
  }

  close(): void {
    this.#failAll(new ConnectionError('connection closed by the client'));
  }

  #onData(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    // Chunks are joined only once a whole response is buffered, so a large response costs one copy.
    while (this.#buffered >= 4) {
      let head = this.#chunks[0];
      if (head.length < 4) head = this.#join(4);
      const size = head.readInt32BE(0);
      if (this.#buffered < 4 + size) return;
      const whole = this.#chunks[0].length >= 4 + size ? this.#chunks[0] : this.#join(4 + size);
      const frame = whole.subarray(4, 4 + size);
      if (whole.length > 4 + size) this.#chunks[0] = whole.subarray(4 + size);
      else this.#chunks.shift();
      this.#buffered -= 4 + size;
      const p = this.#pending.shift();
      if (!p) {
        this.#failAll(new ConnectionError('response without a request'));
        return;
      }
      const correlationId = frame.readInt32BE(0);
      if (correlationId !== p.correlationId) {
        p.callback(new ConnectionError(`correlation id mismatch: expected ${p.correlationId}, got ${correlationId}`), undefined);
        this.#failAll(new ConnectionError('protocol error: out-of-order response'));
        return;
      }
      let response: unknown;
      try {
        const r = new Reader(frame);
        decodeResponseHeader(r, p.api.responseHeaderVersion(p.version));
        response = p.api.decodeResponse(r, p.version);
      } catch (err) {
        p.callback(err as Error, undefined);
        continue;
      }
      p.callback(null, response);
      // The callback may have closed the connection.
      if (this.#closedError !== null) return;
    }
  }

  /** Merges the leading chunks until the first holds at least `n` bytes (the caller checked `n` are buffered). */
  #join(n: number): Buffer {
    let taken = 0;
    let count = 0;
    while (taken < n) taken += this.#chunks[count++].length;
    const merged = Buffer.concat(this.#chunks.slice(0, count), taken);
    this.#chunks.splice(0, count, merged);
    return merged;
  }

  #failAll(err: Error): void {
    if (!this.#closedError) this.#closedError = err;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = Infinity;
    // Reported in a microtask, as promise rejections were: whoever closed the
    // connection (or timed it out) finishes before the requests' owners react.
    const failed = this.#pending.splice(0);
    if (failed.length > 0) {
      queueMicrotask(() => {
        for (const p of failed) p.callback(err, undefined);
      });
    }
    this.#socket.destroy();
  }
}
