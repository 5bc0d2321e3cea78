/**
 * Loading groups from `__consumer_offsets` at startup: each record read
 * back is applied in log order (the last one per key wins), then the loaded
 * groups are settled. A part of the GroupCoordinator, working on its
 * registry; OffsetsTopic.load reads the log and calls it.
 */
import { ClassicGroup } from './classic-group.js';
import { GroupMember } from './group-member.js';
import type { GroupRegistry } from './group-registry.js';
import type { OffsetsTopicRecord } from './group-store.js';
import { decodeGroupMetadataValue, decodeOffsetCommitValue, decodeOffsetsTopicKey } from './offsets-topic-records.js';

/**
 * Applies one record read back from `__consumer_offsets` to the registry. An offset record
 * sets (or, as a tombstone, deletes) one committed offset; a group metadata record rebuilds
 * the group's membership from scratch and keeps its offsets. Throws on a record that does
 * not decode (the caller reports and skips it).
 */
export function replayGroupRecord(groups: GroupRegistry, record: OffsetsTopicRecord, nowMs: number): void {
  const key = decodeOffsetsTopicKey(record.key);
  if (key.type === 'other') return;
  const group = groups.get(key.group);
  if (key.type === 'offset') {
    if (record.value === null) {
      group?.deleteCommitted(key.topic, key.partition);
      return;
    }
    (group ?? groups.create(key.group)).setCommitted(key.topic, key.partition, decodeOffsetCommitValue(record.value));
    return;
  }
  // Group metadata: rebuild membership from scratch, keep offsets.
  const fresh = new ClassicGroup(key.group, nowMs);
  if (group !== undefined) for (const [topic, byPartition] of group.offsets) for (const [p, v] of byPartition) fresh.setCommitted(topic, p, v);
  if (record.value !== null) {
    const v = decodeGroupMetadataValue(record.value);
    fresh.generationId = v.generation;
    fresh.protocolType = v.protocolType === '' ? null : v.protocolType;
    fresh.protocolName = v.protocol;
    fresh.stateTimestampMs = v.currentStateTimestamp >= 0 ? v.currentStateTimestamp : nowMs;
    for (const sm of v.members) {
      const m = new GroupMember({
        memberId: sm.memberId,
        groupInstanceId: sm.groupInstanceId,
        clientId: sm.clientId,
        clientHost: sm.clientHost,
        rebalanceTimeoutMs: sm.rebalanceTimeoutMs,
        sessionTimeoutMs: sm.sessionTimeoutMs,
        protocolType: v.protocolType,
        protocols: v.protocol === null ? [] : [{ name: v.protocol, metadata: sm.subscription }],
      });
      m.assignment = sm.assignment;
      fresh.add(m);
    }
    fresh.leaderId = v.leader !== null && fresh.members.has(v.leader) ? v.leader : fresh.leaderId;
    fresh.restoreState(fresh.size > 0 && v.protocol !== null ? 'Stable' : 'Empty');
  }
  groups.put(fresh);
}

/**
 * After replay: drops groups left with neither members nor offsets (deleted ones) and returns
 * the groups that stay, whose members' sessions the caller starts.
 */
export function settleLoadedGroups(groups: GroupRegistry): ClassicGroup[] {
  const kept: ClassicGroup[] = [];
  for (const group of groups.all()) {
    if (group.size === 0 && !group.hasOffsets() && (group.generationId === 0 || group.protocolType === null)) {
      groups.remove(group);
      continue;
    }
    kept.push(group);
  }
  return kept;
}
