/**
 * One member of a classic group: who it is, the protocols it supports and,
 * while a rebalance runs, the JoinGroup or SyncGroup response it waits for.
 */
import type { TimerHandle } from './timers.js';

/** A protocol a member supports (an assignor name for consumers) and its metadata. */
export interface MemberProtocol {
  readonly name: string;
  readonly metadata: Buffer;
}

/** What a JoinGroup is answered with (the handler maps it to the wire per version). */
export interface JoinResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  skipAssignment: boolean;
  memberId: string;
  members: Array<{ memberId: string; groupInstanceId: string | null; metadata: Buffer }>;
}

/** What a SyncGroup is answered with. */
export interface SyncResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export const EMPTY_BUFFER = Buffer.alloc(0);

/** A member of a classic group. */
export class GroupMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  protocolType: string;
  protocols: MemberProtocol[];
  /** The assignment from the last completed SyncGroup. */
  assignment: Buffer = EMPTY_BUFFER;
  /** Set while the member's JoinGroup waits for the rebalance to complete. */
  awaitingJoin: ((r: JoinResult) => void) | null = null;
  /** Set while the member's SyncGroup waits for the leader's assignment. */
  awaitingSync: ((r: SyncResult) => void) | null = null;
  /** Session timeout: fires when no heartbeat (or join/sync/commit) arrived in time. */
  sessionTimer: TimerHandle | null = null;
  /** Joined during the current rebalance (for the initial join delay). */
  isNew = false;

  constructor(init: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    rebalanceTimeoutMs: number;
    sessionTimeoutMs: number;
    protocolType: string;
    protocols: MemberProtocol[];
  }) {
    this.memberId = init.memberId;
    this.groupInstanceId = init.groupInstanceId;
    this.clientId = init.clientId;
    this.clientHost = init.clientHost;
    this.rebalanceTimeoutMs = init.rebalanceTimeoutMs;
    this.sessionTimeoutMs = init.sessionTimeoutMs;
    this.protocolType = init.protocolType;
    this.protocols = init.protocols;
  }

  /** The member's metadata for `protocolName` (empty when it does not support it). */
  metadataFor(protocolName: string | null): Buffer {
    return this.protocols.find((p) => p.name === protocolName)?.metadata ?? EMPTY_BUFFER;
  }

  /** Whether `protocols` is exactly what the member already sent (same names, order and metadata). */
  matches(protocols: readonly MemberProtocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    for (let i = 0; i < protocols.length; i++) {
      if (protocols[i].name !== this.protocols[i].name || !protocols[i].metadata.equals(this.protocols[i].metadata)) return false;
    }
    return true;
  }

  /** The first of `candidates` in this member's order of preference. */
  vote(candidates: ReadonlySet<string>): string | null {
    for (const p of this.protocols) if (candidates.has(p.name)) return p.name;
    return null;
  }
}
