/** Keeps the last `limit` characters written by a child process (stdout and stderr interleaved). */
export class LogBuffer {
  #text = '';
  readonly #limit: number;

  constructor(limit = 1_000_000) {
    this.#limit = limit;
  }

  append(chunk: Buffer | string): void {
    this.#text += chunk.toString();
    // Trimmed only at twice the limit, so a chatty child costs amortised O(1) per chunk
    // instead of a copy of the whole buffer per line.
    if (this.#text.length > 2 * this.#limit) this.#text = this.#text.slice(this.#text.length - this.#limit);
  }

  /** The last `limit` characters written. */
  text(): string {
    if (this.#text.length > this.#limit) this.#text = this.#text.slice(this.#text.length - this.#limit);
    return this.#text;
  }

  /** The last `chars` characters, for failure messages. */
  tail(chars = 6000): string {
    return this.#text.length <= chars ? this.#text : `…${this.#text.slice(this.#text.length - chars)}`;
  }
}
