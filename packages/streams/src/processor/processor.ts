/**
 * The Processor API (Kafka's `processor.api` package): a processor receives
 * records one at a time through `process`, may keep state in stores it was
 * connected to, schedule punctuations, and forward records to its children.
 *
 * Everything here is synchronous on purpose: a record runs through the whole
 * sub-topology within one call, as in Kafka Streams, which keeps per-record
 * cost low and the order of effects obvious. Output goes to a buffer that
 * the runtime flushes (and, with exactly_once_v2, commits) after the batch.
 */
import type { Logger } from '@samsa/client';
import type { StateStore } from '../state/state-store.js';
import type { StreamRecord } from './record.js';

/** Where the record being processed came from; null in punctuations. */
export interface RecordMetadata {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/** Kafka's PunctuationType. */
export type PunctuationType =
  /** Fires as the task's stream time (largest record timestamp seen) advances. */
  | 'STREAM_TIME'
  /** Fires as the wall clock advances (the runtime's timer, or the test driver's clock). */
  | 'WALL_CLOCK_TIME';

/** Called with the time (stream or wall-clock, ms) at which the punctuation fired. */
export type Punctuator = (timestamp: number) => void;

/** Cancels a schedule. */
export interface Cancellable {
  cancel(): void;
}

/** Identifies a task: sub-topology id and partition, printed `0_3` as in Kafka. */
export interface TaskId {
  readonly subtopology: number;
  readonly partition: number;
}

/** Formats a task id as Kafka does (`<subtopology>_<partition>`). */
export function taskIdString(id: TaskId): string {
  return `${id.subtopology}_${id.partition}`;
}

/** What a processor can do besides returning. */
export interface ProcessorContext<KForward = unknown, VForward = unknown> {
  readonly applicationId: string;
  readonly taskId: TaskId;
  /** The application's logger (a Samsa addition: Kafka processors use their own). */
  readonly logger: Logger;
  /** Sends a record to every child, or to the named child only. */
  forward<K extends KForward, V extends VForward>(record: StreamRecord<K, V>, childName?: string): void;
  /** Topic, partition and offset of the input record being processed; null during punctuation. */
  recordMetadata(): RecordMetadata | null;
  /** A store connected to this processor (Topology.addStateStore / connectProcessorAndStateStores). */
  getStateStore<S extends StateStore>(name: string): S;
  /** Calls `punctuator` every `intervalMs` of stream time or wall-clock time. */
  schedule(intervalMs: number, type: PunctuationType, punctuator: Punctuator): Cancellable;
  /** The task's stream time: the largest timestamp of any record it processed (-1 before the first). */
  currentStreamTimeMs(): number;
  /** The wall clock as the runtime sees it (mockable in the test driver). */
  currentSystemTimeMs(): number;
  /**
   * Drops the record being processed: logs `reason` as a warning and counts
   * it in the task's `droppedRecords` (Kafka's dropped-records metric). The
   * DSL uses it for null keys and late records.
   */
  recordDropped(reason: string): void;
  /** Asks for a commit soon (after the current batch). */
  commit(): void;
}

/** A node of the topology that is not a source or a sink. */
export interface Processor<KIn, VIn, KOut = never, VOut = never> {
  init?(context: ProcessorContext<KOut, VOut>): void;
  process(record: StreamRecord<KIn, VIn>): void;
  close?(): void;
}

/** Makes a new processor instance per task (each task has its own). */
export type ProcessorSupplier<KIn, VIn, KOut = never, VOut = never> = () => Processor<KIn, VIn, KOut, VOut>;
