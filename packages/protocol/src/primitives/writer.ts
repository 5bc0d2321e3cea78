const TWO_POW_32 = 4294967296;
/** Raw buffers shorter than this are copied into the scratch chunk: a separate chunk costs more than the copy. */
const COPY_RAW_BELOW = 256;
const INITIAL_CHUNK = 256;
const MAX_CHUNK = 64 * 1024;
const HEX_UUID = /^[0-9a-f]{32}$/;

/**
 * An append-only encoder producing a list of chunks for a gathered write.
 *
 * Small fields go into a growing scratch chunk. {@link writeRaw} appends large
 * buffers by reference, so a fetch response is a few small header chunks plus
 * views of segment bytes and nothing is copied. Writing an out-of-range number
 * is a programmer error and throws the `RangeError` of Node's Buffer methods.
 */
export class Writer {
  /** Finished chunks, in order. */
  #chunks: Buffer[] = [];
  /** Total length of #chunks. */
  #chunksLength = 0;
  /** The scratch chunk; bytes [#start, #pos) are written but not yet in #chunks. */
  #buf: Buffer;
  #start = 0;
  #pos = 0;

  constructor(initialCapacity = INITIAL_CHUNK) {
    this.#buf = Buffer.allocUnsafe(initialCapacity);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#chunksLength + this.#pos - this.#start;
  }

