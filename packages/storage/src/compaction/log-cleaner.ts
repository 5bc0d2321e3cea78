/**
 * Cleans one compacted partition log (Kafka's Cleaner.clean): keeps the
 * latest record of every key in the sealed segments, with offsets unchanged.
 *
 * One clean, given the cleanable range from cleaning-decision.ts:
 *
 *   1. Map: walk the dirty segments [firstDirtyOffset, firstUncleanableOffset)
 *      and record each key's latest offset in a KeyOffsetMap. If the map
 *      fills (log.cleaner.dedupe.buffer.size), stop there: this clean ends at
 *      the last offset mapped and the next one continues from it.
 *   2. Group: the sealed segments below that end (clean and dirty alike)
 *      are grouped (segment-groups.ts) so small cleaned segments merge.
 *   3. Clean each group: every batch goes through batch-filter.ts into a
 *      `.cleaned` segment (cleaned-segment-writer.ts), which is then swapped
 *      in through PartitionLog.replaceSegments (segment-swap.ts). If the log
 *      changed under the clean (retention, DeleteRecords, truncation, close),
 *      the group's files are dropped and the clean stops, unharmed.
 *   4. Checkpoint: the end offset becomes the next first dirty offset.
 *
 * Transactions (rules in batch-filter.ts): the aborted transactions are read
 * from the log's index once, at the start. Step 1 maps the records of plain
 * and committed transactional batches and skips aborted ones and markers
 * (noting each producer's last marker). Step 3 walks every cleaned segment
 * from the first in offset order with one CleanedTransactions, so a marker
 * knows whether any batch of its transaction was kept in this or an earlier
 * group; a cleaned segment's `.txnindex` holds the aborted transactions whose
 * markers it kept, and the log reloads its in-memory index at the swap, so
 * reads and a restart see the same entries. Batches at or past the last
 * stable offset (read once, at the start) are left as they are.
 *
 * Only sealed segments are read, never the active one, and nothing is
 * written to the log's own files until the swap, which runs in the log's
 * mutation queue; appends and reads go on during steps 1-3. Each read pins
 * its segment (acquire/release); a segment that went away ends the clean.
 */
import { RecordBatchHeader, RecordFormatError, RECORD_BATCH_HEADER_SIZE } from '@samsa/protocol';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Clock } from '../clock.js';
import type { Fs } from '../fs.js';
import { InvariantError } from '../invariant.js';
import { compactionSettings } from '../log-config.js';
import type { PartitionLog } from '../partition-log.js';
import type { LogSegment } from '../segment.js';
import { filterBatch, recordsArea, type ActiveProducer, type BatchFilterContext } from './batch-filter.js';
import { CleanedSegmentWriter } from './cleaned-segment-writer.js';
import { CleanedTransactions } from './cleaned-transactions.js';
import type { CleanableRange, CleaningReason } from './cleaning-decision.js';
import { writeCleanerCheckpoint } from './cleaner-checkpoint.js';
import { KeyOffsetMap } from './key-offset-map.js';
import { walkRecords } from './record-walker.js';
import { groupSegmentsBySize } from './segment-groups.js';
import { installCleanedSegment, type SwapProbe } from './segment-swap.js';
import { Throttler } from './throttler.js';

/** Bytes read from a segment at a time. */
const READ_CHUNK_BYTES = 1 << 20;

/** Options of {@link LogCleaner}. */
export interface LogCleanerOptions {
  /** Must be the Fs the logs use. */
  fs: Fs;
  clock: Clock;
  /** log.cleaner.dedupe.buffer.size: memory of the key map (default 128 MiB), read at each clean. */
  dedupeBufferBytes?: () => number;
  /** log.cleaner.io.buffer.load.factor (default 0.9), read at each clean. */
  loadFactor?: () => number;
  /** log.cleaner.io.max.bytes.per.second (default unlimited), read as the clean goes. */
  ioMaxBytesPerSecond?: () => number;
  /** Fault points of the swap (tests). */
  probe?: SwapProbe;
}

/** Outcome of {@link LogCleaner.clean}. */
export interface CleanResult {
  reason: CleaningReason;
  /** 'done'; or 'aborted' when the log changed under the clean or abort() was called (nothing is lost either way). */
  status: 'done' | 'aborted';
  firstDirtyOffset: number;
  /** The new checkpoint: offsets below it are clean (when done). */
  endOffset: number;
  segmentsCleaned: number;
  segmentsWritten: number;
  bytesRead: number;
  bytesWritten: number;
  recordsRead: number;
  recordsKept: number;
  /** Earliest delete horizon of the tombstones and markers kept, or -1 (the next 'delete-horizon' clean is due then). */
  earliestTombstoneHorizon: number;
  /** Keys in the map. */
  keysMapped: number;
  durationMs: number;
}

