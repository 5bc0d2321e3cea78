/**
 * The internal topic `__consumer_offsets` as the group coordinator's log:
 * creates it on first need (offsets.topic.num.partitions partitions,
 * cleanup.policy=compact as Kafka), appends each group's records to the
 * group's partition (see java-hash.ts) as one uncompressed magic-2 batch per
 * call, and reads every partition back on start so the coordinator can
 * rebuild its state. Record format: offsets-topic-records.ts.
 *
 * Durability: an append resolves once the batch is in the log (the kernel's
 * page cache), like an acks=all produce on one node: a broker kill -9 keeps
 * it; an OS crash keeps it only with flush.messages=1 on this topic.
 */
import { ErrorCode, decodeControlRecord, decodeRecordBatches, encodeRecordBatchSync } from '@samsa/protocol';
import { StorageError } from '@samsa/storage';
import { SINGLE_NODE_LEADER_EPOCH } from '../../broker-services.js';
import type { MetadataStore } from '../../metadata/metadata-store.js';
import type { TopicManager } from '../../topic-manager.js';
import type { GroupLog, OffsetsTopicRecord } from './group-coordinator.js';
import { offsetsPartitionFor } from './java-hash.js';

/** The internal topic's name. */
export const OFFSETS_TOPIC = '__consumer_offsets';

export interface OffsetsTopicOptions {
  metadata: MetadataStore;
  topics: TopicManager;
  /** offsets.topic.num.partitions, used when the topic is created. */
  numPartitions: number;
  /** offsets.topic.segment.bytes */
  segmentBytes: number;
  /** offsets.load.buffer.size: bytes read per step while loading. */
  loadBufferBytes: number;
  nowMs(): number;
  /** Called after each append (wakes fetches waiting on the topic). */
  onAppend(topic: string, partition: number): void;
}

export class OffsetsTopic implements GroupLog {
  readonly #opts: OffsetsTopicOptions;
  #creating: Promise<number> | null = null;

  constructor(opts: OffsetsTopicOptions) {
    this.#opts = opts;
  }

