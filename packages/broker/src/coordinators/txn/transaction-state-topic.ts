/**
 * The internal topic `__transaction_state` as the transaction coordinator's
 * log: created on first need (transaction.state.log.num.partitions
 * partitions, cleanup.policy=compact, as Kafka), one record per state change
 * appended to the transactional id's partition (Kafka's choice: the Java
 * String hash of the id modulo the partition count), and read back in full on
 * start. Record format: transaction-log-records.ts.
 *
 * Durability: an append resolves once the record is in the log (the page
 * cache), like an acks=all produce on one node: it survives kill -9.
 */
import { ErrorCode, decodeRecordBatches, encodeRecordBatchSync } from '@samsa/protocol';
import { StorageError } from '@samsa/storage';
import { SINGLE_NODE_LEADER_EPOCH } from '../../broker-services.js';
import type { MetadataStore } from '../../metadata/metadata-store.js';
import type { TopicManager } from '../../topic-manager.js';
import { offsetsPartitionFor } from '../group/java-hash.js';
import { decodeTxnLogKey, decodeTxnLogValue, encodeTxnLogKey, encodeTxnLogValue, type TxnLogValue } from './transaction-log-records.js';

/** The internal topic's name. */
export const TRANSACTION_STATE_TOPIC = '__transaction_state';

export interface TransactionStateTopicOptions {
  metadata: MetadataStore;
  topics: TopicManager;
  /** transaction.state.log.num.partitions */
  numPartitions: number;
  /** transaction.state.log.segment.bytes */
  segmentBytes: number;
  /** Bytes read per step while loading. */
  loadBufferBytes: number;
  nowMs(): number;
}

/** Where the transaction coordinator keeps its state. */
export interface TransactionLog {
  /** Appends the new state of `transactionalId` (null = forget it). */
  write(transactionalId: string, value: TxnLogValue | null): Promise<void>;
}

export class TransactionStateTopic implements TransactionLog {
  readonly #opts: TransactionStateTopicOptions;
  #creating: Promise<number> | null = null;

  constructor(opts: TransactionStateTopicOptions) {
    this.#opts = opts;
  }

  /** Partition count of the topic, creating it when missing. Concurrent callers share one creation. */
  ensureTopic(): Promise<number> {
    const existing = this.#opts.metadata.topic(TRANSACTION_STATE_TOPIC);
    if (existing !== undefined) return Promise.resolve(existing.partitions);
    this.#creating ??= this.#opts.topics
      .create(
        TRANSACTION_STATE_TOPIC,
        this.#opts.numPartitions,
        new Map([
          ['cleanup.policy', 'compact'],
          ['compression.type', 'uncompressed'],
          ['segment.bytes', String(this.#opts.segmentBytes)],
        ]),
      )
      .then(
        (t) => t.partitions,
        (err: unknown) => {
          this.#creating = null;
          const now = this.#opts.metadata.topic(TRANSACTION_STATE_TOPIC);
          if (now !== undefined) return now.partitions;
          throw err;
        },
      );
    return this.#creating;
  }

  async write(transactionalId: string, value: TxnLogValue | null): Promise<void> {
    const partitions = await this.ensureTopic();
    const partition = offsetsPartitionFor(transactionalId, partitions);
    const log = this.#opts.topics.log(TRANSACTION_STATE_TOPIC, partition);
    if (log === undefined) throw new StorageError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${TRANSACTION_STATE_TOPIC}-${partition} has no log`);
    const batch = encodeRecordBatchSync({
      baseTimestamp: this.#opts.nowMs(),
      records: [{ key: encodeTxnLogKey(transactionalId), value: value === null ? null : encodeTxnLogValue(value) }],
    });
    await log.append(batch, { leaderEpoch: SINGLE_NODE_LEADER_EPOCH });
  }

  /**
   * The latest state of every transactional id in the topic (ids whose last
   * record is a tombstone are absent). Unreadable records are reported to
   * `onBadRecord` and skipped.
   */
  async load(onBadRecord: (err: unknown, partition: number, offset: number) => void): Promise<Map<string, TxnLogValue>> {
    const states = new Map<string, TxnLogValue>();
    const topic = this.#opts.metadata.topic(TRANSACTION_STATE_TOPIC);
    if (topic === undefined) return states;
    for (let p = 0; p < topic.partitions; p++) {
      const log = this.#opts.topics.log(TRANSACTION_STATE_TOPIC, p);
      if (log === undefined) continue;
      let offset = log.logStartOffset;
      const end = log.logEndOffset;
      while (offset < end) {
        const read = await log.read(offset, this.#opts.loadBufferBytes);
        if (read.buffers.length === 0) break;
        const before = offset;
        for (const buf of read.buffers) {
          let batches;
          try {
            batches = await decodeRecordBatches(buf);
          } catch (err) {
            onBadRecord(err, p, offset);
            break;
          }
          for (const batch of batches) {
            if (batch.lastOffset < offset) continue;
            for (const rec of batch.records) {
              if (rec.offset < offset || rec.key === null || batch.isControl) continue;
              try {
                const id = decodeTxnLogKey(rec.key);
                if (rec.value === null) states.delete(id);
                else states.set(id, decodeTxnLogValue(rec.value));
              } catch (err) {
                onBadRecord(err, p, rec.offset);
              }
            }
            offset = batch.lastOffset + 1;
          }
        }
        if (offset === before) break;
      }
    }
    return states;
  }
}
