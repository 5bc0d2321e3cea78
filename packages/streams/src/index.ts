export { StreamsError, type StreamsErrorCode } from './streams-error.js';
export type { Serde, Serializer, Deserializer } from './serdes/serde.js';
export { Serdes } from './serdes/serdes.js';
export { type Header, type Headers, lastHeader } from './processor/headers.js';
export { StreamRecord } from './processor/record.js';
export {
  taskIdString,
  type Processor,
  type ProcessorContext,
  type ProcessorSupplier,
  type Punctuator,
  type PunctuationType,
  type Cancellable,
  type RecordMetadata,
  type TaskId,
} from './processor/processor.js';
export { recordTimestamp, wallclockTimestamp, type TimestampExtractor, type ConsumedRecordInfo } from './processor/timestamp-extractor.js';
export { Topology, type SourceOptions, type SinkOptions, type Subtopology } from './topology/topology.js';
export type { TopologyDescription, SubtopologyDescription, NodeDescription } from './topology/topology-description.js';
export type { StreamPartitioner, TopicNameExtractor } from './topology/nodes.js';
export type { StateStore, StateStoreContext, StoreBuilder, LoggingConfig } from './state/state-store.js';
export { InMemoryKeyValueStore, type KeyValueStore, type KeyValue } from './state/key-value-store.js';
export { Stores, type KeyValueBytesStoreSupplier } from './state/stores.js';
export { StreamsBuilder } from './dsl/streams-builder.js';
export { KStream } from './dsl/kstream.js';
export { KTable } from './dsl/ktable.js';
export { KGroupedStream } from './dsl/kgrouped-stream.js';
export { BranchedKStream } from './dsl/branched-kstream.js';
export type { Change } from './dsl/change.js';
export { Consumed, Produced, Grouped, Materialized, Repartitioned, Branched, Joined, Suppressed, type Named } from './dsl/options.js';
export { TopologyTestDriver, TestInputTopic, TestOutputTopic, type TestRecord, type TopologyTestDriverSettings } from './test-driver/topology-test-driver.js';
export type { TaskMetrics } from './runtime/stream-task.js';
export {
  changelogTopicName,
  type TopologySettings,
  type ProcessingGuarantee,
  type DeserializationExceptionHandling,
} from './runtime/streams-config.js';
export { KafkaStreams, type StreamsConfig, type StreamsState, type StreamsMetrics, type ReadOnlyKeyValueView } from './runtime/kafka-streams.js';
export type { TopicPlan, InternalTopicSpec } from './runtime/internal-topics.js';
export { TimeWindows, type TimeWindow, type Windowed } from './dsl/windows.js';
export { TimeWindowedKStream } from './dsl/time-windowed-kstream.js';
export { WindowedSerdes } from './serdes/windowed-serdes.js';
export { InMemoryWindowStore, windowStoreKey, type WindowStore, type WindowedValue } from './state/window-store.js';
export { WINDOW_CHANGELOG_ADDITIONAL_RETENTION_MS, type WindowBytesStoreSupplier } from './state/stores.js';
export { SuppressionBuffer, SuppressionBufferBuilder } from './state/suppression-buffer.js';
