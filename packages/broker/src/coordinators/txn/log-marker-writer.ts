/**
 * Writes transaction markers straight into this node's partition logs (in
 * Kafka the coordinator sends WriteTxnMarkers to each partition leader; on
 * one node every leader is local). All partitions are written in parallel;
 * the call resolves once every marker is in its log and rejects if any
 * failed (the coordinator retries the whole set: a repeated marker closes
 * nothing, so retrying is harmless). A partition whose topic was deleted
 * meanwhile is skipped.
 *
 * Markers in `__consumer_offsets` partitions also settle the transaction's
 * pending offset commits: `onOffsetsMarker` makes them visible (commit) or
 * drops them (abort) once the marker is written.
 */
import { SINGLE_NODE_LEADER_EPOCH } from '../../broker-services.js';
import type { TopicManager } from '../../topic-manager.js';
import { OFFSETS_TOPIC } from '../group/offsets-topic.js';
import type { MarkerWriter, TopicPartitionRef } from './transaction-coordinator.js';

/** The coordinator epoch markers carry; one node never changes coordinator. */
export const SINGLE_NODE_COORDINATOR_EPOCH = 0;

export class LogMarkerWriter implements MarkerWriter {
  readonly #topics: TopicManager;
  readonly #onAppend: (topic: string, partition: number) => void;
  #onOffsetsMarker: ((partition: number, producerId: number, commit: boolean) => void) | null = null;

  constructor(topics: TopicManager, onAppend: (topic: string, partition: number) => void) {
    this.#topics = topics;
    this.#onAppend = onAppend;
  }

  /** Registers who settles transactional offset commits (the group coordinator). */
  set onOffsetsMarker(fn: (partition: number, producerId: number, commit: boolean) => void) {
    this.#onOffsetsMarker = fn;
  }

  async writeMarkers(partitions: readonly TopicPartitionRef[], marker: { producerId: number; producerEpoch: number; aborted: boolean }): Promise<void> {
    const results = await Promise.allSettled(
      partitions.map(async ({ topic, partition }) => {
        const log = this.#topics.log(topic, partition);
        if (log === undefined) return;
        await log.appendMarker(
          { ...marker, coordinatorEpoch: SINGLE_NODE_COORDINATOR_EPOCH, timestampMs: Date.now() },
          { leaderEpoch: SINGLE_NODE_LEADER_EPOCH },
        );
        if (topic === OFFSETS_TOPIC) this.#onOffsetsMarker?.(partition, marker.producerId, !marker.aborted);
        this.#onAppend(topic, partition);
      }),
    );
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length > 0) throw new AggregateError(failed.map((f) => f.reason), `${failed.length} of ${partitions.length} transaction markers failed`);
  }
}
