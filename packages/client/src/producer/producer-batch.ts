/**
 * One record batch of one partition, from its first record to its end
 * (acknowledged or failed).
 *
 * Life cycle:
 *
 *   open ──seal()──► encoding ──► ready ──send──► in flight ──► done
 *                                   ▲                  │
 *                                   └──── requeued ────┘ (retriable failure)
 *
 * The batch is encoded (and compressed) once, when sealed, without a
 * producer identity and without its CRC. Just before it is first sent, an
 * idempotent producer stamps it with producer id, epoch and base sequence
 * ({@link stamp}), which patches the 61-byte header; the CRC, which covers
 * those fields, is written once the header is final ({@link wireBytes}). A
 * retry sends the same bytes, and a new stamp happens only after the
 * producer identity changed. Compression and the CRC therefore never run
 * twice for one header.
 */
import {
  ATTR_TRANSACTIONAL_MASK,
  ATTRIBUTES_OFFSET,
  BASE_SEQUENCE_OFFSET,
  CompressionCodec,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  encodeRecordBatch,
  encodeRecordBatchSync,
  type RecordHeader,
  type RecordInput,
  writeBatchCrc,
} from '@samsa/protocol';

/** Bytes of the record batch header; what a batch costs before its records. */
export const BATCH_OVERHEAD_BYTES = 61;

/** A record ready to be batched. */
export interface PendingRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
  timestamp: number;
}

/**
 * The part of one send() call that landed in a batch: records
 * [firstIndex, firstIndex + count) of the batch. The batch reports its
 * outcome to each segment's owner.
 */
export interface BatchSegment {
  owner: SegmentOwner;
  firstIndex: number;
  count: number;
}

/** What a send() operation implements to learn each of its segments' outcome. */
export interface SegmentOwner {
  segmentDone(batch: ProducerBatch, segment: BatchSegment, result: BatchResult): void;
  segmentFailed(batch: ProducerBatch, segment: BatchSegment, error: Error): void;
}

/** What the broker said about an acknowledged batch. */
export interface BatchResult {
  /** Offset of the batch's first record; -1 when unknown (acks=0, or a duplicate the broker recognised). */
  baseOffset: number;
  /** -1 unless the topic uses LogAppendTime. */
  logAppendTimeMs: number;
  logStartOffset: number;
}

/** Where a batch is in its life cycle. */
export type BatchState = 'open' | 'encoding' | 'ready' | 'inflight' | 'done';

/** Upper bound of a record's encoded size (varints at their widest), for batch sizing. */
export function estimateRecordBytes(r: PendingRecord): number {
  let n = 5 + 1 + 10 + 5 + 5 + (r.key?.length ?? 0) + 5 + (r.value?.length ?? 0) + 5;
  for (const h of r.headers) n += 5 + Buffer.byteLength(h.key, 'utf8') + 5 + (h.value?.length ?? 0);
  return n;
}

/** One partition's record batch (see the life cycle at the top of this file). */
export class ProducerBatch {
  /** Producer-wide creation order: within a partition, batches are sent in this order. */
  readonly id: number;
  readonly topic: string;
  readonly partition: number;
  readonly acks: number;
  readonly compression: CompressionCodec;
  readonly createdAtMs: number;
  /** Sending gives up after this time (delivery timeout). */
  readonly deadlineMs: number;
  readonly records: PendingRecord[] = [];
  readonly segments: BatchSegment[] = [];
  state: BatchState = 'open';
  /** Upper bound of the encoded, uncompressed size. */
  estimatedBytes = BATCH_OVERHEAD_BYTES;
  /** The encoded batch once `state` is ready or later. */
  buffer: Buffer | null = null;
  /** Times this batch was sent (or tried to be). */
  attempts = 0;
  /** The last failure, reported if the batch finally fails. */
  lastError: Error | null = null;
  /** Earliest time of the next attempt. */
  retryAtMs = 0;
  /** Identity this batch is stamped with (idempotent producers); -1 when none. */
  producerId = -1;
  producerEpoch = -1;
  baseSequence = -1;
  /** Identity generation of the stamp; a batch stamped in an older generation is restamped. */
  generation = -1;
  /** Whether `buffer`'s CRC matches its header (encoded without one; a stamp changes the header). */
  #crcWritten = false;

