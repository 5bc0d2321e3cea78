/**
 * The file-system surface the log uses, and its node:fs implementation.
 *
 * The log never imports node:fs directly: it receives an {@link Fs}, so tests
 * can substitute a faulty one (EIO, torn writes, dropped unsynced data) while
 * the production path uses {@link nodeFs}. The interface is deliberately
 * small: positional reads/writes on an open file, whole-file atomic replace
 * for small metadata files, and directory operations.
 *
 * Hot-path calls (`write`, `read`) use the callback API of node:fs on a raw
 * fd, wrapped in one promise per call: `fs.promises.FileHandle` adds an extra
 * object and promise layer per operation that shows up in append profiles.
 *
 * Small writes are made synchronously: handing a write to libuv's thread
 * pool costs two cross-thread wake-ups, measured at ~30 µs of CPU and ~35 µs
 * of latency per call on the 2-vCPU VMs here, while a pwrite of a few KiB
 * into the page cache takes 1-5 µs. Single-record produce requests spent
 * about half their broker CPU on that hand-off. Writes above
 * {@link SYNC_WRITE_MAX_BYTES} stay asynchronous, so a slow page-cache
 * allocation for a large batch never holds the event loop for milliseconds.
 */
import * as fs from 'node:fs';
import { dirname } from 'node:path';

/** An open file, addressed by absolute positions (no implicit cursor). */
export interface FsFile {
  readonly path: string;
  /** Writes all of `buf` at `position`, looping over short writes. */
  write(buf: Buffer, position: number): Promise<void>;
  /**
   * Optional gathered write: all of `bufs`, back to back, at `position`
   * (one pwritev where possible, looping over short writes). Callers fall
   * back to sequential {@link write} calls when absent.
   */
  writev?(bufs: readonly Buffer[], position: number): Promise<void>;
  /** Reads up to `length` bytes from `position` into `buf[offset..]`; returns the count (short only at end of file). */
  read(buf: Buffer, offset: number, length: number, position: number): Promise<number>;
  /** Sets the file length. */
  truncate(length: number): Promise<void>;
  /** fdatasync: data (and the size) reach stable storage. */
  datasync(): Promise<void>;
  /** Current length in bytes. */
  size(): Promise<number>;
  close(): Promise<void>;
  /**
   * Optional: keeps the descriptor open until the returned function is
   * called, for files whose descriptor may otherwise be closed between
   * operations (file-handle-cache.ts). Needed before the path is unlinked
   * or replaced while readers still use the file. Absent: always open.
   */
  hold?(): Promise<() => void>;
}

/** Minimal stat result. */
export interface FsStat {
  size: number;
  isDirectory: boolean;
  mtimeMs: number;
}

/** The file-system operations used by storage. Paths are absolute. */
export interface Fs {
  /** Opens for reading and writing, creating the file if absent. */
  open(path: string): Promise<FsFile>;
  /**
   * Opens an existing file for reading and writing; ENOENT if it is absent.
   * Used to reopen a file whose descriptor was closed to stay within the
   * open-file bound (file-handle-cache.ts), so a deleted file never comes
   * back empty. Fs implementations without it fall back to {@link open}.
   */
  openExisting?(path: string): Promise<FsFile>;
  /** The whole file, or null if it does not exist. For small metadata files only. */
  readFile(path: string): Promise<Buffer | null>;
  /**
   * Replaces `path` with `data` by writing `<path>.tmp` and renaming it over
   * `path`, so readers never see a torn mix. With `sync` the temp file and
   * then the directory are fsynced, so after a power failure the new content
   * is there; without it the file may be old, new or (on some file systems)
   * empty, which suits caches that are validated on load.
   */
  writeFileAtomic(path: string, data: Buffer, opts: { sync: boolean }): Promise<void>;
  /** Removes a file; absent is not an error. */
  unlink(path: string): Promise<void>;
  /** mkdir -p. */
  mkdir(path: string): Promise<void>;
  /** Entry names, or [] if the directory does not exist. */
  readdir(path: string): Promise<string[]>;
  /** Stat, or null if absent. */
  stat(path: string): Promise<FsStat | null>;
  /** rm -rf. */
  rmrf(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** fsync a directory so created/removed/renamed entries are durable. */
  fsyncDir(path: string): Promise<void>;
}

function isEnoent(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ENOENT';
}

/** Writes up to this size (bytes in one call) are made with pwrite on the calling thread; see the top of this file. */
export const SYNC_WRITE_MAX_BYTES = 64 * 1024;

function writeAllSync(fd: number, bufs: readonly Buffer[], position: number): void {
  let at = position;
  for (const buf of bufs) {
    for (let done = 0; done < buf.length; ) {
      const n = fs.writeSync(fd, buf, done, buf.length - done, at);
      if (n <= 0) throw Object.assign(new Error('pwrite made no progress'), { code: 'EIO' });
      done += n;
      at += n;
    }
  }
}

class NodeFile implements FsFile {
  readonly path: string;
  #fd: number;

