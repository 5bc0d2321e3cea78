/**
 * The client's logging interface. Pass your own to `new Kafka({ logger })`
 * (adapt pino/winston with a few lines: note the argument order, message
 * first); the default writes warnings and errors to stderr and drops the rest.
 */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

function write(level: 'warn' | 'error', message: string, fields?: Record<string, unknown>): void {
  const extra = fields === undefined ? '' : ` ${safeJson(fields)}`;
  process.stderr.write(`samsa-client ${level}: ${message}${extra}\n`);
}

function safeJson(fields: Record<string, unknown>): string {
  try {
    return JSON.stringify(fields, (_k, v: unknown) => (v instanceof Error ? `${v.name}: ${v.message}` : typeof v === 'bigint' ? v.toString() : v));
  } catch {
    return '[unserializable fields]';
  }
}

/** The default logger: warn and error to stderr, debug and info dropped. */
export const consoleLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: (message, fields) => write('warn', message, fields),
  error: (message, fields) => write('error', message, fields),
};

/** A logger that drops everything. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};
