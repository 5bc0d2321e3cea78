/**
 * The built-in serdes, byte-compatible with Kafka's Java `Serdes` so a Java
 * or librdkafka application reads what a Samsa Streams app writes:
 *
 * | serde | bytes |
 * | --- | --- |
 * | String | UTF-8 |
 * | JSON | UTF-8 of JSON.stringify (no Java counterpart; the common choice in Node) |
 * | Bytes / ByteArray | as is |
 * | Int16 / Int32 | big-endian two's complement, 2 / 4 bytes (Java Short / Integer) |
 * | Int64 | big-endian, 8 bytes (Java Long), as a number; values beyond 2^53 are refused |
 * | BigInt64 | the same bytes as a bigint |
 * | Float32 / Float64 | IEEE 754 big-endian (Java Float / Double) |
 * | UUID | the 36-character text form as UTF-8 (Java's UUIDSerde) |
 * | Void | always null (Java's VoidSerde) |
 *
 * Wrong lengths or malformed input throw a StreamsError SAMSA_ERR_STREAMS_SERDE,
 * which the deserialization exception handler then sees.
 */
import { StreamsError } from '../streams-error.js';
import type { Headers } from '../processor/headers.js';
import type { Deserializer, Serde, Serializer } from './serde.js';

function serdeError(name: string, topic: string, message: string, cause?: unknown): StreamsError {
  return new StreamsError('SAMSA_ERR_STREAMS_SERDE', `${name} serde (topic ${topic}): ${message}`, { cause });
}

function fixedWidth(name: string, topic: string, data: Buffer, width: number): void {
  if (data.length !== width) throw serdeError(name, topic, `expected ${width} bytes, got ${data.length}`);
}

const UUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

const stringSerde: Serde<string> = {
  name: 'String',
  serialize: (topic, s) => {
    if (typeof s !== 'string') throw serdeError('String', topic, `expected a string, got ${typeof s}`);
    return Buffer.from(s, 'utf8');
  },
  deserialize: (_topic, b) => b.toString('utf8'),
};

const bytesSerde: Serde<Buffer> = {
  name: 'Bytes',
  serialize: (topic, b) => {
    if (!Buffer.isBuffer(b)) throw serdeError('Bytes', topic, 'expected a Buffer');
    return b;
  },
  deserialize: (_topic, b) => b,
};

function intSerde(name: string, width: 2 | 4): Serde<number> {
  const min = width === 2 ? -0x8000 : -0x80000000;
  const max = width === 2 ? 0x7fff : 0x7fffffff;
  return {
    name,
    serialize: (topic, n) => {
      if (!Number.isInteger(n) || n < min || n > max) throw serdeError(name, topic, `${String(n)} is not a whole number in [${min}, ${max}]`);
      const b = Buffer.allocUnsafe(width);
      if (width === 2) b.writeInt16BE(n);
      else b.writeInt32BE(n);
      return b;
    },
    deserialize: (topic, b) => {
      fixedWidth(name, topic, b, width);
      return width === 2 ? b.readInt16BE(0) : b.readInt32BE(0);
    },
  };
}

const int64Serde: Serde<number> = {
  name: 'Int64',
  serialize: (topic, n) => {
    if (!Number.isSafeInteger(n)) throw serdeError('Int64', topic, `${String(n)} is not a safe whole number (use Serdes.BigInt64 beyond 2^53)`);
    const b = Buffer.allocUnsafe(8);
    b.writeBigInt64BE(BigInt(n));
    return b;
  },
  deserialize: (topic, b) => {
    fixedWidth('Int64', topic, b, 8);
    const v = b.readBigInt64BE(0);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw serdeError('Int64', topic, `${v} does not fit a number exactly (use Serdes.BigInt64)`);
    }
    return Number(v);
  },
};

const bigInt64Serde: Serde<bigint> = {
  name: 'BigInt64',
  serialize: (topic, n) => {
    if (typeof n !== 'bigint' || n < -(2n ** 63n) || n >= 2n ** 63n) throw serdeError('BigInt64', topic, `${String(n)} is not a 64-bit bigint`);
    const b = Buffer.allocUnsafe(8);
    b.writeBigInt64BE(n);
    return b;
  },
  deserialize: (topic, b) => {
    fixedWidth('BigInt64', topic, b, 8);
    return b.readBigInt64BE(0);
  },
};

function floatSerde(name: string, width: 4 | 8): Serde<number> {
  return {
    name,
    serialize: (topic, n) => {
      if (typeof n !== 'number') throw serdeError(name, topic, `expected a number, got ${typeof n}`);
      const b = Buffer.allocUnsafe(width);
      if (width === 4) b.writeFloatBE(n);
      else b.writeDoubleBE(n);
      return b;
    },
    deserialize: (topic, b) => {
      fixedWidth(name, topic, b, width);
      return width === 4 ? b.readFloatBE(0) : b.readDoubleBE(0);
    },
  };
}

const uuidSerde: Serde<string> = {
  name: 'UUID',
  serialize: (topic, s) => {
    if (typeof s !== 'string' || !UUID_PATTERN.test(s)) throw serdeError('UUID', topic, `${JSON.stringify(s)} is not a UUID`);
    return Buffer.from(s, 'latin1');
  },
  deserialize: (topic, b) => {
    const s = b.toString('latin1');
    if (!UUID_PATTERN.test(s)) throw serdeError('UUID', topic, `${JSON.stringify(b.toString('utf8'))} is not a UUID`);
    return s;
  },
};

const voidSerde: Serde<null> = {
  name: 'Void',
  serialize: (topic) => {
    throw serdeError('Void', topic, 'only null can be written');
  },
  deserialize: (topic) => {
    throw serdeError('Void', topic, 'expected null, got bytes');
  },
};

function jsonSerde<T>(): Serde<T> {
  return {
    name: 'JSON',
    serialize: (topic, v) => {
      const text = JSON.stringify(v);
      if (text === undefined) throw serdeError('JSON', topic, `${typeof v} has no JSON form`);
      return Buffer.from(text, 'utf8');
    },
    deserialize: (topic, b) => {
      try {
        return JSON.parse(b.toString('utf8')) as T;
      } catch (err) {
        throw serdeError('JSON', topic, (err as Error).message, err);
      }
    },
  };
}

/** Kafka's `Serdes` factory, typed. */
export const Serdes = {
  String: (): Serde<string> => stringSerde,
  Bytes: (): Serde<Buffer> => bytesSerde,
  ByteArray: (): Serde<Buffer> => bytesSerde,
  Int16: (): Serde<number> => intSerde('Int16', 2),
  Int32: (): Serde<number> => intSerde('Int32', 4),
  Int64: (): Serde<number> => int64Serde,
  BigInt64: (): Serde<bigint> => bigInt64Serde,
  Float32: (): Serde<number> => floatSerde('Float32', 4),
  Float64: (): Serde<number> => floatSerde('Float64', 8),
  UUID: (): Serde<string> => uuidSerde,
  Void: (): Serde<null> => voidSerde,
  /** JSON text; the type parameter is what the application promises the topic holds. */
  JSON: <T>(): Serde<T> => jsonSerde<T>(),
  /** A custom serde from two functions. */
  from: <T>(name: string, serialize: Serializer<T>, deserialize: Deserializer<T>, init?: () => Promise<void>): Serde<T> =>
    init === undefined ? { name, serialize, deserialize } : { name, serialize, deserialize, init },
} as const;

/** Header-less helper for tests and stores: serialize with empty headers. */
export const NO_HEADERS: Headers = Object.freeze([]) as Headers;
