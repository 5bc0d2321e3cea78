/**
 * Membership of a consumer group with the classic protocol: JoinGroup,
 * SyncGroup, Heartbeat and LeaveGroup against the group coordinator.
 *
 * One loop joins whenever a (re)join is needed:
 *
 *   lost partitions?  -> host.lose()          (fenced: no commit)
 *   eager protocol?   -> host.revokeAll()     (handlers finish, offsets committed)
 *   JoinGroup         (KIP-394: MEMBER_ID_REQUIRED gives the member id, join again at once)
 *   leader?           -> run the assignor over every member's subscription
 *   SyncGroup         -> this member's assignment
 *   host.assign()     (cooperative: revokes what was taken away first; if
 *                      anything was revoked, join once more so the partitions
 *                      can move; KIP-429)
 *
 * Heartbeats run on their own timer from the SyncGroup answer until the next
 * JoinGroup is sent, independent of message handlers and of the loop: a
 * handler that takes longer than the session timeout does not cost the
 * membership, and while an eager member waits for handlers before
 * rejoining, its session stays alive. A heartbeat answered
 * REBALANCE_IN_PROGRESS asks the loop to rejoin; ILLEGAL_GENERATION or
 * UNKNOWN_MEMBER_ID means the partitions are already someone else's (lost).
 *
 * Error handling:
 *
 *   | error                                  | JoinGroup             | SyncGroup             | Heartbeat            |
 *   | -------------------------------------- | --------------------- | --------------------- | -------------------- |
 *   | MEMBER_ID_REQUIRED                     | take id, join again   | -                     | -                    |
 *   | REBALANCE_IN_PROGRESS                  | join again            | join again            | rejoin               |
 *   | ILLEGAL_GENERATION                     | join again            | lose, join again      | lose, rejoin         |
 *   | UNKNOWN_MEMBER_ID                      | forget id, join again | lose, forget id, join | lose, forget id, rejoin |
 *   | FENCED_INSTANCE_ID                     | fatal                 | fatal                 | fatal                |
 *   | NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, lost connection | find coordinator, back off | same | same (next beat) |
 *   | other retriable                        | back off              | back off              | next beat            |
 *   | answer does not decode (see UnreadableSync) | -                | back off, join again  | -                    |
 *   | UNSUPPORTED_VERSION (no usable version) | fatal                | fatal                 | fatal                |
 *   | anything else                          | fatal                 | fatal                 | logged               |
 *
 * Until the first successful join, retriable failures count against the
 * retry policy (so `run()` fails instead of hanging on an unreachable
 * coordinator); afterwards the loop keeps trying with capped backoff.
 *
 * Metadata: the member watches its subscribed topics (the leader: every
 * member's topics) every `metadataMaxAgeMs`, sooner while a subscribed topic
 * is missing, and rejoins when a pattern matches another set of topics or a
 * partition count changed.
 */
import { ErrorCode, HeartbeatApi, JoinGroupApi, LeaveGroupApi, ProtocolDecodeError, SyncGroupApi, type JoinGroupResponse } from '@samsa/protocol';
import { isRetriableError } from '../cluster/cluster.js';
import { ClientError } from '../client-error.js';
import { ConnectionError, KafkaError } from '../kafka-error.js';
import type { Logger } from '../logger.js';
import { retryDelayMs } from '../retry.js';
import type { AssignorMember, PartitionAssigner } from './assignors/assignor.js';
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from './assignors/member-metadata.js';
import type { ConsumerEventEmitter } from './consumer-events.js';
import type { ConsumerSettings } from './consumer-options.js';
import { isCoordinatorError, type GroupCoordinatorLink } from './group-coordinator-link.js';
import type { CommitIdentity } from './offset-store.js';
import type { TopicPartitions } from './topic-partitions.js';

