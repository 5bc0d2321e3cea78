/**
 * One client connection. Kafka clients pipeline requests and match responses
 * by arriving order as well as correlation id, so responses are written in
 * request order even when a later request (say Metadata) finishes before an
 * earlier one (a Fetch long-poll). Each request takes a slot; a finished slot
 * is written once every slot before it is written.
 *
 * Memory bounds (Kafka mutes a connection while its response is in flight, so
 * it holds about one response per connection; Samsa keeps pipelining but
 * bounds what a connection can hold):
 * - A request is started only while this connection's unsent response bytes
 *   (in the socket's buffer, plus finished responses waiting for an earlier
 *   one) are at most `maxUnsentResponseBytes`. socket.write() returning false
 *   therefore stops new work, and 'drain' resumes it.
 * - A Fetch, whose response is built from segment bytes read into memory, is
 *   started only when no earlier Fetch of this connection is still unsent.
 *   A client that never reads thus holds one Fetch response, not one per
 *   pipelined Fetch. Clients send one Fetch per broker at a time anyway.
 * - At most `maxInFlight` requests per connection, and the broker-wide
 *   RequestBudget (queued.max.requests, queued.max.request.bytes).
 * - Requests are started strictly in arrival order; while one waits, the
 *   socket is not read, so the rest stay in the kernel's buffers.
 *
 * A request whose handler throws (malformed frame, unknown API) closes this
 * connection only; other connections are untouched.
 */
import type { Socket } from 'node:net';
import { FrameBufferPool, FrameSplitter } from './frame-splitter.js';
import type { RequestBudget } from './request-budget.js';

/**
 * Shared by every connection: buffers of large Produce frames, reused once
 * their request is answered (at most this many bytes kept while idle).
 */
const framePool = new FrameBufferPool(32 * 1024 * 1024);

/**
 * Api key of the one request whose frame is recycled after its handler has
 * settled: Produce decodes to strings and numbers plus `records` views, and
 * those views are only read until the append has completed (the log keeps no
 * reference; responses are encoded afresh). Other requests may keep views of
 * their frame (e.g. group member metadata), so their buffers are never reused.
 */
const PRODUCE_API_KEY = 0;
const FETCH_API_KEY = 1;

export interface ConnectionInfo {
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly listenerName: string;
  readonly securityProtocol: string;
}

/** Turns one request frame into response bytes, or null when no response is due (Produce with acks=0). */
export type FrameHandler = (frame: Buffer, conn: ConnectionInfo) => Promise<Buffer[] | null> | Buffer[] | null;

export interface ConnectionOptions {
  maxFrameBytes: number;
  /** Requests of this connection started and not yet written, before it stops starting more. */
  maxInFlight: number;
  /** Unsent response bytes above which no further request is started (see the file comment). */
  maxUnsentResponseBytes: number;
  /** connections.max.idle.ms: no bytes read or written for this long closes the connection; <= 0 never. */
  idleTimeoutMs: number;
  /** Broker-wide bounds shared by every connection. */
  budget: RequestBudget;
  onError: (conn: ConnectionInfo, err: unknown) => void;
  onClose: (conn: Connection) => void;
}

interface Slot {
  done: boolean;
  buffers: Buffer[] | null;
  /** Bytes of `buffers`, counted as unsent until written to the socket. */
  responseBytes: number;
  isFetch: boolean;
}

export class Connection {
  readonly info: ConnectionInfo;
  readonly #socket: Socket;
  readonly #handler: FrameHandler;
  readonly #opts: ConnectionOptions;
  readonly #splitter: FrameSplitter;
  /** Started requests in arrival order, until their response is written. */
  readonly #slots: Slot[] = [];
  /** Frames read but not started (waiting behind this connection's bounds). */
  readonly #waiting: Buffer[] = [];
  /** Started requests whose handler has not settled (they hold budget). */
  #inFlight = 0;
  /** Fetches among #slots. */
  #fetchesUnsent = 0;
  /** Finished responses held in #slots behind an unfinished earlier one. */
  #heldResponseBytes = 0;
  #reading = true;
  #closed = false;
  readonly #wake = (): void => this.#pump();

