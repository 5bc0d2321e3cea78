// The typed definition model behind every broker and topic config, in the
// shape of Kafka's `ConfigDef`: a key has a name, a type, a default, an
// optional validator, an importance and a doc string.
//
// Values arrive as strings (a .properties file, a CreateTopics config, an
// AlterConfigs entry) and are parsed with Kafka's rules so that a value Kafka
// accepts is accepted here, and a value Kafka rejects is rejected with the
// same kind of message ("Invalid value X for configuration Y: reason"). The
// broker forwards that message in INVALID_CONFIG (40) responses, where clients
// show it verbatim.
//
// Each parsed value keeps two forms:
//   - `value`: what code uses. Integers are JS numbers; a LONG beyond
//     Number.MAX_SAFE_INTEGER (Kafka's Long.MAX_VALUE "infinite" defaults) is
//     capped there, because every consumer treats it as "never".
//   - `text`: what DescribeConfigs shows, in Kafka's canonical string form
//     (`ConfigDef.convertToString`), so Long.MAX_VALUE stays
//     "9223372036854775807" and a list prints as "compact,delete".

/** Kafka's `ConfigDef.Type`, lower-case as written in Kafka's generated docs. */
export type ConfigType = 'boolean' | 'string' | 'int' | 'short' | 'long' | 'double' | 'list' | 'class' | 'password';

/** Kafka's `ConfigDef.Importance`. Informational only (docs and ordering). */
export type ConfigImportance = 'high' | 'medium' | 'low';

/**
 * Kafka's dynamic update mode for a broker config:
 * - `read-only`: needs a restart (a change in the properties file);
 * - `per-broker`: may be changed with AlterConfigs/IncrementalAlterConfigs on one broker;
 * - `cluster-wide`: may be changed as the cluster default, or per broker.
 */
export type DynamicUpdateMode = 'read-only' | 'per-broker' | 'cluster-wide';

/** A parsed config value as code sees it. `null` means "not set and no default". */
export type ConfigValue = string | number | boolean | readonly string[] | null;

/** A value parsed from its string form; see the file header for the two forms. */
export interface ParsedValue {
  /** The value for code: numbers (LONG capped at ±MAX_SAFE_INTEGER), booleans, strings, lists, or null. */
  readonly value: ConfigValue;
  /** Kafka's canonical string form, used for display and persistence; null when unset. */
  readonly text: string | null;
  /** The exact integer for INT/SHORT/LONG values, so range checks and unit conversions never round. */
  readonly exact?: bigint;
}

/**
 * A value rule, mirroring Kafka's `ConfigDef.Validator`. `check` returns
 * undefined when the value is acceptable, or the offending value and the
 * reason, which `ConfigDef` turns into a `ConfigError`.
 */
export interface ConfigValidator {
  /** The "Valid Values" text Kafka prints in its docs, e.g. `[0,...]` or `[delete, compact]`. */
  readonly description: string;
  check(parsed: ParsedValue): { readonly badValue: string; readonly reason: string } | undefined;
}

/** One config's definition. */
export interface ConfigKey {
  readonly name: string;
  readonly type: ConfigType;
  /** The default in Kafka's string form (as DescribeConfigs shows it); null means no default. */
  readonly default: string | null;
  readonly validator?: ConfigValidator;
  readonly importance: ConfigImportance;
  /** A short description in our own words. */
  readonly doc: string;
  /** Broker configs only: whether and where the config may change at run time. Topic configs are always alterable. */
  readonly dynamic?: DynamicUpdateMode;
  /** Accepted for compatibility with Kafka config files but has no effect in Samsa. */
  readonly ignored?: boolean;
}

/** Kafka's Long.MAX_VALUE as DescribeConfigs prints it; the "infinite" default of several configs. */
export const LONG_MAX_TEXT = '9223372036854775807';

/** Kafka error code INVALID_CONFIG, returned for unknown or invalid topic configs. */
export const INVALID_CONFIG = 40;
/** Kafka error code INVALID_REQUEST, returned (with Kafka's wording) for rejected broker config updates. */
export const INVALID_REQUEST = 42;

const CONFIG_ERROR_BRAND = Symbol.for('samsa.config.ConfigError');

/**
 * A config that cannot be accepted: an invalid value, a malformed properties
 * file, an inconsistent combination. `message` follows Kafka's wording so it
 * can be returned to clients as-is; `key` names the config when there is one.
 *
 * Recognised by a `Symbol.for` brand rather than prototype identity, so two
 * copies of this package in one process still agree on `instanceof`.
 */
