// The connections fuzz frames go out on. A response or close is optional for a fuzz frame
// (acks=0 Produce has none; a frame whose length prefix promised more bytes than came waits
// forever), so a frame counts against its connection's `maxOutstanding` only for `expireMs`;
// then the connection may send again. A connection that shows no progress for `stallMs`
// with frames unanswered (a long-poll Fetch at the head of its queue, a stalled prefix) is
// dropped and replaced, as is one the broker closed. Connections are also recycled after
// `framesPerConnection` frames so that per-connection state starts afresh now and then.
import { connect, type Socket } from 'node:net';
import type { FuzzFrame } from './frame-generator.js';

export interface FuzzConnectionOptions {
  host: string;
  port: number;
  maxOutstanding: number;
  expireMs: number;
  stallMs: number;
  framesPerConnection: number;
}

export interface SendCounters {
  frames: number;
  bytes: number;
  responses: number;
  /** Connections the broker closed. */
  brokerCloses: number;
  /** Connections the fuzzer dropped because nothing came back for `stallMs`. */
  stalledDrops: number;
  connections: number;
}

class FuzzConnection {
  readonly socket: Socket;
  /** Send times of frames not yet answered, oldest first (answers arrive in request order). */
  readonly unanswered: number[] = [];
  sent = 0;
  lastProgressAt = Date.now();
  open = false;
  dead = false;
  #buffered: Buffer = Buffer.alloc(0);

  constructor(opts: FuzzConnectionOptions, counters: SendCounters, onChange: () => void) {
    this.socket = connect({ host: opts.host, port: opts.port });
    this.socket.setNoDelay(true);
    this.socket.once('connect', () => {
      this.open = true;
      this.lastProgressAt = Date.now();
      onChange();
    });
    this.socket.on('data', (chunk: Buffer) => {
      this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk]);
      while (this.#buffered.length >= 4) {
        const size = this.#buffered.readInt32BE(0);
        if (size < 0 || this.#buffered.length < 4 + size) break;
        this.#buffered = this.#buffered.subarray(4 + size);
        counters.responses++;
        this.unanswered.shift();
        this.lastProgressAt = Date.now();
      }
      onChange();
    });
    this.socket.on('error', () => undefined);
    this.socket.once('close', () => {
      if (!this.dead) counters.brokerCloses++;
      this.dead = true;
      onChange();
    });
  }

  /** Unanswered frames sent within the last `expireMs`. */
  outstanding(now: number, expireMs: number): number {
    let n = 0;
    for (let i = this.unanswered.length - 1; i >= 0 && now - this.unanswered[i] < expireMs; i--) n++;
    return n;
  }

  drop(): void {
    this.dead = true;
    this.socket.destroy();
  }
}

/** A pool of fuzz connections to one broker. */
export class FuzzConnections {
  readonly #opts: FuzzConnectionOptions;
  readonly #pool: FuzzConnection[] = [];
  readonly counters: SendCounters = { frames: 0, bytes: 0, responses: 0, brokerCloses: 0, stalledDrops: 0, connections: 0 };
  #waiter: (() => void) | null = null;
  #next = 0;
  #closed = false;

  constructor(size: number, opts: FuzzConnectionOptions) {
    this.#opts = opts;
    for (let i = 0; i < size; i++) this.#pool.push(this.#open());
  }

  #open(): FuzzConnection {
    this.counters.connections++;
    return new FuzzConnection(this.#opts, this.counters, () => this.#wake());
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = null;
    w?.();
  }

  /**
   * Writes `frame` on the next connection with room, replacing dead, stalled and worn-out
   * connections on the way; waits (bounded by stallMs per round) while every connection is full.
   * Returns false, unsent, once the pool is closed or `stop()` returns true (checked on every
   * round, so a broker that died or hung while every connection was busy ends the wait).
   */
  async send(frame: FuzzFrame, stop: () => boolean): Promise<boolean> {
    for (;;) {
      if (this.#closed || stop()) return false;
      const now = Date.now();
      for (let i = 0; i < this.#pool.length; i++) {
        const slot = (this.#next + i) % this.#pool.length;
        let conn = this.#pool[slot];
        // Nothing back for stallMs: frames without an answer, or a connect that never completed.
        if (!conn.dead && (conn.unanswered.length > 0 || !conn.open) && now - conn.lastProgressAt > this.#opts.stallMs) {
          this.counters.stalledDrops++;
          conn.drop();
        }
        if (!conn.dead && conn.sent >= this.#opts.framesPerConnection) conn.drop();
        if (conn.dead) {
          conn = this.#open();
          this.#pool[slot] = conn;
        }
        if (conn.open && conn.outstanding(now, this.#opts.expireMs) < this.#opts.maxOutstanding && conn.socket.writableLength < 1 << 20) {
          this.#next = (slot + 1) % this.#pool.length;
          if (conn.unanswered.length === 0) conn.lastProgressAt = now;
          conn.unanswered.push(now);
          conn.sent++;
          conn.socket.write(frame.bytes);
          this.counters.frames++;
          this.counters.bytes += frame.bytes.length;
          return true;
        }
      }
      await new Promise<void>((resolve) => {
        this.#waiter = resolve;
        setTimeout(resolve, Math.max(2, Math.min(this.#opts.expireMs, this.#opts.stallMs / 4))).unref();
      });
    }
  }

  close(): void {
    this.#closed = true;
    for (const conn of this.#pool) conn.drop();
    this.#wake();
  }
}