  /** Moves the pending scratch bytes into #chunks (the scratch chunk keeps its spare room). */
  #flushPending(): void {
    if (this.#pos > this.#start) {
      this.#chunks.push(this.#buf.subarray(this.#start, this.#pos));
      this.#chunksLength += this.#pos - this.#start;
      this.#start = this.#pos;
    }
  }

  /**
   * Makes room for `n` contiguous bytes and returns where they start. It may switch
   * #buf to a new chunk, so callers read #buf only after calling it.
   */
  #reserve(n: number): number {
    const pos = this.#pos;
    if (pos + n <= this.#buf.length) {
      this.#pos = pos + n;
      return pos;
    }
    this.#flushPending();
    const size = Math.max(n, Math.min(this.#buf.length * 2, MAX_CHUNK));
    this.#buf = Buffer.allocUnsafe(size);
    this.#start = 0;
    this.#pos = n;
    return 0;
  }

  writeInt8(v: number): void {
    const o = this.#reserve(1);
    this.#buf.writeInt8(v, o);
  }

  writeInt16(v: number): void {
    const o = this.#reserve(2);
    this.#buf.writeInt16BE(v, o);
  }

  writeUInt16(v: number): void {
    const o = this.#reserve(2);
    this.#buf.writeUInt16BE(v, o);
  }

  writeInt32(v: number): void {
    const o = this.#reserve(4);
    this.#buf.writeInt32BE(v, o);
  }

  writeUInt32(v: number): void {
    const o = this.#reserve(4);
    this.#buf.writeUInt32BE(v, o);
  }

  /** An int64 from a safe-integer `number` (throws `RangeError` otherwise). */
  writeInt64(v: number): void {
    if (!Number.isSafeInteger(v)) throw new RangeError(`int64 value ${v} is not a safe integer`);
    const high = Math.floor(v / TWO_POW_32);
    const o = this.#reserve(8);
    this.#buf.writeInt32BE(high, o);
    this.#buf.writeUInt32BE(v - high * TWO_POW_32, o + 4);
  }

  writeInt64BigInt(v: bigint): void {
    const o = this.#reserve(8);
    this.#buf.writeBigInt64BE(v, o);
  }

  writeFloat64(v: number): void {
    const o = this.#reserve(8);
    this.#buf.writeDoubleBE(v, o);
  }

  writeBool(v: boolean): void {
    const o = this.#reserve(1);
    this.#buf[o] = v ? 1 : 0;
  }

  /** An unsigned varint of a value in [0, 2^32). */
  writeUVarint(v: number): void {
    if (v < 0x80 && v >= 0) {
      const o = this.#reserve(1);
      this.#buf[o] = v;
      return;
    }
    if (!(v >= 0 && v <= 0xffffffff) || !Number.isInteger(v)) throw new RangeError(`unsigned varint value ${v} out of range`);
    let o = this.#reserve(uvarintSize(v));
    const buf = this.#buf;
    while (v >= 0x80) {
      buf[o++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    buf[o] = v;
  }

  /** A zig-zag signed 32-bit varint. */
  writeVarint(v: number): void {
    if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) throw new RangeError(`varint value ${v} out of range`);
    this.writeUVarint(((v << 1) ^ (v >> 31)) >>> 0);
  }

  /** A zig-zag signed 64-bit varint from a safe-integer `number`. */
  writeVarlong(v: number): void {
    if (v >= -1073741824 && v < 1073741824 && Number.isInteger(v)) {
      this.writeUVarint(((v << 1) ^ (v >> 31)) >>> 0);
      return;
    }
    if (!Number.isSafeInteger(v)) throw new RangeError(`varlong value ${v} is not a safe integer`);
    const n = BigInt(v);
    let zigzag = BigInt.asUintN(64, (n << 1n) ^ (n >> 63n));
    const bytes: number[] = [];
    while (zigzag >= 0x80n) {
      bytes.push(Number(zigzag & 0x7fn) | 0x80);
      zigzag >>= 7n;
    }
    bytes.push(Number(zigzag));
    const o = this.#reserve(bytes.length);
    for (let i = 0; i < bytes.length; i++) this.#buf[o + i] = bytes[i];
  }

  #writeUtf8(s: string, byteLength: number): void {
    const o = this.#reserve(byteLength);
    if (byteLength > 0) this.#buf.write(s, o, byteLength, 'utf8');
  }

  /** A classic string: int16 length then UTF-8. */
  writeString(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    if (n > 32767) throw new RangeError(`string of ${n} bytes is too long for an int16 length`);
    this.writeInt16(n);
    this.#writeUtf8(s, n);
  }

  writeNullableString(s: string | null): void {
    if (s === null) this.writeInt16(-1);
    else this.writeString(s);
  }

  /** A compact string: unsigned varint length+1 then UTF-8. */
  writeCompactString(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    this.writeUVarint(n + 1);
    this.#writeUtf8(s, n);
  }

  writeCompactNullableString(s: string | null): void {
    if (s === null) this.writeUVarint(0);
    else this.writeCompactString(s);
  }

  /**
   * Appends `buf` as is. Buffers of at least 256 bytes are kept BY REFERENCE, not
   * copied: the caller must not change them until the output has been written out.
   */
  writeRaw(buf: Buffer): void {
    const n = buf.length;
    if (n < COPY_RAW_BELOW) {
      const o = this.#reserve(n);
      buf.copy(this.#buf, o);
      return;
    }
    this.#flushPending();
    this.#chunks.push(buf);
    this.#chunksLength += n;
  }

  /** Classic bytes: int32 length then data (kept by reference when large). */
  writeBytes(buf: Buffer): void {
    this.writeInt32(buf.length);
    this.writeRaw(buf);
  }

  writeNullableBytes(buf: Buffer | null): void {
    if (buf === null) this.writeInt32(-1);
    else this.writeBytes(buf);
  }

  writeCompactBytes(buf: Buffer): void {
    this.writeUVarint(buf.length + 1);
    this.writeRaw(buf);
  }

  writeCompactNullableBytes(buf: Buffer | null): void {
    if (buf === null) this.writeUVarint(0);
    else this.writeCompactBytes(buf);
  }

  /** A uuid given as 32 lowercase hex characters without dashes. */
  writeUuid(uuid: string): void {
    if (!HEX_UUID.test(uuid)) throw new RangeError(`uuid must be 32 lowercase hex characters, got ${JSON.stringify(uuid)}`);
    const o = this.#reserve(16);
    this.#buf.write(uuid, o, 16, 'hex');
  }

  /** An array element count: int32, or unsigned varint count+1 when flexible; -1 writes null. */
  writeArrayLength(length: number, flexible: boolean): void {
    if (flexible) this.writeUVarint(length + 1);
    else this.writeInt32(length);
  }

  /**
   * Reserves 4 bytes for an int32 filled in later with {@link patchInt32}, e.g. a
   * frame size. Returns the absolute position of the reserved bytes.
   */
  reserveInt32(): number {
    const position = this.length;
    const o = this.#reserve(4);
    this.#buf.writeInt32BE(0, o);
    return position;
  }

  /** Overwrites the 4 bytes reserved at `position` by {@link reserveInt32}. */
  patchInt32(position: number, value: number): void {
    // Reserved bytes never straddle chunks: #reserve always returns contiguous room.
    const pendingStart = this.#chunksLength;
    if (position >= pendingStart) {
      this.#buf.writeInt32BE(value, this.#start + position - pendingStart);
      return;
    }
    let chunkStart = 0;
    for (const chunk of this.#chunks) {
      if (position < chunkStart + chunk.length) {
        chunk.writeInt32BE(value, position - chunkStart);
        return;
      }
      chunkStart += chunk.length;
    }
    throw new RangeError(`no reserved int32 at position ${position}`);
  }

  /** The output as chunks for a gathered write (`socket.cork` + `write` or `writev`). */
  toBuffers(): Buffer[] {
    this.#flushPending();
    return this.#chunks.slice();
  }

  /** The output as one buffer (a copy unless it is already a single chunk). */
  toBuffer(): Buffer {
    this.#flushPending();
    if (this.#chunks.length === 1) return this.#chunks[0];
    return Buffer.concat(this.#chunks, this.#chunksLength);
  }
}

/** Encoded size of an unsigned varint. */
export function uvarintSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  return 5;
}
