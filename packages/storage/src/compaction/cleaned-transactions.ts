/**
 * What one clean knows about transactions (the role of Kafka's
 * CleanedTransactionMetadata): which transactional data batches belong to
 * aborted transactions, and, as the clean walks the log in offset order,
 * whether any batch of each producer's current transaction was kept. The
 * second decides the fate of the transaction's marker (batch-filter.ts).
 *
 * Aborted or committed. A producer has at most one transaction open on a
 * partition at a time, and the aborted-transaction index (txn-index.ts) holds
 * each aborted one as [firstOffset, marker offset]. So a transactional data
 * batch of producer P starting at offset b is aborted iff the first index
 * entry of P whose marker lies after b starts at or before b. Everything the
 * cleaner changes lies below the last stable offset, so every transaction it
 * meets is decided: aborted if the index says so, committed otherwise (its
 * COMMIT marker may lie beyond the cleaned range, even in the active segment).
 *
 * Kept batches. The clean reports each transactional data batch it reads
 * with whether it wrote the batch (with records, or empty to keep its
 * producer's sequence); a marker of P closes P's current transaction and
 * tells whether any of its batches was kept. One object serves one clean
 * across all its groups, which walk the log from its first segment, so
 * "kept" covers this and every earlier segment. A transaction whose batches
 * all went in an earlier clean has no state here when its marker is read:
 * nothing of it was kept.
 */
import type { AbortedTxn } from '../txn-index.js';

/** Aborted-transaction lookup and per-producer transaction state of one clean. */
export class CleanedTransactions {
  /** Per producer, its aborted transactions ordered by marker offset. */
  #aborted = new Map<number, AbortedTxn[]>();
  /** Producer id → whether a batch of its current (not yet closed by a marker) transaction was kept. */
  #ongoing = new Map<number, boolean>();

  /** `aborted`: the log's aborted transactions (any order, any range). */
  constructor(aborted: Iterable<AbortedTxn>) {
    for (const t of aborted) {
      let list = this.#aborted.get(t.producerId);
      if (list === undefined) {
        list = [];
        this.#aborted.set(t.producerId, list);
      }
      list.push(t);
    }
    for (const list of this.#aborted.values()) list.sort((a, b) => a.lastOffset - b.lastOffset);
  }

  /** True when the transactional data batch of `producerId` starting at `baseOffset` belongs to an aborted transaction. */
  isAborted(producerId: number, baseOffset: number): boolean {
    const list = this.#aborted.get(producerId);
    if (list === undefined) return false;
    // First entry whose marker comes after the batch: the transaction the batch is part of, if aborted.
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid].lastOffset <= baseOffset) lo = mid + 1;
      else hi = mid;
    }
    return lo < list.length && list[lo].firstOffset <= baseOffset;
  }

  /** Reports a transactional data batch of `producerId` read by the clean; `kept` = written to the cleaned segment. */
  onDataBatch(producerId: number, kept: boolean): void {
    this.#ongoing.set(producerId, kept || this.#ongoing.get(producerId) === true);
  }

  /** Reports a marker of `producerId`: closes its current transaction. True when a batch of it was kept. */
  onMarker(producerId: number): boolean {
    const kept = this.#ongoing.get(producerId) === true;
    this.#ongoing.delete(producerId);
    return kept;
  }
}
