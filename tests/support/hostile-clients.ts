import { readFileSync } from 'node:fs';
import { connect, Socket } from 'node:net';
import { parseApiVersionsV0, requestFrame } from './raw-kafka.js';
import { withTimeout } from './wait-for.js';

/**
 * Clients that misbehave on purpose, for the broker's network bounds (tests and
 * bench/network): connections that pipeline requests and never read, and
 * connections held open to fill connection limits. Frames are hand-built
 * (raw-kafka.ts), independent of @samsa/protocol.
 */

/** Resident set size of a process in MiB, from /proc/<pid>/status. */
export function vmRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (match === null) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) / 1024;
}

/** Samples a process's RSS every `intervalMs` and keeps the peak, until stopped. */
export class RssSampler {
  #peak = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(readonly pid: number, intervalMs = 50) {
    this.#peak = vmRssMiB(pid);
    this.#timer = setInterval(() => {
      try {
        this.#peak = Math.max(this.#peak, vmRssMiB(pid));
      } catch {
        // the process exited; the peak so far stands
      }
    }, intervalMs);
  }

  get peakMiB(): number {
    return this.#peak;
  }

  stop(): number {
    clearInterval(this.#timer);
    return this.#peak;
  }
}

/**
 * A Fetch v4 request (request header v1) for one partition from `offset`,
 * with MaxWaitMs 0, MinBytes 1, and `maxBytes` as both the response's and the
 * partition's limit.
 */
export function fetchV4Frame(correlationId: number, topic: string, partition: number, offset: bigint, maxBytes: number): Buffer {
  const name = Buffer.from(topic);
  const body = Buffer.alloc(4 + 4 + 4 + 4 + 1 + 4 + 2 + name.length + 4 + 4 + 8 + 4);
  let at = 0;
  at = body.writeInt32BE(-1, at); // replica id: a consumer
  at = body.writeInt32BE(0, at); // max wait ms
  at = body.writeInt32BE(1, at); // min bytes
  at = body.writeInt32BE(maxBytes, at);
  at = body.writeInt8(0, at); // read_uncommitted
  at = body.writeInt32BE(1, at); // one topic
  at = body.writeInt16BE(name.length, at);
  at += name.copy(body, at);
  at = body.writeInt32BE(1, at); // one partition
  at = body.writeInt32BE(partition, at);
  at = body.writeBigInt64BE(offset, at);
  body.writeInt32BE(maxBytes, at);
  return requestFrame(1, 4, correlationId, body, { clientId: 'slow-reader' });
}

/** Opens a TCP connection to `bootstrap` (optionally from `localAddress`); resolves once connected. */
export function openSocket(bootstrap: string, options: { localAddress?: string; timeoutMs?: number } = {}): Promise<Socket> {
  const [host, port] = bootstrap.split(':');
  const socket = connect({ host, port: Number(port), localAddress: options.localAddress });
  socket.on('error', () => {
    // resets by the broker show as 'close'; callers look at the socket's state
  });
  return withTimeout(
    new Promise<Socket>((resolve, reject) => {
      socket.once('connect', () => resolve(socket));
      socket.once('close', () => reject(new Error(`connection to ${bootstrap} closed before it was established`)));
    }),
    options.timeoutMs ?? 5_000,
    `connect to ${bootstrap}`,
  );
}

/**
 * A connection that sends `frames` back to back and never reads: its socket
 * is paused before anything arrives, so responses pile up in the kernel and
 * then in the broker.
 */
export async function openSlowReader(bootstrap: string, frames: Buffer[]): Promise<Socket> {
  const socket = await openSocket(bootstrap);
  socket.pause();
  for (const f of frames) socket.write(f);
  return socket;
}

/**
 * Opens a connection and asks ApiVersions v0. Resolves `answered` (the
 * socket stays open, holding its connection slot) or `closed` when the
 * broker closes it instead; rejects when neither happens within `timeoutMs`.
 */
export async function probeConnection(
  bootstrap: string,
  options: { localAddress?: string; timeoutMs?: number } = {},
): Promise<{ outcome: 'answered' | 'closed'; socket: Socket }> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  let socket: Socket;
  try {
    socket = await openSocket(bootstrap, { localAddress: options.localAddress, timeoutMs });
  } catch (err) {
    if (err instanceof Error && /closed before/.test(err.message)) return { outcome: 'closed', socket: new Socket().destroy() };
    throw err;
  }
  const s = socket;
  const outcome = await withTimeout(
    new Promise<'answered' | 'closed'>((resolve) => {
      let received = Buffer.alloc(0);
      const onData = (chunk: Buffer): void => {
        received = Buffer.concat([received, chunk]);
        if (received.length >= 4 && received.length >= 4 + received.readInt32BE(0)) {
          s.off('data', onData);
          parseApiVersionsV0(received.subarray(4, 4 + received.readInt32BE(0)));
          resolve('answered');
        }
      };
      s.on('data', onData);
      s.once('close', () => resolve('closed'));
      s.write(requestFrame(18, 0, 7));
    }),
    timeoutMs,
    `ApiVersions answer or close on a connection to ${bootstrap}`,
  );
  return { outcome, socket: s };
}

/** Whether this machine can connect from 127.0.0.2 to a listener on 127.0.0.1 (all of 127/8 is loopback on Linux). */
export async function secondLoopbackWorks(bootstrap: string): Promise<boolean> {
  try {
    const socket = await openSocket(bootstrap, { localAddress: '127.0.0.2', timeoutMs: 2_000 });
    socket.destroy();
    return true;
  } catch {
    return false;
  }
}

/**
 * A well-behaved reader: one Fetch of `topic` partition 0 from offset 0 on a
 * fresh connection, read to the end. Returns the response size in bytes.
 * (RawConnection concatenates per chunk, too slow for tens of MiB.)
 */
export async function fetchAndRead(bootstrap: string, topic: string, maxBytes: number, timeoutMs = 30_000): Promise<number> {
  const socket = await openSocket(bootstrap, { timeoutMs });
  try {
    return await withTimeout(
      new Promise<number>((resolve, reject) => {
        const chunks: Buffer[] = [];
        let received = 0;
        let size = -1;
        socket.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          received += chunk.length;
          if (size < 0 && received >= 4) size = Buffer.concat(chunks).readInt32BE(0);
          if (size >= 0 && received >= 4 + size) resolve(size);
        });
        socket.once('close', () => reject(new Error('the broker closed the connection instead of answering Fetch')));
        socket.write(fetchV4Frame(1, topic, 0, 0n, maxBytes));
      }),
      timeoutMs,
      `a Fetch response for ${topic}`,
    );
  } finally {
    socket.destroy();
  }
}
