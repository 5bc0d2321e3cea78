/**
 * Per-partition state of idempotent and transactional producers: for every
 * producer id that wrote to the partition, its epoch and the sequence ranges
 * and offsets of its last five batches. The produce path checks each batch
 * carrying a producer id against it (see {@link ProducerAppendSession.check})
 * so that a retried batch is answered with the offsets it got the first time
 * instead of being written twice, and a gap in sequences is refused.
 *
 * Decision table of {@link ProducerAppendSession.check} (client writes; the
 * producer's entry is the one in the session overlay if the same write
 * already holds a batch of this producer, else the committed one):
 *
 *   entry        | batch epoch vs entry | batch base sequence          | outcome
 *   -------------+----------------------+------------------------------+--------------------------------
 *   any          | equal                | equals a cached batch's      | duplicate: original offsets,
 *                |                      | first..last sequence         | nothing written
 *   present      | lower                | any                          | INVALID_PRODUCER_EPOCH
 *   none         | (no epoch)           | 0                            | append
 *   none         | (no epoch)           | not 0                        | UNKNOWN_PRODUCER_ID
 *   present      | higher (new epoch)   | 0                            | append, batches reset
 *   present      | higher (new epoch)   | not 0                        | OUT_OF_ORDER_SEQUENCE_NUMBER
 *   present      | equal                | last sequence + 1 (wrapping  | append
 *                |                      | from int32 max to 0)         |
 *   present      | equal                | anything else                | OUT_OF_ORDER_SEQUENCE_NUMBER
 *
 * Then, for the transaction state (a batch that got this far):
 *
 *   producer has an open transaction | batch          | outcome
 *   ---------------------------------+----------------+------------------------------
 *   yes                              | transactional  | append (part of it)
 *   yes                              | not            | INVALID_TXN_STATE
 *   no                               | transactional  | append; opens a transaction at its offset
 *   no                               | not            | append
 *
 * Transaction markers (control batches written by the transaction
 * coordinator, {@link ProducerAppendSession.checkMarker}): an epoch older
 * than the producer's is INVALID_PRODUCER_EPOCH, a coordinator epoch older
 * than the last marker's is TRANSACTION_COORDINATOR_FENCED. A marker closes
 * the producer's open transaction on this partition; an ABORT marker yields
 * the aborted range [first offset, marker offset] for the aborted-transaction
 * index (txn-index.ts). A marker for a producer with no open transaction
 * changes only its epochs (Kafka writes markers to every partition of a
 * transaction, and a retried EndTxn repeats them).
 *
 * This is Kafka's rule set (ProducerStateManager / ProducerAppendInfo) for
 * writes from clients. Replays from the log during recovery skip every check.
 *
 * Expiry: an entry without an open transaction is dropped when nothing was
 * appended for it during producer.id.expiration.ms. Kafka measures that from
 * the batch's own max timestamp; Samsa uses the broker's clock at append, so
 * a producer writing records with old CreateTime timestamps is not forgotten
 * at the next check (on replay from the log, where the append time is not
 * known, the batch's max timestamp stands in).
 *
 * Snapshot file `<20-digit offset>.snapshot` in the partition directory: the
 * state after every batch below that offset. Taken when a segment is rolled
 * (at the new segment's base offset) and at a clean close (at the log end
 * offset); recovery loads the latest snapshot at or below the log end offset
 * and replays the batches after it. Written atomically; big-endian:
 *
 *   int16  version (1)
 *   int32  CRC-32C of every byte after this field
 *   int32  entry count, then per entry:
 *     int64  producerId
 *     int16  producerEpoch
 *     int32  coordinatorEpoch (-1 until a transaction marker was written)
 *     int64  currentTxnFirstOffset (-1 when no transaction is open)
 *     int64  lastUpdateMs
 *     int8   batch count (0-5), then per batch, oldest first:
 *       int32 firstSequence, int32 lastSequence, int64 firstOffset, int64 lastOffset, int64 maxTimestamp
 */
import { join } from 'node:path';
import { ATTR_CONTROL_MASK, ATTR_TRANSACTIONAL_MASK, crc32c, ErrorCode } from '@samsa/protocol';
import { StorageError } from './errors.js';
import type { Fs } from './fs.js';

