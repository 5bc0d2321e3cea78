import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { FileHandleCache } from '../src/file-handle-cache.js';
import { nodeFs, type Fs, type FsFile } from '../src/fs.js';
import { defaultLogConfig } from '../src/log-config.js';
import { LogManager } from '../src/log-manager.js';
import { openFileSoftLimit, resolveMaxOpenFiles } from '../src/open-file-limit.js';
import { FaultyFs } from '../test-support/faulty-fs.js';
import { decodeAll, makeBatch } from '../test-support/batches.js';
import { makeTempDir } from '../test-support/tmp-dir.js';

/** Counts descriptors the inner Fs has open, and can make reads wait or opens fail with EMFILE. */
class CountingFs implements Fs {
  open_ = 0;
  maxOpen = 0;
  /** Opens beyond this many open descriptors fail with EMFILE (a process limit the cache does not know). */
  hardLimit = Number.POSITIVE_INFINITY;
  readGate: Promise<void> | null = null;
  readonly #inner: Fs = nodeFs;

  #track(f: FsFile): FsFile {
    this.open_++;
    this.maxOpen = Math.max(this.maxOpen, this.open_);
    let closed = false;
    return {
      path: f.path,
      write: (b, p) => f.write(b, p),
      read: async (b, o, l, p) => {
        if (this.readGate !== null) await this.readGate;
        return f.read(b, o, l, p);
      },
      truncate: (l) => f.truncate(l),
      datasync: () => f.datasync(),
      size: () => f.size(),
      close: async () => {
        if (!closed) this.open_--;
        closed = true;
        await f.close();
      },
    };
  }

  #checkLimit(path: string): void {
    if (this.open_ >= this.hardLimit) throw Object.assign(new Error(`EMFILE: too many open files, open '${path}'`), { code: 'EMFILE' });
  }

  async open(path: string): Promise<FsFile> {
    this.#checkLimit(path);
    return this.#track(await this.#inner.open(path));
  }
  async openExisting(path: string): Promise<FsFile> {
    this.#checkLimit(path);
    const openExisting = this.#inner.openExisting;
    assert.ok(openExisting !== undefined);
    return this.#track(await openExisting(path));
  }
  readFile = (p: string) => this.#inner.readFile(p);
  writeFileAtomic = (p: string, d: Buffer, o: { sync: boolean }) => this.#inner.writeFileAtomic(p, d, o);
  unlink = (p: string) => this.#inner.unlink(p);
  mkdir = (p: string) => this.#inner.mkdir(p);
  readdir = (p: string) => this.#inner.readdir(p);
  stat = (p: string) => this.#inner.stat(p);
  rmrf = (p: string) => this.#inner.rmrf(p);
  rename = (a: string, b: string) => this.#inner.rename(a, b);
  fsyncDir = (p: string) => this.#inner.fsyncDir(p);
}

async function readAll(f: FsFile, length: number): Promise<string> {
  const buf = Buffer.alloc(length);
  const n = await f.read(buf, 0, length, 0);
  return buf.subarray(0, n).toString();
}

test('the least recently used idle descriptor is closed to make room, and reopened on the next use', async () => {
  const { dir, cleanup } = await makeTempDir();
  try {
    const fs = new CountingFs();
    const cache = new FileHandleCache(fs, 2);
    const [a, b] = [await cache.open(join(dir, 'a')), await cache.open(join(dir, 'b'))];
    await a.write(Buffer.from('alpha'), 0);
    await b.write(Buffer.from('bravo'), 0);
    await a.read(Buffer.alloc(1), 0, 1, 0); // a is now more recently used than b
    const c = await cache.open(join(dir, 'c'));
    assert.equal(b.isOpen, false, 'b was the least recently used');
    assert.equal(a.isOpen, true);
    assert.equal(c.isOpen, true);
    assert.equal(fs.open_, 2);
    assert.equal(await readAll(b, 16), 'bravo', 'a closed file reopens by path');
    assert.equal(a.isOpen, false, 'reopening b evicted a, now the least recently used');
    assert.equal(cache.openCount, 2);
    assert.equal(fs.maxOpen, 2, 'never more than the limit open');
    const s = cache.stats();
    assert.equal(s.evictions, 2);
    assert.equal(s.opens, 4);
    await Promise.all([a.close(), b.close(), c.close()]);
    assert.equal(fs.open_, 0);
    assert.equal(cache.openCount, 0);
  } finally {
    await cleanup();
  }
});

