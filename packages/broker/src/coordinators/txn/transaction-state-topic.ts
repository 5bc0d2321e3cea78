/**
 * The internal topic `__transaction_state` as the transaction coordinator's
 * log: an {@link InternalTopic} created on first need
 * (transaction.state.log.num.partitions partitions, cleanup.policy=compact,
 * as Kafka), one record per state change appended to the transactional id's
 * partition (Kafka's choice: the Java String hash of the id modulo the
 * partition count), and read back in full on start. Record format:
 * transaction-log-records.ts.
 *
 * Durability: as for every internal topic (internal-topic.ts), an append
 * resolves once the record is in the log: it survives kill -9.
 */
import type { MetadataStore } from '../../metadata/metadata-store.js';
import type { TopicManager } from '../../topic-manager.js';
import { InternalTopic, type BadRecordHandler } from '../internal-topic.js';
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
  readonly #topic: InternalTopic;

  constructor(opts: TransactionStateTopicOptions) {
    this.#topic = new InternalTopic({
      name: TRANSACTION_STATE_TOPIC,
      metadata: opts.metadata,
      topics: opts.topics,
      numPartitions: opts.numPartitions,
      configs: new Map([
        ['cleanup.policy', 'compact'],
        ['compression.type', 'uncompressed'],
        ['segment.bytes', String(opts.segmentBytes)],
      ]),
      loadBufferBytes: opts.loadBufferBytes,
      nowMs: opts.nowMs,
    });
  }

  /** Partition count of the topic, creating it when missing. Concurrent callers share one creation. */
  ensureTopic(): Promise<number> {
    return this.#topic.ensureTopic();
  }

  write(transactionalId: string, value: TxnLogValue | null): Promise<void> {
    return this.#topic.append(transactionalId, [{ key: encodeTxnLogKey(transactionalId), value: value === null ? null : encodeTxnLogValue(value) }]);
  }

  /**
   * The latest state of every transactional id in the topic (ids whose last
   * record is a tombstone are absent). Unreadable records are reported to
   * `onBadRecord` and skipped.
   */
  async load(onBadRecord: BadRecordHandler): Promise<Map<string, TxnLogValue>> {
    const states = new Map<string, TxnLogValue>();
    await this.#topic.readAll((batch, partition, fromOffset) => {
      if (batch.isControl) return;
      for (const rec of batch.records) {
        if (rec.offset < fromOffset || rec.key === null) continue;
        try {
          const id = decodeTxnLogKey(rec.key);
          if (rec.value === null) states.delete(id);
          else states.set(id, decodeTxnLogValue(rec.value));
        } catch (err) {
          onBadRecord(err, partition, rec.offset);
        }
      }
    }, onBadRecord);
    return states;
  }
}
