/**
 * The single-node metadata log: an append-only file of checksummed records
 * plus a snapshot of the whole state, in the broker's first log dir. A change
 * costs one small record and one fdatasync however many topics exist; the
 * whole state is written only when the log has grown as large as the last
 * snapshot, so that cost is spread over at least as many bytes of records
 * (amortised O(1) per change) and recovery never replays more than about
 * one snapshot's worth of records. Kafka's KRaft controller does the same
 * with `__cluster_metadata` and its snapshots; the files here are not
 * Kafka's format. See docs/metadata-log.md.
 *
 * Files (frames as in metadata-frame.ts):
 *
 *   `__samsa_metadata.snapshot`  one frame: offset = the first record offset
 *                                NOT in the snapshot; payload = the state
 *                                (metadata-snapshot.ts, version 2). Replaced
 *                                atomically: write `.tmp`, fdatasync, rename,
 *                                fsync the directory.
 *   `__samsa_metadata.log`       frames with consecutive offsets, one record
 *                                each (metadata-record.ts). Emptied (truncated
 *                                to 0 and synced) after each snapshot.
 *   `__samsa_metadata.json`      the whole-state file of earlier versions;
 *                                read once, turned into the first snapshot
 *                                and removed.
 *
 * Write path (one writer, group commit): a change is applied to the
 * in-memory image and given the next offset in the same tick, then queued.
 * While no write is in flight the queue is written as one write at the end
 * of the log and made durable with one fdatasync; changes queued meanwhile
 * go in the next write. A change's promise resolves only after its bytes are
 * durable, so an acknowledged CreateTopics survives kill -9 and power loss.
 * Changes are visible to readers as soon as they are applied (as before this
 * log existed); if a write or sync fails the log refuses every later change,
 * because memory and disk may then differ until a restart recovers from disk.
 *
 * Recovery: read the snapshot (it must be one valid frame, else the broker
 * refuses to start), skip log records below its offset (left when a crash
 * came between writing a snapshot and emptying the log), apply the rest in
 * order, and cut the file at the first frame that is incomplete, fails its
 * CRC or breaks the offset sequence: only a change that was never
 * acknowledged can be there. A record whose frame is intact but whose
 * content cannot be applied is not a torn write, so it stops the broker
 * with an error instead of being dropped.
 */
import { join } from 'node:path';
import type { Fs, FsFile } from '@samsa/storage';
import { FRAME_HEADER_BYTES, encodeFrame, scanFrames, type FrameScanStop } from './metadata-frame.js';
import { MetadataImage } from './metadata-image.js';
import { MetadataRecordError, decodeRecord, encodeRecord, type MetadataRecord } from './metadata-record.js';
import { LEGACY_VERSION, SNAPSHOT_VERSION, decodeSnapshot, encodeSnapshot } from './metadata-snapshot.js';

/** File names in the first log dir (see the top of this file). */
export const SNAPSHOT_FILE = '__samsa_metadata.snapshot';
export const LOG_FILE = '__samsa_metadata.log';
export const LEGACY_FILE = '__samsa_metadata.json';

/** Default floor of the snapshot trigger: the log is not snapshotted before it holds this many bytes. */
export const DEFAULT_SNAPSHOT_MIN_LOG_BYTES = 8 * 1024 * 1024;

/** Bound on one record's payload (a topic with many long configs is a few KiB). */
export const MAX_RECORD_PAYLOAD_BYTES = 1024 * 1024;

/** The metadata files cannot be read into a consistent state; the broker must not start on them. */
export class MetadataCorruptError extends Error {
  override readonly name = 'MetadataCorruptError';
}

/** What recovery found, for the broker's log. */
export interface MetadataRecovery {
  /** Records replayed on top of the snapshot. */
  readonly replayedRecords: number;
  /** Bytes cut from the end of the log (a torn or corrupt tail), and why. */
  readonly truncatedBytes: number;
  readonly truncatedReason: FrameScanStop | null;
  /** Whether the legacy whole-state JSON file was converted. */
  readonly migratedLegacyFile: boolean;
  /** Whether no metadata existed yet. */
  readonly created: boolean;
}

/** Options of {@link MetadataLog.open}. */
export interface MetadataLogOptions {
  readonly fs: Fs;
  readonly dir: string;
  /** Cluster id for a new store. */
  readonly newClusterId: () => string;
  /** Floor of the snapshot trigger, in log bytes (see the top of this file). */
  readonly snapshotMinLogBytes?: number;
}