/** Bound of the loop's backoff once the member has joined once. */
const MAX_JOIN_BACKOFF_MS = 10_000;
/** Kafka's JOIN_GROUP_TIMEOUT_LAPSE: slack on top of the rebalance timeout for JoinGroup and SyncGroup. */
const JOIN_TIMEOUT_LAPSE_MS = 5_000;
/** How often a missing subscribed topic is looked for, at first. */
const MISSING_TOPIC_RECHECK_MS = 500;

/** What the membership needs from the consumer. */
export interface MembershipHost {
  /** The topics to subscribe to now (patterns resolved against the cluster). */
  subscribedTopics(): Promise<string[]>;
  /** Partition counts of `topics` (missing topics absent) and which were missing. */
  topicCounts(topics: readonly string[]): Promise<{ partitions: Map<string, number>; missing: string[] }>;
  /** Partitions this member owns now. */
  owned(): TopicPartitions[];
  /** Eager protocol: give up every partition before joining (handlers finish, offsets committed). */
  revokeAll(): Promise<void>;
  /** The partitions were taken away (fenced, session lost): stop them without committing. */
  lose(): Promise<void>;
  /** Applies an assignment; returns how many owned partitions it revoked. */
  assign(partitions: TopicPartitions[]): Promise<number>;
  /** A lasting error: the consumer stops. */
  failed(error: Error): void;
}

/** Settings of a {@link GroupMembership}. */
export interface MembershipOptions {
  groupId: string;
  link: GroupCoordinatorLink;
  host: MembershipHost;
  settings: ConsumerSettings;
  events: ConsumerEventEmitter;
  logger: Logger;
  random: () => number;
}

/** Join again at once (the coordinator asked for it, or the member id changed). */
class RejoinNeeded extends Error {}

/**
 * A SyncGroup answer that does not decode. librdkafka's mock cluster answers every SyncGroup
 * error with a null assignment, which the schema does not allow (Kafka sends empty bytes);
 * the error code is lost with it, so the member joins again after a pause.
 */
class UnreadableSync extends Error {}

/** The membership loop and the heartbeat timer (see the top of this file). */
export class GroupMembership {
  readonly #o: MembershipOptions;
  readonly #groupId: string;
  #memberId = '';
  #generationId = -1;
  #protocolName: string | null = null;
  #isLeader = false;
  #running = false;
  #loop: Promise<void> | null = null;
  #needsJoin = true;
  #lost = false;
  /** A JoinGroup or SyncGroup is parked at the coordinator (stop() closes its connection). */
  #joining = false;
  #wake: (() => void) | null = null;
  #joinedOnce = false;
  #firstJoin: { resolve: () => void; reject: (e: Error) => void; promise: Promise<void> } | null = null;
  // Heartbeats
  #heartbeating = false;
  #heartbeatTimer: NodeJS.Timeout | null = null;
  #heartbeatInFlight = false;
  // Metadata watch
  #metadataTimer: NodeJS.Timeout | null = null;
  /** At the last join: this member's topics, and the partition counts of those plus (leader) every member's topics. */
  #watched: { own: string[]; groupTopics: string[]; counts: Map<string, number>; missing: number } | null = null;
  #missingChecks = 0;

  constructor(opts: MembershipOptions) {
    this.#o = opts;
    this.#groupId = opts.groupId;
  }

