/**
 * A reader that stops reading (`samsa group describe g | head -1`,
 * `samsa consume -t t | head`) closes the pipe; the next write to stdout
 * fails with EPIPE. Node ignores SIGPIPE, so without a listener that error
 * would crash the process with a stack trace. As with `cat | head`, it ends
 * the command quietly with status 0: nobody reads what is left to print.
 *
 * A command with something to finish first (the consumer leaves its group
 * and commits) registers a handler with {@link onClosedOutput}; otherwise
 * the process exits at once.
 */
const handlers = new Set<() => void>();
let closed = false;

/** Whether stdout's reader went away. */
export function outputClosed(): boolean {
  return closed;
}

/** Runs `handler` once when stdout's reader goes away; returns the function that unregisters it. */
export function onClosedOutput(handler: () => void): () => void {
  handlers.add(handler);
  if (closed) queueMicrotask(handler);
  return () => handlers.delete(handler);
}

/** The error of a write to a pipe whose reader is gone (or to the stream destroyed after that). */
export function isClosedOutputError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED';
}

/** Listens for stdout errors: a closed pipe as described above; any other error is reported on stderr, status 1. */
export function handleClosedOutput(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on('error', (err: Error) => {
    if (!isClosedOutputError(err)) {
      process.stderr.write(`samsa: cannot write the output: ${err.message}\n`);
      process.exit(1);
    }
    if (closed) return;
    closed = true;
    if (handlers.size === 0) process.exit(0);
    for (const h of [...handlers]) h();
  });
}
