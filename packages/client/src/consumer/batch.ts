/**
 * The `batch` of an eachBatch handler, shaped like kafkajs' Batch (offsets
 * as numbers): the messages of one partition from one fetch, with the
 * partition's high watermark at that fetch.
 */
import type { ConsumerMessage } from './consumer-message.js';

/** Messages of one partition handed to eachBatch. */
export class Batch {
  readonly topic: string;
  readonly partition: number;
  /** The partition's high watermark when these messages were fetched. */
  readonly highWatermark: number;
  readonly messages: ConsumerMessage[];

  constructor(topic: string, partition: number, highWatermark: number, messages: ConsumerMessage[]) {
    this.topic = topic;
    this.partition = partition;
    this.highWatermark = highWatermark;
    this.messages = messages;
  }

  isEmpty(): boolean {
    return this.messages.length === 0;
  }

  /** Offset of the first message, or null for an empty batch. */
  firstOffset(): number | null {
    return this.messages.length === 0 ? null : this.messages[0].offset;
  }

  /** Offset of the last message (highWatermark - 1 for an empty batch, as kafkajs). */
  lastOffset(): number {
    return this.messages.length === 0 ? this.highWatermark - 1 : this.messages[this.messages.length - 1].offset;
  }

  /** Messages after this batch up to the high watermark. */
  offsetLag(): number {
    return Math.max(0, this.highWatermark - 1 - this.lastOffset());
  }

  /** Messages from the first of this batch up to the high watermark. */
  offsetLagLow(): number {
    const first = this.firstOffset();
    return first === null ? 0 : Math.max(0, this.highWatermark - 1 - first);
  }
}
