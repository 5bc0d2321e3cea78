/**
 * A TCP listener (one per entry of `listeners`). Accepts connections and hands
 * each to a Connection with the broker's frame handler.
 */
import { createServer, type Server } from 'node:net';
import { Connection, type ConnectionOptions, type FrameHandler } from './connection.js';

export interface ListenerSpec {
  name: string;
  host: string;
  port: number;
  securityProtocol: string;
}

export class Listener {
  readonly spec: ListenerSpec;
  readonly #server: Server;
  readonly #connections = new Set<Connection>();
  #boundPort = 0;

  constructor(spec: ListenerSpec, handler: FrameHandler, opts: Omit<ConnectionOptions, 'onClose'>, nextId: () => number) {
    this.spec = spec;
    this.#server = createServer({ noDelay: true }, (socket) => {
      const conn = new Connection(
        socket,
        {
          id: nextId(),
          remoteAddress: socket.remoteAddress ?? '',
          remotePort: socket.remotePort ?? 0,
          listenerName: spec.name,
          securityProtocol: spec.securityProtocol,
        },
        handler,
        { ...opts, onClose: (c) => this.#connections.delete(c) },
      );
      this.#connections.add(conn);
    });
  }

  /** The port actually bound (differs from spec.port when that is 0). */
  get port(): number {
    return this.#boundPort;
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.#server.once('error', onError);
      this.#server.listen({ host: this.spec.host || undefined, port: this.spec.port }, () => {
        this.#server.off('error', onError);
        const addr = this.#server.address();
        this.#boundPort = typeof addr === 'object' && addr ? addr.port : this.spec.port;
        resolve();
      });
    });
  }

  close(): Promise<void> {
    for (const c of this.#connections) c.close();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