export class ConfigError extends Error {
  /** Stable operating-error code, in the `SAMSA_ERR_*` family. */
  readonly code = 'SAMSA_ERR_INVALID_CONFIG';
  /** The config the error is about, when there is one. */
  readonly key?: string;
  /** The rejected value, as given. */
  readonly value?: string | null;
  readonly [CONFIG_ERROR_BRAND] = true;

  constructor(message: string, options?: { key?: string; value?: string | null; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ConfigError';
    if (options?.key !== undefined) this.key = options.key;
    if (options?.value !== undefined) this.value = options.value;
  }

  /** Kafka's `ConfigException(name, value, message)`: "Invalid value X for configuration Y: reason". */
  static invalidValue(key: string, value: string | null, reason?: string): ConfigError {
    const tail = reason === undefined ? '' : `: ${reason}`;
    return new ConfigError(`Invalid value ${String(value)} for configuration ${key}${tail}`, { key, value });
  }

  static override [Symbol.hasInstance](x: unknown): boolean {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[CONFIG_ERROR_BRAND] === true;
  }
}

// ---------------------------------------------------------------------------
// Validators (Kafka's Range, ValidString, ValidList and a few custom ones).

function numberOf(parsed: ParsedValue): bigint | number | undefined {
  if (parsed.exact !== undefined) return parsed.exact;
  return typeof parsed.value === 'number' ? parsed.value : undefined;
}

/** Kafka prints bounds with Java's Number.toString; integers print plainly. */
function boundText(n: number): string {
  return String(n);
}

/** Kafka's `Range.atLeast(min)`: "Value must be at least min". */
export function atLeast(min: number): ConfigValidator {
  return between(min, undefined);
}

/** Kafka's `Range.between(min, max)`; either bound may be absent. */
export function between(min: number | undefined, max: number | undefined): ConfigValidator {
  const description =
    min !== undefined && max !== undefined
      ? `[${boundText(min)},...,${boundText(max)}]`
      : min !== undefined
        ? `[${boundText(min)},...]`
        : `[...,${boundText(max ?? 0)}]`;
  return {
    description,
    check(parsed) {
      const n = numberOf(parsed);
      if (n === undefined) return undefined;
      const text = parsed.text ?? '';
      // bigint and number compare correctly with < and >, without rounding the bigint.
      if (min !== undefined && n < min) return { badValue: text, reason: `Value must be at least ${boundText(min)}` };
      if (max !== undefined && n > max) return { badValue: text, reason: `Value must be no more than ${boundText(max)}` };
      return undefined;
    },
  };
}

/** Kafka's `ValidString.in(...)`: the value must be one of the listed strings (case-sensitive). */
export function oneOf(...allowed: string[]): ConfigValidator {
  const set = new Set(allowed);
  return {
    description: `[${allowed.join(', ')}]`,
    check(parsed) {
      if (typeof parsed.value !== 'string' || set.has(parsed.value)) return undefined;
      return { badValue: parsed.value, reason: `String must be one of: ${allowed.join(', ')}` };
    },
  };
}

/** Kafka's `ValidList.in(...)`: every list element must be one of the listed strings. */
export function listOf(...allowed: string[]): ConfigValidator {
  const set = new Set(allowed);
  return {
    description: `[${allowed.join(', ')}]`,
    check(parsed) {
      if (!Array.isArray(parsed.value)) return undefined;
      for (const element of parsed.value as readonly string[]) {
        // Kafka reports the offending element, not the whole list.
        if (!set.has(element)) return { badValue: element, reason: `String must be one of: ${allowed.join(', ')}` };
      }
      return undefined;
    },
  };
}

/** A rule that does not fit the stock shapes; `test` returns a reason when the value is bad. */
export function custom(description: string, test: (parsed: ParsedValue) => string | undefined): ConfigValidator {
  return {
    description,
    check(parsed) {
      if (parsed.value === null) return undefined;
      const reason = test(parsed);
      return reason === undefined ? undefined : { badValue: parsed.text ?? '', reason };
    },
  };
}

// ---------------------------------------------------------------------------
// Parsing (Kafka's ConfigDef.parseType for string input).

const INTEGER_RE = /^[+-]?\d+$/;
// Java's Double.parseDouble accepts an optional d/D/f/F suffix, and NaN/Infinity.
const DOUBLE_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[dDfF]?$|^[+-]?(?:NaN|Infinity)$/;
// Kafka's COMMA_WITH_WHITESPACE = "\\s*,\\s*".
const LIST_SEPARATOR = /\s*,\s*/;

const INTEGER_BOUNDS: Record<'int' | 'short' | 'long', readonly [bigint, bigint]> = {
  short: [-(2n ** 15n), 2n ** 15n - 1n],
  int: [-(2n ** 31n), 2n ** 31n - 1n],
  long: [-(2n ** 63n), 2n ** 63n - 1n],
};

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** An exact integer as a JS number, capped at ±MAX_SAFE_INTEGER (Long.MAX_VALUE means "never"). */
export function clampToSafe(n: bigint): number {
  if (n > MAX_SAFE) return Number.MAX_SAFE_INTEGER;
  if (n < -MAX_SAFE) return -Number.MAX_SAFE_INTEGER;
  return Number(n);
}

/** Java's Double.toString for the values configs use: integral doubles keep a ".0". */
function doubleText(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
  if (Number.isInteger(n) && Math.abs(n) < 1e7) return n.toFixed(1);
  return String(n);
}

/**
 * Parse a string as `type` with Kafka's rules, without validation:
 * surrounding whitespace is trimmed; booleans are `true`/`false` in any case;
 * integers must be plain decimal within the type's range; lists split on
 * commas with surrounding whitespace, and an empty string is an empty list.
 */
export function parseTyped(key: string, type: ConfigType, raw: string): ParsedValue {
  const trimmed = raw.trim();
  switch (type) {
    case 'boolean': {
      const lower = trimmed.toLowerCase();
      if (lower === 'true' || lower === 'false') return { value: lower === 'true', text: lower };
      throw ConfigError.invalidValue(key, raw, 'Expected value to be either true or false');
    }
    case 'string':
    case 'class':
    case 'password':
      return { value: trimmed, text: trimmed };
    case 'int':
    case 'short':
    case 'long': {
      const [lo, hi] = INTEGER_BOUNDS[type];
      const exact = INTEGER_RE.test(trimmed) ? BigInt(trimmed) : undefined;
      if (exact === undefined || exact < lo || exact > hi) {
        throw ConfigError.invalidValue(key, raw, `Not a number of type ${type.toUpperCase()}`);
      }
      return { value: clampToSafe(exact), text: exact.toString(), exact };
    }
    case 'double': {
      if (!DOUBLE_RE.test(trimmed)) throw ConfigError.invalidValue(key, raw, 'Not a number of type DOUBLE');
      const n = Number(trimmed.replace(/[dDfF]$/, ''));
      return { value: n, text: doubleText(n) };
    }
    case 'list': {
      const items = trimmed === '' ? [] : trimmed.split(LIST_SEPARATOR);
      return { value: items, text: items.join(',') };
    }
  }
}

/** The "unset" value of a key with no default. */
const UNSET: ParsedValue = { value: null, text: null };

/**
 * A set of config definitions: lookup, parsing and validation.
 *
 * Construction parses every default through the key's own parser and
 * validator, so a wrong entry in a definition table fails at module load
 * instead of at the first DescribeConfigs.
 */
export class ConfigDef {
  readonly #keys: ReadonlyMap<string, ConfigKey>;
  readonly #defaults = new Map<string, ParsedValue>();