  constructor(socket: Socket, info: ConnectionInfo, handler: FrameHandler, opts: ConnectionOptions) {
    this.#socket = socket;
    this.info = info;
    this.#handler = handler;
    this.#opts = opts;
    this.#splitter = new FrameSplitter(opts.maxFrameBytes, framePool);
    socket.setNoDelay(true);
    if (opts.idleTimeoutMs > 0) {
      socket.setTimeout(opts.idleTimeoutMs, () => this.close());
    }
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('drain', this.#wake);
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
    // A connection accepted while the broker is over its request-bytes bound starts paused.
    this.#updateReading();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Response bytes produced for this connection and not yet taken by the kernel. */
  get unsentResponseBytes(): number {
    return this.#socket.writableLength + this.#heldResponseBytes;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#slots.length = 0;
    this.#waiting.length = 0;
    this.#heldResponseBytes = 0;
    this.#opts.budget.cancelWait(this.#wake);
    this.#socket.destroy();
    this.#opts.onClose(this);
  }

  #onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.#splitter.push(chunk);
    } catch (err) {
      this.#opts.onError(this.info, err);
      this.close();
      return;
    }
    for (const frame of frames) this.#waiting.push(frame);
    this.#pump();
  }

  /** Starts waiting requests while the bounds allow, then decides whether to keep reading. */
  #pump(): void {
    if (this.#closed) return;
    while (this.#waiting.length > 0 && this.#mayStart(this.#waiting[0])) {
      const frame = this.#waiting.shift() as Buffer;
      this.#dispatch(frame);
      if (this.#closed) return;
    }
    this.#updateReading();
  }

  #mayStart(frame: Buffer): boolean {
    if (this.#slots.length >= this.#opts.maxInFlight) return false;
    if (this.unsentResponseBytes > this.#opts.maxUnsentResponseBytes) return false;
    if (this.#fetchesUnsent > 0 && frame.readInt16BE(0) === FETCH_API_KEY) return false;
    if (!this.#opts.budget.mayStart(this.#inFlight)) {
      // Woken when a request anywhere settles; own settles and 'drain' also pump.
      this.#opts.budget.waitForRoom(this.#wake);
      return false;
    }
    return true;
  }

  /**
   * Reads while every read request has started and the broker-wide request
   * bytes are under their bound; a frame already begun is always finished.
   */
  #updateReading(): void {
    const budget = this.#opts.budget;
    let read = this.#waiting.length === 0;
    if (read && !budget.mayRead && !this.#splitter.midFrame) {
      read = false;
      budget.waitForRoom(this.#wake);
    }
    if (read === this.#reading) return;
    this.#reading = read;
    if (read) this.#socket.resume();
    else this.#socket.pause();
  }

  #dispatch(frame: Buffer): void {
    const isFetch = frame.readInt16BE(0) === FETCH_API_KEY;
    const slot: Slot = { done: false, buffers: null, responseBytes: 0, isFetch };
    this.#slots.push(slot);
    if (isFetch) this.#fetchesUnsent++;
    const budget = this.#opts.budget;
    const requestBytes = frame.length;
    budget.start(requestBytes);
    this.#inFlight++;
    let settled = false;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      budget.finish(requestBytes);
      this.#inFlight--;
    };
    let result: Promise<Buffer[] | null> | Buffer[] | null;
    try {
      result = this.#handler(frame, this.info);
    } catch (err) {
      settle();
      this.#fail(err);
      return;
    }
    const recycle = frame.length >= FrameBufferPool.MIN_BYTES && frame.readInt16BE(0) === PRODUCE_API_KEY;
    if (result instanceof Promise) {
      result.then(
        (buffers) => {
          if (recycle) framePool.give(frame);
          settle();
          this.#complete(slot, buffers);
          this.#pump();
        },
        (err: unknown) => {
          settle();
          this.#fail(err);
        },
      );
    } else {
      if (recycle) framePool.give(frame);
      settle();
      this.#complete(slot, result);
    }
  }

  #fail(err: unknown): void {
    if (this.#closed) return;
    this.#opts.onError(this.info, err);
    // Answers already computed for earlier requests are still sent before closing.
    this.#flush();
    this.#socket.end();
    this.close();
  }

  #complete(slot: Slot, buffers: Buffer[] | null): void {
    if (this.#closed) return;
    slot.done = true;
    slot.buffers = buffers;
    if (buffers) for (const b of buffers) slot.responseBytes += b.length;
    this.#heldResponseBytes += slot.responseBytes;
    this.#flush();
  }

  #flush(): void {
    const slots = this.#slots;
    let n = 0;
    while (n < slots.length && slots[n].done) n++;
    if (n === 0) return;
    const socket = this.#socket;
    socket.cork();
    for (let i = 0; i < n; i++) {
      const slot = slots[i];
      // The return value is not needed here: unsentResponseBytes reads the
      // socket's buffer, and 'drain' pumps once it has emptied.
      if (slot.buffers) for (const b of slot.buffers) socket.write(b);
      this.#heldResponseBytes -= slot.responseBytes;
      if (slot.isFetch) this.#fetchesUnsent--;
      slot.buffers = null;
    }
    socket.uncork();
    slots.splice(0, n);
  }
}
