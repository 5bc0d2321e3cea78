/**
 * Offsets committed inside open transactions (TxnOffsetCommit, KIP-98): held
 * per group and producer until the transaction's marker reaches the group's
 * `__consumer_offsets` partition. A COMMIT makes them the group's committed
 * offsets, an ABORT drops them; until then OffsetFetch with requireStable
 * answers UNSTABLE_OFFSET_COMMIT for their partitions.
 */
import type { CommittedOffset } from './classic-group.js';

/** One partition's offset inside a transaction. */
export interface PendingTxnOffset {
  readonly topic: string;
  readonly partition: number;
  readonly value: CommittedOffset;
}

/** groupId -> producerId -> the offsets that producer's open transaction committed. */
export class PendingTxnOffsets {
  readonly #byGroup = new Map<string, Map<number, PendingTxnOffset[]>>();

  /** Holds `entry` for the producer's open transaction (a later commit of the same partition replaces it). */
  add(groupId: string, producerId: number, entry: PendingTxnOffset): void {
    let byProducer = this.#byGroup.get(groupId);
    if (byProducer === undefined) this.#byGroup.set(groupId, (byProducer = new Map()));
    let list = byProducer.get(producerId);
    if (list === undefined) byProducer.set(producerId, (list = []));
    const i = list.findIndex((p) => p.topic === entry.topic && p.partition === entry.partition);
    if (i >= 0) list[i] = entry;
    else list.push(entry);
  }

  /**
   * Forgets everything the producer's transaction held and returns it per group (the caller
   * applies it on a COMMIT and drops it on an ABORT).
   */
  takeProducer(producerId: number): Map<string, PendingTxnOffset[]> {
    const taken = new Map<string, PendingTxnOffset[]>();
    for (const [groupId, byProducer] of [...this.#byGroup]) {
      const pending = byProducer.get(producerId);
      if (pending === undefined) continue;
      byProducer.delete(producerId);
      if (byProducer.size === 0) this.#byGroup.delete(groupId);
      taken.set(groupId, pending);
    }
    return taken;
  }

  /** True when a transaction has an offset pending for this partition of the group. */
  has(groupId: string, topic: string, partition: number): boolean {
    const byProducer = this.#byGroup.get(groupId);
    if (byProducer === undefined) return false;
    for (const list of byProducer.values()) if (list.some((p) => p.topic === topic && p.partition === partition)) return true;
    return false;
  }
}
