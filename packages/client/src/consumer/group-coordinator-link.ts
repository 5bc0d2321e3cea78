/**
 * The consumer's link to its group coordinator: FindCoordinator
 * (cluster/find-coordinator.ts), then
 * dedicated connections to that broker, apart from the fetch connections.
 *
 * Why dedicated: a broker answers the requests of one connection in order.
 * JoinGroup and SyncGroup are parked by the coordinator until the rebalance
 * completes (up to the rebalance timeout), and a Fetch waits up to
 * maxWaitTimeMs; on a shared connection either would hold back heartbeats
 * and commits. So there are two connections to the coordinator
 * ('membership': JoinGroup, SyncGroup, Heartbeat, LeaveGroup; 'offsets':
 * OffsetCommit, OffsetFetch), as Kafka's Java client also keeps the
 * coordinator connection apart.
 *
 * After NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE or a lost connection the
 * caller calls {@link GroupCoordinatorLink.reset}: the connections are closed
 * and the next request looks the coordinator up again.
 */
import type { Cluster } from '../cluster/cluster.js';
import { isRetriableError } from '../cluster/cluster.js';
import { COORDINATOR_KEY_TYPE_GROUP, findCoordinator, type CoordinatorNode } from '../cluster/find-coordinator.js';
import { ClientError } from '../client-error.js';
import { Connection } from '../connection.js';
import { retryDelayMs, type RetryPolicy } from '../retry.js';

export { isCoordinatorError, type CoordinatorNode } from '../cluster/find-coordinator.js';

/** Which of the two coordinator connections (see the top of this file). */
export type CoordinatorPurpose = 'membership' | 'offsets';

/** Settings of a {@link GroupCoordinatorLink}. */
export interface CoordinatorLinkOptions {
  cluster: Cluster;
  groupId: string;
  clientId: string;
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
  retry: RetryPolicy;
  random: () => number;
}

/** FindCoordinator plus dedicated connections (see the top of this file). */
export class GroupCoordinatorLink {
  readonly #o: CoordinatorLinkOptions;
  #node: CoordinatorNode | null = null;
  #finding: Promise<CoordinatorNode> | null = null;
  readonly #conns = new Map<CoordinatorPurpose, Promise<Connection>>();
  #closed = false;

  constructor(opts: CoordinatorLinkOptions) {
    this.#o = opts;
  }

  /** The coordinator last found, if any. */
  get node(): CoordinatorNode | null {
    return this.#node;
  }

  /** An open connection to the coordinator for `purpose`; finds the coordinator first when needed. */
  async connection(purpose: CoordinatorPurpose): Promise<Connection> {
    this.#assertOpen();
    const existing = this.#conns.get(purpose);
    if (existing !== undefined) {
      const conn = await existing.catch(() => null);
      if (conn !== null && !conn.closed) return conn;
      if (this.#conns.get(purpose) === existing) this.#conns.delete(purpose);
      return this.connection(purpose);
    }
    const opening = this.#open();
    this.#conns.set(purpose, opening);
    try {
      return await opening;
    } catch (err) {
      if (this.#conns.get(purpose) === opening) this.#conns.delete(purpose);
      // An unreachable coordinator may have moved: look it up again next time.
      this.reset();
      throw err;
    }
  }

  async #open(): Promise<Connection> {
    const node = await this.find();
    const conn = await Connection.open(node.host, node.port, {
      clientId: this.#o.clientId,
      timeoutMs: this.#o.requestTimeoutMs,
      connectTimeoutMs: this.#o.connectionTimeoutMs,
    });
    if (this.#closed) {
      conn.close();
      throw new ClientError('SAMSA_ERR_NOT_CONNECTED', 'the consumer was disconnected');
    }
    return conn;
  }

  /** Looks the coordinator up (shared by concurrent callers), retrying retriable errors with the retry policy. */
  find(): Promise<CoordinatorNode> {
    if (this.#node !== null) return Promise.resolve(this.#node);
    this.#finding ??= this.#find().finally(() => {
      this.#finding = null;
    });
    return this.#finding;
  }

  async #find(): Promise<CoordinatorNode> {
    for (let attempt = 0; ; attempt++) {
      this.#assertOpen();
      try {
        this.#node = await findCoordinator(this.#o.cluster, COORDINATOR_KEY_TYPE_GROUP, this.#o.groupId);
        return this.#node;
      } catch (err) {
        if (this.#closed || !isRetriableError(err) || attempt >= this.#o.retry.retries) throw err;
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs(this.#o.retry, attempt + 1, this.#o.random)));
      }
    }
  }

  /** Forgets the coordinator and closes its connections. */
  reset(): void {
    this.#node = null;
    for (const c of this.#conns.values()) c.then((conn) => conn.close(), () => {});
    this.#conns.clear();
  }

  /** Closes the connections; later calls throw NOT_CONNECTED. */
  close(): void {
    this.#closed = true;
    this.reset();
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClientError('SAMSA_ERR_NOT_CONNECTED', 'the consumer was disconnected');
  }
}
