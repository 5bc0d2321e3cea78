/**
 * Records of the internal topic `__consumer_offsets`, byte-compatible with
 * Kafka's (group-coordinator/src/main/resources/common/message/*.json), so
 * tools that read the topic (burrow, kafka-console-consumer with the offsets
 * formatter) understand what Samsa writes, and Samsa can load what Kafka
 * wrote.
 *
 * Every record key starts with an int16 "version" that is really the record
 * type; the value starts with its own int16 schema version. All integers are
 * big endian; `string` is int16 length + UTF-8, nullable string length -1 =
 * null; `bytes` is int32 length + data. Versions >= 4 of the values are
 * flexible (compact lengths, tagged fields); Samsa writes what Kafka 3.x
 * writes and reads all versions.
 *
 *   key type 0, 1  OffsetCommitKey      group string, topic string, partition int32
 *   key type 2     GroupMetadataKey     group string
 *   key type >= 3  (consumer-protocol / share / streams records) ignored on load
 *
 *   OffsetCommitValue, written as v3, or as v1 when the commit carried an explicit retention
 *   (OffsetCommit v2-4 RetentionTimeMs other than -1; Kafka 2.1+ makes the same choice, and
 *   v1 is the only version with an expire timestamp, so such a value has no leader epoch):
 *     v0: offset int64, metadata string, commitTimestamp int64
 *     v1: offset int64, metadata string, commitTimestamp int64, expireTimestamp int64
 *     v2: offset int64, metadata string, commitTimestamp int64
 *     v3: offset int64, leaderEpoch int32, metadata string, commitTimestamp int64
 *     v4: as v3, flexible
 *
 *   GroupMetadataValue, written as v3:
 *     protocolType string, generation int32, protocol string?, leader string?,
 *     currentStateTimestamp int64 (v2+),
 *     members int32 count of:
 *       memberId string, groupInstanceId string? (v3+), clientId string,
 *       clientHost string, rebalanceTimeout int32 (v1+), sessionTimeout int32,
 *       subscription bytes, assignment bytes
 *     v4: as v3, flexible
 *
 * A null value is a tombstone: the offset (or the group) was deleted.
 */
import { Reader, Writer } from '@samsa/protocol';

/** Record-key type of an offset commit (Kafka writes 1; 0 is the pre-0.9 form). */
export const OFFSET_COMMIT_KEY_VERSION = 1;
/** Record-key type of group metadata. */
export const GROUP_METADATA_KEY_VERSION = 2;
/** OffsetCommitValue version written (Kafka 3.x without an explicit expire timestamp). */
export const OFFSET_COMMIT_VALUE_VERSION = 3;
/** OffsetCommitValue version written for a value with an explicit expire timestamp. */
export const OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRE = 1;
/** GroupMetadataValue version written (Kafka 2.3 - 3.x). */
export const GROUP_METADATA_VALUE_VERSION = 3;

/** A decoded record key. */
export type OffsetsTopicKey =
  | { type: 'offset'; group: string; topic: string; partition: number }
  | { type: 'group'; group: string }
  | { type: 'other'; version: number };

/** A committed offset as stored. */
export interface OffsetCommitValue {
  offset: number;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  /**
   * When the offset expires, set by an explicit retention (OffsetCommit v2-4 RetentionTimeMs)
   * and stored only in value v1; -1 = none (offsets.retention.minutes applies).
   */
  expireTimestamp: number;
}

/** One member in a stored group. */
export interface StoredMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  /** The member's metadata for the group's selected protocol. */
  subscription: Buffer;
  assignment: Buffer;
}

/** A group's membership as stored after each completed rebalance. */
export interface GroupMetadataValue {
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  currentStateTimestamp: number;
  members: StoredMember[];
}

/** OffsetCommitKey, written with key version 1. */
export function encodeOffsetCommitKey(group: string, topic: string, partition: number): Buffer {
  const w = new Writer(64);
  w.writeInt16(OFFSET_COMMIT_KEY_VERSION);
  w.writeString(group);
  w.writeString(topic);
  w.writeInt32(partition);
  return w.toBuffer();
}

/** GroupMetadataKey (key version 2). */
export function encodeGroupMetadataKey(group: string): Buffer {
  const w = new Writer(32);
  w.writeInt16(GROUP_METADATA_KEY_VERSION);
  w.writeString(group);
  return w.toBuffer();
}

