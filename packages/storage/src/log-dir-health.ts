/**
 * The health of one log directory, and which storage errors take it offline.
 *
 * Kafka takes a log directory offline on any IOException: its partitions
 * answer KAFKA_STORAGE_ERROR until the broker restarts, and the broker's
 * other log directories keep serving. Samsa does the same with one
 * exception, a full device, so that produce works again once space is freed
 * (see docs/storage-faults.md):
 *
 *   error (errno, or StorageError.fault)     during                      effect
 *   ---------------------------------------  --------------------------  ------------------------------
 *   any                                      fsync / fdatasync           dir offline ("fsyncgate": after a
 *                                                                        failed fsync the kernel may have
 *                                                                        dropped the dirty pages, so a
 *                                                                        later fsync can succeed with the
 *                                                                        data gone; it is never retried)
 *   ENOSPC, EDQUOT                           write of a batch, file      the request fails with
 *                                            creation, metadata files    KAFKA_STORAGE_ERROR; the partial
 *                                                                        bytes are cut, nothing is acked,
 *                                                                        the dir stays online
 *   ENOSPC, EDQUOT                           after the batch is in the   dir offline (the log cannot take
 *                                            log, before its ack         the batch back)
 *   EMFILE, ENFILE                           opening a file (a segment   the request fails with
 *                                            reopened by the file-handle KAFKA_STORAGE_ERROR; the dir
 *                                            cache, a new partition)     stays online (a process limit,
 *                                                                        not a fault of the device)
 *   EMFILE, ENFILE                           after the batch is in the   dir offline, as ENOSPC there
 *                                            log, before its ack
 *   any, while cutting the partial bytes     after a failed write        dir offline (a torn tail could
 *   of a failed write                                                    be served after a clean restart)
 *   any other errno (EIO, EROFS, EBADF, ...) any read or write          dir offline
 *   no errno (Kafka refusals, offset out of  —                          the request fails, nothing else
 *   range, invariant failures)
 *
 * An offline directory stays offline until the process restarts; its logs
 * then skip the clean-shutdown marker on close, so the next start runs
 * recovery on them.
 */
import { ErrorCode } from '@samsa/protocol';
import { StorageError, type StorageFault } from './errors.js';

/** Why a log directory went offline. */
export interface LogDirFailure {
  fault: StorageFault;
  /** The error that took the directory offline (its message names the file). */
  error: unknown;
  /** The partition whose operation failed, as `<topic>-<partition>`, if any. */
  partition: string | null;
}

const SYNC_SYSCALLS = new Set(['fsync', 'fdatasync']);
const NO_SPACE = new Set(['ENOSPC', 'EDQUOT']);
const NO_DESCRIPTORS = new Set(['EMFILE', 'ENFILE']);
const MAX_CAUSE_DEPTH = 8;

/**
 * The kind of storage fault `err` is, or null when it is not an I/O failure
 * (a Kafka refusal, an offset out of range, an assertion). Walks the cause
 * chain: an explicit StorageError.fault wins, then a failed fsync syscall,
 * then the errno.
 */
export function classifyStorageFault(err: unknown): StorageFault | null {
  let errno: string | null = null;
  let e: unknown = err;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && typeof e === 'object' && e !== null; depth++) {
    if (e instanceof StorageError && e.fault !== undefined) return e.fault;
    const { code, syscall, cause } = e as { code?: unknown; syscall?: unknown; cause?: unknown };
    if (typeof syscall === 'string' && SYNC_SYSCALLS.has(syscall)) return 'sync-failed';
    if (errno === null && typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) errno = code;
    e = cause;
  }
  if (errno === null) return null;
  if (NO_SPACE.has(errno)) return 'no-space';
  return NO_DESCRIPTORS.has(errno) ? 'no-descriptors' : 'io-failed';
}

/** Whether a fault of this kind takes the log directory offline (see the table above). */
export function takesLogDirOffline(fault: StorageFault): boolean {
  return fault !== 'no-space' && fault !== 'no-descriptors';
}

/** One log directory's state, shared by every partition log stored in it. */
export class LogDirHealth {
  /** The log directory (as given in log.dirs). */
  readonly path: string;
  #failure: LogDirFailure | null = null;
  #listeners: Array<(failure: LogDirFailure) => void> = [];

  constructor(path: string) {
    this.path = path;
  }

  /** False once a fault took the directory offline. */
  get online(): boolean {
    return this.#failure === null;
  }

  /** Why the directory is offline, or null while it is online. */
  get failure(): LogDirFailure | null {
    return this.#failure;
  }

  /** Called once, when the directory goes offline. */
  onOffline(listener: (failure: LogDirFailure) => void): void {
    this.#listeners.push(listener);
  }

  /**
   * Looks at an error from an operation on this directory and takes the
   * directory offline if the table above says so. Returns true if the
   * directory is offline afterwards.
   */
  report(err: unknown, partition: string | null): boolean {
    if (this.#failure !== null) return true;
    const fault = classifyStorageFault(err);
    if (fault === null || !takesLogDirOffline(fault)) return false;
    this.#failure = { fault, error: err, partition };
    for (const listener of this.#listeners) listener(this.#failure);
    return true;
  }

  /** Throws KAFKA_STORAGE_ERROR naming the directory and its first fault if it is offline. */
  ensureOnline(partition: string): void {
    const f = this.#failure;
    if (f === null) return;
    throw new StorageError(
      ErrorCode.KAFKA_STORAGE_ERROR,
      `log directory ${this.path} is offline (${f.fault}: ${errorMessage(f.error)}); ${partition} is unavailable until restart`,
      { cause: f.error },
    );
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