/** Batches remembered per producer (Kafka's max.in.flight limit for idempotence is 5). */
export const PRODUCER_BATCHES_CACHED = 5;
/** The "no epoch" value of a batch header (producerEpoch = -1). */
export const NO_PRODUCER_EPOCH = -1;

const SNAPSHOT_VERSION = 1;
const SNAPSHOT_SUFFIX = '.snapshot';
const INT32_MAX = 0x7fffffff;

/** Producer fields of one batch header, as the append path and recovery read them. */
export interface BatchProducerInfo {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  /** baseSequence + lastOffsetDelta, wrapping at int32 max. */
  lastSequence: number;
  isTransactional: boolean;
  isControl: boolean;
}

/** Producer fields of a batch from its header fields. */
export function batchProducerInfo(
  attributes: number,
  producerId: number,
  producerEpoch: number,
  baseSequence: number,
  lastOffsetDelta: number,
): BatchProducerInfo {
  let lastSequence = -1;
  if (baseSequence >= 0) {
    lastSequence = baseSequence + lastOffsetDelta;
    if (lastSequence > INT32_MAX) lastSequence -= INT32_MAX + 1;
  }
  return {
    producerId,
    producerEpoch,
    baseSequence,
    lastSequence,
    isTransactional: (attributes & ATTR_TRANSACTIONAL_MASK) !== 0,
    isControl: (attributes & ATTR_CONTROL_MASK) !== 0,
  };
}

/** Where one batch of a producer landed. */
export interface ProducerBatch {
  firstSequence: number;
  lastSequence: number;
  firstOffset: number;
  lastOffset: number;
  maxTimestamp: number;
}

/** What the partition knows about one producer. */
export interface ProducerEntry {
  readonly producerId: number;
  producerEpoch: number;
  coordinatorEpoch: number;
  /** First offset of the producer's open transaction on this partition, or -1. */
  currentTxnFirstOffset: number;
  lastUpdateMs: number;
  /** The last batches, oldest first, at most {@link PRODUCER_BATCHES_CACHED}. */
  batches: ProducerBatch[];
}

/** A transaction closed by a marker on this partition. */
export interface CompletedTxn {
  producerId: number;
  /** Offset of the producer's first batch in the transaction. */
  firstOffset: number;
  /** Offset of the marker. */
  lastOffset: number;
  aborted: boolean;
}

/** Outcome of {@link ProducerAppendSession.check} for a batch that is not refused. */
export type ProducerCheck = { kind: 'append' } | { kind: 'duplicate'; batch: ProducerBatch };

/** Snapshot file name for `offset`. */
export function producerSnapshotFileName(offset: number): string {
  return `${String(offset).padStart(20, '0')}${SNAPSHOT_SUFFIX}`;
}

/** The offset a snapshot file is named after, or null for other names. */
export function parseProducerSnapshotFileName(name: string): number | null {
  const m = /^(\d{20})\.snapshot$/.exec(name);
  return m === null ? null : Number(m[1]);
}

/** True when `next` directly follows `last` in Kafka's wrapping int32 sequence space. */
export function inSequence(last: number, next: number): boolean {
  return next === last + 1 || (next === 0 && last === INT32_MAX);
}

function cloneEntry(e: ProducerEntry): ProducerEntry {
  return { ...e, batches: e.batches.slice() };
}

/** The producer state of one partition. */
export class ProducerStateManager {
  #entries = new Map<number, ProducerEntry>();
  /** producerId -> first offset of its open transaction, for the last stable offset. */
  #openTxns = new Map<number, number>();

  /** Number of producers known. */
  get size(): number {
    return this.#entries.size;
  }

  /** The entry of a producer, or undefined. Do not mutate. */
  entry(producerId: number): ProducerEntry | undefined {
    return this.#entries.get(producerId);
  }

  /** Every entry (for DescribeProducers). Do not mutate. */
  entries(): IterableIterator<ProducerEntry> {
    return this.#entries.values();
  }

