/**
 * A transactional producer's link to one coordinator: the transaction
 * coordinator of its transactional id (FindCoordinator key type 1), or the
 * group coordinator of a consumer group it commits offsets for (key type 0,
 * TxnOffsetCommit).
 *
 * The coordinator gets a connection of its own, apart from the Produce
 * connections: a broker answers one connection's requests in order, and
 * EndTxn is answered only once the markers are written, so sharing would
 * hold Produce answers back behind it (and a Produce timeout would fail the
 * EndTxn with it).
 *
 * {@link CoordinatorLink.connection} is one attempt: it looks the coordinator
 * up (cluster/find-coordinator.ts) when none is known and opens the connection, throwing the
 * FindCoordinator error (KafkaError) or the ConnectionError. The caller
 * decides about retries (transaction-manager.ts) and calls
 * {@link CoordinatorLink.reset} after NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE
 * or a lost connection, so the next attempt looks the coordinator up again.
 */
import type { Cluster } from '../cluster/cluster.js';
import { coordinatorResource, findCoordinator, type CoordinatorKeyType, type CoordinatorNode } from '../cluster/find-coordinator.js';
import { ClientError } from '../client-error.js';
import { Connection } from '../connection.js';

/** Settings of a {@link CoordinatorLink}. */
export interface CoordinatorLinkOptions {
  cluster: Cluster;
  keyType: CoordinatorKeyType;
  key: string;
  clientId: string;
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
}

/** FindCoordinator plus a dedicated connection (see the top of this file). */
export class CoordinatorLink {
  readonly #o: CoordinatorLinkOptions;
  #node: CoordinatorNode | null = null;
  #conn: Promise<Connection> | null = null;
  #closed = false;

  constructor(opts: CoordinatorLinkOptions) {
    this.#o = opts;
  }

  /** The coordinator last found, if any. */
  get node(): CoordinatorNode | null {
    return this.#node;
  }

  /** What the coordinator is for, for error messages: `transactional id x` or `group g`. */
  get resource(): string {
    return coordinatorResource(this.#o.keyType, this.#o.key);
  }

  /** One attempt at an open connection to the coordinator (see the top of this file). */
  async connection(): Promise<Connection> {
    this.#assertOpen();
    const current = this.#conn;
    if (current !== null) {
      const conn = await current;
      if (!conn.closed) return conn;
      if (this.#conn === current) this.reset();
    }
    this.#conn ??= this.#find();
    return this.#conn;
  }

  /** Forgets the coordinator and closes its connection: the next attempt looks it up again. */
  reset(): void {
    const current = this.#conn;
    this.#conn = null;
    this.#node = null;
    current?.then(
      (c) => c.close(),
      () => {},
    );
  }

  /** Closes the connection; later calls throw NOT_CONNECTED. */
  close(): void {
    this.#closed = true;
    this.reset();
  }

  #find(): Promise<Connection> {
    const p = (async () => {
      const node = await this.#lookup();
      const conn = await Connection.open(node.host, node.port, {
        clientId: this.#o.clientId,
        timeoutMs: this.#o.requestTimeoutMs,
        connectTimeoutMs: this.#o.connectionTimeoutMs,
      });
      if (this.#closed) {
        conn.close();
        throw new ClientError('SAMSA_ERR_NOT_CONNECTED', 'the producer disconnected');
      }
      this.#node = node;
      return conn;
    })();
    p.catch(() => {
      if (this.#conn === p) this.#conn = null;
    });
    return p;
  }

  #lookup(): Promise<CoordinatorNode> {
    return findCoordinator(this.#o.cluster, this.#o.keyType, this.#o.key);
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClientError('SAMSA_ERR_NOT_CONNECTED', 'the producer disconnected');
  }
}
