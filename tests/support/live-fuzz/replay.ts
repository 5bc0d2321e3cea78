// Sends one frame to a broker and checks that it still serves: the step of minimisation.
import { connect } from 'node:net';
import { apiVersionsWorks, RawConnection, requestFrame } from '../raw-kafka.js';
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

/** One frame's effect on the broker's responsiveness. */
export interface FrameCost {
  frame: FuzzFrame;
  /** Time until an ApiVersions sent right after the frame, on another connection, was answered. */
  probeMs: number;
  effect: 'ok' | 'hang' | 'exit';
}

/**
 * Sends `frame` and, right behind it on another connection, an ApiVersions request: the
 * time until that answer is how long the frame kept the broker's event loop from serving
 * others (a few ms when it did not). Used to find the frame behind a stall.
 */
export async function measureFrame(target: SamsaProcess, frame: FuzzFrame, boundMs: number): Promise<FrameCost> {
  const [conn, probe] = await Promise.all([RawConnection.open(target.bootstrap, boundMs), RawConnection.open(target.bootstrap, boundMs)]);
  try {
    conn.send(frame.bytes);
    const started = performance.now();
    probe.send(requestFrame(18, 0, 1));
    let effect: FrameCost['effect'] = 'ok';
    try {
      const answer = await probe.next(boundMs);
      if (answer === 'closed') effect = target.alive() ? 'hang' : 'exit';
    } catch {
      effect = target.alive() ? 'hang' : 'exit';
    }
    const probeMs = performance.now() - started;
    // Give the frame's own answer or close a moment so connections do not pile up.
    await conn.next(50).catch(() => undefined);
    return { frame, probeMs, effect };
  } finally {
    conn.destroy();
    probe.destroy();
  }
}
