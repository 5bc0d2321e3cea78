/**
 * How every samsa command that talks to a broker finds it and reports that
 * it cannot: one place, so the flags, the bound on connecting and the error
 * line are the same for topic, group, produce, perf, cluster and txn.
 *
 *   address:  --bootstrap-server/-b host:port[,host:port...], else
 *             $SAMSA_BOOTSTRAP, else 127.0.0.1:9092
 *   bound:    $SAMSA_CONNECT_TIMEOUT_MS (default 10000) on the TCP connect
 *             and, separately, on the ApiVersions handshake
 *   failure:  "samsa: cannot connect to <address>: <reason>. Is a broker
 *             running there? ..." and exit code 1
 */
import { Admin, ClientError, ConnectionError, KafkaError, parseHostPort } from '@samsa/client';
import { CommandError } from './command-error.js';
import { UsageError } from './usage-error.js';

/** Where commands look for a broker when neither the flag nor $SAMSA_BOOTSTRAP says. */
export const DEFAULT_BOOTSTRAP = '127.0.0.1:9092';
/** Bound on connecting when $SAMSA_CONNECT_TIMEOUT_MS is not set. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** Bound on any admin request once connected (the broker's own timeouts are shorter). */
const REQUEST_TIMEOUT_MS = 30_000;
/** Sent as the client id of every connection the CLI opens. */
export const CLI_CLIENT_ID = 'samsa-cli';

/** The bootstrap list to use: the flag, else $SAMSA_BOOTSTRAP, else 127.0.0.1:9092; each entry checked. */
export function bootstrapServer(flag: string | undefined): string {
  const value = (flag || process.env.SAMSA_BOOTSTRAP || DEFAULT_BOOTSTRAP).trim();
  const list = value.split(',').map((s) => s.trim());
  for (const address of list) {
    let port = NaN;
    try {
      port = parseHostPort(address).port;
    } catch {
      // reported below
    }
    if (!(port > 0 && port < 65536)) {
      const from = flag ? '--bootstrap-server' : '$SAMSA_BOOTSTRAP';
      throw new UsageError(`${from} expects host:port (comma-separated for several), got '${value}' (example: --bootstrap-server 127.0.0.1:9092)`);
    }
  }
  return list.join(',');
}

/** $SAMSA_CONNECT_TIMEOUT_MS, or 10 s. */
export function connectTimeoutMs(): number {
  const raw = process.env.SAMSA_CONNECT_TIMEOUT_MS;
  if (raw === undefined || raw === '') return DEFAULT_CONNECT_TIMEOUT_MS;
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`$SAMSA_CONNECT_TIMEOUT_MS expects a whole number of ms > 0, got '${raw}'`);
  return n;
}

/** The one-line error for a broker that cannot be reached (or is not a Kafka broker). */
export function unreachable(bootstrap: string, err: unknown): CommandError {
  let reason: string;
  if (err instanceof ConnectionError && err.timedOut) {
    reason = `no answer within ${connectTimeoutMs()} ms (wait longer with SAMSA_CONNECT_TIMEOUT_MS=30000)`;
  } else if (err instanceof ConnectionError) {
    const code = (err.cause as NodeJS.ErrnoException | undefined)?.code;
    reason = code ?? err.message.replace(/^cannot connect to \S+: /, '');
  } else if (err instanceof KafkaError) {
    reason = `the ApiVersions handshake failed (${err.type}); is it a Kafka broker?`;
  } else {
    reason = err instanceof Error ? err.message : String(err);
  }
  return new CommandError(
    `cannot connect to ${bootstrap}: ${reason}. Is a broker running there? Start one with 'npx samsa server', or pass --bootstrap-server host:port (or set SAMSA_BOOTSTRAP)`,
    { cause: err },
  );
}

/** An admin client connected to `bootstrap`, or a CommandError saying why not. */
export async function connectAdmin(bootstrap: string): Promise<Admin> {
  try {
    return await Admin.connect(bootstrap, { clientId: CLI_CLIENT_ID, timeoutMs: REQUEST_TIMEOUT_MS, connectTimeoutMs: connectTimeoutMs() });
  } catch (err) {
    if (err instanceof ConnectionError || err instanceof KafkaError || err instanceof ClientError) throw unreachable(bootstrap, err);
    throw err;
  }
}

/**
 * Runs `body` with a connected admin client and closes it afterwards, also
 * when `body` throws.
 */
export async function withAdmin<T>(bootstrap: string, body: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = await connectAdmin(bootstrap);
  try {
    return await body(admin);
  } finally {
    admin.close();
  }
}
