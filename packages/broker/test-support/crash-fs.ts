/**
 * An Fs over the real disk that crashes on cue, for the metadata log's tests.
 *
 * Every mutating call (write, datasync, truncate, writeFileAtomic, unlink,
 * fsyncDir, mkdir, rename) counts as one step. At step `crashAtStep` the call
 * fails half-done (a write leaves a random prefix of its bytes; an atomic
 * replace may leave its `.tmp` file but never a partial target) and every
 * later call throws, as if the process died there.
 *
 * {@link CrashFs.loseUnsyncedData} then plays the machine going down: each
 * file opened through `open` is cut to a random length between what its last
 * datasync made durable and what was written, and the kept unsynced bytes may
 * be overwritten with garbage (pages that never reached the disk). Atomic
 * replaces, truncations and unlinks are treated as durable once they return.
 */
import { nodeFs, type Fs, type FsFile } from '@samsa/storage';

/** Thrown by every call at and after the crash step. */
export class SimulatedCrash extends Error {
  override readonly name = 'SimulatedCrash';
}

interface Tracked {
  readonly file: FsFile;
  durableSize: number;
}

export class CrashFs implements Fs {
  readonly #random: () => number;
  readonly #crashAtStep: number;
  #steps = 0;
  #crashed = false;
  readonly #files: Tracked[] = [];

  /** `crashAtStep` = Infinity never crashes. */
  constructor(random: () => number, crashAtStep: number) {
    this.#random = random;
    this.#crashAtStep = crashAtStep;
  }

  get crashed(): boolean {
    return this.#crashed;
  }

  /** True when this call is the crash; throws if the crash already happened. */
  #step(): boolean {
    if (this.#crashed) throw new SimulatedCrash('crashed earlier');
    this.#steps++;
    if (this.#steps >= this.#crashAtStep) {
      this.#crashed = true;
      return true;
    }
    return false;
  }

  #checkAlive(): void {
    if (this.#crashed) throw new SimulatedCrash('crashed earlier');
  }

  /** After a crash (or instead of a clean close): cuts unsynced data and closes every file. */
  async loseUnsyncedData(): Promise<void> {
    for (const t of this.#files.splice(0)) {
      const size = await t.file.size();
      if (size > t.durableSize) {
        const keep = t.durableSize + Math.floor(this.#random() * (size - t.durableSize + 1));
        await t.file.truncate(keep);
        if (keep > t.durableSize && this.#random() < 0.3) {
          const garbage = Buffer.alloc(keep - t.durableSize);
          for (let i = 0; i < garbage.length; i++) garbage[i] = Math.floor(this.#random() * 256);
          await t.file.write(garbage, t.durableSize);
        }
      }
      await t.file.close();
    }
  }

  async open(path: string): Promise<FsFile> {
    this.#checkAlive();
    const file = await nodeFs.open(path);
    const t: Tracked = { file, durableSize: await file.size() };
    this.#files.push(t);
    return {
      path,
      write: async (buf, position) => {
        if (this.#step()) {
          await file.write(buf.subarray(0, Math.floor(this.#random() * buf.length)), position);
          throw new SimulatedCrash('crash during write');
        }
        await file.write(buf, position);
      },
      read: (buf, offset, length, position) => {
        this.#checkAlive();
        return file.read(buf, offset, length, position);
      },
      truncate: async (length) => {
        if (this.#step()) throw new SimulatedCrash('crash before truncate');
        await file.truncate(length);
        t.durableSize = Math.min(t.durableSize, length);
      },
      datasync: async () => {
        if (this.#step()) throw new SimulatedCrash('crash before datasync');
        await file.datasync();
        t.durableSize = await file.size();
      },
      size: () => {
        this.#checkAlive();
        return file.size();
      },
      close: async () => {
        const i = this.#files.indexOf(t);
        if (i >= 0) this.#files.splice(i, 1);
        await file.close();
      },
    };
  }

  readFile(path: string): Promise<Buffer | null> {
    this.#checkAlive();
    return nodeFs.readFile(path);
  }

  async writeFileAtomic(path: string, data: Buffer, opts: { sync: boolean }): Promise<void> {
    if (this.#step()) {
      if (this.#random() < 0.5) await nodeFs.writeFileAtomic(`${path}.tmp`, data.subarray(0, Math.floor(this.#random() * data.length)), { sync: false });
      throw new SimulatedCrash('crash during atomic replace');
    }
    await nodeFs.writeFileAtomic(path, data, opts);
  }

  async unlink(path: string): Promise<void> {
    if (this.#step()) throw new SimulatedCrash('crash before unlink');
    await nodeFs.unlink(path);
  }

  async mkdir(path: string): Promise<void> {
    if (this.#step()) throw new SimulatedCrash('crash before mkdir');
    await nodeFs.mkdir(path);
  }

  readdir(path: string): Promise<string[]> {
    this.#checkAlive();
    return nodeFs.readdir(path);
  }

  stat(path: string): ReturnType<Fs['stat']> {
    this.#checkAlive();
    return nodeFs.stat(path);
  }

  async rmrf(path: string): Promise<void> {
    if (this.#step()) throw new SimulatedCrash('crash before rm');
    await nodeFs.rmrf(path);
  }

  async rename(from: string, to: string): Promise<void> {
    if (this.#step()) throw new SimulatedCrash('crash before rename');
    await nodeFs.rename(from, to);
  }

  async fsyncDir(path: string): Promise<void> {
    if (this.#step()) throw new SimulatedCrash('crash before directory fsync');
    await nodeFs.fsyncDir(path);
  }
}

/** Seeded PRNG (mulberry32), so a failing fuzz run replays from its printed seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Seed from SAMSA_SEED or the clock. */
export function testSeed(): number {
  const env = process.env.SAMSA_SEED;
  return env !== undefined ? Number(env) : Date.now() % 2147483647;
}

