/** Parses "host:port" (IPv6 as "[addr]:port"). */
export function parseHostPort(address: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(address.trim());
  if (!m) throw new Error(`bad broker address '${address}': expected host:port, e.g. 127.0.0.1:9092`);
  return { host: m[1], port: Number(m[2]) };
}

/** Bootstrap addresses from a list or a comma-separated string, blanks dropped. */
export function bootstrapList(brokers: string | readonly string[]): string[] {
  const list = typeof brokers === 'string' ? brokers.split(',') : [...brokers];
  return list.map((b) => b.trim()).filter((b) => b !== '');
}
