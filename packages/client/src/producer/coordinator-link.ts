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
 * up when none is known and opens the connection, throwing the
 * FindCoordinator error (KafkaError) or the ConnectionError. The caller
 * decides about retries (transaction-manager.ts) and calls
 * {@link CoordinatorLink.reset} after NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE
 * or a lost connection, so the next attempt looks the coordinator up again.
 */
import { ErrorCode, FindCoordinatorApi, type ApiDescriptor } from '@samsa/protocol';
import type { Cluster } from '../cluster/cluster.js';
import { ClientError } from '../client-error.js';
import { Connection } from '../connection.js';
import { KafkaError } from '../kafka-error.js';

/** FindCoordinator key type of a consumer group. */
export const COORDINATOR_KEY_TYPE_GROUP = 0;
/** FindCoordinator key type of a transactional id. */
export const COORDINATOR_KEY_TYPE_TRANSACTION = 1;

/** v4 batches keys; v0-3 carry the one key we need. Key types need v1. */
const FIND_COORDINATOR_MAX_VERSION = 3;

/** Settings of a {@link CoordinatorLink}. */
export interface CoordinatorLinkOptions {
  cluster: Cluster;
  keyType: typeof COORDINATOR_KEY_TYPE_GROUP | typeof COORDINATOR_KEY_TYPE_TRANSACTION;
  key: string;
  clientId: string;
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
}

/** A coordinator as FindCoordinator named it. */
export interface CoordinatorNode {
  nodeId: number;
  host: string;
  port: number;
}

/**
 * The version of `api` to use with `conn`, at most `max`. A broker without
 * the API (or without a common version) cannot do transactions at all: that
 * is UNSUPPORTED_VERSION, not a connection problem worth retrying.
 */
export function coordinatorApiVersion(conn: Connection, api: ApiDescriptor<unknown, unknown>, max: number, min = api.minVersion): number {
  try {
    const v = conn.version(api, max);
    if (v >= min) return v;
  } catch {
    // fall through
  }
  throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, {
    message: `broker ${conn.host}:${conn.port} does not support ${api.name} v${min}-${max}`,
    apiName: api.name,
    apiKey: api.apiKey,
  });
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
    return `${this.#o.keyType === COORDINATOR_KEY_TYPE_TRANSACTION ? 'transactional id' : 'group'} ${this.#o.key}`;
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

  async #lookup(): Promise<CoordinatorNode> {
    const conn = await this.#o.cluster.anyConnection();
    const minVersion = this.#o.keyType === COORDINATOR_KEY_TYPE_GROUP ? 0 : 1;
    const version = coordinatorApiVersion(conn, FindCoordinatorApi as ApiDescriptor<unknown, unknown>, FIND_COORDINATOR_MAX_VERSION, minVersion);
    const key = this.#o.key;
    const res = await conn.send(FindCoordinatorApi, version, { key, keyType: this.#o.keyType, coordinatorKeys: [key] });
    const c = version >= 4 && res.coordinators.length > 0 ? res.coordinators[0] : res;
    if (c.errorCode !== ErrorCode.NONE) {
      throw new KafkaError(c.errorCode, { message: c.errorMessage, apiName: 'FindCoordinator', apiKey: FindCoordinatorApi.apiKey, apiVersion: version, resource: this.resource });
    }
    return { nodeId: c.nodeId, host: c.host, port: c.port };
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClientError('SAMSA_ERR_NOT_CONNECTED', 'the producer disconnected');
  }
}
