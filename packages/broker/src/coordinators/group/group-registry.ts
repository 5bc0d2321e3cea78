/**
 * Every group this node coordinates, by id. The coordinator's parts
 * (membership, offsets, loading, retention) share this one registry, so a
 * group has exactly one ClassicGroup object and one owner: the coordinator
 * (architecture principle 3).
 */
import { ClassicGroup } from './classic-group.js';

/** The groups of one coordinator. */
export class GroupRegistry {
  readonly #groups = new Map<string, ClassicGroup>();
  readonly #nowMs: () => number;

  constructor(nowMs: () => number) {
    this.#nowMs = nowMs;
  }

  get(groupId: string): ClassicGroup | undefined {
    return this.#groups.get(groupId);
  }

  /** A new Empty group registered under its id (replacing any earlier one). */
  create(groupId: string): ClassicGroup {
    const group = new ClassicGroup(groupId, this.#nowMs());
    this.#groups.set(groupId, group);
    return group;
  }

  /** The group, created Empty when missing. */
  getOrCreate(groupId: string): ClassicGroup {
    return this.#groups.get(groupId) ?? this.create(groupId);
  }

  /** Registers `group` under its id (replacing any earlier one; used by log replay). */
  put(group: ClassicGroup): void {
    this.#groups.set(group.groupId, group);
  }

  /** Forgets `group`, unless another object has taken its id since. */
  remove(group: ClassicGroup): void {
    if (this.#groups.get(group.groupId) === group) this.#groups.delete(group.groupId);
  }

  /** A snapshot of the groups (safe to remove from while iterating). */
  all(): ClassicGroup[] {
    return [...this.#groups.values()];
  }

  /** Forgets a group that never got a member nor an offset (e.g. MEMBER_ID_REQUIRED never answered). */
  dropIfUnused(group: ClassicGroup): void {
    if (group.is('Empty') && group.size === 0 && group.pendingMembers.size === 0 && !group.hasOffsets() && group.generationId === 0) {
      this.remove(group);
    }
  }
}