  /** Starts the checks of one write; nothing changes until {@link ProducerAppendSession.commit}. */
  begin(): ProducerAppendSession {
    return new ProducerAppendSession(this.#entries, this.#openTxns);
  }

  /**
   * The first offset of the oldest open transaction, or -1 when none is open.
   * The last stable offset is this (when >= 0) capped by the high watermark.
   */
  firstUnstableOffset(): number {
    let min = -1;
    for (const first of this.#openTxns.values()) if (min < 0 || first < min) min = first;
    return min;
  }

  /**
   * Applies a batch read back from the log (recovery, truncation), without
   * checks: the log is the truth. The batch's max timestamp stands in for
   * its append time, which the log does not keep.
   */
  replay(info: BatchProducerInfo, firstOffset: number, lastOffset: number, maxTimestamp: number): void {
    if (info.producerId < 0) return;
    const s = this.begin();
    s.record(info, firstOffset, lastOffset, maxTimestamp, maxTimestamp);
    s.commit();
  }

  /** Applies a transaction marker read back from the log; returns the transaction it closed, if any. */
  replayMarker(info: BatchProducerInfo, offset: number, marker: { aborted: boolean; coordinatorEpoch: number }, timestamp: number): CompletedTxn | null {
    const s = this.begin();
    const done = s.recordMarker(info, offset, marker, timestamp);
    s.commit();
    return done;
  }

  /** Drops every entry (before reloading from a snapshot). */
  clear(): void {
    this.#entries.clear();
    this.#openTxns.clear();
  }

  /**
   * Forgets producers idle for `expirationMs` with no open transaction
   * (producer.id.expiration.ms). Returns how many were removed.
   */
  removeExpired(nowMs: number, expirationMs: number): number {
    let n = 0;
    for (const [id, e] of this.#entries) {
      // An open transaction keeps its producer (the coordinator's timeout aborts it).
      if (e.currentTxnFirstOffset < 0 && nowMs - e.lastUpdateMs >= expirationMs) {
        this.#entries.delete(id);
        n++;
      }
    }
    return n;
  }

  /** Serializes the state in the snapshot format above. */
  encodeSnapshot(): Buffer {
    let size = 2 + 4 + 4;
    for (const e of this.#entries.values()) size += 8 + 2 + 4 + 8 + 8 + 1 + e.batches.length * 32;
    const buf = Buffer.alloc(size);
    let p = 0;
    buf.writeInt16BE(SNAPSHOT_VERSION, p);
    p += 2 + 4;
    buf.writeInt32BE(this.#entries.size, p);
    p += 4;
    for (const e of this.#entries.values()) {
      buf.writeBigInt64BE(BigInt(e.producerId), p);
      buf.writeInt16BE(e.producerEpoch, p + 8);
      buf.writeInt32BE(e.coordinatorEpoch, p + 10);
      buf.writeBigInt64BE(BigInt(e.currentTxnFirstOffset), p + 14);
      buf.writeBigInt64BE(BigInt(e.lastUpdateMs), p + 22);
      buf.writeInt8(e.batches.length, p + 30);
      p += 31;
      for (const b of e.batches) {
        buf.writeInt32BE(b.firstSequence, p);
        buf.writeInt32BE(b.lastSequence, p + 4);
        buf.writeBigInt64BE(BigInt(b.firstOffset), p + 8);
        buf.writeBigInt64BE(BigInt(b.lastOffset), p + 16);
        buf.writeBigInt64BE(BigInt(b.maxTimestamp), p + 24);
        p += 32;
      }
    }
    buf.writeUInt32BE(crc32c(buf.subarray(6)), 2);
    return buf;
  }

  /**
   * Replaces the state with a decoded snapshot. Returns false (state left
   * empty) when the bytes are not a valid version-1 snapshot, so the caller
   * falls back to an older snapshot or a replay of the log.
   */
  loadSnapshot(buf: Buffer): boolean {
    this.clear();
    try {
      if (buf.length < 10 || buf.readInt16BE(0) !== SNAPSHOT_VERSION) return false;
      if (buf.readUInt32BE(2) !== crc32c(buf.subarray(6))) return false;
      const count = buf.readInt32BE(6);
      let p = 10;
      for (let i = 0; i < count; i++) {
        const batchCount = buf.readInt8(p + 30);
        if (batchCount < 0 || batchCount > PRODUCER_BATCHES_CACHED) throw new RangeError('batch count');
        const e: ProducerEntry = {
          producerId: Number(buf.readBigInt64BE(p)),
          producerEpoch: buf.readInt16BE(p + 8),
          coordinatorEpoch: buf.readInt32BE(p + 10),
          currentTxnFirstOffset: Number(buf.readBigInt64BE(p + 14)),
          lastUpdateMs: Number(buf.readBigInt64BE(p + 22)),
          batches: [],
        };
        p += 31;
        for (let j = 0; j < batchCount; j++) {
          e.batches.push({
            firstSequence: buf.readInt32BE(p),
            lastSequence: buf.readInt32BE(p + 4),
            firstOffset: Number(buf.readBigInt64BE(p + 8)),
            lastOffset: Number(buf.readBigInt64BE(p + 16)),
            maxTimestamp: Number(buf.readBigInt64BE(p + 24)),
          });
          p += 32;
        }
        this.#entries.set(e.producerId, e);
        if (e.currentTxnFirstOffset >= 0) this.#openTxns.set(e.producerId, e.currentTxnFirstOffset);
      }
      if (p !== buf.length) throw new RangeError('trailing bytes');
      return true;
    } catch {
      this.clear();
      return false;
    }
  }
}

/**
 * The producer checks and updates of one write. Batches of the same producer
 * in one write see each other (a retry merged into the same write as its
 * original is a duplicate); the committed state changes only on commit(),
 * after the bytes reached the log, so a failed write leaves it untouched.
 */
export class ProducerAppendSession {
  #committed: Map<number, ProducerEntry>;
  #openTxns: Map<number, number>;
  #overlay = new Map<number, ProducerEntry>();
  #completed: CompletedTxn[] = [];

  constructor(committed: Map<number, ProducerEntry>, openTxns: Map<number, number>) {
    this.#committed = committed;
    this.#openTxns = openTxns;
  }

  #current(producerId: number): ProducerEntry | undefined {
    return this.#overlay.get(producerId) ?? this.#committed.get(producerId);
  }

  /**
   * Checks one client batch with a producer id (see the decision table at the
   * top of the file). Throws a StorageError carrying the Kafka error code when
   * the batch is refused.
   */
  check(info: BatchProducerInfo): ProducerCheck {
    const entry = this.#current(info.producerId);
    const epoch = info.producerEpoch;
    if (entry !== undefined && epoch === entry.producerEpoch) {
      for (const b of entry.batches) {
        if (b.firstSequence === info.baseSequence && b.lastSequence === info.lastSequence) return { kind: 'duplicate', batch: b };
      }
    }
    if (entry !== undefined && epoch < entry.producerEpoch) {
      throw new StorageError(
        ErrorCode.INVALID_PRODUCER_EPOCH,
        `Epoch ${epoch} of producer ${info.producerId} is older than the current epoch ${entry.producerEpoch}`,
      );
    }
    const currentEpoch = entry?.producerEpoch ?? NO_PRODUCER_EPOCH;
    if (epoch !== currentEpoch) {
      if (info.baseSequence !== 0) {
        if (currentEpoch !== NO_PRODUCER_EPOCH) {
          throw new StorageError(
            ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
            `Producer ${info.producerId} started epoch ${epoch} at sequence ${info.baseSequence}, expected 0`,
          );
        }
        throw new StorageError(
          ErrorCode.UNKNOWN_PRODUCER_ID,
          `No state for producer ${info.producerId} and its first batch has sequence ${info.baseSequence}, not 0`,
        );
      }
      return { kind: 'append' };
    }
    const last = entry !== undefined && entry.batches.length > 0 ? entry.batches[entry.batches.length - 1].lastSequence : -1;
    if (!inSequence(last, info.baseSequence)) {
      throw new StorageError(
        ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        `Out of order sequence for producer ${info.producerId} epoch ${epoch}: got ${info.baseSequence}, expected ${last === INT32_MAX ? 0 : last + 1}`,
      );
    }
    if (entry !== undefined && entry.currentTxnFirstOffset >= 0 && !info.isTransactional) {
      throw new StorageError(ErrorCode.INVALID_TXN_STATE, `Producer ${info.producerId} has an open transaction: a non-transactional write is not allowed`);
    }
    return { kind: 'append' };
  }

  /**
   * Checks a data batch written by a coordinator on a producer's behalf
   * (transactional offset commits, which have no sequence numbers): only an
   * epoch older than the producer's is refused, with INVALID_PRODUCER_EPOCH.
   */
  checkCoordinatorWrite(info: BatchProducerInfo): void {
    const entry = this.#current(info.producerId);
    if (entry !== undefined && info.producerEpoch < entry.producerEpoch) {
      throw new StorageError(ErrorCode.INVALID_PRODUCER_EPOCH, `Epoch ${info.producerEpoch} of producer ${info.producerId} is older than the current epoch ${entry.producerEpoch}`);
    }
  }

  /** Checks a transaction marker from the coordinator; throws a StorageError when it is fenced. */
  checkMarker(info: BatchProducerInfo, coordinatorEpoch: number): void {
    const entry = this.#current(info.producerId);
    if (entry === undefined) return;
    if (info.producerEpoch < entry.producerEpoch) {
      throw new StorageError(ErrorCode.INVALID_PRODUCER_EPOCH, `Marker epoch ${info.producerEpoch} of producer ${info.producerId} is older than ${entry.producerEpoch}`);
    }
    if (coordinatorEpoch < entry.coordinatorEpoch) {
      throw new StorageError(
        ErrorCode.TRANSACTION_COORDINATOR_FENCED,
        `Marker coordinator epoch ${coordinatorEpoch} for producer ${info.producerId} is older than ${entry.coordinatorEpoch}`,
      );
    }
  }

  /** Records a transaction marker being written at `offset`; returns the transaction it closes, if any. */
  recordMarker(info: BatchProducerInfo, offset: number, marker: { aborted: boolean; coordinatorEpoch: number }, nowMs: number): CompletedTxn | null {
    const e = this.#writable(info);
    e.lastUpdateMs = nowMs;
    e.coordinatorEpoch = marker.coordinatorEpoch;
    if (e.currentTxnFirstOffset < 0) return null;
    const done: CompletedTxn = { producerId: e.producerId, firstOffset: e.currentTxnFirstOffset, lastOffset: offset, aborted: marker.aborted };
    e.currentTxnFirstOffset = -1;
    this.#completed.push(done);
    return done;
  }

  /** The overlay entry of the batch's producer (created from the committed one), with the batch's epoch applied. */
  #writable(info: BatchProducerInfo): ProducerEntry {
    let e = this.#overlay.get(info.producerId);
    if (e === undefined) {
      const prev = this.#committed.get(info.producerId);
      e = prev !== undefined
        ? cloneEntry(prev)
        : { producerId: info.producerId, producerEpoch: info.producerEpoch, coordinatorEpoch: -1, currentTxnFirstOffset: -1, lastUpdateMs: 0, batches: [] };
      this.#overlay.set(info.producerId, e);
    }
    if (info.producerEpoch !== e.producerEpoch) {
      e.producerEpoch = info.producerEpoch;
      e.batches = [];
    }
    return e;
  }

  /** Records a batch that is being written at `[firstOffset, lastOffset]`. */
  record(info: BatchProducerInfo, firstOffset: number, lastOffset: number, maxTimestamp: number, nowMs: number): void {
    const e = this.#writable(info);
    e.lastUpdateMs = nowMs;
    if (!info.isControl && info.baseSequence >= 0) {
      e.batches.push({ firstSequence: info.baseSequence, lastSequence: info.lastSequence, firstOffset, lastOffset, maxTimestamp });
      if (e.batches.length > PRODUCER_BATCHES_CACHED) e.batches.shift();
    }
    if (info.isTransactional && !info.isControl && e.currentTxnFirstOffset < 0) e.currentTxnFirstOffset = firstOffset;
  }

  /** Makes the recorded batches part of the partition's state; returns the transactions closed by markers. */
  commit(): CompletedTxn[] {
    for (const [id, e] of this.#overlay) {
      this.#committed.set(id, e);
      if (e.currentTxnFirstOffset >= 0) this.#openTxns.set(id, e.currentTxnFirstOffset);
      else this.#openTxns.delete(id);
    }
    this.#overlay.clear();
    const completed = this.#completed;
    this.#completed = [];
    return completed;
  }
}

/** Lists `{offset, name}` of the snapshot files in `dir`, ascending. */
export async function listProducerSnapshots(fs: Fs, dir: string): Promise<Array<{ offset: number; path: string }>> {
  const out: Array<{ offset: number; path: string }> = [];
  for (const name of await fs.readdir(dir)) {
    const offset = parseProducerSnapshotFileName(name);
    if (offset !== null) out.push({ offset, path: join(dir, name) });
  }
  return out.sort((a, b) => a.offset - b.offset);
}
