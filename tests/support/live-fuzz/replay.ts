// Sends one frame to a broker and checks that it still serves: the step of minimisation.
import { connect } from 'node:net';
import { apiVersionsWorks } from '../raw-kafka.js';
import type { SamsaProcess } from '../samsa-process.js';
import type { FuzzFrame } from './frame-generator.js';

/** How long a replayed frame gets for an answer or a close before the probe is sent. */
const SETTLE_MS = 100;

/**
 * Writes `frame` on a new connection, waits up to 100 ms for any answer or close, then asks
 * ApiVersions on another new connection within `boundMs`: 'ok', 'hang' or 'exit'.
 */
export async function replayFrame(target: SamsaProcess, frame: FuzzFrame, boundMs: number): Promise<'ok' | 'hang' | 'exit'> {
  const [host, port] = target.bootstrap.split(':');
  const socket = connect({ host, port: Number(port) });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, SETTLE_MS + boundMs);
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    socket.once('connect', () => {
      socket.write(frame.bytes);
      clearTimeout(timer);
      setTimeout(resolve, SETTLE_MS);
      socket.once('data', done);
    });
    socket.once('close', done);
  });
  try {
    await apiVersionsWorks(target.bootstrap, boundMs);
    return 'ok';
  } catch {
    return target.alive() ? 'hang' : 'exit';
  } finally {
    socket.destroy();
  }
}
