/**
 * A failure the user can act on that is not a mistake in how the command was
 * called: a broker refusal, an unreachable broker, an unreadable file.
 * `main` prints it as one line, `samsa: <message>`, and exits with 1.
 */
export class CommandError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CommandError';
  }
}
