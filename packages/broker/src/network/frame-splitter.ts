/**
 * Splits a TCP byte stream into Kafka frames: int32 size, then `size` bytes.
 * A frame that lies inside one socket chunk is returned as a zero-copy view;
 * only frames spanning chunks are copied.
 */
export class FrameTooLargeError extends Error {
  constructor(readonly size: number, readonly limit: number) {
    super(`frame of ${size} bytes exceeds socket.request.max.bytes=${limit}`);
    this.name = 'FrameTooLargeError';
  }
}

export class FrameSplitter {
  readonly #maxFrameBytes: number;
  #chunks: Buffer[] = [];
  #buffered = 0;

  constructor(maxFrameBytes: number) {
    this.#maxFrameBytes = maxFrameBytes;
  }

  /** Bytes received but not yet returned as frames. */
  get buffered(): number {
    return this.#buffered;
  }

  /** Adds a chunk and returns every complete frame (without its size prefix). Throws FrameTooLargeError on a bad size. */
  push(chunk: Buffer): Buffer[] {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.#buffered < 4) break;
      const size = this.#peekSize();
      // A request is at least api key, api version and correlation id.
      if (size < 8 || size > this.#maxFrameBytes) throw new FrameTooLargeError(size, this.#maxFrameBytes);
      if (this.#buffered < 4 + size) break;
      frames.push(this.#take(4 + size).subarray(4));
    }
    return frames;
  }

  #peekSize(): number {
    const first = this.#chunks[0];
    if (first.length >= 4) return first.readInt32BE(0);
    return this.#take(4, true).readInt32BE(0);
  }

  /** Removes `n` bytes from the front (or only reads them when `peek`). */
  #take(n: number, peek = false): Buffer {
    const first = this.#chunks[0];
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (!peek) {
        if (first.length === n) this.#chunks.shift();
        else this.#chunks[0] = first.subarray(n);
        this.#buffered -= n;
      }
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let copied = 0;
    let i = 0;
    while (copied < n) {
      const c = this.#chunks[i];
      const need = Math.min(n - copied, c.length);
      c.copy(out, copied, 0, need);
      copied += need;
      if (need < c.length) {
        if (!peek) this.#chunks[i] = c.subarray(need);
        break;
      }
      i++;
    }
    if (!peek) {
      // Chunks before index i were consumed whole; chunk i (if any) now holds its unread rest.
      this.#chunks.splice(0, i);
      this.#buffered -= n;
    }
    return out;
  }
}
