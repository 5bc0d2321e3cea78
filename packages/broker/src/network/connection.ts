/**
 * One client connection. Kafka clients pipeline requests and match responses
 * by arriving order as well as correlation id, so responses are written in
 * request order even when a later request (say Metadata) finishes before an
 * earlier one (a Fetch long-poll). Each request takes a slot; a finished slot
 * is written once every slot before it is written.
 *
 * A request whose handler throws (malformed frame, unknown API) closes this
 * connection only; other connections are untouched.
 */
import type { Socket } from 'node:net';
import { FrameBufferPool, FrameSplitter } from './frame-splitter.js';

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
  /** Requests read but not yet answered before reading pauses (queued.max.requests analogue, per connection). */
  maxInFlight: number;
  idleTimeoutMs: number;
  onError: (conn: ConnectionInfo, err: unknown) => void;
  onClose: (conn: Connection) => void;
}

interface Slot {
  done: boolean;
  buffers: Buffer[] | null;
}

export class Connection {
  readonly info: ConnectionInfo;
  readonly #socket: Socket;
  readonly #handler: FrameHandler;
  readonly #opts: ConnectionOptions;
  readonly #splitter: FrameSplitter;
  readonly #slots: Slot[] = [];
  #paused = false;
  #closed = false;

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
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#slots.length = 0;
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
    for (const frame of frames) {
      if (this.#closed) return;
      this.#dispatch(frame);
    }
    if (!this.#paused && this.#slots.length >= this.#opts.maxInFlight) {
      this.#paused = true;
      this.#socket.pause();
    }
  }

  #dispatch(frame: Buffer): void {
    const slot: Slot = { done: false, buffers: null };
    this.#slots.push(slot);
    let result: Promise<Buffer[] | null> | Buffer[] | null;
    try {
      result = this.#handler(frame, this.info);
    } catch (err) {
      this.#fail(err);
      return;
    }
    const recycle = frame.length >= FrameBufferPool.MIN_BYTES && frame.readInt16BE(0) === PRODUCE_API_KEY;
    if (result instanceof Promise) {
      result.then(
        (buffers) => {
          if (recycle) framePool.give(frame);
          this.#complete(slot, buffers);
        },
        (err: unknown) => this.#fail(err),
      );
    } else {
      if (recycle) framePool.give(frame);
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
      const buffers = slots[i].buffers;
      if (buffers) for (const b of buffers) socket.write(b);
    }
    socket.uncork();
    slots.splice(0, n);
    if (this.#paused && slots.length < this.#opts.maxInFlight) {
      this.#paused = false;
      this.#socket.resume();
    }
  }
}
