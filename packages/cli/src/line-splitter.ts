/**
 * Splits a byte stream into lines at '\n'. The newline is dropped and
 * everything else kept as is ('\r' included, any bytes, not only UTF-8), so
 * joining the lines with '\n' gives the input back. A line is a view into
 * the chunk it came from when it lies within one chunk; lines spanning
 * chunks are copied once.
 */
export class LineSplitter {
  readonly #maxLineBytes: number;
  #parts: Buffer[] = [];
  #partBytes = 0;

  /** `maxLineBytes` bounds what is held while waiting for a newline. */
  constructor(maxLineBytes: number) {
    this.#maxLineBytes = maxLineBytes;
  }

  /** The lines completed by `chunk`; the unfinished tail is kept for the next call. Throws RangeError for a line over the limit. */
  push(chunk: Buffer): Buffer[] {
    const lines: Buffer[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) break;
      if (this.#parts.length > 0) {
        this.#check(nl - start);
        this.#parts.push(chunk.subarray(start, nl));
        lines.push(Buffer.concat(this.#parts, this.#partBytes + nl - start));
        this.#parts = [];
        this.#partBytes = 0;
      } else {
        if (nl - start > this.#maxLineBytes) this.#check(nl - start);
        lines.push(chunk.subarray(start, nl));
      }
      start = nl + 1;
    }
    if (start < chunk.length) {
      this.#check(chunk.length - start);
      this.#parts.push(chunk.subarray(start));
      this.#partBytes += chunk.length - start;
    }
    return lines;
  }

  /** The last line when the input did not end with '\n', else null. */
  end(): Buffer | null {
    if (this.#parts.length === 0) return null;
    const last = Buffer.concat(this.#parts, this.#partBytes);
    this.#parts = [];
    this.#partBytes = 0;
    return last;
  }

  #check(more: number): void {
    if (this.#partBytes + more > this.#maxLineBytes) {
      throw new RangeError(`a line is longer than ${this.#maxLineBytes} bytes`);
    }
  }
}
