/**
 * A TCP listener (one per entry of `listeners`). Accepts connections within
 * the broker's connection quotas and hands each to a Connection with the
 * broker's frame handler. The listen backlog is socket.listen.backlog.size.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Connection, type ConnectionOptions, type FrameHandler } from './connection.js';
import type { ConnectionQuotas, RefusalReason } from './connection-quotas.js';

export interface ListenerSpec {
  name: string;
  host: string;
  port: number;
  securityProtocol: string;
}

/** What each connection gets, plus the listener's own settings. */
export interface ListenerOptions extends Omit<ConnectionOptions, 'onClose'> {
  /** Shared by every listener: max.connections counts them all. */
  quotas: ConnectionQuotas;
  /** socket.listen.backlog.size. */
  backlog: number;
  /** Called for a connection closed at accept because a limit refuses it. */
  onRefused: (socket: Socket, reason: RefusalReason) => void;
}

export class Listener {
  readonly spec: ListenerSpec;
  readonly #server: Server;
  readonly #connections = new Set<Connection>();
  readonly #backlog: number;
  #boundPort = 0;

  constructor(spec: ListenerSpec, handler: FrameHandler, opts: ListenerOptions, nextId: () => number) {
    this.spec = spec;
    const { quotas, onRefused, backlog, ...connectionOpts } = opts;
    this.#backlog = backlog;
    this.#server = createServer({ noDelay: true }, (socket) => {
      const address = socket.remoteAddress ?? '';
      const refused = quotas.tryAccept(address);
      if (refused !== null) {
        onRefused(socket, refused);
        socket.destroy();
        return;
      }
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
        {
          ...connectionOpts,
          onClose: (c) => {
            this.#connections.delete(c);
            quotas.release(address);
          },
        },
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
      this.#server.listen({ host: this.spec.host || undefined, port: this.spec.port, backlog: this.#backlog }, () => {
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
