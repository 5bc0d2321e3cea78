/**
 * A bounded, LRU cache of open file descriptors for the log's files.
 *
 * Kafka keeps every segment of every partition open; a broker with many
 * partitions then needs one descriptor per segment, and a client allowed to
 * create topics could push the process past RLIMIT_NOFILE (EMFILE), after
 * which even a restart failed while opening the logs (issue 17). Here each
 * file the log opens is a {@link CachedFile}: an {@link FsFile} that holds a
 * descriptor only while the cache lets it. At most `maxOpenFiles`
 * descriptors are open at once (a soft bound, see below); opening another
 * closes the least recently used idle one first, and the next operation on
 * a closed file reopens it by path.
 *
 * Rules that keep this safe:
 * - Pinning. Every operation pins its file for its whole duration, so a
 *   read or write in progress never has its descriptor closed under it.
 *   {@link CachedFile.hold} pins for longer: a segment about to be unlinked
 *   or replaced by path holds its descriptor until its last reader is done,
 *   because reopening by path would then find nothing, or another file.
 *   Pinned descriptors are never evicted. When all are pinned, an open
 *   waits until an operation in progress ends; if the only pins left are
 *   holds, it opens one more rather than wait (a holder may need a second
 *   file), so the bound is exceeded only by held descriptors.
 *   {@link FileHandleCache.openCount} is exact.
 * - Reopen never creates. The first open creates the file (O_CREAT, as
 *   {@link Fs.open} does); later ones use {@link Fs.openExisting}, so a file
 *   deleted meanwhile fails with ENOENT instead of coming back empty.
 * - Durability is unchanged. A descriptor with writes not yet fdatasynced
 *   is fdatasynced before it is closed by eviction; if that fails, the
 *   failure is kept and the file's next {@link CachedFile.datasync} throws
 *   it (a failed fsync is never retried, see log-dir-health.ts), so a
 *   caller never learns of durability it does not have.
 * - EMFILE/ENFILE on open (descriptors used by sockets and other files):
 *   the cache closes an idle descriptor and tries again, while it has any;
 *   otherwise the error reaches the caller, whose request fails without
 *   taking the log directory offline (it is a process limit, not a fault of
 *   the device).
 */
import type { Fs, FsFile } from './fs.js';

/** Counters of a {@link FileHandleCache}, for logs, metrics and tests. */
export interface FileHandleCacheStats {
  /** Descriptors open now (including ones being opened or closed). */
  open: number;
  /** The configured bound. */
  limit: number;
  /** Opens (first opens and reopens). */
  opens: number;
  /** Descriptors closed to make room. */
  evictions: number;
  /** Opens retried after EMFILE/ENFILE. */
  emfileRetries: number;
}

function isOutOfDescriptors(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return code === 'EMFILE' || code === 'ENFILE';
}

/** The bounded set of descriptors, shared by every {@link CachedFile} it opened. */
export class FileHandleCache {
  readonly #fs: Fs;
  #limit: number;
  /** Files holding (or acquiring, or releasing) a descriptor, least recently used first. */
  readonly #lru = new Map<CachedFile, true>();
  #open = 0;
  #opens = 0;
  #evictions = 0;
  #emfileRetries = 0;
  #waiters: Array<() => void> = [];

  constructor(fs: Fs, maxOpenFiles: number) {
    if (!Number.isSafeInteger(maxOpenFiles) || maxOpenFiles < 1) throw new RangeError(`maxOpenFiles must be a positive integer, got ${maxOpenFiles}`);
    this.#fs = fs;
    this.#limit = maxOpenFiles;
  }

  /** Descriptors open now (including ones being opened or closed). */
  get openCount(): number {
    return this.#open;
  }

  get limit(): number {
    return this.#limit;
  }

