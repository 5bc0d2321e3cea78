/**
 * The internal topic `__consumer_offsets` as the group coordinator's log:
 * an {@link InternalTopic} created on first need (offsets.topic.num.partitions
 * partitions, cleanup.policy=compact as Kafka), each group's records appended
 * to the group's partition (see java-hash.ts) as one uncompressed magic-2
 * batch per call, and every partition read back on start so the coordinator
 * can rebuild its state. Record format: offsets-topic-records.ts.
 *
 * Durability: as for every internal topic (internal-topic.ts), an append
 * resolves once the batch is in the log.
 */
import { decodeControlRecord } from '@samsa/protocol';
import type { MetadataStore } from '../../metadata/metadata-store.js';
import type { TopicManager } from '../../topic-manager.js';
import { InternalTopic, type BadRecordHandler } from '../internal-topic.js';
import type { GroupLog, OffsetsTopicRecord } from './group-store.js';

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
  readonly #topic: InternalTopic;

  constructor(opts: OffsetsTopicOptions) {
    this.#topic = new InternalTopic({
      name: OFFSETS_TOPIC,
      metadata: opts.metadata,
      topics: opts.topics,
      numPartitions: opts.numPartitions,
      configs: new Map([
        ['cleanup.policy', 'compact'],
        ['compression.type', 'producer'],
        ['segment.bytes', String(opts.segmentBytes)],
      ]),
      loadBufferBytes: opts.loadBufferBytes,
      nowMs: opts.nowMs,
      onAppend: opts.onAppend,
    });
  }

  /** Partition count of the topic, creating it when missing. Concurrent callers share one creation. */
  ensureTopic(): Promise<number> {
    return this.#topic.ensureTopic();
  }

  /** The group's partition, or null while the topic does not exist. */
  partitionFor(groupId: string): number | null {
    return this.#topic.partitionFor(groupId);
  }

  append(groupId: string, records: readonly OffsetsTopicRecord[]): Promise<void> {
    return this.#topic.append(groupId, records);
  }

  appendTransactional(groupId: string, records: readonly OffsetsTopicRecord[], producer: { producerId: number; producerEpoch: number }): Promise<void> {
    return this.#topic.append(groupId, records, producer);
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
    onBadRecord: BadRecordHandler,
    applyPending: (producerId: number, r: OffsetsTopicRecord) => void = () => undefined,
  ): Promise<number> {
    let loaded = 0;
    // producerId -> records of its open transaction in the partition being read.
    const open = new Map<number, OffsetsTopicRecord[]>();
    const applyOne = (r: OffsetsTopicRecord, partition: number, at: number): void => {
      try {
        apply(r);
        loaded++;
      } catch (err) {
        onBadRecord(err, partition, at);
      }
    };
    await this.#topic.readAll(
      (batch, partition, fromOffset) => {
        if (batch.isControl) {
          const held = open.get(batch.producerId);
          open.delete(batch.producerId);
          let committed = false;
          try {
            committed = batch.records.length > 0 && decodeControlRecord(batch.records[0]).type === 'COMMIT';
          } catch (err) {
            onBadRecord(err, partition, batch.baseOffset);
          }
          if (committed && held !== undefined) for (const r of held) applyOne(r, partition, batch.baseOffset);
          return;
        }
        for (const rec of batch.records) {
          if (rec.offset < fromOffset || rec.key === null) continue;
          const r = { key: rec.key, value: rec.value };
          if (batch.isTransactional) {
            let held = open.get(batch.producerId);
            if (held === undefined) open.set(batch.producerId, (held = []));
            held.push(r);
          } else {
            applyOne(r, partition, rec.offset);
          }
        }
      },
      onBadRecord,
      () => {
        for (const [producerId, held] of open) for (const r of held) applyPending(producerId, r);
        open.clear();
      },
    );
    return loaded;
  }
}
