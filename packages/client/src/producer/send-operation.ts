/**
 * One `send()`/`sendBatch()` call: collects the outcome of every batch
 * segment its records went into and settles once all of them did.
 *
 * A send succeeds when every one of its records was acknowledged; it then
 * resolves with one RecordMetadata per topic-partition, whose baseOffset is
 * the offset of this send's first record there (not the batch's, which may
 * begin with another send's records). If any partition failed it rejects with
 * that partition's error, or an AggregateError of one error per failed
 * partition.
 */
import type { BatchResult, BatchSegment, ProducerBatch, SegmentOwner } from './producer-batch.js';
import type { RecordMetadata } from './message.js';

interface PartitionOutcome {
  topic: string;
  partition: number;
  /** The segment holding this send's first record in the partition. */
  first: BatchSegment | null;
  metadata: RecordMetadata | null;
  error: Error | null;
}

/** Partitions an operation may touch before its outcomes are indexed instead of searched. */
const SEARCH_LIMIT = 8;

/** The outcome of one send call, assembled from its batch segments. */
export class SendOperation implements SegmentOwner {
  readonly promise: Promise<RecordMetadata[]>;
  #resolve!: (v: RecordMetadata[]) => void;
  #reject!: (e: unknown) => void;
  /** Segments appended and not yet settled. */
  #pending = 0;
  /** True until every record was appended (appending may pause for buffer space). */
  #appending = true;
  #settled = false;
  /** Outcomes in order of first record. */
  readonly #outcomes: PartitionOutcome[] = [];
  /**
   * The outcomes by topic and partition, once there are more than a few:
   * most sends write to one partition, where searching the list is cheaper
   * than any key, and a send to hundreds of partitions must not search it.
   */
  #index: Map<string, Map<number, PartitionOutcome>> | null = null;
  /** Set when the operation was aborted after some records were appended. */
  #abortError: Error | null = null;

  constructor() {
    this.promise = new Promise<RecordMetadata[]>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** Called by the producer after appending a record; `segment` is the one it went into. */
  appended(batch: ProducerBatch, segment: BatchSegment, newSegment: boolean): void {
    // A record that extends a segment is in a batch (and partition) this operation has seen.
    if (!newSegment) return;
    this.#pending++;
    if (this.#outcomeOf(batch) !== undefined) return;
    const outcome: PartitionOutcome = { topic: batch.topic, partition: batch.partition, first: segment, metadata: null, error: null };
    this.#outcomes.push(outcome);
    if (this.#index !== null) this.#indexOutcome(outcome);
    else if (this.#outcomes.length > SEARCH_LIMIT) {
      this.#index = new Map();
      for (const o of this.#outcomes) this.#indexOutcome(o);
    }
  }

  #outcomeOf(batch: ProducerBatch): PartitionOutcome | undefined {
    if (this.#index !== null) return this.#index.get(batch.topic)?.get(batch.partition);
    const outcomes = this.#outcomes;
    for (let i = 0; i < outcomes.length; i++) {
      const o = outcomes[i];
      if (o.partition === batch.partition && o.topic === batch.topic) return o;
    }
    return undefined;
  }

  #indexOutcome(o: PartitionOutcome): void {
    const index = this.#index as Map<string, Map<number, PartitionOutcome>>;
    let byPartition = index.get(o.topic);
    if (byPartition === undefined) index.set(o.topic, (byPartition = new Map()));
    byPartition.set(o.partition, o);
  }

  /** Every record was appended: the operation may settle once its segments have. */
  doneAppending(): void {
    this.#appending = false;
    this.#maybeSettle();
  }

  /** Fails the whole operation before (or while) appending, e.g. invalid input or no metadata. */
  abort(error: unknown): void {
    if (this.#settled) return;
    if (this.#pending === 0) {
      this.#settled = true;
      this.#reject(error);
      return;
    }
    // Records already appended will still be sent; report the error once they settled.
    this.#appending = false;
    this.#abortError ??= error instanceof Error ? error : new Error(String(error));
    this.#maybeSettle();
  }

  segmentDone(batch: ProducerBatch, segment: BatchSegment, result: BatchResult): void {
    const o = this.#outcomeOf(batch);
    if (o !== undefined && o.first === segment) {
      o.metadata = {
        topicName: batch.topic,
        partition: batch.partition,
        errorCode: 0,
        baseOffset: result.baseOffset >= 0 ? result.baseOffset + segment.firstIndex : -1,
        logAppendTimeMs: result.logAppendTimeMs,
        logStartOffset: result.logStartOffset,
      };
    }
    this.#pending--;
    this.#maybeSettle();
  }

  segmentFailed(batch: ProducerBatch, _segment: BatchSegment, error: Error): void {
    const o = this.#outcomeOf(batch);
    if (o !== undefined && o.error === null) o.error = error;
    this.#pending--;
    this.#maybeSettle();
  }

  #maybeSettle(): void {
    if (this.#settled || this.#appending || this.#pending > 0) return;
    this.#settled = true;
    const outcomes = this.#outcomes;
    if (outcomes.length === 1 && outcomes[0].error === null && this.#abortError === null) {
      this.#resolve([outcomes[0].metadata as RecordMetadata]);
      return;
    }
    const errors = outcomes.filter((o) => o.error !== null).map((o) => o.error as Error);
    if (this.#abortError !== null) errors.push(this.#abortError);
    if (errors.length === 1) this.#reject(errors[0]);
    else if (errors.length > 1) this.#reject(new AggregateError(errors, errors.map((e) => e.message).join('; ')));
    else {
      // Topics in the order the send named them, partitions ascending within each.
      const topicOrder = new Map<string, number>();
      for (const o of outcomes) if (!topicOrder.has(o.topic)) topicOrder.set(o.topic, topicOrder.size);
      const out = outcomes.map((o) => o.metadata as RecordMetadata);
      out.sort((a, b) => (topicOrder.get(a.topicName) ?? 0) - (topicOrder.get(b.topicName) ?? 0) || a.partition - b.partition);
      this.#resolve(out);
    }
  }
}