/** Decodes a key; throws ProtocolDecodeError when truncated. */
export function decodeOffsetsTopicKey(buf: Buffer): OffsetsTopicKey {
  const r = new Reader(buf);
  const version = r.readInt16();
  if (version === 0 || version === 1) {
    const group = r.readString();
    const topic = r.readString();
    const partition = r.readInt32();
    return { type: 'offset', group, topic, partition };
  }
  if (version === GROUP_METADATA_KEY_VERSION) return { type: 'group', group: r.readString() };
  return { type: 'other', version };
}

/**
 * OffsetCommitValue v3, or v1 when `v.expireTimestamp` is set (v1 has no leader epoch: it is
 * not written).
 */
export function encodeOffsetCommitValue(v: OffsetCommitValue): Buffer {
  const w = new Writer(64);
  if (v.expireTimestamp >= 0) {
    w.writeInt16(OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRE);
    w.writeInt64(v.offset);
    w.writeString(v.metadata);
    w.writeInt64(v.commitTimestamp);
    w.writeInt64(v.expireTimestamp);
    return w.toBuffer();
  }
  w.writeInt16(OFFSET_COMMIT_VALUE_VERSION);
  w.writeInt64(v.offset);
  w.writeInt32(v.leaderEpoch);
  w.writeString(v.metadata);
  w.writeInt64(v.commitTimestamp);
  return w.toBuffer();
}

/** OffsetCommitValue v0-4; throws ProtocolDecodeError when truncated. */
export function decodeOffsetCommitValue(buf: Buffer): OffsetCommitValue {
  const r = new Reader(buf);
  const version = r.readInt16();
  const flexible = version >= 4;
  const offset = r.readInt64();
  const leaderEpoch = version >= 3 ? r.readInt32() : -1;
  const metadata = flexible ? r.readCompactString() : r.readString();
  const commitTimestamp = r.readInt64();
  const expireTimestamp = version === 1 ? r.readInt64() : -1;
  if (flexible) skipTaggedFields(r);
  return { offset, leaderEpoch, metadata, commitTimestamp, expireTimestamp };
}

/** GroupMetadataValue v3. */
export function encodeGroupMetadataValue(v: GroupMetadataValue): Buffer {
  const w = new Writer(256);
  w.writeInt16(GROUP_METADATA_VALUE_VERSION);
  w.writeString(v.protocolType);
  w.writeInt32(v.generation);
  w.writeNullableString(v.protocol);
  w.writeNullableString(v.leader);
  w.writeInt64(v.currentStateTimestamp);
  w.writeInt32(v.members.length);
  for (const m of v.members) {
    w.writeString(m.memberId);
    w.writeNullableString(m.groupInstanceId);
    w.writeString(m.clientId);
    w.writeString(m.clientHost);
    w.writeInt32(m.rebalanceTimeoutMs);
    w.writeInt32(m.sessionTimeoutMs);
    w.writeBytes(m.subscription);
    w.writeBytes(m.assignment);
  }
  return w.toBuffer();
}

/** GroupMetadataValue v0-4; throws ProtocolDecodeError when truncated. */
export function decodeGroupMetadataValue(buf: Buffer): GroupMetadataValue {
  const r = new Reader(buf);
  const version = r.readInt16();
  const flexible = version >= 4;
  const str = (): string => (flexible ? r.readCompactString() : r.readString());
  const nstr = (): string | null => (flexible ? r.readCompactNullableString() : r.readNullableString());
  const bytes = (): Buffer => (flexible ? r.readCompactBytes() : r.readBytes());
  const protocolType = str();
  const generation = r.readInt32();
  const protocol = nstr();
  const leader = nstr();
  const currentStateTimestamp = version >= 2 ? r.readInt64() : -1;
  const count = r.readArrayLength(flexible);
  const members: StoredMember[] = [];
  for (let i = 0; i < count; i++) {
    const memberId = str();
    const groupInstanceId = version >= 3 ? nstr() : null;
    const clientId = str();
    const clientHost = str();
    const rebalanceTimeoutMs = version >= 1 ? r.readInt32() : -1;
    const sessionTimeoutMs = r.readInt32();
    const subscription = bytes();
    const assignment = bytes();
    if (flexible) skipTaggedFields(r);
    members.push({
      memberId,
      groupInstanceId,
      clientId,
      clientHost,
      rebalanceTimeoutMs: rebalanceTimeoutMs < 0 ? sessionTimeoutMs : rebalanceTimeoutMs,
      sessionTimeoutMs,
      subscription,
      assignment,
    });
  }
  if (flexible) skipTaggedFields(r);
  return { protocolType, generation, protocol, leader, currentStateTimestamp, members };
}

function skipTaggedFields(r: Reader): void {
  const n = r.readUVarint();
  for (let i = 0; i < n; i++) {
    r.readUVarint();
    r.readRaw(r.readUVarint());
  }
}
