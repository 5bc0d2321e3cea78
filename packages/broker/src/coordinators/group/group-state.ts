/**
 * States of a classic-protocol group and the transitions Kafka allows
 * (GroupMetadata.scala's validPreviousStates). A transition not in the
 * table is a coordinator bug: asserted, never answered with an error code.
 *
 *   to \ from             Empty  PreparingRebalance  CompletingRebalance  Stable  Dead
 *   Empty                   -           yes                  -              -      -
 *   PreparingRebalance     yes           -                  yes            yes     -
 *   CompletingRebalance     -           yes                  -              -      -
 *   Stable                  -            -                  yes             -      -
 *   Dead                   yes          yes                 yes            yes    yes
 *
 * Empty: no members (offsets may exist). PreparingRebalance: waiting for
 * members to (re)join. CompletingRebalance: joined, waiting for the leader's
 * SyncGroup. Stable: assignments handed out, heartbeats flowing. Dead: the
 * group was deleted (or its metadata removed); no operation succeeds.
 */

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

/** Every state, in Kafka's spelling (ListGroups and DescribeGroups use these names). */
export const GROUP_STATES: readonly GroupState[] = ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'];

const VALID_PREVIOUS: Readonly<Record<GroupState, readonly GroupState[]>> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Empty', 'CompletingRebalance', 'Stable'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'],
};

/** Whether the table above allows `from` -> `to`. */
export function canTransition(from: GroupState, to: GroupState): boolean {
  return VALID_PREVIOUS[to].includes(from);
}
