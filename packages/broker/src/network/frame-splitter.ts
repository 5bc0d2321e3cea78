/**
 * Splits a TCP byte stream into Kafka frames: int32 size, then `size` bytes.
 * A frame that lies inside one socket chunk is returned as a zero-copy view.
 * A frame spanning chunks gets its buffer once its size is known (as Kafka
 * does, after checking the size against socket.request.max.bytes) and each
 * chunk is copied into it as it arrives, while the chunk is still in cache;
 * no chunk is kept after its push() returns.
 */
export class FrameTooLargeError extends Error {
  constructor(readonly size: number, readonly limit: number) {
    super(`frame of ${size} bytes exceeds socket.request.max.bytes=${limit}`);
    this.name = 'FrameTooLargeError';
  }
}

/**
 * Recycles the buffers of large frames whose owner vouches that nothing
 * references them any more (see Connection: Produce frames, once the handler
 * has settled). Reusing them saves the page faults of fresh MiB-sized
 * allocations and the external-memory churn that drives garbage collection.
 * Buffers are kept in power-of-two size classes, up to a total byte cap.
 */
export class FrameBufferPool {
  /** Smaller frames come from Node's own allocator. */
  static readonly MIN_BYTES = 64 * 1024;
  static readonly MAX_BYTES = 16 * 1024 * 1024;
  readonly #free = new Map<number, ArrayBuffer[]>();
  /** ArrayBuffers handed out by take() and not given back. */
  readonly #lent = new WeakSet<ArrayBuffer>();
  readonly #capBytes: number;
  #freeBytes = 0;

  constructor(capBytes: number) {
    this.#capBytes = capBytes;
  }

  /** Bytes held for reuse. */
  get freeBytes(): number {
    return this.#freeBytes;
  }

  /** A buffer of exactly `size` bytes (uninitialized). */
  take(size: number): Buffer {
    if (size < FrameBufferPool.MIN_BYTES || size > FrameBufferPool.MAX_BYTES) return Buffer.allocUnsafe(size);
    const cls = sizeClass(size);
    const list = this.#free.get(cls);
    let ab = list?.pop();
    if (ab !== undefined) this.#freeBytes -= cls;
    else ab = new ArrayBuffer(cls);
    this.#lent.add(ab);
    return Buffer.from(ab, 0, size);
  }

  /**
   * Returns a frame from take() for reuse. The caller promises that no view
   * of it is used any more. Buffers that did not come from take() are ignored.
   */
  give(frame: Buffer): void {
    const ab = frame.buffer;
    if (!(ab instanceof ArrayBuffer) || !this.#lent.delete(ab)) return;
    const cls = ab.byteLength;
    if (this.#freeBytes + cls > this.#capBytes) return;
    let list = this.#free.get(cls);
    if (list === undefined) this.#free.set(cls, (list = []));
    list.push(ab);
    this.#freeBytes += cls;
  }
}

function sizeClass(size: number): number {
  let c = FrameBufferPool.MIN_BYTES;
  while (c < size) c *= 2;
  return c;
}

export class FrameSplitter {
  readonly #maxFrameBytes: number;
  /** Bytes of a size prefix split across chunks. */
  readonly #header = Buffer.alloc(4);
  #headerBytes = 0;
  /** Size of the frame being received, or -1 while reading a size prefix. */
  #size = -1;
  /** Its buffer (null until a chunk carries part of the body). */
  #frame: Buffer | null = null;
  #filled = 0;

  readonly #pool: FrameBufferPool | null;

  constructor(maxFrameBytes: number, pool: FrameBufferPool | null = null) {
    this.#maxFrameBytes = maxFrameBytes;
    this.#pool = pool;
  }

  /** Bytes received but not yet returned as frames. */
  get buffered(): number {
    return this.#size < 0 ? this.#headerBytes : 4 + this.#filled;
  }

  /**
   * Whether a frame has been started (its size prefix, or part of it, read)
   * and not finished. A connection that must stop reading finishes such a
   * frame first, as Kafka lets a started receive complete.
   */
  get midFrame(): boolean {
    return this.#headerBytes > 0 || this.#size >= 0;
  }

  /** Adds a chunk and returns every complete frame (without its size prefix). Throws FrameTooLargeError on a bad size. */
  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    const len = chunk.length;
    let off = 0;
    while (off < len) {
      if (this.#size < 0) {
        let size: number;
        if (this.#headerBytes === 0 && len - off >= 4) {
          size = chunk.readInt32BE(off);
          off += 4;
        } else {
          const n = Math.min(4 - this.#headerBytes, len - off);
          chunk.copy(this.#header, this.#headerBytes, off, off + n);
          this.#headerBytes += n;
          off += n;
          if (this.#headerBytes < 4) break;
          size = this.#header.readInt32BE(0);
          this.#headerBytes = 0;
        }
        // A request is at least api key, api version and correlation id.
        if (size < 8 || size > this.#maxFrameBytes) throw new FrameTooLargeError(size, this.#maxFrameBytes);
        this.#size = size;
        this.#filled = 0;
      }
      const size = this.#size;
      if (this.#frame === null) {
        if (len - off >= size) {
          // Whole body in this chunk: a view, no copy.
          frames.push(chunk.subarray(off, off + size));
          off += size;
          this.#size = -1;
          continue;
        }
        if (off === len) break;
        this.#frame = this.#pool !== null ? this.#pool.take(size) : Buffer.allocUnsafe(size);
      }
      const n = Math.min(size - this.#filled, len - off);
      chunk.copy(this.#frame, this.#filled, off, off + n);
      this.#filled += n;
      off += n;
      if (this.#filled === size) {
        frames.push(this.#frame);
        this.#frame = null;
        this.#filled = 0;
        this.#size = -1;
      }
    }
    return frames;
  }
}
