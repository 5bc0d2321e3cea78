// max.connections.per.ip.overrides: parsing and the address form that both
// the overrides and the connection quotas (network/connection-quotas.ts) use.
import { isIP } from 'node:net';

/** IPv4 clients of a dual-stack listener show as ::ffff:a.b.c.d; limits and overrides use a.b.c.d. */
export function normaliseAddress(address: string): string {
  const lower = address.toLowerCase();
  return lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4 ? lower.slice(7) : lower;
}

/**
 * Parses `max.connections.per.ip.overrides`: comma-separated `address:limit`
 * pairs (the limit after the last colon, so IPv6 addresses work). Kafka also
 * takes host names and resolves them once; Samsa takes IP addresses only, so
 * a limit never depends on DNS at accept time.
 * @returns the map, or a reason the text is invalid.
 */
export function parsePerIpOverrides(text: string): Map<string, number> | string {
  const out = new Map<string, number>();
  const trimmed = text.trim();
  if (trimmed === '') return out;
  for (const entry of trimmed.split(/\s*,\s*/)) {
    const colon = entry.lastIndexOf(':');
    const address = colon > 0 ? entry.slice(0, colon).trim() : '';
    const limitText = colon > 0 ? entry.slice(colon + 1).trim() : '';
    if (address === '' || !/^\d+$/.test(limitText)) return `'${entry}' is not address:limit`;
    if (isIP(address) === 0) return `'${address}' is not an IP address (Samsa does not resolve host names here)`;
    const limit = Number(limitText);
    if (limit > 2 ** 31 - 1) return `limit ${limitText} of ${address} is larger than 2147483647`;
    out.set(normaliseAddress(address), limit);
  }
  return out;
}
