/**
 * Where records wait to be sent: one queue per partition, each with at most
 * one open batch (still taking records) followed by sealed batches in the
 * order they will be sent.
 *
 * Batching rules:
 *   - A record joins the partition's open batch when acks and compression
 *     match and it fits in `batchSize` bytes (estimated, uncompressed);
 *     otherwise the open batch is sealed and a new one opened. A record
 *     larger than `batchSize` gets a batch of its own.
 *   - A batch that reaches `batchSize` is sealed at once; any other open
 *     batch is sealed by the sender when it can send it and the batch is
 *     ready: `lingerMs` passed since its first record, a flush is running, or
 *     the buffer is full.
 *   - Sealing encodes (and compresses) the batch; see ProducerBatch.
 *
 * Memory: the estimated bytes of every batch not yet settled count against
 * `maxBufferedBytes`; `send()` waits for room (see {@link RecordAccumulator.waitForRoom}).
 */
import type { CompressionCodec } from '@samsa/protocol';
import { ProducerBatch, type BatchSegment, type PendingRecord, type SegmentOwner } from './producer-batch.js';

/** A partition's batches and the sender's bookkeeping for it. */
export class PartitionQueue {
  readonly topic: string;
  readonly partition: number;
  /** The batch taking records, if any. */
  open: ProducerBatch | null = null;
  /** Sealed batches (encoding or ready), oldest first. */
  readonly queue: ProducerBatch[] = [];
  /** Batches sent and not yet answered. */
  inFlight = 0;
  /** The broker those are in flight to (all of them go to one broker). */
  inFlightNode = -1;
  /** Batches that came back failed and wait until nothing is in flight (see Sender). */
  failed: ProducerBatch[] = [];
  /** No batch of this partition is sent before this time (retry backoff). */
  retryAtMs = 0;
  /**
   * After an error meaning the leader may have moved: nothing is sent until
   * a metadata refresh started after the error finished, i.e. until the
   * cluster's `refreshedThrough` exceeds this.
   */
  metadataAfter = -1;
  /** Next base sequence for this partition, valid in identity generation `generation`. */
  nextSequence = 0;
  generation = -1;

  constructor(topic: string, partition: number) {
    this.topic = topic;
    this.partition = partition;
  }

  /** Nothing buffered, sent or waiting here. */
  get idle(): boolean {
    return this.open === null && this.queue.length === 0 && this.inFlight === 0 && this.failed.length === 0;
  }
}

/** Settings of a {@link RecordAccumulator}. */
export interface AccumulatorOptions {
  batchSize: number;
  maxBufferedBytes: number;
  deliveryTimeoutMs: number;
  now: () => number;
  /** A sealed batch finished encoding (the sender may send it). */
  onEncoded: () => void;
  /** A batch could not be encoded; it has been removed from its queue. */
  onEncodeFailed: (batch: ProducerBatch, error: Error) => void;
}

interface RoomWaiter {
  bytes: number;
  resolve: () => void;
}

interface FlushWaiter {
  remaining: Set<ProducerBatch>;
  resolve: () => void;
}

/** The per-partition queues of one producer, and its buffer accounting. */
export class RecordAccumulator {
  readonly #opts: AccumulatorOptions;
  /**
   * Queues by topic, then indexed by partition. Looked up for every record
   * appended, so no `topic/partition` string key is built per record.
   */
  readonly #queues = new Map<string, PartitionQueue[]>();
  /** Queues that have something buffered, in flight or waiting. */
  readonly active = new Set<PartitionQueue>();
  /** Every batch not yet settled. */
  readonly #outstanding = new Set<ProducerBatch>();
  #nextBatchId = 1;
  #bufferedBytes = 0;
  readonly #roomWaiters: RoomWaiter[] = [];
  readonly #flushWaiters: FlushWaiter[] = [];

  constructor(opts: AccumulatorOptions) {
    this.#opts = opts;
  }

  /** Estimated bytes of all unsettled batches. */
  get bufferedBytes(): number {
    return this.#bufferedBytes;
  }

  /** Batches not yet settled. */
  get outstandingBatches(): number {
    return this.#outstanding.size;
  }

  /** True while a send waits for buffer space: open batches should go out without lingering. */
  get underMemoryPressure(): boolean {
    return this.#roomWaiters.length > 0;
  }

  /** The queue of a partition, created on first use. */
  queueOf(topic: string, partition: number): PartitionQueue {
    let byPartition = this.#queues.get(topic);
    if (byPartition === undefined) {
      byPartition = [];
      this.#queues.set(topic, byPartition);
    }
    let q = byPartition[partition];
    if (q === undefined) {
      q = new PartitionQueue(topic, partition);
      byPartition[partition] = q;
    }
    return q;
  }