/** Thrown inside a clean to unwind when it must stop without being a failure. */
class CleanAborted extends Error {
  override name = 'CleanAborted';
}

/**
 * Thrown when the clean failed in the middle of swapping a cleaned segment
 * in: the log's files and its in-memory segments may disagree until the next
 * open finishes (or drops) the swap, so the partition must not be cleaned
 * again before that.
 */
export class SwapFailedError extends Error {
  override name = 'SwapFailedError';
}

/** Cleans partition logs, one at a time. */
export class LogCleaner {
  #fs: Fs;
  #clock: Clock;
  #dedupeBufferBytes: () => number;
  #loadFactor: () => number;
  #throttler: Throttler;
  #probe: SwapProbe | undefined;

  constructor(o: LogCleanerOptions) {
    this.#fs = o.fs;
    this.#clock = o.clock;
    this.#dedupeBufferBytes = o.dedupeBufferBytes ?? (() => 128 * 1024 * 1024);
    this.#loadFactor = o.loadFactor ?? (() => 0.9);
    this.#throttler = new Throttler(o.ioMaxBytesPerSecond ?? (() => Number.POSITIVE_INFINITY));
    this.#probe = o.probe;
  }

  /**
   * Cleans `log` over `range` (steps above). `shouldAbort` is polled between
   * batches; when it returns true the clean stops (status 'aborted'). Throws
   * on I/O errors and corrupt batches, after removing its `.cleaned` files;
   * a {@link SwapFailedError} means a swap was left half done on disk.
   */
  async clean(log: PartitionLog, range: CleanableRange, reason: CleaningReason, shouldAbort: () => boolean = () => false): Promise<CleanResult> {
    const started = this.#clock.nowMs();
    const result: CleanResult = {
      reason,
      status: 'done',
      firstDirtyOffset: range.firstDirtyOffset,
      endOffset: range.firstDirtyOffset,
      segmentsCleaned: 0,
      segmentsWritten: 0,
      bytesRead: 0,
      bytesWritten: 0,
      recordsRead: 0,
      recordsKept: 0,
      earliestTombstoneHorizon: -1,
      keysMapped: 0,
      durationMs: 0,
    };
    const check = (): void => {
      if (shouldAbort()) throw new CleanAborted('clean aborted');
    };
    try {
      const segs = log.segmentsForCleaning();
      const sealed = segs.slice(0, -1);
      const { firstDirtyOffset, firstUncleanableOffset } = range;
      const lastStableOffset = log.lastStableOffset;
      const transactions = new CleanedTransactions(log.abortedTransactions(0, Number.MAX_SAFE_INTEGER));
      /** Producer id → offset of its last marker in the mapped range. */
      const lastMarkers = new Map<number, number>();
      // 1. The key map over the dirty segments.
      const map = new KeyOffsetMap(this.#dedupeBufferBytes(), { loadFactor: this.#loadFactor(), expectedEntries: Math.max(0, firstUncleanableOffset - firstDirtyOffset) });
      map.updateLatestOffset(firstDirtyOffset - 1);
      let full = false;
      for (const seg of sealed) {
        if (seg.nextOffset <= firstDirtyOffset) continue;
        if (seg.baseOffset >= firstUncleanableOffset) break;
        full = await this.#mapSegment(seg, firstDirtyOffset, firstUncleanableOffset, map, transactions, lastMarkers, result, check);
        if (full) break;
      }
      // Mapped the whole range: it covers the offsets up to its end, gaps left by earlier cleans included.
      if (!full) map.updateLatestOffset(firstUncleanableOffset - 1);
      result.keysMapped = map.size;
      const endOffset = Math.min(map.latestOffset + 1, firstUncleanableOffset);
      if (endOffset <= firstDirtyOffset && firstUncleanableOffset > firstDirtyOffset && reason !== 'delete-horizon') {
        throw new Error(`log.cleaner.dedupe.buffer.size (${this.#dedupeBufferBytes()} bytes) cannot map one batch of ${log.topic}-${log.partition} at offset ${firstDirtyOffset}`);
      }
      // 2. Groups of sealed segments below the end.
      const toClean = sealed.filter((s) => s.baseOffset < endOffset);
      if (toClean.length === 0) {
        result.endOffset = endOffset;
        await writeCleanerCheckpoint(this.#fs, log.dir, endOffset);
        return result;
      }
      const groupsEnd = segs[toClean.length].baseOffset;
      const c = log.config;
      const groups = groupSegmentsBySize(
        toClean.map((seg) => ({ seg, baseOffset: seg.baseOffset, size: seg.size, offsetIndexEntries: seg.offsetIndex.entries, timeIndexEntries: seg.timeIndex.entries })),
        { segmentBytes: c.segmentBytes, segmentIndexBytes: c.segmentIndexBytes, endOffset: groupsEnd },
      );
      const producers = new Map<number, ActiveProducer>();
      for (const e of log.producerState.entries()) {
        producers.set(e.producerId, {
          producerEpoch: e.producerEpoch,
          lastDataOffset: e.batches[e.batches.length - 1]?.lastOffset ?? -1,
          lastMappedMarkerOffset: lastMarkers.get(e.producerId) ?? -1,
        });
      }
      const ctx: BatchFilterContext = {
        map,
        nowMs: this.#clock.nowMs(),
        deleteRetentionMs: compactionSettings(c).deleteRetentionMs,
        lastStableOffset,
        producers,
        transactions,
      };
      // 3. Clean and swap in each group.
      for (let g = 0; g < groups.length; g++) {
        const group = groups[g].map((x) => x.seg);
        const next = g + 1 < groups.length ? groups[g + 1][0].baseOffset : groupsEnd;
        const swapped = await this.#cleanGroup(log, group, next, ctx, result, check);
        if (!swapped) throw new CleanAborted('segments changed during the clean');
        result.segmentsCleaned += group.length;
        result.segmentsWritten++;
      }
      // 4. Checkpoint.
      result.endOffset = endOffset;
      await writeCleanerCheckpoint(this.#fs, log.dir, endOffset);
    } catch (err) {
      if (!(err instanceof CleanAborted)) throw err;
      result.status = 'aborted';
    } finally {
      result.durationMs = this.#clock.nowMs() - started;
    }
    return result;
  }

  /**
   * Adds the keys of `seg`'s records in [from, to) to `map`, batch by batch:
   * plain and committed transactional batches; aborted ones never enter the
   * map (a read_committed consumer never sees them, so they must not remove
   * what it does see). Notes each producer's last marker in `lastMarkers`.
   * Returns true when the map filled up (it then covers up to the last whole
   * record it took).
   */
  async #mapSegment(
    seg: LogSegment,
    from: number,
    to: number,
    map: KeyOffsetMap,
    transactions: CleanedTransactions,
    lastMarkers: Map<number, number>,
    result: CleanResult,
    check: () => void,
  ): Promise<boolean> {
    let full = false;
    await this.#forEachBatch(seg, Math.max(from, seg.baseOffset), result, async (batch, h) => {
      check();
      if (h.baseOffset >= to) return false;
      const lastOffset = h.lastOffset;
      if (lastOffset < from) return true;
      if (h.isControl) {
        if (h.producerId >= 0) lastMarkers.set(h.producerId, h.baseOffset);
      } else if (h.recordCount > 0 && !(h.isTransactional && transactions.isAborted(h.producerId, h.baseOffset))) {
        // A corrupt batch must not put garbage keys in the map (they could match a real key).
        if (h.computeCrc() !== h.crc) throw new RecordFormatError(`record batch at offset ${h.baseOffset} of segment ${seg.baseOffset} fails its CRC`);
        const { data, from: start, to: end } = await recordsArea(batch, h);
        const base = h.baseOffset;
        walkRecords(data, start, end, h.recordCount, (r) => {
          const offset = base + r.offsetDelta;
          if (r.keyStart < 0 || offset < from) return true;
          if (map.putRange(data, r.keyStart, r.keyEnd, offset)) return true;
          full = true;
          return false;
        });
        if (full) return false;
      }
      map.updateLatestOffset(lastOffset);
      return true;
    });
    return full;
  }

