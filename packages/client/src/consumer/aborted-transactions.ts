/**
 * read_committed filtering of one partition's fetched batches.
 *
 * A read_committed Fetch returns data up to the last stable offset plus the
 * aborted transactions that overlap it: `(producerId, firstOffset)` pairs.
 * The records of an aborted transaction are still in the log; the consumer
 * drops them. Walking the batches in offset order:
 *
 *   1. every aborted transaction whose firstOffset <= this batch's lastOffset
 *      has started by now: its producer id joins the "aborting" set;
 *   2. a control batch is never delivered; an ABORT marker ends its
 *      producer's aborted transaction (the id leaves the set);
 *   3. a transactional data batch whose producer id is in the set belongs to
 *      an aborted transaction and is dropped; everything else is delivered.
 *
 * A producer has at most one open transaction per partition, so "producer id
 * in the set" identifies the aborted transaction exactly. COMMIT markers need
 * no bookkeeping: committed records are delivered as they come.
 *
 *   | batch                      | producer aborting? | decision             |
 *   | -------------------------- | ------------------ | -------------------- |
 *   | control, ABORT marker      | any                | skip; stop aborting  |
 *   | control, other             | any                | skip                 |
 *   | transactional data         | yes                | skip                 |
 *   | transactional data         | no                 | deliver              |
 *   | non-transactional data     | any                | deliver              |
 */
import { decodeControlRecord, type DecodedBatch } from '@samsa/protocol';

/** What {@link AbortedTransactionFilter.decide} says about a batch. */
export type BatchDecision = 'deliver' | 'skip';

/** One aborted transaction as a read_committed Fetch response lists it. */
export interface AbortedTransactionRef {
  producerId: number;
  firstOffset: number;
}

/** Decides batch by batch, in offset order (see the top of this file). */
export class AbortedTransactionFilter {
  readonly #pending: AbortedTransactionRef[];
  #next = 0;
  readonly #aborting = new Set<number>();

  constructor(aborted: readonly AbortedTransactionRef[] | null) {
    this.#pending = [...(aborted ?? [])].sort((a, b) => a.firstOffset - b.firstOffset);
  }

  /** The decision for the next batch (batches must come in offset order). */
  decide(batch: Pick<DecodedBatch, 'lastOffset' | 'isControl' | 'isTransactional' | 'producerId' | 'records'>): BatchDecision {
    while (this.#next < this.#pending.length && this.#pending[this.#next].firstOffset <= batch.lastOffset) {
      this.#aborting.add(this.#pending[this.#next++].producerId);
    }
    if (batch.isControl) {
      if (isAbortMarker(batch)) this.#aborting.delete(batch.producerId);
      return 'skip';
    }
    if (batch.isTransactional && this.#aborting.has(batch.producerId)) return 'skip';
    return 'deliver';
  }
}

function isAbortMarker(batch: Pick<DecodedBatch, 'records'>): boolean {
  const r = batch.records[0];
  if (r === undefined) return false;
  try {
    return decodeControlRecord(r).type === 'ABORT';
  } catch {
    // A control record we cannot read is not a marker we act on; it is skipped like every control batch.
    return false;
  }
}