  constructor(keys: readonly ConfigKey[]) {
    const map = new Map<string, ConfigKey>();
    for (const key of keys) {
      if (map.has(key.name)) throw new Error(`duplicate config definition: ${key.name}`);
      map.set(key.name, key);
    }
    this.#keys = map;
    for (const key of keys) {
      this.#defaults.set(key.name, key.default === null ? UNSET : this.#parseKnown(key, key.default));
    }
  }

  /** Config names in definition order. */
  names(): string[] {
    return [...this.#keys.keys()];
  }

  has(name: string): boolean {
    return this.#keys.has(name);
  }

  /** The definition of `name`, or undefined for an unknown name. */
  key(name: string): ConfigKey | undefined {
    return this.#keys.get(name);
  }

  /** All definitions in definition order. */
  keys(): ConfigKey[] {
    return [...this.#keys.values()];
  }

  /** The parsed default of `name` (unset when the key has no default). Throws for an unknown name. */
  defaultValue(name: string): ParsedValue {
    const parsed = this.#defaults.get(name);
    if (parsed === undefined) throw new Error(`unknown config: ${name}`);
    return parsed;
  }

  /**
   * Parse and validate a string value for a known key.
   * @throws ConfigError with Kafka's "Invalid value X for configuration Y: reason" message.
   */
  parse(name: string, raw: string): ParsedValue {
    const key = this.#keys.get(name);
    if (key === undefined) throw new ConfigError(`Unknown configuration ${name}`, { key: name, value: raw });
    return this.#parseKnown(key, raw);
  }

  #parseKnown(key: ConfigKey, raw: string): ParsedValue {
    const parsed = parseTyped(key.name, key.type, raw);
    const problem = key.validator?.check(parsed);
    if (problem !== undefined) throw ConfigError.invalidValue(key.name, problem.badValue, problem.reason);
    return parsed;
  }
}
