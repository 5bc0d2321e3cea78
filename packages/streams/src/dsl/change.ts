/**
 * What flows between KTable nodes: the new value of a key and, when the
 * node knows it, the old one (Kafka's internal `Change`). A null newValue is
 * a delete. `toStream()` turns changes back into plain values.
 */
export interface Change<V> {
  readonly newValue: V | null;
  readonly oldValue: V | null;
}
