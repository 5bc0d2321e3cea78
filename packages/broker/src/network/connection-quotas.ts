/**
 * Connection limits across every listener: `max.connections` (the broker)
 * and `max.connections.per.ip` with `max.connections.per.ip.overrides`
 * (one source address). Limits are read at each accept, so dynamic updates
 * apply to the next connection (existing ones are never closed by a change).
 *
 * Over either limit the new connection is closed at once. For the per-IP
 * limit that is Kafka's behaviour. For the broker limit Kafka stops
 * accepting until a connection closes, leaving new ones in the listen
 * backlog; Node's net.Server cannot pause accepting, so Samsa closes the
 * newest instead (clients reconnect with backoff either way).
 */
import { normaliseAddress } from '../config/per-ip-overrides.js';

export interface ConnectionLimits {
  maxConnections(): number;
  maxConnectionsPerIp(): number;
  /** Parsed max.connections.per.ip.overrides (address → limit). */
  perIpOverrides(): ReadonlyMap<string, number>;
}

export type RefusalReason = 'max.connections' | 'max.connections.per.ip';

export class ConnectionQuotas {
  readonly #limits: ConnectionLimits;
  readonly #perIp = new Map<string, number>();
  #total = 0;

  constructor(limits: ConnectionLimits) {
    this.#limits = limits;
  }

  get total(): number {
    return this.#total;
  }

  count(address: string): number {
    return this.#perIp.get(normaliseAddress(address)) ?? 0;
  }

  /** Takes a slot for a new connection from `address`, or says which limit refuses it. */
  tryAccept(address: string): RefusalReason | null {
    const ip = normaliseAddress(address);
    const held = this.#perIp.get(ip) ?? 0;
    const ipLimit = this.#limits.perIpOverrides().get(ip) ?? this.#limits.maxConnectionsPerIp();
    if (held >= ipLimit) return 'max.connections.per.ip';
    if (this.#total >= this.#limits.maxConnections()) return 'max.connections';
    this.#perIp.set(ip, held + 1);
    this.#total++;
    return null;
  }

  /** Gives back the slot of a connection accepted by tryAccept. */
  release(address: string): void {
    const ip = normaliseAddress(address);
    const held = this.#perIp.get(ip) ?? 0;
    if (held <= 1) this.#perIp.delete(ip);
    else this.#perIp.set(ip, held - 1);
    this.#total--;
  }
}
