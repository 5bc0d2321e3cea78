// Parsing of `listeners`, `advertised.listeners` and
// `listener.security.protocol.map`, with Kafka's rules and messages
// (kafka.utils.CoreUtils.listenerListToEndPoints, EndPoint.createEndPoint).

import { ConfigError } from './config-def.js';

/** The security protocols Kafka defines for listeners. */
export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';

const SECURITY_PROTOCOLS: ReadonlySet<string> = new Set(['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL']);

/** One listener endpoint. */
export interface Listener {
  /** Listener name, upper-cased as Kafka normalises it. */
  readonly name: string;
  /** Host or IP literal without brackets; '' means every interface (bind) or "fill in the host name" (advertise). */
  readonly host: string;
  readonly port: number;
  readonly securityProtocol: SecurityProtocol;
}

// NAME://host:port, NAME://[ipv6]:port, NAME://:port (Kafka's uriParseExp).
const ENDPOINT_RE = /^(.*):\/\/\[?([0-9a-zA-Z\-%._:]*)\]?:(-?[0-9]+)$/;

/**
 * Parse `listener.security.protocol.map` ("NAME:PROTOCOL,...").
 * @throws ConfigError naming the key for a malformed entry or an unknown protocol.
 */
export function parseSecurityProtocolMap(key: string, value: string): Map<string, SecurityProtocol> {
  const out = new Map<string, SecurityProtocol>();
  const trimmed = value.trim();
  if (trimmed === '') return out;
  for (const entry of trimmed.split(/\s*,\s*/)) {
    const parts = entry.split(':');
    const name = parts[0]?.trim().toUpperCase() ?? '';
    const protocol = parts[1]?.trim().toUpperCase() ?? '';
    if (parts.length !== 2 || name === '') {
      throw ConfigError.invalidValue(key, value, `Map entry '${entry}' is not of the form LISTENER_NAME:SECURITY_PROTOCOL`);
    }
    if (!SECURITY_PROTOCOLS.has(protocol)) {
      throw ConfigError.invalidValue(key, value, `No enum constant for security protocol ${protocol}; use one of ${[...SECURITY_PROTOCOLS].join(', ')}`);
    }
    out.set(name, protocol as SecurityProtocol);
  }
  return out;
}

/**
 * Parse a listener list ("PLAINTEXT://127.0.0.1:9092,SSL://:9093").
 * Names must be unique; for `listeners` (not advertised) ports must be too,
 * except that port 0 (pick a free port) may repeat.
 * @throws ConfigError naming `key` for an unparsable endpoint, a name with no
 *   security protocol, an out-of-range port or a duplicate.
 */
export function parseListeners(key: string, value: string, protocols: ReadonlyMap<string, SecurityProtocol>, options: { uniquePorts: boolean }): Listener[] {
  const trimmed = value.trim();
  if (trimmed === '') return [];
  const out: Listener[] = [];
  for (const entry of trimmed.split(/\s*,\s*/)) {
    const m = ENDPOINT_RE.exec(entry);
    if (m === null) throw ConfigError.invalidValue(key, value, `Unable to parse ${entry} to a broker endpoint; expected NAME://host:port`);
    const name = m[1].toUpperCase();
    const port = Number(m[3]);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw ConfigError.invalidValue(key, value, `Port ${m[3]} of listener ${name} is outside 0..65535`);
    }
    const securityProtocol = protocols.get(name);
    if (securityProtocol === undefined) {
      throw ConfigError.invalidValue(key, value, `No security protocol defined for listener ${name}; add it to listener.security.protocol.map`);
    }
    out.push({ name, host: m[2], port, securityProtocol });
  }
  const names = new Set(out.map((l) => l.name));
  if (names.size !== out.length) throw ConfigError.invalidValue(key, value, 'Each listener must have a different name');
  if (options.uniquePorts) {
    const ports = out.map((l) => l.port).filter((p) => p !== 0);
    if (new Set(ports).size !== ports.length) throw ConfigError.invalidValue(key, value, 'Each listener must have a different port');
  }
  return out;
}
