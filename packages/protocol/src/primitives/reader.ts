import { ProtocolDecodeError } from './protocol-decode-error.js';

const TWO_POW_32 = 4294967296;

/**
 * A bounds-checked cursor over one Kafka frame.
 *
 * Every read checks the remaining bytes first and throws {@link ProtocolDecodeError}
 * (never a `RangeError`), and every length prefix is checked against the remaining
 * bytes before anything is allocated, so a hostile length cannot make us allocate.
 * Bytes, records and raw reads return zero-copy views into the input buffer: they
 * stay valid only as long as the caller keeps that buffer unchanged.
 */
export class Reader {
  /** The frame being read. */
  readonly buf: Buffer;
  /** Position of the next byte to read. */
  offset: number;

  constructor(buf: Buffer, offset = 0) {
    this.buf = buf;
    this.offset = offset;
  }

  /** Bytes left between the cursor and the end of the buffer. */
  remaining(): number {
    return this.buf.length - this.offset;
  }

  /** Throws unless `n` more bytes are available; returns the start offset and advances. */
  #take(n: number): number {
    const start = this.offset;
    if (n > this.buf.length - start) {
      throw new ProtocolDecodeError(`need ${n} bytes at offset ${start}, only ${this.buf.length - start} left`);
    }
    this.offset = start + n;
    return start;
  }

  readInt8(): number {
    const o = this.#take(1);
    const b = this.buf[o];
    return b > 127 ? b - 256 : b;
  }

  readInt16(): number {
    const o = this.#take(2);
    const v = (this.buf[o] << 8) | this.buf[o + 1];
    return v > 32767 ? v - 65536 : v;
  }

  readUInt16(): number {
    const o = this.#take(2);
    return (this.buf[o] << 8) | this.buf[o + 1];
  }

  readInt32(): number {
    const o = this.#take(4);
    const b = this.buf;
    return (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
  }

  readUInt32(): number {
    const o = this.#take(4);
    const b = this.buf;
    return b[o] * 16777216 + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]);
  }

  /**
   * An int64 as a `number`. Values outside ±(2^53-1) cannot be represented exactly,
   * so they are a decode error; fields that need the full range are mapped to
   * `bigint` in `scripts/overrides.ts` and use {@link readInt64BigInt}.
   */
  readInt64(): number {
    const high = this.readInt32();
    const low = this.readUInt32();
    // Exact whenever the result is a safe integer; any overflow lands outside the
    // safe range, so one check covers both.
    const value = high * TWO_POW_32 + low;
    if (!Number.isSafeInteger(value)) {
      throw new ProtocolDecodeError(`int64 at offset ${this.offset - 8} is outside the safe integer range`);
    }
    return value;
  }

  readInt64BigInt(): bigint {
    const o = this.#take(8);
    return this.buf.readBigInt64BE(o);
  }

  readFloat64(): number {
    const o = this.#take(8);
    return this.buf.readDoubleBE(o);
  }

  /** Any non-zero byte is true, as in Kafka's Java reader. */
  readBool(): boolean {
    const o = this.#take(1);
    return this.buf[o] !== 0;
  }

  /**
   * An unsigned varint of at most 5 bytes (KIP-482 lengths, counts and tags),
   * returned as an unsigned 32-bit number.
   */
  readUVarint(): number {
    const buf = this.buf;
    const start = this.offset;
    let o = start;
    let value = 0;
    // Groups 1-4 hold 28 bits and fit in int32 shifts; the 5th is multiplied in so it
    // cannot overflow into the sign bit.
    for (let shift = 0; shift < 28; shift += 7) {
      if (o >= buf.length) throw new ProtocolDecodeError(`truncated varint at offset ${start}`);
      const b = buf[o++];
      value |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.offset = o;
        return value;
      }
    }
    if (o >= buf.length) throw new ProtocolDecodeError(`truncated varint at offset ${start}`);
    const last = buf[o++];
    if (last > 0x0f) throw new ProtocolDecodeError(`varint at offset ${start} exceeds 32 bits or 5 bytes`);
    this.offset = o;
    return value + last * 268435456;
  }

  /** A zig-zag signed 32-bit varint (record headers). */
  readVarint(): number {
    const n = this.readUVarint();
    return (n >>> 1) ^ -(n & 1);
  }

  /** A zig-zag signed 64-bit varint (record fields), as a safe-integer `number`. */
  readVarlong(): number {
    const start = this.offset;
    const buf = this.buf;
    let o = start;
    let value = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (o >= buf.length) throw new ProtocolDecodeError(`truncated varlong at offset ${start}`);
      const b = buf[o++];
      value |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) {
        this.offset = o;
        const decoded = BigInt.asIntN(64, (value >> 1n) ^ -(value & 1n));
        const n = Number(decoded);
        if (!Number.isSafeInteger(n)) throw new ProtocolDecodeError(`varlong at offset ${start} is outside the safe integer range`);
        return n;
      }
    }
    throw new ProtocolDecodeError(`varlong at offset ${start} is longer than 10 bytes`);
  }

  #readUtf8(length: number): string {
    const o = this.#take(length);
    return this.buf.toString('utf8', o, o + length);
  }

  /** A classic string: int16 length then UTF-8. Null (-1) is an error here. */
  readString(): string {
    const length = this.readInt16();
    if (length < 0) throw new ProtocolDecodeError(`non-nullable string is null at offset ${this.offset - 2}`);
    return this.#readUtf8(length);
  }

  readNullableString(): string | null {
    const length = this.readInt16();
    if (length < 0) {
      if (length === -1) return null;
      throw new ProtocolDecodeError(`invalid string length ${length} at offset ${this.offset - 2}`);
    }
    return this.#readUtf8(length);
  }

  /** A compact string: unsigned varint length+1 then UTF-8. Null (0) is an error here. */
  readCompactString(): string {
    const lengthPlusOne = this.readUVarint();
    if (lengthPlusOne === 0) throw new ProtocolDecodeError(`non-nullable compact string is null at offset ${this.offset - 1}`);
    return this.#readUtf8(lengthPlusOne - 1);
  }

  readCompactNullableString(): string | null {
    const lengthPlusOne = this.readUVarint();
    if (lengthPlusOne === 0) return null;
    return this.#readUtf8(lengthPlusOne - 1);
  }

  /** `n` bytes as a zero-copy view. */
  readRaw(n: number): Buffer {
    const o = this.#take(n);
    return this.buf.subarray(o, o + n);
  }

  /** Classic bytes: int32 length then data (zero-copy). Null (-1) is an error here. */
  readBytes(): Buffer {
    const length = this.readInt32();
    if (length < 0) throw new ProtocolDecodeError(`non-nullable bytes are null at offset ${this.offset - 4}`);
    return this.readRaw(length);
  }

  readNullableBytes(): Buffer | null {
    const length = this.readInt32();
    if (length < 0) {
      if (length === -1) return null;
      throw new ProtocolDecodeError(`invalid bytes length ${length} at offset ${this.offset - 4}`);
    }
    return this.readRaw(length);
  }

  readCompactBytes(): Buffer {
    const lengthPlusOne = this.readUVarint();
    if (lengthPlusOne === 0) throw new ProtocolDecodeError(`non-nullable compact bytes are null at offset ${this.offset - 1}`);
    return this.readRaw(lengthPlusOne - 1);
  }

  readCompactNullableBytes(): Buffer | null {
    const lengthPlusOne = this.readUVarint();
    if (lengthPlusOne === 0) return null;
    return this.readRaw(lengthPlusOne - 1);
  }

  /** A uuid as 32 lowercase hex characters without dashes. */
  readUuid(): string {
    const o = this.#take(16);
    return this.buf.toString('hex', o, o + 16);
  }

  /**
   * An array element count (int32, or unsigned varint count+1 when flexible).
   * Null is an error. The count is checked against the remaining bytes, as Kafka's
   * Java reader does, so a hostile count fails before any element is decoded.
   */
  readArrayLength(flexible: boolean): number {
    const n = this.readNullableArrayLength(flexible);
    if (n < 0) throw new ProtocolDecodeError(`non-nullable array is null at offset ${this.offset}`);
    return n;
  }

  /** Like {@link readArrayLength}, but returns -1 for a null array. */
  readNullableArrayLength(flexible: boolean): number {
    let n: number;
    if (flexible) {
      n = this.readUVarint() - 1;
    } else {
      n = this.readInt32();
      if (n < -1) throw new ProtocolDecodeError(`invalid array length ${n} at offset ${this.offset - 4}`);
    }
    if (n > this.buf.length - this.offset) {
      throw new ProtocolDecodeError(`array of ${n} elements cannot fit in the ${this.buf.length - this.offset} bytes left`);
    }
    return n;
  }
}
