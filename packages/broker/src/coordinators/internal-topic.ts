/**
 * An internal compacted topic a coordinator keeps its state in
 * (`__consumer_offsets`, `__transaction_state`): created on first need with
 * the coordinator's partition count and configs, one batch appended per
 * call to the partition of the record's owner (Kafka's choice: the Java
 * String hash of the group or transactional id modulo the partition count),
 * and every partition read back in full when the broker starts.
 *
 * Durability: an append resolves once the batch is in the log (the kernel's
 * page cache), like an acks=all produce on one node: a broker kill -9 keeps
 * it; an OS crash keeps it only with flush.messages=1 on the topic.
 */
import { ErrorCode, decodeRecordBatches, encodeRecordBatchSync, type DecodedBatch } from '@samsa/protocol';
import { StorageError, type PartitionLog } from '@samsa/storage';
import { SINGLE_NODE_LEADER_EPOCH } from '../broker-services.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import type { TopicManager } from '../topic-manager.js';
import { offsetsPartitionFor } from './group/java-hash.js';

/** One record of an internal topic (value null = tombstone). */
export interface InternalTopicRecord {
  readonly key: Buffer;
  readonly value: Buffer | null;
}

/** The producer of a transactional append. */
export interface TransactionalProducer {
  producerId: number;
  producerEpoch: number;
}

export interface InternalTopicOptions {
  /** The topic's name. */
  name: string;
  metadata: MetadataStore;
  topics: TopicManager;
  /** Partition count when the topic is created (e.g. offsets.topic.num.partitions). */
  numPartitions: number;
  /** Topic configs when it is created (cleanup.policy=compact, segment.bytes, ...). */
  configs: ReadonlyMap<string, string>;
  /** Bytes read per step while loading (e.g. offsets.load.buffer.size). */
  loadBufferBytes: number;
  nowMs(): number;
  /** Called after each append (wakes fetches waiting on the topic). */
  onAppend?(topic: string, partition: number): void;
}

/** Reports a record or batch that could not be read while loading; it is skipped. */
export type BadRecordHandler = (err: unknown, partition: number, offset: number) => void;

/** An internal compacted topic (see the file comment). */
export class InternalTopic {
  readonly #opts: InternalTopicOptions;
  #creating: Promise<number> | null = null;

  constructor(opts: InternalTopicOptions) {
    this.#opts = opts;
  }

  /** The topic's name. */
  get name(): string {
    return this.#opts.name;
  }

  /** Partition count of the topic, creating it when missing. Concurrent callers share one creation. */
  ensureTopic(): Promise<number> {
    const existing = this.#opts.metadata.topic(this.#opts.name);
    if (existing !== undefined) return Promise.resolve(existing.partitions);
    this.#creating ??= this.#opts.topics.create(this.#opts.name, this.#opts.numPartitions, this.#opts.configs).then(
      (t) => t.partitions,
      (err: unknown) => {
        this.#creating = null;
        // Lost a race with another creator: the topic is there now.
        const now = this.#opts.metadata.topic(this.#opts.name);
        if (now !== undefined) return now.partitions;
        throw err;
      },
    );
    return this.#creating;
  }

  /** The partition of `ownerId` (group or transactional id), or null while the topic does not exist. */
  partitionFor(ownerId: string): number | null {
    const t = this.#opts.metadata.topic(this.#opts.name);
    return t === undefined ? null : offsetsPartitionFor(ownerId, t.partitions);
  }

  /**
   * Appends `records` as one uncompressed magic-2 batch to the owner's partition, creating the
   * topic first if needed. With a `producer`, the batch is transactional: its records count only
   * once the transaction's COMMIT marker follows them (Kafka writes such coordinator batches
   * without sequence numbers; the log checks the epoch only).
   */
  async append(ownerId: string, records: readonly InternalTopicRecord[], producer?: TransactionalProducer): Promise<void> {
    const partitions = await this.ensureTopic();
    const partition = offsetsPartitionFor(ownerId, partitions);
    const log = this.#log(partition);
    if (log === undefined) throw new StorageError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${this.#opts.name}-${partition} has no log`);
    const batchRecords = records.map((r) => ({ key: r.key, value: r.value }));
    if (producer === undefined) {
      await log.append(encodeRecordBatchSync({ baseTimestamp: this.#opts.nowMs(), records: batchRecords }), { leaderEpoch: SINGLE_NODE_LEADER_EPOCH });
    } else {
      const batch = encodeRecordBatchSync({
        baseTimestamp: this.#opts.nowMs(),
        producerId: producer.producerId,
        producerEpoch: producer.producerEpoch,
        baseSequence: -1,
        isTransactional: true,
        records: batchRecords,
      });
      await log.append(batch, { leaderEpoch: SINGLE_NODE_LEADER_EPOCH, origin: 'coordinator' });
    }
    this.#opts.onAppend?.(this.#opts.name, partition);
  }

  /**
   * Reads every partition from its log start to its end and hands each batch to `visit`, in
   * offset order per partition, with the offset below which its records were already seen (a
   * read may start inside a batch); `onPartitionEnd` follows each partition's last batch. A
   * batch that does not decode (storage recovery already checked CRCs) is reported and ends
   * that partition's load. Does nothing while the topic does not exist.
   */
  async readAll(
    visit: (batch: DecodedBatch, partition: number, fromOffset: number) => void,
    onBadRecord: BadRecordHandler,
    onPartitionEnd: (partition: number) => void = () => undefined,
  ): Promise<void> {
    const topic = this.#opts.metadata.topic(this.#opts.name);
    if (topic === undefined) return;
    for (let p = 0; p < topic.partitions; p++) {
      const log = this.#log(p);
      if (log === undefined) continue;
      await this.#readPartition(log, p, visit, onBadRecord);
      onPartitionEnd(p);
    }
  }

  async #readPartition(
    log: PartitionLog,
    partition: number,
    visit: (batch: DecodedBatch, partition: number, fromOffset: number) => void,
    onBadRecord: BadRecordHandler,
  ): Promise<void> {
    let offset = log.logStartOffset;
    const end = log.logEndOffset;
    while (offset < end) {
      const read = await log.read(offset, this.#opts.loadBufferBytes);
      if (read.buffers.length === 0) return; // nothing readable at or after `offset` (never loops forever)
      const before = offset;
      for (const buf of read.buffers) {
        let batches: DecodedBatch[];
        try {
          batches = await decodeRecordBatches(buf);
        } catch (err) {
          onBadRecord(err, partition, offset);
          break;
        }
        for (const batch of batches) {
          if (batch.lastOffset < offset) continue;
          visit(batch, partition, offset);
          offset = batch.lastOffset + 1;
        }
      }
      if (offset === before) return;
    }
  }

  #log(partition: number): PartitionLog | undefined {
    return this.#opts.topics.log(this.#opts.name, partition);
  }
}
