/**
 * Broker-wide bounds on requests being handled, shared by every connection
 * of every listener:
 *
 * - bytes (`queued.max.request.bytes`): the frames of requests that were read
 *   and whose handler has not settled. Above the bound no connection reads
 *   from its socket (one that is in the middle of receiving a frame finishes
 *   it, as Kafka's memory pool lets a started receive complete), so at most
 *   one frame per connection overshoots it.
 * - count (`queued.max.requests`): requests whose handler has not settled.
 *   At the bound a connection that already has a request in progress does
 *   not start another; a connection with none may always start one. That
 *   exemption is Kafka's "one request per muted connection" applied under
 *   pressure, so a few pipelining clients cannot starve everyone else and a
 *   group whose JoinGroups wait for each other cannot deadlock.
 *
 * Requests a connection has read but not started (they wait behind its own
 * earlier requests or its unsent responses) are not counted: a connection
 * stops reading while it has any, so they are at most one socket read each.
 *
 * Connections blocked by a bound register a wake-up; they are all woken when
 * a settling request brings usage back under the bound.
 */
export interface RequestBudgetLimits {
  /** Most request bytes being handled; -1 means unbounded (Kafka's default). */
  maxBytes: number;
  /** Most requests being handled before connections stop pipelining. */
  maxRequests: number;
}

export class RequestBudget {
  readonly #limits: RequestBudgetLimits;
  readonly #waiting = new Set<() => void>();
  #bytes = 0;
  #requests = 0;

  constructor(limits: RequestBudgetLimits) {
    this.#limits = limits;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get requests(): number {
    return this.#requests;
  }

  /** Whether sockets may be read (request bytes under the bound). */
  get mayRead(): boolean {
    return this.#limits.maxBytes < 0 || this.#bytes < this.#limits.maxBytes;
  }

  /** Whether a connection with `ownInFlight` requests in progress may start one more. */
  mayStart(ownInFlight: number): boolean {
    return ownInFlight === 0 || this.#requests < this.#limits.maxRequests;
  }

  /** A request of `bytes` starts; call `finish` with the same size once its handler settles. */
  start(bytes: number): void {
    this.#bytes += bytes;
    this.#requests++;
  }

  finish(bytes: number): void {
    const wasBlocked = !this.mayRead || this.#requests >= this.#limits.maxRequests;
    this.#bytes -= bytes;
    this.#requests--;
    if (wasBlocked && this.mayRead && this.#requests < this.#limits.maxRequests) this.#wakeAll();
  }

  /** Calls `wake` (once) when a settling request next frees room. */
  waitForRoom(wake: () => void): void {
    this.#waiting.add(wake);
  }

  cancelWait(wake: () => void): void {
    this.#waiting.delete(wake);
  }

  #wakeAll(): void {
    if (this.#waiting.size === 0) return;
    const waiting = [...this.#waiting];
    this.#waiting.clear();
    for (const wake of waiting) wake();
  }
}