  stats(): FileHandleCacheStats {
    return { open: this.#open, limit: this.#limit, opens: this.#opens, evictions: this.#evictions, emfileRetries: this.#emfileRetries };
  }

  /**
   * Opens (creating if absent) `path` as a cached file. The descriptor is
   * opened now, so that creation errors surface here, and may be evicted
   * as soon as this resolves.
   */
  async open(path: string): Promise<CachedFile> {
    const file = new CachedFile(this, path);
    await file.withFile(async () => undefined, true);
    return file;
  }

  /** An {@link Fs} whose `open` returns cached files; every other operation is `fs`'s. */
  wrap(): Fs {
    const inner = this.#fs;
    return {
      open: (path) => this.open(path),
      readFile: (path) => inner.readFile(path),
      writeFileAtomic: (path, data, opts) => inner.writeFileAtomic(path, data, opts),
      unlink: (path) => inner.unlink(path),
      mkdir: (path) => inner.mkdir(path),
      readdir: (path) => inner.readdir(path),
      stat: (path) => inner.stat(path),
      rmrf: (path) => inner.rmrf(path),
      rename: (from, to) => inner.rename(from, to),
      fsyncDir: (path) => inner.fsyncDir(path),
    };
  }

  /** Marks `file` most recently used. */
  touch(file: CachedFile): void {
    this.#lru.delete(file);
    this.#lru.set(file, true);
  }

  /** Opens a descriptor for `file`, making room first; see the top of this file. */
  async openDescriptor(file: CachedFile, create: boolean): Promise<FsFile> {
    while (this.#open >= this.#limit && (await this.#makeRoom(file))) {
      // Each pass closes one idle descriptor.
    }
    this.#open++;
    this.touch(file);
    for (;;) {
      try {
        const inner = create || this.#fs.openExisting === undefined ? await this.#fs.open(file.path) : await this.#fs.openExisting(file.path);
        this.#opens++;
        return inner;
      } catch (err) {
        if (isOutOfDescriptors(err) && (await this.#makeRoom(file))) {
          this.#emfileRetries++;
          continue;
        }
        this.#open--;
        this.#lru.delete(file);
        throw err;
      }
    }
  }

  /** Called by a file once its descriptor is closed (by eviction or by its owner). */
  descriptorClosed(file: CachedFile): void {
    this.#open--;
    this.#lru.delete(file);
    this.wake();
  }

  /** Wakes openers waiting for room (a pin was released or a descriptor closed). */
  wake(): void {
    const waiters = this.#waiters;
    if (waiters.length === 0) return;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /**
   * Closes one idle descriptor, waiting for one to become idle while some
   * other file has an operation in progress (those pins are short: one
   * read, write or sync). False when nothing can be closed even so: every
   * other descriptor is held long-term (see {@link CachedFile.hold}); the
   * caller then opens one more rather than wait for ever.
   */
  async #makeRoom(requester: CachedFile): Promise<boolean> {
    for (;;) {
      if (await this.#evictOne()) return true;
      let busy = false;
      for (const f of this.#lru.keys()) {
        if (f !== requester && f.hasOperationInProgress) {
          busy = true;
          break;
        }
      }
      if (!busy) return false;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Closes the least recently used idle descriptor; false when none is idle. */
  async #evictOne(): Promise<boolean> {
    for (const file of this.#lru.keys()) {
      if (!file.evictable) continue;
      this.#evictions++;
      await file.evict();
      return true;
    }
    return false;
  }
}

/**
 * One file of the log, opened through a {@link FileHandleCache}. Positional
 * operations behave as on a plain {@link FsFile}; the descriptor behind them
 * may be closed and reopened between operations.
 */
export class CachedFile implements FsFile {
  readonly path: string;
  readonly #cache: FileHandleCache;
  #inner: FsFile | null = null;
  /** In-flight open, shared by every operation waiting for it. */
  #opening: Promise<FsFile> | null = null;
  /** In-flight eviction close. */
  #closing: Promise<void> | null = null;
  #pins = 0;
  /** Of {@link #pins}, those taken by {@link hold} (long-term). */
  #holds = 0;
  /** Written (or truncated) since the last successful datasync. */
  #dirty = false;
  /** A datasync that failed during eviction, thrown by the next {@link datasync}. */
  #syncFailure: unknown = null;
  #closed = false;

  constructor(cache: FileHandleCache, path: string) {
    this.#cache = cache;
    this.path = path;
  }

  /** True when the descriptor is open, unpinned and not already closing. */
  get evictable(): boolean {
    return this.#inner !== null && this.#pins === 0 && this.#closing === null && this.#opening === null;
  }

  /** True while an open or an operation (not a long-term hold) is in progress; it ends soon. */
  get hasOperationInProgress(): boolean {
    return this.#opening !== null || this.#closing !== null || this.#pins > this.#holds;
  }

  /** True while this file holds a descriptor. */
  get isOpen(): boolean {
    return this.#inner !== null;
  }

  /** Pins count (operations in progress plus holds). */
  get pins(): number {
    return this.#pins;
  }

  /** Runs `op` on an open descriptor, pinned for its whole duration. */
  async withFile<T>(op: (f: FsFile) => Promise<T>, create = false): Promise<T> {
    if (this.#closed) throw Object.assign(new Error(`${this.path} is closed`), { code: 'EBADF' });
    this.#pins++;
    try {
      const f = await this.#ensureOpen(create);
      this.#cache.touch(this);
      return await op(f);
    } finally {
      this.#unpin();
    }
  }

  /**
   * Opens the descriptor if needed and keeps it open until the returned
   * function is called (or the file is closed). For a file about to be
   * unlinked or replaced by path while readers may still use it.
   */
  async hold(): Promise<() => void> {
    if (this.#closed) return () => undefined;
    this.#pins++;
    try {
      await this.#ensureOpen(false);
    } catch (err) {
      this.#unpin();
      throw err;
    }
    this.#holds++;
    this.#cache.wake(); // the open that was in progress is now a hold
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#holds--;
      this.#unpin();
    };
  }

  write(buf: Buffer, position: number): Promise<void> {
    return this.withFile(async (f) => {
      this.#dirty = true;
      await f.write(buf, position);
    });
  }

  writev(bufs: readonly Buffer[], position: number): Promise<void> {
    return this.withFile(async (f) => {
      this.#dirty = true;
      if (f.writev !== undefined) {
        await f.writev(bufs, position);
        return;
      }
      let at = position;
      for (const b of bufs) {
        await f.write(b, at);
        at += b.length;
      }
    });
  }

  read(buf: Buffer, offset: number, length: number, position: number): Promise<number> {
    return this.withFile((f) => f.read(buf, offset, length, position));
  }

  truncate(length: number): Promise<void> {
    return this.withFile(async (f) => {
      this.#dirty = true;
      await f.truncate(length);
    });
  }

  datasync(): Promise<void> {
    if (this.#syncFailure !== null) return Promise.reject(this.#syncFailure);
    // Closed by eviction with nothing written since: the eviction synced it.
    if (this.#inner === null && this.#opening === null && this.#closing === null && !this.#dirty && !this.#closed) return Promise.resolve();
    return this.withFile(async (f) => {
      // Cleared before the call: a write racing with it sets it again.
      this.#dirty = false;
      try {
        await f.datasync();
      } catch (err) {
        this.#dirty = true;
        throw err;
      }
    });
  }

  size(): Promise<number> {
    return this.withFile((f) => f.size());
  }

  /** Closes the descriptor for good (the owner is done with the file). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#opening !== null) await this.#opening.catch(() => undefined);
    if (this.#closing !== null) await this.#closing;
    const inner = this.#inner;
    if (inner === null) return;
    this.#inner = null;
    try {
      await inner.close();
    } finally {
      this.#cache.descriptorClosed(this);
    }
  }

  /** Closes the descriptor to make room (called by the cache on an {@link evictable} file). */
  evict(): Promise<void> {
    const inner = this.#inner;
    if (inner === null || this.#closing !== null) return this.#closing ?? Promise.resolve();
    this.#closing = (async () => {
      try {
        if (this.#dirty) {
          this.#dirty = false;
          try {
            await inner.datasync();
          } catch (err) {
            this.#syncFailure = err;
          }
        }
        await inner.close().catch(() => undefined);
      } finally {
        this.#inner = null;
        this.#closing = null;
        this.#cache.descriptorClosed(this);
      }
    })();
    return this.#closing;
  }

  #unpin(): void {
    this.#pins--;
    if (this.#pins === this.#holds) this.#cache.wake();
  }

  async #ensureOpen(create: boolean): Promise<FsFile> {
    for (;;) {
      if (this.#closing !== null) {
        await this.#closing;
        continue;
      }
      if (this.#inner !== null) return this.#inner;
      if (this.#opening === null) {
        this.#opening = this.#cache.openDescriptor(this, create).then(
          (f) => {
            this.#inner = f;
            this.#opening = null;
            return f;
          },
          (err: unknown) => {
            this.#opening = null;
            throw err;
          },
        );
      }
      return await this.#opening;
    }
  }
}