  /** Member id, generation and instance id for commits (generation -1 before the first join). */
  identity(): CommitIdentity {
    return { generationId: this.#generationId, memberId: this.#memberId, groupInstanceId: this.#o.settings.groupInstanceId };
  }

  get memberId(): string {
    return this.#memberId;
  }

  get generationId(): number {
    return this.#generationId;
  }

  get isLeader(): boolean {
    return this.#isLeader;
  }

  /** The selected assignor of the current generation. */
  get protocolName(): string | null {
    return this.#protocolName;
  }

  /** Starts the loop; resolves after the first successful join, rejects if it fails for good. */
  start(): Promise<void> {
    if (this.#running) return this.#firstJoin?.promise ?? Promise.resolve();
    this.#running = true;
    this.#needsJoin = true;
    let resolve!: () => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => {});
    this.#firstJoin = { resolve, reject, promise };
    this.#joinedOnce = false;
    this.#loop = this.#run();
    return promise;
  }

  /** Asks for a rejoin (a subscription or metadata change, a rebalance announced by a heartbeat). */
  requestRejoin(reason: string): void {
    if (!this.#running) return;
    if (!this.#needsJoin) {
      this.#o.logger.debug('consumer group rejoin requested', { groupId: this.#groupId, reason });
      this.#o.events.emit('consumer.rebalancing', { groupId: this.#groupId, memberId: this.#memberId, reason });
    }
    this.#needsJoin = true;
    this.#wake?.();
  }

  /**
   * Stops the loop and the heartbeats and, for a dynamic member, sends
   * LeaveGroup (a static member stays registered until its session expires,
   * so a restart within the session timeout gets its partitions back
   * without a rebalance; KIP-345). A JoinGroup parked at the coordinator is
   * abandoned by closing its connection.
   */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#stopHeartbeats();
    this.#stopMetadataWatch();
    if (this.#joining) this.#o.link.reset();
    this.#wake?.();
    await this.#loop?.catch(() => {});
    this.#loop = null;
    this.#firstJoin?.reject(new ClientError('SAMSA_ERR_NOT_CONNECTED', 'the consumer stopped before it joined the group'));
    this.#firstJoin = null;
    if (this.#memberId !== '' && this.#o.settings.groupInstanceId === null) await this.#leave();
    this.#generationId = -1;
    this.#isLeader = false;
  }

  /** Stops for good after a lasting error (no LeaveGroup: the membership is over anyway). */
  #halt(): void {
    this.#running = false;
    this.#stopHeartbeats();
    this.#stopMetadataWatch();
    this.#wake?.();
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (this.#running) {
      if (!this.#needsJoin) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        this.#wake = null;
        continue;
      }
      try {
        if (this.#lost) {
          this.#lost = false;
          await this.#o.host.lose();
        }
        if (this.#o.settings.rebalanceProtocol === 'eager') await this.#o.host.revokeAll();
        if (!this.#running) break;
        this.#needsJoin = false;
        const started = Date.now();
        const joined = await this.#join();
        const assignment = await this.#sync(joined);
        failures = 0;
        this.#startHeartbeats();
        const revoked = await this.#o.host.assign(assignment);
        if (!this.#running) break;
        const memberAssignment: Record<string, number[]> = {};
        for (const tp of assignment) memberAssignment[tp.topic] = tp.partitions;
        this.#o.events.emit('consumer.group_join', {
          duration: Date.now() - started,
          groupId: this.#groupId,
          memberId: this.#memberId,
          generationId: this.#generationId,
          isLeader: this.#isLeader,
          leaderId: joined.leader,
          groupProtocol: this.#protocolName ?? '',
          memberAssignment,
        });
        if (revoked > 0 && this.#o.settings.rebalanceProtocol === 'cooperative') this.requestRejoin(`revoked ${revoked} partitions; rejoining so they can move`);
        this.#startMetadataWatch();
        if (!this.#joinedOnce) {
          this.#joinedOnce = true;
          this.#firstJoin?.resolve();
        }
      } catch (err) {
        this.#needsJoin = true;
        if (!this.#running) break;
        if (err instanceof RejoinNeeded) continue;
        const fatal = !(err instanceof UnreadableSync) && (!isRetriableError(err) || (err instanceof KafkaError && err.code === ErrorCode.FENCED_INSTANCE_ID));
        failures++;
        if (fatal || (!this.#joinedOnce && failures > this.#o.settings.retry.retries)) {
          this.#halt();
          const error = err instanceof Error ? err : new Error(String(err));
          this.#firstJoin?.reject(error);
          this.#firstJoin = null;
          this.#o.host.failed(error);
          return;
        }
        // The first failures are routine (a coordinator being elected or loading); keep going quietly.
        (failures >= 3 ? this.#o.logger.warn : this.#o.logger.debug).call(this.#o.logger, 'joining the consumer group failed; retrying', { groupId: this.#groupId, error: err });
        const delay = retryDelayMs(this.#o.settings.retry, failures, this.#o.random);
        await this.#sleep(this.#joinedOnce ? Math.min(delay, MAX_JOIN_BACKOFF_MS) : delay);
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      // stop() wakes the sleep; a rejoin request during a backoff does not cut it short.
      const wake = (): void => {
        if (!this.#running) done();
      };
      const done = (): void => {
        clearTimeout(timer);
        if (this.#wake === wake) this.#wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = wake;
    });
  }

  /** JoinGroup until it succeeds or fails for good (see the table at the top). */
  async #join(): Promise<JoinGroupResponse> {
    const s = this.#o.settings;
    for (let memberIdRounds = 0; ; memberIdRounds++) {
      const topics = await this.#o.host.subscribedTopics();
      const owned = s.rebalanceProtocol === 'cooperative' ? this.#o.host.owned() : [];
      const metadata = encodeSubscription({ topics, userData: null, ownedPartitions: owned, generationId: s.rebalanceProtocol === 'cooperative' ? this.#generationId : -1 });
      const conn = await this.#coordinator();
      const version = conn.version(JoinGroupApi);
      if (s.groupInstanceId !== null && version < 5) {
        throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, {
          apiName: 'JoinGroup',
          apiKey: JoinGroupApi.apiKey,
          apiVersion: version,
          resource: `group ${this.#groupId}`,
          message: `static membership (groupInstanceId) needs JoinGroup v5+, the broker supports up to v${version}`,
        });
      }
      this.#stopHeartbeats();
      this.#joining = true;
      let res: JoinGroupResponse;
      try {
        res = await conn.send(
          JoinGroupApi,
          version,
          {
            groupId: this.#groupId,
            sessionTimeoutMs: s.sessionTimeoutMs,
            rebalanceTimeoutMs: s.rebalanceTimeoutMs,
            memberId: this.#memberId,
            groupInstanceId: s.groupInstanceId,
            protocolType: 'consumer',
            protocols: s.assigners.map((a) => ({ name: a.name, metadata })),
            reason: null,
          },
          { timeoutMs: this.#joinTimeoutMs() },
        );
      } catch (err) {
        this.#onRequestError(err);
        throw err;
      } finally {
        this.#joining = false;
      }
      const code = res.errorCode;
      if (code === 0) {
        this.#memberId = res.memberId;
        this.#generationId = res.generationId;
        this.#protocolName = res.protocolName;
        this.#isLeader = res.leader === res.memberId;
        this.#o.logger.debug('joined the consumer group', { groupId: this.#groupId, memberId: res.memberId, generationId: res.generationId, leader: this.#isLeader });
        return res;
      }
      const error = this.#error(code, 'JoinGroup', version);
      if (code === ErrorCode.MEMBER_ID_REQUIRED && memberIdRounds < 3) {
        this.#memberId = res.memberId;
        continue;
      }
      if (code === ErrorCode.UNKNOWN_MEMBER_ID) {
        this.#memberId = '';
        this.#generationId = -1;
        if (this.#o.host.owned().length > 0) this.#lost = true;
        throw new RejoinNeeded();
      }
      if (code === ErrorCode.REBALANCE_IN_PROGRESS || code === ErrorCode.ILLEGAL_GENERATION) throw new RejoinNeeded();
      if (isCoordinatorError(code)) this.#o.link.reset();
      throw error;
    }
  }

  /** The leader's assignment (unless the coordinator says to skip it), then SyncGroup. */
  async #sync(joined: JoinGroupResponse): Promise<TopicPartitions[]> {
    const s = this.#o.settings;
    let assignments: Array<{ memberId: string; assignment: Buffer }> = [];
    if (this.#isLeader && !joined.skipAssignment) assignments = await this.#assign(joined);
    const conn = await this.#coordinator();
    const version = conn.version(SyncGroupApi);
    let res;
    this.#joining = true;
    try {
      res = await conn.send(
        SyncGroupApi,
        version,
        {
          groupId: this.#groupId,
          generationId: this.#generationId,
          memberId: this.#memberId,
          groupInstanceId: s.groupInstanceId,
          protocolType: 'consumer',
          protocolName: this.#protocolName,
          assignments,
        },
        { timeoutMs: this.#joinTimeoutMs() },
      );
    } catch (err) {
      if (err instanceof ProtocolDecodeError) throw new UnreadableSync(`the SyncGroup answer does not decode: ${err.message}`, { cause: err });
      this.#onRequestError(err);
      throw err;
    } finally {
      this.#joining = false;
    }
    const code = res.errorCode;
    if (code === 0) {
      try {
        return decodeAssignment(res.assignment).partitions;
      } catch (err) {
        throw new KafkaError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, {
          apiName: 'SyncGroup',
          resource: `group ${this.#groupId}`,
          message: `the assignment from the leader does not decode: ${(err as Error).message}`,
          cause: err,
        });
      }
    }
    if (code === ErrorCode.REBALANCE_IN_PROGRESS) throw new RejoinNeeded();
    if (code === ErrorCode.UNKNOWN_MEMBER_ID || code === ErrorCode.ILLEGAL_GENERATION) {
      if (code === ErrorCode.UNKNOWN_MEMBER_ID) this.#memberId = '';
      this.#generationId = -1;
      if (this.#o.host.owned().length > 0) this.#lost = true;
      throw new RejoinNeeded();
    }
    if (isCoordinatorError(code)) this.#o.link.reset();
    throw this.#error(code, 'SyncGroup', version);
  }

  /** Runs the selected assignor over the members' subscriptions (this member leads). */
  async #assign(joined: JoinGroupResponse): Promise<Array<{ memberId: string; assignment: Buffer }>> {
    const assigner: PartitionAssigner | undefined = this.#o.settings.assigners.find((a) => a.name === joined.protocolName);
    if (assigner === undefined) {
      throw new KafkaError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, {
        apiName: 'JoinGroup',
        resource: `group ${this.#groupId}`,
        message: `the coordinator selected assignor '${String(joined.protocolName)}', which this consumer does not have`,
      });
    }
    const members: AssignorMember[] = joined.members.map((m) => {
      try {
        return { memberId: m.memberId, groupInstanceId: m.groupInstanceId, subscription: decodeSubscription(m.metadata) };
      } catch (err) {
        this.#o.logger.warn('a group member sent a subscription that does not decode; it gets no partitions', { groupId: this.#groupId, memberId: m.memberId, error: err });
        return { memberId: m.memberId, groupInstanceId: m.groupInstanceId, subscription: { topics: [], userData: null, ownedPartitions: [], generationId: -1 } };
      }
    });
    const topics = [...new Set(members.flatMap((m) => m.subscription.topics))].sort();
    const { partitions, missing } = await this.#o.host.topicCounts(topics);
    const result = assigner.assign({ members, partitionsPerTopic: partitions });
    const own = members.find((m) => m.memberId === this.#memberId)?.subscription.topics ?? [];
    this.#watched = { own: [...own].sort(), groupTopics: topics, counts: partitions, missing: missing.length };
    return members.map((m) => ({ memberId: m.memberId, assignment: encodeAssignment(result.get(m.memberId) ?? []) }));
  }

  #joinTimeoutMs(): number {
    return Math.max(this.#o.settings.requestTimeoutMs, this.#o.settings.rebalanceTimeoutMs + JOIN_TIMEOUT_LAPSE_MS);
  }

  async #coordinator() {
    try {
      return await this.#o.link.connection('membership');
    } catch (err) {
      this.#onRequestError(err);
      throw err;
    }
  }

  #onRequestError(err: unknown): void {
    if (err instanceof ConnectionError || (err instanceof KafkaError && isCoordinatorError(err.code))) this.#o.link.reset();
  }

  #error(code: number, apiName: string, version: number): KafkaError {
    const api = apiName === 'JoinGroup' ? JoinGroupApi : apiName === 'SyncGroup' ? SyncGroupApi : HeartbeatApi;
    return new KafkaError(code, { apiName, apiKey: api.apiKey, apiVersion: version, resource: `group ${this.#groupId}` });
  }

  // --- heartbeats ---

  #startHeartbeats(): void {
    this.#heartbeating = true;
    this.#scheduleHeartbeat(this.#o.settings.heartbeatIntervalMs);
  }

  #stopHeartbeats(): void {
    this.#heartbeating = false;
    if (this.#heartbeatTimer !== null) clearTimeout(this.#heartbeatTimer);
    this.#heartbeatTimer = null;
  }

  #scheduleHeartbeat(ms: number): void {
    if (!this.#heartbeating || !this.#running) return;
    if (this.#heartbeatTimer !== null) clearTimeout(this.#heartbeatTimer);
    this.#heartbeatTimer = setTimeout(() => {
      this.#heartbeatTimer = null;
      void this.#heartbeat();
    }, ms);
  }

  async #heartbeat(): Promise<void> {
    if (!this.#heartbeating || this.#heartbeatInFlight) return;
    this.#heartbeatInFlight = true;
    const generationId = this.#generationId;
    const memberId = this.#memberId;
    let next = this.#o.settings.heartbeatIntervalMs;
    try {
      const conn = await this.#o.link.connection('membership');
      const version = conn.version(HeartbeatApi);
      const res = await conn.send(
        HeartbeatApi,
        version,
        { groupId: this.#groupId, generationId, memberId, groupInstanceId: this.#o.settings.groupInstanceId },
        { timeoutMs: Math.min(this.#o.settings.requestTimeoutMs, this.#o.settings.sessionTimeoutMs) },
      );
      // A rejoin started meanwhile: this answer is about the old generation.
      if (!this.#heartbeating || generationId !== this.#generationId) return;
      const code = res.errorCode;
      if (code === 0) {
        this.#o.events.emit('consumer.heartbeat', { groupId: this.#groupId, memberId, groupGenerationId: generationId });
      } else if (code === ErrorCode.REBALANCE_IN_PROGRESS) {
        this.requestRejoin('the coordinator started a rebalance');
      } else if (code === ErrorCode.ILLEGAL_GENERATION || code === ErrorCode.UNKNOWN_MEMBER_ID) {
        this.#o.logger.warn('the group coordinator no longer knows this member; its partitions are lost', { groupId: this.#groupId, memberId, error: this.#error(code, 'Heartbeat', version) });
        if (code === ErrorCode.UNKNOWN_MEMBER_ID) this.#memberId = '';
        this.#generationId = -1;
        this.#lost = true;
        this.#stopHeartbeats();
        this.requestRejoin(code === ErrorCode.UNKNOWN_MEMBER_ID ? 'unknown member id' : 'illegal generation');
      } else if (code === ErrorCode.FENCED_INSTANCE_ID) {
        this.#halt();
        this.#o.host.failed(this.#error(code, 'Heartbeat', version));
      } else {
        if (isCoordinatorError(code)) this.#o.link.reset();
        this.#o.logger.debug('heartbeat failed', { groupId: this.#groupId, error: this.#error(code, 'Heartbeat', version) });
        next = Math.min(next, this.#o.settings.retry.initialRetryTimeMs);
      }
    } catch (err) {
      // A coordinator without a Heartbeat version this client speaks will not grow one: stop, loudly.
      if (err instanceof KafkaError && err.code === ErrorCode.UNSUPPORTED_VERSION) {
        this.#halt();
        this.#o.host.failed(err);
        return;
      }
      this.#onRequestError(err);
      if (this.#heartbeating) this.#o.logger.debug('heartbeat failed', { groupId: this.#groupId, error: err });
      next = Math.min(next, this.#o.settings.retry.initialRetryTimeMs);
    } finally {
      this.#heartbeatInFlight = false;
      this.#scheduleHeartbeat(next);
    }
  }

  /** Sends a heartbeat now if none is in flight (kafkajs' `heartbeat()`; the timer does this anyway). */
  async heartbeatNow(): Promise<void> {
    if (this.#heartbeating && !this.#heartbeatInFlight) await this.#heartbeat();
  }

  // --- metadata watch ---

  #startMetadataWatch(): void {
    this.#stopMetadataWatch();
    void this.#snapshotIfFollower().then(() => this.#scheduleMetadataCheck());
  }

  async #snapshotIfFollower(): Promise<void> {
    if (this.#isLeader && this.#watched !== null) return;
    this.#watched = null;
    try {
      const own = await this.#o.host.subscribedTopics();
      const { partitions, missing } = await this.#o.host.topicCounts(own);
      this.#watched = { own, groupTopics: [], counts: partitions, missing: missing.length };
    } catch (err) {
      this.#o.logger.debug('metadata check failed', { groupId: this.#groupId, error: err });
    }
  }

  #stopMetadataWatch(): void {
    if (this.#metadataTimer !== null) clearTimeout(this.#metadataTimer);
    this.#metadataTimer = null;
  }

  #scheduleMetadataCheck(): void {
    if (!this.#running || this.#needsJoin) return;
    const s = this.#o.settings;
    const missing = (this.#watched?.missing ?? 0) > 0;
    const delay = missing ? Math.min(s.metadataMaxAgeMs, MISSING_TOPIC_RECHECK_MS * 2 ** Math.min(this.#missingChecks++, 4)) : s.metadataMaxAgeMs;
    if (!missing) this.#missingChecks = 0;
    this.#stopMetadataWatch();
    this.#metadataTimer = setTimeout(() => {
      this.#metadataTimer = null;
      void this.#checkMetadata().finally(() => this.#scheduleMetadataCheck());
    }, delay);
    this.#metadataTimer.unref?.();
  }

  async #checkMetadata(): Promise<void> {
    const before = this.#watched;
    if (before === null || !this.#running || this.#needsJoin) return;
    try {
      const own = await this.#o.host.subscribedTopics();
      const topics = [...new Set([...own, ...before.groupTopics])].sort();
      const { partitions, missing } = await this.#o.host.topicCounts(topics);
      if (this.#watched !== before) return; // a join happened meanwhile
      before.missing = missing.length;
      if (!sameList(own, before.own)) {
        this.requestRejoin('the subscribed topics changed');
      } else if (topics.some((t) => (partitions.get(t) ?? 0) !== (before.counts.get(t) ?? 0))) {
        this.requestRejoin('a subscribed topic appeared or changed its partition count');
      }
    } catch (err) {
      this.#o.logger.debug('metadata check failed', { groupId: this.#groupId, error: err });
    }
  }

  async #leave(): Promise<void> {
    try {
      const conn = await this.#o.link.connection('membership');
      const version = conn.version(LeaveGroupApi);
      const res = await conn.send(LeaveGroupApi, version, {
        groupId: this.#groupId,
        memberId: this.#memberId,
        members: [{ memberId: this.#memberId, groupInstanceId: this.#o.settings.groupInstanceId, reason: 'the consumer is leaving' }],
      });
      const code = res.errorCode !== 0 ? res.errorCode : (res.members.find((m) => m.errorCode !== 0)?.errorCode ?? 0);
      if (code !== 0) this.#o.logger.debug('LeaveGroup failed', { groupId: this.#groupId, error: this.#error(code, 'LeaveGroup', version) });
    } catch (err) {
      this.#o.logger.debug('LeaveGroup failed', { groupId: this.#groupId, error: err });
    }
    this.#memberId = '';
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