  constructor(path: string, fd: number) {
    this.path = path;
    this.#fd = fd;
  }

  write(buf: Buffer, position: number): Promise<void> {
    if (buf.length <= SYNC_WRITE_MAX_BYTES) return this.#writeSync([buf], position);
    return new Promise((resolve, reject) => {
      const fd = this.#fd;
      let done = 0;
      const step = (): void => {
        fs.write(fd, buf, done, buf.length - done, position + done, (err, n) => {
          if (err) return reject(err);
          done += n;
          if (done < buf.length) step();
          else resolve();
        });
      };
      if (buf.length === 0) resolve();
      else step();
    });
  }

  writev(bufs: readonly Buffer[], position: number): Promise<void> {
    let total = 0;
    for (const b of bufs) total += b.length;
    if (total <= SYNC_WRITE_MAX_BYTES) return this.#writeSync(bufs, position);
    return new Promise((resolve, reject) => {
      const fd = this.#fd;
      let list: Buffer[] = bufs.filter((b) => b.length > 0);
      let at = position;
      const step = (): void => {
        fs.writev(fd, list, at, (err, n) => {
          if (err) return reject(err);
          if (n <= 0) return reject(Object.assign(new Error(`pwritev of ${this.path} made no progress`), { code: 'EIO' }));
          at += n;
          let k = 0;
          while (k < list.length && n >= list[k].length) n -= list[k++].length;
          if (k === list.length) return resolve();
          list = list.slice(k);
          if (n > 0) list[0] = list[0].subarray(n);
          step();
        });
      };
      if (list.length === 0) resolve();
      else step();
    });
  }

  #writeSync(bufs: readonly Buffer[], position: number): Promise<void> {
    try {
      writeAllSync(this.#fd, bufs, position);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  read(buf: Buffer, offset: number, length: number, position: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const fd = this.#fd;
      let done = 0;
      // A regular-file pread only returns short at EOF, but loop anyway: the
      // contract is "short only at end of file".
      const step = (): void => {
        fs.read(fd, buf, offset + done, length - done, position + done, (err, n) => {
          if (err) return reject(err);
          done += n;
          if (n > 0 && done < length) step();
          else resolve(done);
        });
      };
      if (length === 0) resolve(0);
      else step();
    });
  }

  truncate(length: number): Promise<void> {
    return new Promise((resolve, reject) => fs.ftruncate(this.#fd, length, (err) => (err ? reject(err) : resolve())));
  }

  datasync(): Promise<void> {
    return new Promise((resolve, reject) => fs.fdatasync(this.#fd, (err) => (err ? reject(err) : resolve())));
  }

  size(): Promise<number> {
    return new Promise((resolve, reject) => fs.fstat(this.#fd, (err, st) => (err ? reject(err) : resolve(st.size))));
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => fs.close(this.#fd, (err) => (err ? reject(err) : resolve())));
  }
}

/** The real file system (node:fs). */
export const nodeFs: Fs = {
  open(path) {
    return new Promise((resolve, reject) =>
      fs.open(path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644, (err, fd) =>
        err ? reject(err) : resolve(new NodeFile(path, fd)),
      ),
    );
  },
  openExisting(path) {
    return new Promise((resolve, reject) =>
      fs.open(path, fs.constants.O_RDWR, (err, fd) => (err ? reject(err) : resolve(new NodeFile(path, fd)))),
    );
  },
  async readFile(path) {
    try {
      return await fs.promises.readFile(path);
    } catch (err) {
      if (isEnoent(err)) return null;
      throw err;
    }
  },
  async writeFileAtomic(path, data, opts) {
    const tmp = `${path}.tmp`;
    const fh = await fs.promises.open(tmp, 'w');
    try {
      await fh.writeFile(data);
      if (opts.sync) await fh.datasync();
    } finally {
      await fh.close();
    }
    await fs.promises.rename(tmp, path);
    if (opts.sync) await nodeFs.fsyncDir(dirname(path));
  },
  async unlink(path) {
    try {
      await fs.promises.unlink(path);
    } catch (err) {
      if (!isEnoent(err)) throw err;
    }
  },
  async mkdir(path) {
    await fs.promises.mkdir(path, { recursive: true });
  },
  async readdir(path) {
    try {
      return await fs.promises.readdir(path);
    } catch (err) {
      if (isEnoent(err)) return [];
      throw err;
    }
  },
  async stat(path) {
    try {
      const st = await fs.promises.stat(path);
      return { size: st.size, isDirectory: st.isDirectory(), mtimeMs: st.mtimeMs };
    } catch (err) {
      if (isEnoent(err)) return null;
      throw err;
    }
  },
  async rmrf(path) {
    await fs.promises.rm(path, { recursive: true, force: true });
  },
  async rename(from, to) {
    await fs.promises.rename(from, to);
  },
  async fsyncDir(path) {
    const fh = await fs.promises.open(path, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
};
