/**
 * An Fs for fault injection, wrapping the real one (real disk underneath).
 *
 * - crash('process'): closes every file this Fs opened, as if the process
 *   died (kill -9): written data stays (it is in the page cache), the log
 *   object is dead (its fds are gone), no clean-shutdown marker is written.
 * - crash('power'): additionally cuts every file opened through `open` back
 *   to its size at the last datasync (writes since then were only in the
 *   page cache and are lost). Truncations are treated as durable at once.
 * - failNextWrites(n, kind, errno): the next n writes fail with `errno`
 *   (EIO by default, or ENOSPC), or are torn (only the first half of the
 *   bytes reach the file before the error), as a full disk does.
 * - failNextDatasyncs(n, under): the next n fdatasyncs of files under the
 *   path `under` (any file by default) fail with EIO, and the bytes they
 *   should have made durable are not: like Linux after a writeback error,
 *   the kernel dropped them, and a later fdatasync would succeed without
 *   them ("fsyncgate"). `datasyncs` counts the calls, failed ones included.
 */
import type { Fs, FsFile } from '../src/fs.js';
import { nodeFs } from '../src/fs.js';

interface Tracked {
  file: FsFile;
  durableSize: number;
  closed: boolean;
}

function ioError(errno: string, syscall: string, path: string): Error {
  return Object.assign(new Error(`${errno}: injected error, ${syscall} '${path}'`), { code: errno, syscall, path });
}

/** A fault-injecting Fs over the real disk. */
export class FaultyFs implements Fs {
  #inner: Fs;
  #open: Tracked[] = [];
  #failWrites = 0;
  #failKind: 'eio' | 'torn' = 'eio';
  #failErrno = 'EIO';
  #failSyncs = 0;
  #failSyncsUnder = '';
  /** Count of datasync calls (tests check flush policies with it). */
  datasyncs = 0;

  constructor(inner: Fs = nodeFs) {
    this.#inner = inner;
  }

  failNextWrites(n: number, kind: 'eio' | 'torn' = 'eio', errno: 'EIO' | 'ENOSPC' = 'EIO'): void {
    this.#failWrites = n;
    this.#failKind = kind;
    this.#failErrno = errno;
  }

  failNextDatasyncs(n: number, under = ''): void {
    this.#failSyncs = n;
    this.#failSyncsUnder = under;
  }

  async crash(mode: 'process' | 'power'): Promise<void> {
    const open = this.#open;
    this.#open = [];
    for (const t of open) {
      if (t.closed) continue;
      t.closed = true;
      if (mode === 'power') {
        const size = await t.file.size();
        if (size > t.durableSize) await t.file.truncate(t.durableSize);
      }
      await t.file.close();
    }
  }

  async open(path: string): Promise<FsFile> {
    const file = await this.#inner.open(path);
    const t: Tracked = { file, durableSize: await file.size(), closed: false };
    this.#open.push(t);
    const wrapper: FsFile = {
      path,
      write: async (buf, position) => {
        if (t.closed) throw Object.assign(new Error('EBADF: crashed'), { code: 'EBADF' });
        if (this.#failWrites > 0) {
          this.#failWrites--;
          if (this.#failKind === 'torn') await file.write(buf.subarray(0, buf.length >> 1), position);
          throw ioError(this.#failErrno, 'write', path);
        }
        await file.write(buf, position);
      },
      read: (buf, offset, length, position) => {
        if (t.closed) return Promise.reject(Object.assign(new Error('EBADF: crashed'), { code: 'EBADF' }));
        return file.read(buf, offset, length, position);
      },
      truncate: async (length) => {
        if (t.closed) throw Object.assign(new Error('EBADF: crashed'), { code: 'EBADF' });
        await file.truncate(length);
        if (length < t.durableSize) t.durableSize = length;
      },
      datasync: async () => {
        if (t.closed) throw Object.assign(new Error('EBADF: crashed'), { code: 'EBADF' });
        this.datasyncs++;
        if (this.#failSyncs > 0 && path.startsWith(this.#failSyncsUnder)) {
          this.#failSyncs--;
          throw ioError('EIO', 'fdatasync', path);
        }
        await file.datasync();
        t.durableSize = await file.size();
      },
      size: () => file.size(),
      close: async () => {
        if (t.closed) return;
        t.closed = true;
        this.#open = this.#open.filter((x) => x !== t);
        await file.close();
      },
    };
    return wrapper;
  }

  readFile(path: string): Promise<Buffer | null> {
    return this.#inner.readFile(path);
  }
  writeFileAtomic(path: string, data: Buffer, opts: { sync: boolean }): Promise<void> {
    return this.#inner.writeFileAtomic(path, data, opts);
  }
  unlink(path: string): Promise<void> {
    return this.#inner.unlink(path);
  }
  mkdir(path: string): Promise<void> {
    return this.#inner.mkdir(path);
  }
  readdir(path: string): Promise<string[]> {
    return this.#inner.readdir(path);
  }
  stat(path: string): ReturnType<Fs['stat']> {
    return this.#inner.stat(path);
  }
  rmrf(path: string): Promise<void> {
    return this.#inner.rmrf(path);
  }
  rename(from: string, to: string): Promise<void> {
    return this.#inner.rename(from, to);
  }
  fsyncDir(path: string): Promise<void> {
    return this.#inner.fsyncDir(path);
  }
}