  constructor(id: number, topic: string, partition: number, acks: number, compression: CompressionCodec, nowMs: number, deliveryTimeoutMs: number) {
    this.id = id;
    this.topic = topic;
    this.partition = partition;
    this.acks = acks;
    this.compression = compression;
    this.createdAtMs = nowMs;
    this.deadlineMs = nowMs + deliveryTimeoutMs;
  }

  get recordCount(): number {
    return this.records.length;
  }

  /**
   * Appends a record for `owner`, extending the owner's segment when it holds
   * the batch's last records; returns the segment and whether it is new.
   */
  append(record: PendingRecord, bytes: number, owner: SegmentOwner): { segment: BatchSegment; isNew: boolean } {
    const last = this.segments.length > 0 ? this.segments[this.segments.length - 1] : undefined;
    let segment: BatchSegment;
    let isNew = false;
    if (last !== undefined && last.owner === owner) {
      last.count++;
      segment = last;
    } else {
      segment = { owner, firstIndex: this.records.length, count: 1 };
      this.segments.push(segment);
      isNew = true;
    }
    this.records.push(record);
    this.estimatedBytes += bytes;
    return { segment, isNew };
  }

  /**
   * Encodes the records (state `encoding` until the promise settles). Codecs
   * whose binding is synchronous (none, snappy, lz4) encode in this call; gzip
   * and zstd run off the main thread.
   */
  encode(): Promise<void> | void {
    this.state = 'encoding';
    const records: RecordInput[] = this.records;
    const input = { baseTimestamp: this.records[0].timestamp, compression: this.compression, records, deferCrc: true };
    if (this.compression === CompressionCodec.Gzip || this.compression === CompressionCodec.Zstd) {
      return encodeRecordBatch(input).then((buf) => {
        // The batch may have failed (delivery timeout) while it was being compressed.
        if (this.state !== 'encoding') return;
        this.buffer = buf;
        this.state = 'ready';
      });
    }
    this.buffer = encodeRecordBatchSync(input);
    this.state = 'ready';
  }

  /**
   * Writes producer id, epoch, base sequence and the transactional flag into
   * the encoded header; the CRC follows in {@link wireBytes}.
   */
  stamp(producerId: number, producerEpoch: number, baseSequence: number, generation: number, transactional = false): void {
    const buf = this.buffer;
    if (buf === null) throw new Error('stamp before encode');
    const attributes = buf.readInt16BE(ATTRIBUTES_OFFSET);
    buf.writeInt16BE(transactional ? attributes | ATTR_TRANSACTIONAL_MASK : attributes & ~ATTR_TRANSACTIONAL_MASK, ATTRIBUTES_OFFSET);
    // An int64 as two int32 words: producer ids are safe integers, and no BigInt is made per batch.
    const high = Math.floor(producerId / 0x1_0000_0000);
    buf.writeInt32BE(high, PRODUCER_ID_OFFSET);
    buf.writeUInt32BE(producerId - high * 0x1_0000_0000, PRODUCER_ID_OFFSET + 4);
    buf.writeInt16BE(producerEpoch, PRODUCER_EPOCH_OFFSET);
    buf.writeInt32BE(baseSequence, BASE_SEQUENCE_OFFSET);
    this.#crcWritten = false;
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    this.baseSequence = baseSequence;
    this.generation = generation;
  }

  /** The bytes to send: the encoded batch with the CRC of its current header. */
  wireBytes(): Buffer {
    const buf = this.buffer;
    if (buf === null) throw new Error('send before encode');
    if (!this.#crcWritten) {
      writeBatchCrc(buf);
      this.#crcWritten = true;
    }
    return buf;
  }

  /** Reports success to every segment owner. */
  complete(result: BatchResult): void {
    this.state = 'done';
    this.buffer = null;
    for (const s of this.segments) s.owner.segmentDone(this, s, result);
  }

  /** Reports failure to every segment owner. */
  fail(error: Error): void {
    this.state = 'done';
    this.buffer = null;
    for (const s of this.segments) s.owner.segmentFailed(this, s, error);
  }
}
