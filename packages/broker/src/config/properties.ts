// Java .properties parsing (java.util.Properties.load) so a Kafka
// server.properties works unchanged, plus `--set key=value` overrides.
//
// The rules implemented, in Properties.load's terms:
//   - Natural lines end at \n, \r or \r\n. A logical line continues onto the
//     next natural line when it ends in an odd number of backslashes; the
//     backslash is dropped and the next line's leading whitespace skipped.
//   - Whitespace is space, tab and form feed. Lines that are blank after
//     leading whitespace are skipped. Lines whose first non-whitespace
//     character is # or ! are comments; a comment never continues.
//   - The key runs to the first unescaped '=', ':' or whitespace. Whitespace
//     around the separator is skipped, then one '=' or ':' if present. The
//     rest of the line, trailing whitespace included, is the value.
//   - Escapes in keys and values: \t \n \r \f, \uXXXX, and \c → c for any other c.
//   - A repeated key keeps its last value.
//
// One deviation: Java's InputStream overload reads ISO-8859-1, and Kafka uses
// it. This takes an already-decoded string; the CLI reads files as UTF-8,
// which is what people write today, and \uXXXX escapes work either way.

import { ConfigError } from './config-def.js';

const isWhitespace = (c: string): boolean => c === ' ' || c === '\t' || c === '\f';

/** Split into logical lines, joining continuations, skipping blanks and comments. */
function logicalLines(text: string): Array<{ line: string; lineNumber: number }> {
  const natural = text.split(/\r\n|\r|\n/);
  const out: Array<{ line: string; lineNumber: number }> = [];
  let i = 0;
  while (i < natural.length) {
    const lineNumber = i + 1;
    let line = stripLeading(natural[i]);
    i++;
    if (line === '' || line[0] === '#' || line[0] === '!') continue;
    while (endsWithOddBackslashes(line)) {
      line = line.slice(0, -1);
      // A trailing backslash on the last line joins with nothing (Java does the same).
      if (i >= natural.length) break;
      line += stripLeading(natural[i]);
      i++;
    }
    out.push({ line, lineNumber });
  }
  return out;
}

function stripLeading(s: string): string {
  let k = 0;
  while (k < s.length && isWhitespace(s[k])) k++;
  return s.slice(k);
}

function endsWithOddBackslashes(s: string): boolean {
  let n = 0;
  for (let k = s.length - 1; k >= 0 && s[k] === '\\'; k--) n++;
  return n % 2 === 1;
}

/** Resolve the escapes of Properties.loadConvert. */
function unescape(s: string, lineNumber: number): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let k = 0; k < s.length; k++) {
    const c = s[k];
    if (c !== '\\' || k === s.length - 1) {
      out += c;
      continue;
    }
    const e = s[++k];
    switch (e) {
      case 't': out += '\t'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 'f': out += '\f'; break;
      case 'u': {
        const hex = s.slice(k + 1, k + 5);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
          throw new ConfigError(`Malformed \\uxxxx encoding on line ${lineNumber}: expected four hex digits after \\u`);
        }
        out += String.fromCharCode(parseInt(hex, 16));
        k += 4;
        break;
      }
      default: out += e;
    }
  }
  return out;
}

/** Split a logical line into its raw (still escaped) key and value. */
function splitKeyValue(line: string): { key: string; value: string } {
  let k = 0;
  let escaped = false;
  for (; k < line.length; k++) {
    const c = line[k];
    if (escaped) escaped = false;
    else if (c === '\\') escaped = true;
    else if (c === '=' || c === ':' || isWhitespace(c)) break;
  }
  const key = line.slice(0, k);
  let v = k;
  while (v < line.length && isWhitespace(line[v])) v++;
  // One '=' or ':' may follow the key (after optional whitespace), but only one.
  if (v < line.length && (line[v] === '=' || line[v] === ':')) {
    v++;
    while (v < line.length && isWhitespace(line[v])) v++;
  }
  return { key, value: line.slice(v) };
}

/**
 * Parse the text of a Java .properties file into an ordered map.
 * @throws ConfigError for a malformed \uXXXX escape (the only thing Java rejects).
 */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const { line, lineNumber } of logicalLines(text)) {
    const { key, value } = splitKeyValue(line);
    const name = unescape(key, lineNumber);
    // Map insertion order would keep the first position of a repeated key; move it to the end like a re-put.
    out.delete(name);
    out.set(name, unescape(value, lineNumber));
  }
  return out;
}

/**
 * Parse `--set key=value` arguments (the values only, without `--set`). The
 * split is at the first '=', so values may contain '='; the key is trimmed,
 * the value kept as given (config parsing trims where Kafka does).
 * @throws ConfigError naming the argument when it has no '=' or an empty key.
 */
export function parseSetOverrides(args: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const arg of args) {
    const eq = arg.indexOf('=');
    const key = eq < 0 ? '' : arg.slice(0, eq).trim();
    if (key === '') throw new ConfigError(`Invalid --set argument '${arg}': expected key=value, e.g. --set num.partitions=3`);
    out.delete(key);
    out.set(key, arg.slice(eq + 1));
  }
  return out;
}

/** Layer property maps left to right: later maps win (file, then `--set` overrides). */
export function mergeProperties(...layers: ReadonlyArray<ReadonlyMap<string, string>>): Map<string, string> {
  const out = new Map<string, string>();
  for (const layer of layers) for (const [k, v] of layer) out.set(k, v);
  return out;
}
