// Small runtime pieces shared by the generated codecs in src/messages: tagged-field
// sections and arrays of primitive values. Struct arrays are generated per struct so
// that each element call is a direct, monomorphic call.
import { ProtocolDecodeError } from './protocol-decode-error.js';
import type { Reader } from './reader.js';
import { Writer } from './writer.js';

/** A tagged field (KIP-482) kept as raw bytes because this version does not know its tag. */
export interface TaggedField {
  tag: number;
  data: Buffer;
}

/** The all-zero uuid, Kafka's "no id" value and the default of every uuid field. */
export const ZERO_UUID = '00000000000000000000000000000000';

/** The shared default of non-nullable bytes fields (zero-length, so it cannot be mutated). */
export const EMPTY_BUFFER: Buffer = Buffer.alloc(0);

/** Reads and writes one array element of a primitive type. */
export interface ElementCodec<T> {
  read(r: Reader): T;
  write(w: Writer, value: T): void;
}

export const boolElement: ElementCodec<boolean> = { read: (r) => r.readBool(), write: (w, v) => w.writeBool(v) };
export const int8Element: ElementCodec<number> = { read: (r) => r.readInt8(), write: (w, v) => w.writeInt8(v) };
export const int16Element: ElementCodec<number> = { read: (r) => r.readInt16(), write: (w, v) => w.writeInt16(v) };
export const uint16Element: ElementCodec<number> = { read: (r) => r.readUInt16(), write: (w, v) => w.writeUInt16(v) };
export const int32Element: ElementCodec<number> = { read: (r) => r.readInt32(), write: (w, v) => w.writeInt32(v) };
export const int64Element: ElementCodec<number> = { read: (r) => r.readInt64(), write: (w, v) => w.writeInt64(v) };
export const int64BigIntElement: ElementCodec<bigint> = {
  read: (r) => r.readInt64BigInt(),
  write: (w, v) => w.writeInt64BigInt(v),
};
export const float64Element: ElementCodec<number> = { read: (r) => r.readFloat64(), write: (w, v) => w.writeFloat64(v) };
export const uuidElement: ElementCodec<string> = { read: (r) => r.readUuid(), write: (w, v) => w.writeUuid(v) };
export const stringElement: ElementCodec<string> = { read: (r) => r.readString(), write: (w, v) => w.writeString(v) };
export const compactStringElement: ElementCodec<string> = {
  read: (r) => r.readCompactString(),
  write: (w, v) => w.writeCompactString(v),
};

/** Reads a non-nullable array of primitive values. */
export function readArray<T>(r: Reader, flexible: boolean, element: ElementCodec<T>): T[] {
  const n = r.readArrayLength(flexible);
  const values: T[] = [];
  for (let i = 0; i < n; i++) values.push(element.read(r));
  return values;
}

/** Reads a nullable array of primitive values. */
export function readNullableArray<T>(r: Reader, flexible: boolean, element: ElementCodec<T>): T[] | null {
  const n = r.readNullableArrayLength(flexible);
  if (n < 0) return null;
  const values: T[] = [];
  for (let i = 0; i < n; i++) values.push(element.read(r));
  return values;
}

/** Writes an array of primitive values; null writes the null length. */
export function writeArray<T>(w: Writer, values: readonly T[] | null, flexible: boolean, element: ElementCodec<T>): void {
  if (values === null) {
    w.writeArrayLength(-1, flexible);
    return;
  }
  w.writeArrayLength(values.length, flexible);
  for (let i = 0; i < values.length; i++) element.write(w, values[i]);
}

/**
 * Reads the count of a tagged-field section. Each field takes at least two bytes
 * (tag and size), so a count that cannot fit is rejected before looping.
 */
export function readTaggedFieldCount(r: Reader): number {
  const n = r.readUVarint();
  if (n * 2 > r.remaining()) throw new ProtocolDecodeError(`${n} tagged fields cannot fit in the ${r.remaining()} bytes left`);
  return n;
}

/** Reads a tagged field's size, checked against the remaining bytes. */
export function readTaggedFieldSize(r: Reader): number {
  const size = r.readUVarint();
  if (size > r.remaining()) throw new ProtocolDecodeError(`tagged field of ${size} bytes cannot fit in the ${r.remaining()} bytes left`);
  return size;
}

/** Throws unless a known tagged field used exactly the bytes its size announced. */
export function checkTaggedFieldEnd(r: Reader, end: number, tag: number): void {
  if (r.offset !== end) {
    throw new ProtocolDecodeError(`tagged field ${tag} should end at offset ${end}, decoded up to ${r.offset}`);
  }
}

/** Reads a tagged-field section of a struct that knows no tags in this version. */
export function readUnknownTaggedFields(r: Reader): TaggedField[] | undefined {
  // Fast path for the usual empty section: a single zero byte.
  if (r.offset < r.buf.length && r.buf[r.offset] === 0) {
    r.offset++;
    return undefined;
  }
  let n = readTaggedFieldCount(r);
  if (n === 0) return undefined;
  const fields: TaggedField[] = [];
  for (; n > 0; n--) {
    const tag = r.readUVarint();
    fields.push({ tag, data: r.readRaw(readTaggedFieldSize(r)) });
  }
  return fields;
}

/** Encodes one known tagged field's value into its own buffer, so its size can prefix it. */
export function encodeTaggedField(tag: number, encodeValue: (w: Writer) => void): TaggedField {
  const w = new Writer(64);
  encodeValue(w);
  return { tag, data: w.toBuffer() };
}

/**
 * Writes a tagged-field section: the known fields that differ from their defaults
 * plus the unknown ones kept from decoding, merged in ascending tag order as the
 * protocol requires.
 */
export function writeTaggedFields(w: Writer, known: TaggedField[] | undefined, unknown: readonly TaggedField[] | undefined): void {
  const fields = known === undefined ? unknown : unknown === undefined || unknown.length === 0 ? known : [...known, ...unknown];
  if (fields === undefined || fields.length === 0) {
    w.writeUVarint(0);
    return;
  }
  const sorted = fields.length > 1 ? [...fields].sort((a, b) => a.tag - b.tag) : fields;
  w.writeUVarint(sorted.length);
  for (const field of sorted) {
    w.writeUVarint(field.tag);
    w.writeUVarint(field.data.length);
    w.writeRaw(field.data);
  }
}
