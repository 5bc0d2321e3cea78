/**
 * State stores: what processors keep between records. Each task has its own
 * instance of every store its sub-topology uses. A store with logging
 * enabled writes every change to its changelog topic
 * (`<application.id>-<store>-changelog`, compacted, one partition per task)
 * and is filled from that topic when its task starts, so state survives
 * restarts and moves with its task.
 */
import type { TaskId } from '../processor/processor.js';
import type { Serde } from '../serdes/serde.js';

/** What the runtime hands a store when its task initialises it. */
export interface StateStoreContext {
  readonly applicationId: string;
  readonly taskId: TaskId;
  /** The application's default serdes, for stores built without their own. */
  readonly defaultKeySerde: Serde<unknown> | undefined;
  readonly defaultValueSerde: Serde<unknown> | undefined;
  /** The store's changelog topic, or null when logging is disabled. */
  changelogTopic(storeName: string): string | null;
  /** Sends one change to the changelog partition of this task (value null: a tombstone). */
  logChange(storeName: string, key: Buffer, value: Buffer | null): void;
  /** How the restorer feeds the changelog back into the store, oldest first. */
  registerRestore(storeName: string, restore: (key: Buffer, value: Buffer | null) => void): void;
}

/** Any store. */
export interface StateStore {
  readonly name: string;
  /** Whether the store keeps its data on disk (only in-memory stores exist so far). */
  readonly persistent: boolean;
  init(context: StateStoreContext): void;
  flush(): void;
  close(): void;
  readonly isOpen: boolean;
}

/** Configuration of a store's changelog. */
export interface LoggingConfig {
  enabled: boolean;
  /** Extra topic configs for the changelog topic (merged over the defaults). */
  topicConfig: Record<string, string>;
}

/** Builds one store instance per task. */
export interface StoreBuilder<S extends StateStore = StateStore> {
  readonly name: string;
  readonly logging: LoggingConfig;
  /** The kind of store. */
  readonly kind: 'keyValue' | 'window' | 'suppressionBuffer';
  /** Topic configs of the changelog before the user's (compacted; windows also expire by time). */
  readonly changelogDefaults: Record<string, string>;
  build(): S;
  withLoggingEnabled(topicConfig?: Record<string, string>): StoreBuilder<S>;
  withLoggingDisabled(): StoreBuilder<S>;
}