  /** Partition count of the topic, creating it when missing. Concurrent callers share one creation. */
  ensureTopic(): Promise<number> {
    const existing = this.#opts.metadata.topic(OFFSETS_TOPIC);
    if (existing !== undefined) return Promise.resolve(existing.partitions);
    this.#creating ??= this.#opts.topics
      .create(
        OFFSETS_TOPIC,
        this.#opts.numPartitions,
        new Map([
          ['cleanup.policy', 'compact'],
          ['compression.type', 'producer'],
          ['segment.bytes', String(this.#opts.segmentBytes)],
        ]),
      )
      .then(
        (t) => t.partitions,
        (err: unknown) => {
          this.#creating = null;
          // Lost a race with another creator: the topic is there now.
          const now = this.#opts.metadata.topic(OFFSETS_TOPIC);
          if (now !== undefined) return now.partitions;
          throw err;
        },
      );
    return this.#creating;
  }

  /** The group's partition, or null while the topic does not exist. */
  partitionFor(groupId: string): number | null {
    const t = this.#opts.metadata.topic(OFFSETS_TOPIC);
    return t === undefined ? null : offsetsPartitionFor(groupId, t.partitions);
  }

  async append(groupId: string, records: readonly OffsetsTopicRecord[]): Promise<void> {
    const partitions = await this.ensureTopic();
    const partition = offsetsPartitionFor(groupId, partitions);
    const log = this.#opts.topics.log(OFFSETS_TOPIC, partition);
    if (log === undefined) throw new StorageError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${OFFSETS_TOPIC}-${partition} has no log`);
    const batch = encodeRecordBatchSync({
      baseTimestamp: this.#opts.nowMs(),
      records: records.map((r) => ({ key: r.key, value: r.value })),
    });
    await log.append(batch, { leaderEpoch: SINGLE_NODE_LEADER_EPOCH });
    this.#opts.onAppend(OFFSETS_TOPIC, partition);
  }

  async appendTransactional(groupId: string, records: readonly OffsetsTopicRecord[], producer: { producerId: number; producerEpoch: number }): Promise<void> {
    const partitions = await this.ensureTopic();
    const partition = offsetsPartitionFor(groupId, partitions);
    const log = this.#opts.topics.log(OFFSETS_TOPIC, partition);
    if (log === undefined) throw new StorageError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${OFFSETS_TOPIC}-${partition} has no log`);
    // Kafka writes transactional offset commits without sequence numbers; the log checks the epoch only.
    const batch = encodeRecordBatchSync({
      baseTimestamp: this.#opts.nowMs(),
      producerId: producer.producerId,
      producerEpoch: producer.producerEpoch,
      baseSequence: -1,
      isTransactional: true,
      records: records.map((r) => ({ key: r.key, value: r.value })),
    });
    await log.append(batch, { leaderEpoch: SINGLE_NODE_LEADER_EPOCH, origin: 'coordinator' });
    this.#opts.onAppend(OFFSETS_TOPIC, partition);
  }

  /**
   * Reads every partition from its log start to its end and hands each
   * record to `apply`, in offset order per partition (a group lives in one
   * partition, so its records are applied in the order they were written).
   * Records `apply` rejects (throws) are reported to `onBadRecord` and skipped.
   *
   * Transactional records (TxnOffsetCommit) are held per producer until the
   * transaction's marker: applied at a COMMIT, dropped at an ABORT; those
   * still without a marker at the end go to `applyPending`.
   */
  async load(
    apply: (r: OffsetsTopicRecord) => void,
    onBadRecord: (err: unknown, partition: number, offset: number) => void,
    applyPending: (producerId: number, r: OffsetsTopicRecord) => void = () => undefined,
  ): Promise<number> {
    const topic = this.#opts.metadata.topic(OFFSETS_TOPIC);
    if (topic === undefined) return 0;
    let loaded = 0;
    for (let p = 0; p < topic.partitions; p++) {
      const log = this.#opts.topics.log(OFFSETS_TOPIC, p);
      if (log === undefined) continue;
      let offset = log.logStartOffset;
      const end = log.logEndOffset;
      const open = new Map<number, OffsetsTopicRecord[]>();
      const applyOne = (r: OffsetsTopicRecord, at: number): void => {
        try {
          apply(r);
          loaded++;
        } catch (err) {
          onBadRecord(err, p, at);
        }
      };
      while (offset < end) {
        const read = await log.read(offset, this.#opts.loadBufferBytes);
        if (read.buffers.length === 0) break; // nothing readable at or after `offset` (never loops forever)
        let advanced = false;
        for (const buf of read.buffers) {
          let batches;
          try {
            batches = await decodeRecordBatches(buf);
          } catch (err) {
            // Storage recovery already checked CRCs; a batch that still does not decode ends this partition's load.
            onBadRecord(err, p, offset);
            break;
          }
          for (const batch of batches) {
            if (batch.lastOffset < offset) continue;
            if (batch.isControl) {
              const held = open.get(batch.producerId);
              open.delete(batch.producerId);
              let committed = false;
              try {
                committed = batch.records.length > 0 && decodeControlRecord(batch.records[0]).type === 'COMMIT';
              } catch (err) {
                onBadRecord(err, p, batch.baseOffset);
              }
              if (committed && held !== undefined) for (const r of held) applyOne(r, batch.baseOffset);
            } else {
              for (const rec of batch.records) {
                if (rec.offset < offset || rec.key === null) continue;
                const r = { key: rec.key, value: rec.value };
                if (batch.isTransactional) {
                  let held = open.get(batch.producerId);
                  if (held === undefined) open.set(batch.producerId, (held = []));
                  held.push(r);
                } else {
                  applyOne(r, rec.offset);
                }
              }
            }
            offset = batch.lastOffset + 1;
            advanced = true;
          }
        }
        if (!advanced) break;
      }
      for (const [producerId, held] of open) for (const r of held) applyPending(producerId, r);
    }
    return loaded;
  }
}
