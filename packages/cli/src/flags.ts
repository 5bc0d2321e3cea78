/**
 * Flag parsing shared by the subcommands: node's parseArgs, with its errors
 * turned into one-line usage errors that name the help command, and checked
 * conversions of flag values.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './usage-error.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with positionals allowed; a parse error becomes a UsageError pointing at `samsa <command> --help`. */
export function parseFlags<T extends Options>(command: string, args: string[], options: T): ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>> {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    // parseArgs' hint about '--' is noise here: none of our positionals start with '-'.
    const message = (err as Error).message.split('\n')[0].replace(/\. To specify a positional argument.*$/, '').replace(/\.$/, '');
    throw new UsageError(`${message}. Run 'samsa ${command} --help'.`);
  }
}

/** A whole-number flag value within [min, max]; undefined when the flag was not given. */
export function intFlag(name: string, value: string | undefined, { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = {}): number | undefined {
  if (value === undefined) return undefined;
  const n = /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? (min === Number.MIN_SAFE_INTEGER ? '' : ` >= ${min}`) : ` from ${min} to ${max}`;
    throw new UsageError(`--${name} expects a whole number${range}, got '${value}'`);
  }
  return n;
}

/** Like {@link intFlag} for a flag that must be given. */
export function requiredIntFlag(command: string, name: string, value: string | undefined, limits: { min?: number; max?: number } = {}): number {
  if (value === undefined) throw new UsageError(`${command} needs --${name} N. Run 'samsa ${command} --help'.`);
  return intFlag(name, value, limits) as number;
}

/** The codec names the producer takes. */
export const COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
/** One of {@link COMPRESSIONS}. */
export type CompressionName = (typeof COMPRESSIONS)[number];

/** --compression: a codec name, 'none' when not given. */
export function compressionFlag(value: string | undefined): CompressionName {
  if (value === undefined) return 'none';
  const c = COMPRESSIONS.find((x) => x === value.toLowerCase());
  if (!c) throw new UsageError(`--compression expects one of ${COMPRESSIONS.join(', ')}, got '${value}'`);
  return c;
}

/** --acks: all (or -1), 1 or 0, as Kafka's tools take it. */
export function acksFlag(value: string | undefined): -1 | 0 | 1 {
  switch (value?.toLowerCase()) {
    case undefined:
    case 'all':
    case '-1':
      return -1;
    case '1':
      return 1;
    case '0':
      return 0;
    default:
      throw new UsageError(`--acks expects all, 1 or 0, got '${value}'`);
  }
}

/** A key=value flag value (headers, configs). */
export function keyValueFlag(name: string, item: string, example: string): [string, string] {
  const eq = item.indexOf('=');
  if (eq <= 0) throw new UsageError(`--${name} expects key=value, got '${item}' (example: --${name} ${example})`);
  return [item.slice(0, eq), item.slice(eq + 1)];
}

/**
 * Rewrites `--flag -2` as `--flag=-2` for flags whose value may be negative:
 * parseArgs would read '-2' as a flag.
 */
export function joinNegativeValues(args: string[], flags: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const next = args[i + 1];
    if (flags.has(args[i]) && next !== undefined && /^-\d+$/.test(next)) {
      out.push(`${args[i]}=${next}`);
      i++;
    } else {
      out.push(args[i]);
    }
  }
  return out;
}
