// Public surface of @samsa/storage.
export { type Clock, systemClock, ManualClock } from './clock.js';
export { StorageError, OffsetOutOfRangeError, type StorageFault } from './errors.js';
export { type Fs, type FsFile, type FsStat, nodeFs } from './fs.js';
export { assert, InvariantError } from './invariant.js';
export {
  type LogConfig,
  type CompactionSettings,
  defaultLogConfig,
  logConfigFromTopicConfigs,
  validateLogConfig,
  hasDeletePolicy,
  hasCompactPolicy,
  compactionSettings,
  maxSegmentMs,
} from './log-config.js';
export { LogManager, type LogManagerOptions, type LogCleanerSettings, type StorageLogger, type StorageLogLevel } from './log-manager.js';
export { FileHandleCache, CachedFile, type FileHandleCacheStats } from './file-handle-cache.js';
export { openFileSoftLimit, resolveMaxOpenFiles } from './open-file-limit.js';
export { LogDirHealth, classifyStorageFault, takesLogDirOffline, type LogDirFailure } from './log-dir-health.js';
export { OffsetIndex, OFFSET_INDEX_ENTRY_SIZE, type OffsetPosition } from './offset-index.js';
export {
  PartitionLog,
  type PartitionLogOptions,
  type AppendResult,
  type ReadResult,
  type OpenInfo,
  type AppendOrigin,
  type TxnMarker,
  CLEAN_SHUTDOWN_FILE,
  LOG_START_OFFSET_FILE,
  partitionDirName,
  parsePartitionDirName,
} from './partition-log.js';
export { scanBatches, type ScannedBatch, type ScanResult, type ScanStop } from './recovery.js';
export { planRetention, type RetentionPlan, type RetentionParams, type SegmentSummary } from './retention.js';
export { LogSegment, segmentFilePath, parseSegmentFileName } from './segment.js';
export { TimeIndex, TIME_INDEX_ENTRY_SIZE, type TimestampOffset } from './time-index.js';
export {
  ProducerStateManager,
  ProducerAppendSession,
  PRODUCER_BATCHES_CACHED,
  NO_PRODUCER_EPOCH,
  batchProducerInfo,
  inSequence,
  producerSnapshotFileName,
  parseProducerSnapshotFileName,
  type BatchProducerInfo,
  type ProducerBatch,
  type ProducerEntry,
  type ProducerCheck,
  type CompletedTxn,
} from './producer-state.js';
export { TxnIndex, TXN_INDEX_ENTRY_SIZE, txnIndexPath, encodeTxnIndexEntries, decodeTxnIndexEntries, type AbortedTxn } from './txn-index.js';
export { LogCleaner, SwapFailedError, type CleanResult, type LogCleanerOptions } from './compaction/log-cleaner.js';
export { CleanerManager, type CleanerManagerOptions, type CleaningCandidate } from './compaction/cleaner-manager.js';
export { cleanableRange, decideCleaning, type CleanableRange, type CleaningReason } from './compaction/cleaning-decision.js';
export { KeyOffsetMap } from './compaction/key-offset-map.js';
export { keylessRecordIndexes, keylessRecordMessage } from './compaction/keyless-records.js';
export { CLEANER_CHECKPOINT_FILE, readCleanerCheckpoint } from './compaction/cleaner-checkpoint.js';
export { completeInterruptedSwaps, type SwapFaultPoint, type SwapProbe } from './compaction/segment-swap.js';