  /** Whether appending a record of `bytes` would open a new batch (the sticky partitioner then moves on). */
  wouldOpenBatch(topic: string, partition: number, bytes: number, acks: number, compression: CompressionCodec): boolean {
    const open = this.#queues.get(topic)?.[partition]?.open ?? null;
    return open === null || !this.#fits(open, bytes, acks, compression);
  }

  /** Appends one record; returns the batch and segment it went into. */
  append(
    topic: string,
    partition: number,
    record: PendingRecord,
    bytes: number,
    acks: number,
    compression: CompressionCodec,
    owner: SegmentOwner,
  ): { batch: ProducerBatch; segment: BatchSegment; isNew: boolean } {
    const q = this.queueOf(topic, partition);
    if (q.open !== null && !this.#fits(q.open, bytes, acks, compression)) this.seal(q);
    let batch = q.open;
    if (batch === null) {
      const now = this.#opts.now();
      batch = new ProducerBatch(this.#nextBatchId++, topic, partition, acks, compression, now, this.#opts.deliveryTimeoutMs);
      q.open = batch;
      this.#outstanding.add(batch);
      this.#bufferedBytes += batch.estimatedBytes;
    }
    const { segment, isNew } = batch.append(record, bytes, owner);
    this.#bufferedBytes += bytes;
    this.active.add(q);
    if (batch.estimatedBytes >= this.#opts.batchSize) this.seal(q);
    return { batch, segment, isNew };
  }

  /** Seals the open batch of `q` and starts encoding it. */
  seal(q: PartitionQueue): void {
    const batch = q.open;
    if (batch === null) return;
    q.open = null;
    q.queue.push(batch);
    let pending: Promise<void> | void;
    try {
      pending = batch.encode();
    } catch (err) {
      this.#encodeFailed(q, batch, err);
      return;
    }
    if (pending !== undefined) {
      pending.then(
        () => this.#opts.onEncoded(),
        (err: unknown) => this.#encodeFailed(q, batch, err),
      );
    }
  }

  /** Seals every open batch (flush, disconnect). */
  sealAll(): void {
    for (const q of this.active) if (q.open !== null && q.open.recordCount > 0) this.seal(q);
  }

  /**
   * Undefined when `bytes` more fit under `maxBufferedBytes` now, else a
   * promise that resolves when they do. When nothing is buffered anything
   * fits: one send larger than the limit goes through alone rather than
   * being refused.
   */
  waitForRoom(bytes: number): Promise<void> | undefined {
    if (this.hasRoom(bytes)) return undefined;
    return new Promise((resolve) => this.#roomWaiters.push({ bytes, resolve }));
  }

  /** Whether `bytes` more may be appended now without waiting (see {@link waitForRoom}); no side effects. */
  hasRoom(bytes: number): boolean {
    return this.#bufferedBytes === 0 || (this.#roomWaiters.length === 0 && this.#bufferedBytes + bytes <= this.#opts.maxBufferedBytes);
  }

  /** Resolves when every batch unsettled now has settled. */
  flush(): Promise<void> {
    if (this.#outstanding.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#flushWaiters.push({ remaining: new Set(this.#outstanding), resolve }));
  }

  /** A batch settled (acknowledged or failed): frees its bytes and wakes waiters. */
  release(batch: ProducerBatch): void {
    if (!this.#outstanding.delete(batch)) return;
    this.#bufferedBytes -= batch.estimatedBytes;
    for (let i = 0; i < this.#flushWaiters.length; ) {
      const w = this.#flushWaiters[i];
      w.remaining.delete(batch);
      if (w.remaining.size === 0) {
        this.#flushWaiters.splice(i, 1);
        w.resolve();
      } else i++;
    }
    // First come, first served, so a large send is not overtaken forever by small ones.
    // Woken sends append in a later microtask; `projected` counts them meanwhile.
    let projected = this.#bufferedBytes;
    while (this.#roomWaiters.length > 0) {
      const w = this.#roomWaiters[0];
      if (projected > 0 && projected + w.bytes > this.#opts.maxBufferedBytes) break;
      this.#roomWaiters.shift();
      projected += w.bytes;
      w.resolve();
    }
  }

  #fits(open: ProducerBatch, bytes: number, acks: number, compression: CompressionCodec): boolean {
    return open.acks === acks && open.compression === compression && open.estimatedBytes + bytes <= this.#opts.batchSize;
  }

  #encodeFailed(q: PartitionQueue, batch: ProducerBatch, err: unknown): void {
    const i = q.queue.indexOf(batch);
    if (i >= 0) q.queue.splice(i, 1);
    if (batch.state === 'done') return;
    this.#opts.onEncodeFailed(batch, err instanceof Error ? err : new Error(String(err)));
  }
}
