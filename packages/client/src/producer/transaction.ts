/**
 * The handle `producer.transaction()` returns, shaped like kafkajs'
 * Transaction: `send`, `sendBatch`, `sendOffsets`, `commit`, `abort`,
 * `isActive`. It stands for one transaction: once that was committed or
 * aborted, its methods fail with TransactionError SAMSA_ERR_TXN_STATE.
 * The state machine behind it is transaction-manager.ts.
 */
import { ClientError } from '../client-error.js';
import type { ConsumerGroupMetadata } from '../consumer/group-metadata.js';
import type { RecordMetadata } from './message.js';
import type { ProducerRecord, SendBatchInput } from './producer.js';
import type { TransactionManager } from './transaction-manager.js';
import type { OffsetsMember, TopicOffsets } from './transaction-requests.js';

/** One partition's offset for {@link SendOffsetsInput}: the next offset the group should read. */
export interface PartitionOffsetInput {
  partition: number;
  /** A number, or a numeric string as kafkajs uses. */
  offset: number | string;
}

/**
 * Argument of `sendOffsets`: kafkajs's `{ consumerGroupId, topics }`, or
 * `{ consumerGroupMetadata: consumer.groupMetadata(), topics }` as Java's
 * sendOffsetsToTransaction(offsets, groupMetadata), which lets the group
 * coordinator fence a consumer that is no longer the partitions' owner
 * (KIP-447). With both, the group ids must be the same.
 */
export interface SendOffsetsInput {
  consumerGroupId?: string;
  consumerGroupMetadata?: ConsumerGroupMetadata;
  topics: Array<{ topic: string; partitions: PartitionOffsetInput[] }>;
}

const NO_MEMBER: OffsetsMember = { generationId: -1, memberId: '', groupInstanceId: null };

/** What a Transaction needs of its producer. */
export interface TransactionProducer {
  /** The producer's sendBatch, bound to one transaction. */
  sendBatch(input: SendBatchInput, transaction: number): Promise<RecordMetadata[]>;
}

function invalid(message: string): ClientError {
  return new ClientError('SAMSA_ERR_INVALID_MESSAGE', `sendOffsets: ${message}`);
}

/** Validates kafkajs-style offsets; throws ClientError(SAMSA_ERR_INVALID_MESSAGE). */
export function normalizeOffsets(input: SendOffsetsInput): { groupId: string; member: OffsetsMember; topics: TopicOffsets[] } {
  if (input === null || typeof input !== 'object') throw invalid('takes { consumerGroupId, topics: [{ topic, partitions: [{ partition, offset }] }] }');
  const { groupId, member } = groupOf(input);
  if (!Array.isArray(input.topics)) throw invalid('topics must be an array');
  const topics = input.topics.map((t, i): TopicOffsets => {
    if (t === null || typeof t !== 'object' || typeof t.topic !== 'string' || t.topic === '') throw invalid(`topics[${i}].topic must be a non-empty string`);
    if (!Array.isArray(t.partitions)) throw invalid(`${t.topic}: partitions must be an array`);
    return {
      topic: t.topic,
      partitions: t.partitions.map((p) => {
        if (p === null || typeof p !== 'object' || !Number.isInteger(p.partition) || p.partition < 0) throw invalid(`${t.topic}: partition must be a whole number >= 0, got ${String(p?.partition)}`);
        const offset = typeof p.offset === 'string' && /^\d+$/.test(p.offset) ? Number(p.offset) : p.offset;
        if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) throw invalid(`${t.topic}-${p.partition}: offset must be a whole number >= 0, got ${String(p.offset)}`);
        return { partition: p.partition, offset };
      }),
    };
  });
  return { groupId, member, topics };
}

function groupOf(input: SendOffsetsInput): { groupId: string; member: OffsetsMember } {
  const meta = input.consumerGroupMetadata;
  if (meta === undefined) {
    const groupId = input.consumerGroupId;
    if (typeof groupId !== 'string' || groupId === '') throw invalid('consumerGroupId must be a non-empty string (or pass consumerGroupMetadata: consumer.groupMetadata())');
    return { groupId, member: NO_MEMBER };
  }
  if (meta === null || typeof meta !== 'object' || typeof meta.groupId !== 'string' || meta.groupId === '') {
    throw invalid('consumerGroupMetadata must be what consumer.groupMetadata() returns');
  }
  if (!Number.isInteger(meta.generationId) || typeof meta.memberId !== 'string' || (meta.groupInstanceId !== null && typeof meta.groupInstanceId !== 'string')) {
    throw invalid('consumerGroupMetadata needs generationId (integer), memberId (string) and groupInstanceId (string or null)');
  }
  if (input.consumerGroupId !== undefined && input.consumerGroupId !== meta.groupId) {
    throw invalid(`consumerGroupId ${String(input.consumerGroupId)} is not the group of consumerGroupMetadata (${meta.groupId})`);
  }
  return { groupId: meta.groupId, member: { generationId: meta.generationId, memberId: meta.memberId, groupInstanceId: meta.groupInstanceId } };
}

/** One transaction of a transactional producer (see the top of this file). */
export class Transaction {
  readonly #number: number;
  readonly #manager: TransactionManager;
  readonly #producer: TransactionProducer;

  /** Use `producer.transaction()`. */
  constructor(transaction: number, manager: TransactionManager, producer: TransactionProducer) {
    this.#number = transaction;
    this.#manager = manager;
    this.#producer = producer;
  }

  /** Sends messages to one topic in this transaction; resolves once they are acknowledged (not yet committed). */
  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    if (record === null || typeof record !== 'object') {
      return Promise.reject(new ClientError('SAMSA_ERR_INVALID_MESSAGE', 'send() takes { topic, messages }'));
    }
    return this.#producer.sendBatch({ topicMessages: [{ topic: record.topic, messages: record.messages }], acks: record.acks, compression: record.compression }, this.#number);
  }

  /** Sends messages to several topics in this transaction. */
  sendBatch(input: SendBatchInput): Promise<RecordMetadata[]> {
    return this.#producer.sendBatch(input, this.#number);
  }

  /**
   * Commits a consumer group's offsets with this transaction: AddOffsetsToTxn,
   * then TxnOffsetCommit to the group's coordinator. They become the group's
   * committed offsets only if the transaction commits.
   */
  async sendOffsets(input: SendOffsetsInput): Promise<void> {
    const { groupId, member, topics } = normalizeOffsets(input);
    return this.#manager.sendOffsets(this.#number, groupId, member, topics);
  }

  /** Sends what is buffered, waits for it and for sendOffsets, then commits (EndTxn). */
  commit(): Promise<void> {
    return this.#manager.commit(this.#number);
  }

  /** Drops what was not sent yet, waits for what is in flight, then aborts (EndTxn). */
  abort(): Promise<void> {
    return this.#manager.abort(this.#number);
  }

  /** True until this transaction was committed or aborted (or the producer failed fatally). */
  isActive(): boolean {
    return this.#manager.isActive(this.#number);
  }
}