test('an operation in progress pins its descriptor: eviction skips it, an open waits for it, and only long holds exceed the bound', async () => {
  const { dir, cleanup } = await makeTempDir();
  try {
    const fs = new CountingFs();
    const cache = new FileHandleCache(fs, 2);
    const a = await cache.open(join(dir, 'a'));
    await a.write(Buffer.from('alpha'), 0);
    const b = await cache.open(join(dir, 'b'));
    let openGate!: () => void;
    fs.readGate = new Promise((resolve) => (openGate = resolve));
    const reading = readAll(a, 16); // a is the LRU file, but pinned by this read
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(a.pins, 1);
    const c = await cache.open(join(dir, 'c'));
    assert.equal(a.isOpen, true, 'the file being read was not closed under the read');
    assert.equal(b.isOpen, false, 'the idle one went instead');
    const releaseC = await c.hold();
    let dOpened = false;
    const opening = cache.open(join(dir, 'd')).then((f) => {
      dOpened = true;
      return f;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(dOpened, false, 'all descriptors pinned, one by a read in progress: the open waits for it');
    assert.equal(cache.openCount, 2);
    fs.readGate = null;
    openGate();
    assert.equal(await reading, 'alpha');
    const d = await opening;
    assert.equal(a.isOpen, false, 'the read ended, so its descriptor made room');
    assert.equal(fs.maxOpen, 2);
    // Only long-term holds left: one more is opened rather than waiting for ever.
    const releaseD = await d.hold();
    assert.equal(await readAll(a, 16), 'alpha');
    assert.equal(cache.openCount, 3, 'held descriptors only: the bound is exceeded by one');
    releaseC();
    releaseD();
    await b.size();
    assert.equal(cache.openCount, 2, 'back within the bound once holds are released');
    await Promise.all([a.close(), b.close(), c.close(), d.close()]);
    assert.equal(cache.openCount, 0);
  } finally {
    await cleanup();
  }
});

test('many concurrent operations on more files than the bound all complete, never over the bound', async () => {
  const { dir, cleanup } = await makeTempDir();
  try {
    const fs = new CountingFs();
    const cache = new FileHandleCache(fs, 4);
    const files = await Promise.all(Array.from({ length: 50 }, (_, i) => cache.open(join(dir, `f${i}`))));
    await Promise.all(files.map((f, i) => f.write(Buffer.from(`file ${i}`), 0)));
    await Promise.all(files.map((f) => f.datasync()));
    const read = await Promise.all(files.map((f) => readAll(f, 16)));
    assert.deepEqual(read, files.map((_, i) => `file ${i}`));
    assert.ok(fs.maxOpen <= 4, `at most 4 open at once, saw ${fs.maxOpen}`);
    await Promise.all(files.map((f) => f.close()));
    assert.equal(fs.open_, 0);
  } finally {
    await cleanup();
  }
});

test('a reopen never creates the file; a held descriptor outlives unlink', async () => {
  const { dir, cleanup } = await makeTempDir();
  try {
    const cache = new FileHandleCache(new CountingFs(), 1);
    const gone = await cache.open(join(dir, 'gone'));
    await gone.write(Buffer.from('x'), 0);
    const kept = await cache.open(join(dir, 'kept')); // evicts `gone`
    await kept.write(Buffer.from('still here'), 0);
    const release = await kept.hold();
    await unlink(join(dir, 'gone'));
    await unlink(join(dir, 'kept'));
    await assert.rejects(gone.read(Buffer.alloc(1), 0, 1, 0), { code: 'ENOENT' });
    assert.equal(await stat(join(dir, 'gone')).catch(() => null), null, 'not recreated empty');
    const other = await cache.open(join(dir, 'other'));
    assert.equal(await readAll(kept, 32), 'still here', 'the held descriptor still reads the unlinked file');
    release();
    await Promise.all([gone.close(), kept.close(), other.close()]);
  } finally {
    await cleanup();
  }
});

test('a descriptor with unsynced writes is fdatasynced before eviction; a failure there is thrown by the next datasync', async () => {
  const { dir, cleanup } = await makeTempDir();
  try {
    const fs = new FaultyFs();
    const cache = new FileHandleCache(fs, 1);
    const a = await cache.open(join(dir, 'a'));
    await a.write(Buffer.from('one'), 0);
    await cache.open(join(dir, 'b'));
    assert.equal(fs.datasyncs, 1, 'evicting the dirty file synced it');
    await a.write(Buffer.from('two'), 3);
    fs.failNextDatasyncs(1);
    await cache.open(join(dir, 'c'));
    assert.equal(a.isOpen, false);
    await assert.rejects(a.datasync(), /EIO/, 'the failed sync at eviction is reported, never retried into a false success');
    await assert.rejects(a.datasync(), /EIO/);
    assert.equal(await readFile(join(dir, 'a'), 'latin1'), 'onetwo');
  } finally {
    await cleanup();
  }
});

test('EMFILE on open closes an idle descriptor and tries again; with none idle the error reaches the caller', async () => {
  const { dir, cleanup } = await makeTempDir();
  try {
    const fs = new CountingFs();
    fs.hardLimit = 2; // the process limit is lower than the cache thinks
    const cache = new FileHandleCache(fs, 10);
    const files = [];
    for (let i = 0; i < 5; i++) {
      const f = await cache.open(join(dir, `f${i}`));
      await f.write(Buffer.from(`file ${i}`), 0);
      files.push(f);
    }
    assert.ok(fs.maxOpen <= 2);
    assert.ok(cache.stats().emfileRetries >= 3);
    for (let i = 0; i < 5; i++) assert.equal(await readAll(files[i], 16), `file ${i}`);
    const r0 = await files[0].hold();
    const r1 = await files[1].hold();
    await assert.rejects(files[2].size(), { code: 'EMFILE' });
    assert.equal(cache.openCount, 2, 'the failed open is not counted');
    r0();
    r1();
    assert.equal(await readAll(files[2], 16), 'file 2');
  } finally {
    await cleanup();
  }
});

test('open-file limit: parsed from /proc/self/limits; log.max.open.files unset takes half of it', () => {
  const text = 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            256                  4096                 files\n';
  assert.equal(openFileSoftLimit(text), 256);
  assert.equal(openFileSoftLimit('Max open files            unlimited            unlimited            files\n'), null);
  assert.equal(resolveMaxOpenFiles(-1, 256), 128);
  assert.equal(resolveMaxOpenFiles(0, null), 512);
  assert.equal(resolveMaxOpenFiles(100, 256), 100);
  assert.equal(resolveMaxOpenFiles(1, 256), 8, 'never below the minimum');
  if (process.platform === 'linux') assert.ok((openFileSoftLimit() ?? 0) > 0);
});

function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

test('LogManager: many more partitions than log.max.open.files are written, read, closed and reopened within the bound', { skip: process.platform !== 'linux' && 'counts /proc/self/fd' }, async () => {
  const { dir, cleanup } = await makeTempDir();
  const partitions = 60;
  const maxOpenFiles = 8;
  // Small segments: several segments per partition, so rolls and sealed segments are covered too.
  const config = { ...defaultLogConfig, segmentBytes: 400 };
  try {
    const before = fdCount();
    let mgr = await LogManager.open({ logDirs: [dir], defaultConfig: config, maxOpenFiles });
    for (let round = 0; round < 3; round++) {
      for (let p = 0; p < partitions; p++) {
        const log = await mgr.getOrCreate('many', p, config);
        await log.append(makeBatch(2, { prefix: `p${p}-r${round}`, valueBytes: 100 }));
        assert.ok(fdCount() - before <= maxOpenFiles + 2, `descriptors stay bounded (at partition ${p}: ${fdCount() - before})`);
      }
    }
    const readBack = async (m: LogManager): Promise<void> => {
      for (let p = 0; p < partitions; p++) {
        const log = m.get('many', p);
        assert.ok(log !== undefined, `partition ${p} exists`);
        const values: string[] = [];
        for (let offset = 0; offset < log.logEndOffset; ) {
          const r = await log.read(offset, 1 << 20);
          const recs = await decodeAll(r.buffers);
          assert.ok(recs.length > 0, `partition ${p} reads at ${offset}`);
          for (const rec of recs) values.push(String(rec.value));
          offset = recs[recs.length - 1].offset + 1;
        }
        assert.deepEqual(values.map((v) => v.replace(/\.+$/, '')), [0, 1, 2].flatMap((r) => [`p${p}-r${r}-0`, `p${p}-r${r}-1`]));
      }
      assert.ok(m.openFileStats().open <= maxOpenFiles, `${JSON.stringify(m.openFileStats())}`);
    };
    await readBack(mgr);
    assert.ok(mgr.openFileStats().evictions > 0);
    await mgr.close();
    assert.equal(fdCount(), before, 'close releases every descriptor');
    // Reopen (clean) and read everything back, still within the bound.
    mgr = await LogManager.open({ logDirs: [dir], defaultConfig: config, maxOpenFiles });
    assert.ok(fdCount() - before <= maxOpenFiles + 2, 'opening all logs does not need one descriptor per segment');
    await readBack(mgr);
    await mgr.close();
    // An unclean restart: no clean-shutdown markers, so the active segments are recovered.
    for (let p = 0; p < partitions; p++) await unlink(join(dir, `many-${p}`, '.samsa_cleanshutdown'));
    mgr = await LogManager.open({ logDirs: [dir], defaultConfig: config, maxOpenFiles });
    assert.ok(fdCount() - before <= maxOpenFiles + 2, 'recovery opens and closes as it goes');
    await readBack(mgr);
    await mgr.close();
  } finally {
    await cleanup();
  }
});

test('a segment deleted while a read holds it: the read finishes on the held descriptor', async () => {
  const { dir, cleanup } = await makeTempDir();
  try {
    const config = { ...defaultLogConfig, segmentBytes: 300, retentionBytes: 1 };
    const mgr = await LogManager.open({ logDirs: [dir], defaultConfig: config, maxOpenFiles: 8 });
    const log = await mgr.getOrCreate('ret', 0, config);
    for (let i = 0; i < 4; i++) await log.append(makeBatch(1, { prefix: `r${i}`, valueBytes: 200 }));
    // Fill the cache with other partitions so the first segment's descriptor is closed.
    for (let p = 0; p < 12; p++) await (await mgr.getOrCreate('other', p, config)).append(makeBatch(1));
    const first = log.read(0, 1 << 20);
    const deleted = mgr.runRetention();
    const [r] = await Promise.all([first, deleted]);
    const recs = await decodeAll(r.buffers);
    assert.equal(String(recs[0]?.value).replace(/\.+$/, ''), 'r0-0');
    assert.ok(log.logStartOffset > 0, 'retention deleted segments');
    await mgr.close();
  } finally {
    await cleanup();
  }
});