interface Pending {
  readonly frame: Buffer;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

/** The metadata log of one broker; owns the {@link MetadataImage} it persists. */
export class MetadataLog {
  readonly image: MetadataImage;
  readonly recovery: MetadataRecovery;
  readonly #fs: Fs;
  readonly #dir: string;
  readonly #file: FsFile;
  readonly #snapshotMinLogBytes: number;
  /** Offset the next record gets. */
  #nextOffset: number;
  /** End of the durable-or-being-written log: where the next write goes. */
  #logBytes: number;
  /** Size of the last snapshot file, which sets the next snapshot trigger. */
  #snapshotBytes: number;
  #queue: Pending[] = [];
  #writing: Promise<void> | null = null;
  #failure: Error | null = null;
  #closed = false;
  /** Counters for tests and benchmarks. */
  readonly stats = { writes: 0, snapshots: 0 };

  private constructor(init: {
    fs: Fs;
    dir: string;
    file: FsFile;
    image: MetadataImage;
    recovery: MetadataRecovery;
    nextOffset: number;
    logBytes: number;
    snapshotBytes: number;
    snapshotMinLogBytes: number;
  }) {
    this.#fs = init.fs;
    this.#dir = init.dir;
    this.#file = init.file;
    this.image = init.image;
    this.recovery = init.recovery;
    this.#nextOffset = init.nextOffset;
    this.#logBytes = init.logBytes;
    this.#snapshotBytes = init.snapshotBytes;
    this.#snapshotMinLogBytes = init.snapshotMinLogBytes;
  }

