/**
 * The bytes a consumer puts into JoinGroup (its subscription, one copy per
 * assignor it offers) and the bytes the leader puts into SyncGroup (each
 * member's assignment): Kafka's ConsumerProtocolSubscription and
 * ConsumerProtocolAssignment, each prefixed by an int16 version.
 *
 * Versions: we write subscription v2 (topics, user data, owned partitions,
 * generation: what the cooperative-sticky assignor needs) and assignment v0
 * (every later version has the same fields). Reading, a version above the
 * newest we know is read as the newest: later versions only append fields,
 * which is how Kafka's own ConsumerProtocol reads them.
 */
import {
  ConsumerProtocolAssignmentVersions,
  ConsumerProtocolSubscriptionVersions,
  Reader,
  Writer,
  decodeConsumerProtocolAssignment,
  decodeConsumerProtocolSubscription,
  encodeConsumerProtocolAssignment,
  encodeConsumerProtocolSubscription,
} from '@samsa/protocol';
import { groupByTopic, type TopicPartitions } from '../topic-partitions.js';

/** The subscription version this client writes. */
export const SUBSCRIPTION_VERSION = 2;
/** The assignment version this client writes. */
export const ASSIGNMENT_VERSION = 0;

/** A member's subscription as the leader reads it from JoinGroup. */
export interface MemberSubscription {
  topics: string[];
  userData: Buffer | null;
  /** Partitions the member owns while it rejoins (cooperative protocol); empty for eager members. */
  ownedPartitions: TopicPartitions[];
  /** The generation in which it owned them; -1 when unknown. */
  generationId: number;
}

/** Encodes a subscription (sorted topics, so the bytes do not depend on subscribe() order). */
export function encodeSubscription(s: MemberSubscription): Buffer {
  const w = new Writer();
  w.writeInt16(SUBSCRIPTION_VERSION);
  encodeConsumerProtocolSubscription(
    w,
    {
      topics: [...new Set(s.topics)].sort(),
      userData: s.userData,
      ownedPartitions: groupByTopic(s.ownedPartitions.flatMap((tp) => tp.partitions.map((partition) => ({ topic: tp.topic, partition })))),
      generationId: s.generationId,
      rackId: null,
    },
    SUBSCRIPTION_VERSION,
  );
  return w.toBuffer();
}

/** Decodes a member's subscription. Throws ProtocolDecodeError on malformed bytes. */
export function decodeSubscription(bytes: Buffer): MemberSubscription {
  const r = new Reader(bytes);
  const version = r.readInt16();
  const v = Math.min(Math.max(version, ConsumerProtocolSubscriptionVersions.min), ConsumerProtocolSubscriptionVersions.max);
  const d = decodeConsumerProtocolSubscription(r, v);
  return {
    topics: d.topics,
    userData: d.userData,
    ownedPartitions: version >= 1 ? d.ownedPartitions.map((tp) => ({ topic: tp.topic, partitions: tp.partitions })) : [],
    generationId: version >= 2 ? d.generationId : -1,
  };
}

/** Encodes one member's assignment. */
export function encodeAssignment(partitions: readonly TopicPartitions[], userData: Buffer | null = null): Buffer {
  const w = new Writer();
  w.writeInt16(ASSIGNMENT_VERSION);
  encodeConsumerProtocolAssignment(w, { assignedPartitions: partitions.map((tp) => ({ topic: tp.topic, partitions: tp.partitions })), userData }, ASSIGNMENT_VERSION);
  return w.toBuffer();
}

/** Decodes an assignment from SyncGroup; empty bytes mean no partitions. Throws ProtocolDecodeError on malformed bytes. */
export function decodeAssignment(bytes: Buffer): { partitions: TopicPartitions[]; userData: Buffer | null } {
  if (bytes.length === 0) return { partitions: [], userData: null };
  const r = new Reader(bytes);
  const version = r.readInt16();
  const v = Math.min(Math.max(version, ConsumerProtocolAssignmentVersions.min), ConsumerProtocolAssignmentVersions.max);
  const d = decodeConsumerProtocolAssignment(r, v);
  return { partitions: d.assignedPartitions.map((tp) => ({ topic: tp.topic, partitions: tp.partitions })), userData: d.userData };
}
