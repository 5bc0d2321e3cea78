/**
 * Offset retention: every offsets.retention.check.interval.ms, committed
 * offsets past offsets.retention.minutes are tombstoned and groups left with
 * nothing are forgotten. A part of the GroupCoordinator, working on its
 * registry and writing through its {@link GroupStore}.
 */
import { subscribedTopicsOf } from './consumer-subscription.js';
import type { GroupCoordinatorConfig } from './group-config.js';
import type { GroupRegistry } from './group-registry.js';
import { storeErrorCode, type GroupStore, type OffsetsTopicRecord } from './group-store.js';
import { encodeGroupMetadataKey, encodeOffsetCommitKey } from './offsets-topic-records.js';
import type { GroupTimers, TimerHandle } from './timers.js';

/** What {@link OffsetRetention} works with. */
export interface OffsetRetentionOptions {
  groups: GroupRegistry;
  timers: GroupTimers;
  store: GroupStore;
  config: Required<GroupCoordinatorConfig>;
}

/** The periodic offset-expiry check (see {@link OffsetRetention.expire}). */
export class OffsetRetention {
  readonly #groups: GroupRegistry;
  readonly #timers: GroupTimers;
  readonly #store: GroupStore;
  readonly #config: Required<GroupCoordinatorConfig>;
  #timer: TimerHandle | null = null;
  #stopped = false;

  constructor(opts: OffsetRetentionOptions) {
    this.#groups = opts.groups;
    this.#timers = opts.timers;
    this.#store = opts.store;
    this.#config = opts.config;
  }

  /** (Re)arms the next check, offsets.retention.check.interval.ms from now; each check arms the next. */
  schedule(): void {
    if (this.#stopped) return;
    this.#timers.clear(this.#timer);
    this.#timer = this.#timers.set(this.#config.offsetsRetentionCheckIntervalMs, () => {
      this.#timer = null;
      void this.expire().finally(() => this.schedule());
    });
  }

  /** Cancels the next check for good (shutdown). */
  stop(): void {
    this.#stopped = true;
    this.#timers.clear(this.#timer);
    this.#timer = null;
  }

  /**
   * Offset retention (Kafka >= 2.1: KIP-211, and KIP-496 for groups with members), run every
   * offsets.retention.check.interval.ms. Which offsets may expire, and from when
   * offsets.retention.minutes counts, is {@link ClassicGroup.offsetExpiryRule}:
   *
   *   group                                    offsets that may expire      retention counts from
   *   Empty, with a protocol type (it had      all                          when it became Empty
   *     members once)
   *   Empty, no protocol type (only simple     all                          each offset's commit
   *     consumers committed)
   *   Stable, protocol type "consumer", every  topics no member subscribes  each offset's commit
   *     member's subscription decodes           to any more
   *   any other (rebalancing, another          none
   *     protocol type, an unreadable
   *     subscription)
   *   a commit in flight (appended, not yet    none this time
   *     answered)
   *
   * An offset committed with an explicit retention (OffsetCommit v2-4 RetentionTimeMs; its
   * expire timestamp is set) expires at its expire timestamp instead, when it may expire at all.
   *
   * Expired offsets are tombstoned in `__consumer_offsets` so a restart does not bring them
   * back. An Empty group left with no offsets (and no KIP-394 member id outstanding) becomes
   * Dead and is forgotten; its GroupMetadata record is tombstoned too when it ever had a
   * generation. A Stable group keeps its state whatever expired. Resolves with the number of
   * offsets expired (0 once stopped).
   */
  async expire(): Promise<number> {
    if (this.#stopped) return 0;
    const now = this.#timers.nowMs();
    const retention = this.#config.offsetsRetentionMs;
    const appends: Array<Promise<number>> = [];
    let expired = 0;
    for (const group of this.#groups.all()) {
      if (group.inflightCommits > 0) continue;
      const rule = group.offsetExpiryRule(subscribedTopicsOf);
      if (rule === null) continue;
      const records: OffsetsTopicRecord[] = [];
      for (const [topic, byPartition] of [...group.offsets]) {
        if (rule.keepTopics.has(topic)) continue;
        for (const [partition, value] of [...byPartition]) {
          const base = rule.countFrom === 'emptySince' ? group.stateTimestampMs : value.commitTimestamp;
          const expiresAt = value.expireTimestamp >= 0 ? value.expireTimestamp : base + retention;
          if (now < expiresAt) continue;
          group.deleteCommitted(topic, partition);
          records.push({ key: encodeOffsetCommitKey(group.groupId, topic, partition), value: null });
          expired++;
        }
      }
      if (group.is('Empty') && !group.hasOffsets() && group.pendingMembers.size === 0 && group.joinTimer === null) {
        group.transitionTo('Dead', now);
        this.#groups.remove(group);
        if (group.generationId > 0) records.push({ key: encodeGroupMetadataKey(group.groupId), value: null });
      }
      if (records.length > 0) appends.push(this.#store.append(group.groupId, records, storeErrorCode));
    }
    await Promise.all(appends);
    return expired;
  }
}