  /** Cleans one group into a `.cleaned` segment and swaps it in. False when the log changed under it. */
  async #cleanGroup(log: PartitionLog, group: LogSegment[], groupEnd: number, ctx: BatchFilterContext, result: CleanResult, check: () => void): Promise<boolean> {
    const base = group[0].baseOffset;
    const c = log.config;
    const indexCfg = { indexIntervalBytes: c.indexIntervalBytes, segmentIndexBytes: c.segmentIndexBytes };
    const writer = await CleanedSegmentWriter.create(this.#fs, log.dir, base, indexCfg);
    /** Offsets of the markers this group drops: their aborted-transaction entries go with them. */
    const droppedMarkers = new Set<number>();
    let installing = false;
    try {
      for (const seg of group) {
        await this.#forEachBatch(seg, seg.baseOffset, result, async (batch, h) => {
          check();
          const out = await filterBatch(batch, ctx);
          result.recordsRead += out.recordsRead;
          result.recordsKept += out.recordsKept;
          if (out.tombstoneHorizon >= 0 && (result.earliestTombstoneHorizon < 0 || out.tombstoneHorizon < result.earliestTombstoneHorizon)) {
            result.earliestTombstoneHorizon = out.tombstoneHorizon;
          }
          if (out.bytes === null && h.isControl) droppedMarkers.add(h.baseOffset);
          if (out.bytes !== null) {
            const oh = out.unchanged ? h : new RecordBatchHeader(out.bytes, 0);
            await writer.append(out.bytes, oh.lastOffset, oh.maxTimestamp);
            result.bytesWritten += out.bytes.length;
            await this.#throttler.maybeThrottle(out.bytes.length);
          }
          return true;
        });
      }
      // The entries of the ABORT markers this group keeps (an entry lives with its marker's segment).
      const aborted = log.abortedTransactions(base, groupEnd).filter((t) => t.lastOffset >= base && t.lastOffset < groupEnd && !droppedMarkers.has(t.lastOffset));
      await writer.finish(aborted);
      check();
      let mtimeMs = 0;
      for (const s of group) mtimeMs = Math.max(mtimeMs, s.largestTimestamp);
      const swapped = await log.replaceSegments(group, () => {
        installing = true;
        return installCleanedSegment(this.#fs, log.dir, base, group.map((s) => s.baseOffset), indexCfg, { nowMs: this.#clock.nowMs(), mtimeMs, probe: this.#probe });
      });
      if (!swapped) await writer.abort();
      return swapped;
    } catch (err) {
      if (err instanceof InvariantError) throw err;
      if (installing) throw new SwapFailedError(`swap of cleaned segment ${base} of ${log.topic}-${log.partition} failed while being swapped in; the next start finishes or drops it`, { cause: err });
      await writer.abort().catch(() => undefined);
      throw err;
    }
  }

  /**
   * Calls `onBatch` for each whole batch of `seg` whose last offset is >=
   * `from`, reading READ_CHUNK_BYTES at a time with the segment pinned per
   * read; the next chunk is read while this one is processed. `onBatch`
   * returns false to stop. A segment closed meanwhile (deleted or
   * truncated) aborts the clean.
   */
  async #forEachBatch(seg: LogSegment, from: number, result: CleanResult, onBatch: (batch: Buffer, h: RecordBatchHeader) => Promise<boolean>): Promise<void> {
    const readAt = async (offset: number): Promise<Buffer | null> => {
      if (!seg.acquire()) throw new CleanAborted(`segment ${seg.baseOffset} went away`);
      try {
        const r = await seg.read(offset, READ_CHUNK_BYTES, Number.MAX_SAFE_INTEGER);
        return r.found && r.data.length > 0 ? r.data : null;
      } finally {
        seg.release();
      }
    };
    let next: Promise<Buffer | null> = readAt(from);
    try {
      for (;;) {
        const data = await next;
        if (data === null) return;
        // Whole batches only: the next read starts after the last one.
        let lastOffset = -1;
        for (let pos = 0; pos + RECORD_BATCH_HEADER_SIZE <= data.length; ) {
          const h = new RecordBatchHeader(data, pos);
          lastOffset = h.lastOffset;
          pos += h.totalSize;
        }
        next = readAt(lastOffset + 1);
        result.bytesRead += data.length;
        await this.#throttler.maybeThrottle(data.length);
        for (let pos = 0; pos + RECORD_BATCH_HEADER_SIZE <= data.length; ) {
          const size = new RecordBatchHeader(data, pos).totalSize;
          const batch = data.subarray(pos, pos + size);
          if (!(await onBatch(batch, new RecordBatchHeader(batch, 0)))) return;
          pos += size;
        }
        // Let appends and fetches run between chunks: cleaning is background work on the same thread.
        await yieldToEventLoop();
      }
    } finally {
      // A read still in flight when we stop early: its result is not needed (and its failure not interesting).
      next.catch(() => undefined);
    }
  }
}