  /** Recovers the state from `dir` (creating or migrating it when needed) and opens the log for appends. */
  static async open(opts: MetadataLogOptions): Promise<MetadataLog> {
    const { fs, dir } = opts;
    await fs.mkdir(dir);
    const snapshotPath = join(dir, SNAPSHOT_FILE);
    const logPath = join(dir, LOG_FILE);
    const legacyPath = join(dir, LEGACY_FILE);
    const snapshotBuf = await fs.readFile(snapshotPath);
    const legacyBuf = await fs.readFile(legacyPath);
    const logBuf = (await fs.readFile(logPath)) ?? Buffer.alloc(0);
    // A snapshot replace cut short by a crash leaves its temp file; it never holds anything needed.
    await fs.unlink(`${snapshotPath}.tmp`);

    let image: MetadataImage;
    let snapshotOffset: number;
    let snapshotBytes: number;
    let migratedLegacyFile = false;
    let created = false;
    if (snapshotBuf !== null) {
      ({ image, snapshotOffset } = readSnapshot(snapshotBuf, snapshotPath));
      snapshotBytes = snapshotBuf.length;
    } else {
      // No snapshot: a new store, or one written by an earlier version. A log without its
      // snapshot cannot be replayed (its first records may be missing), so that is refused.
      if (logBuf.length > 0) throw new MetadataCorruptError(`${logPath} exists but ${snapshotPath} does not; cannot rebuild topic metadata`);
      image = legacyBuf !== null ? readLegacy(legacyBuf, legacyPath) : new MetadataImage(opts.newClusterId());
      snapshotOffset = 0;
      const frame = encodeFrame(0, encodeSnapshot(image));
      await fs.writeFileAtomic(snapshotPath, frame, { sync: true });
      snapshotBytes = frame.length;
      migratedLegacyFile = legacyBuf !== null;
      created = legacyBuf === null;
    }
    // The legacy file is removed only once a snapshot holding its content is durable; a crash
    // in between leaves both, and the snapshot wins.
    if (legacyBuf !== null) {
      await fs.unlink(legacyPath);
      await fs.fsyncDir(dir);
    }

    const scan = scanFrames(logBuf, MAX_RECORD_PAYLOAD_BYTES);
    let nextOffset = snapshotOffset;
    let tornFrom = scan.validBytes;
    let stop: FrameScanStop | null = scan.stop;
    let replayedRecords = 0;
    for (const frame of scan.frames) {
      // Records below the snapshot's offset are already in it: a crash came between writing the
      // snapshot and emptying the log.
      if (frame.offset < snapshotOffset && replayedRecords === 0) continue;
      if (frame.offset !== nextOffset) {
        tornFrom = frame.position;
        stop = 'bad-offset';
        break;
      }
      try {
        image.apply(decodeRecord(frame.payload));
      } catch (err) {
        if (!(err instanceof MetadataRecordError)) throw err;
        throw new MetadataCorruptError(`${logPath}: record at offset ${frame.offset} (byte ${frame.position}) is intact but invalid: ${err.message}`, { cause: err });
      }
      nextOffset++;
      replayedRecords++;
    }
    // With nothing replayed, the stale records go too and the log restarts empty.
    const keepBytes = replayedRecords === 0 ? 0 : tornFrom;
    const truncatedBytes = logBuf.length - tornFrom;

    const logExisted = logBuf.length > 0 || (await fs.stat(logPath)) !== null;
    const file = await fs.open(logPath);
    if (!logExisted) await fs.fsyncDir(dir);
    if (keepBytes < logBuf.length) {
      await file.truncate(keepBytes);
      await file.datasync();
    }
    const log = new MetadataLog({
      fs,
      dir,
      file,
      image,
      recovery: { replayedRecords, truncatedBytes, truncatedReason: truncatedBytes > 0 ? stop : null, migratedLegacyFile, created },
      nextOffset,
      logBytes: keepBytes,
      snapshotBytes,
      snapshotMinLogBytes: opts.snapshotMinLogBytes ?? DEFAULT_SNAPSHOT_MIN_LOG_BYTES,
    });
    if (log.#snapshotDue()) await log.#snapshot([]);
    return log;
  }

  /**
   * Applies `record` to the image now and resolves once it is durable. Rejects
   * (leaving the image unchanged) if the record contradicts the state or the
   * log has failed or is closed.
   */
  commit(record: MetadataRecord): Promise<void> {
    if (this.#failure) return Promise.reject(new Error(`metadata log failed earlier: ${this.#failure.message}`, { cause: this.#failure }));
    if (this.#closed) return Promise.reject(new Error('metadata log is closed'));
    const payload = encodeRecord(record);
    if (payload.length > MAX_RECORD_PAYLOAD_BYTES) return Promise.reject(new RangeError(`metadata record of ${payload.length} bytes exceeds ${MAX_RECORD_PAYLOAD_BYTES}`));
    try {
      this.image.apply(record);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const frame = encodeFrame(this.#nextOffset++, payload);
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ frame, resolve, reject });
      this.#writing ??= this.#drain();
    });
  }

  /** Offset the next record will get (records so far, including those in snapshots). */
  get nextOffset(): number {
    return this.#nextOffset;
  }

  /** Waits for queued records, then closes the file. Later commits reject. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#writing) await this.#writing;
    await this.#file.close();
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue;
        this.#queue = [];
        if (this.#snapshotDue()) {
          // The snapshot holds every applied record, queued ones included, so it acknowledges them.
          await this.#snapshot(batch);
          continue;
        }
        const bytes = batch.length === 1 ? batch[0]!.frame : Buffer.concat(batch.map((p) => p.frame));
        try {
          await this.#file.write(bytes, this.#logBytes);
          await this.#file.datasync();
        } catch (err) {
          this.#fail(err as Error, batch);
          return;
        }
        this.#logBytes += bytes.length;
        this.stats.writes++;
        for (const p of batch) p.resolve();
      }
      // Snapshot when due even with nothing queued, so the next change does not wait for it.
      if (this.#snapshotDue() && !this.#closed) await this.#snapshot([]);
    } finally {
      this.#writing = null;
      // A commit may have queued while the last snapshot was being written.
      if (this.#queue.length > 0 && !this.#failure) this.#writing = this.#drain();
    }
  }

  #snapshotDue(): boolean {
    return this.#logBytes >= Math.max(this.#snapshotMinLogBytes, this.#snapshotBytes);
  }

  /** Writes the whole image as the new snapshot, empties the log, then acknowledges `covered`. */
  async #snapshot(covered: Pending[]): Promise<void> {
    // Encoded synchronously: the image and #nextOffset agree at this instant.
    const frame = encodeFrame(this.#nextOffset, encodeSnapshot(this.image));
    try {
      await this.#fs.writeFileAtomic(join(this.#dir, SNAPSHOT_FILE), frame, { sync: true });
      // A crash here leaves records below the snapshot's offset in the log; recovery skips them.
      await this.#file.truncate(0);
      await this.#file.datasync();
    } catch (err) {
      this.#fail(err as Error, covered);
      return;
    }
    this.#logBytes = 0;
    this.#snapshotBytes = frame.length;
    this.stats.snapshots++;
    for (const p of covered) p.resolve();
  }

  #fail(err: Error, batch: Pending[]): void {
    this.#failure = err;
    const queued = this.#queue;
    this.#queue = [];
    for (const p of [...batch, ...queued]) p.reject(err);
  }
}

function readSnapshot(buf: Buffer, path: string): { image: MetadataImage; snapshotOffset: number } {
  const scan = scanFrames(buf, Math.max(0, buf.length - FRAME_HEADER_BYTES));
  const frame = scan.frames[0];
  if (scan.stop !== null || scan.frames.length !== 1 || frame === undefined) {
    throw new MetadataCorruptError(`${path} is not one valid snapshot frame (${scan.stop ?? `${scan.frames.length} frames`}); refusing to start on damaged topic metadata`);
  }
  try {
    return { image: decodeSnapshot(frame.payload, SNAPSHOT_VERSION), snapshotOffset: frame.offset };
  } catch (err) {
    if (!(err instanceof MetadataRecordError)) throw err;
    throw new MetadataCorruptError(`${path}: ${err.message}`, { cause: err });
  }
}

function readLegacy(buf: Buffer, path: string): MetadataImage {
  try {
    return decodeSnapshot(buf, LEGACY_VERSION);
  } catch (err) {
    if (!(err instanceof MetadataRecordError)) throw err;
    throw new MetadataCorruptError(`cannot read topic metadata ${path}: ${err.message}`, { cause: err });
  }
}
