/** Keeps the last `limit` characters written by a child process (stdout and stderr interleaved). */
export class LogBuffer {
  #text = '';
  readonly #limit: number;

  constructor(limit = 1_000_000) {
    this.#limit = limit;
  }

  append(chunk: Buffer | string): void {
    this.#text += chunk.toString();
    if (this.#text.length > this.#limit) this.#text = this.#text.slice(this.#text.length - this.#limit);
  }

  /** Everything kept so far. */
  text(): string {
    return this.#text;
  }

  /** The last `chars` characters, for failure messages. */
  tail(chars = 6000): string {
    return this.#text.length <= chars ? this.#text : `…${this.#text.slice(this.#text.length - chars)}`;
  }
}
