// Public surface of @samsa/protocol. Each section is owned by one area of the package.

// --- primitives and generated messages (src/primitives, src/messages) ---
export { ProtocolDecodeError } from './primitives/protocol-decode-error.js';
export { Reader } from './primitives/reader.js';
export { Writer, uvarintSize } from './primitives/writer.js';
export { ZERO_UUID, type TaggedField } from './primitives/codec-helpers.js';
export type { ApiDescriptor, AnyApiDescriptor } from './primitives/api-descriptor.js';
export * from './messages/index.js';

// --- records, compression, crc32c (src/records) and error codes (src/errors) ---
export { ErrorCode, errorCodeInfo, errorName, isRetriable, type ErrorCodeInfo } from './errors/error-codes.js';
export { crc32c } from './records/crc32c.js';
export { RecordFormatError, type RecordFormatErrorCode } from './records/record-format-error.js';
export {
  RECORD_BATCH_HEADER_SIZE,
  LOG_OVERHEAD,
  MIN_BATCH_LENGTH,
  BATCH_LENGTH_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  MAGIC_OFFSET,
  CRC_OFFSET,
  ATTRIBUTES_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  PRODUCER_ID_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  BASE_SEQUENCE_OFFSET,
  RECORDS_COUNT_OFFSET,
  ATTR_COMPRESSION_MASK,
  ATTR_TIMESTAMP_TYPE_MASK,
  ATTR_TRANSACTIONAL_MASK,
  ATTR_CONTROL_MASK,
  ATTR_DELETE_HORIZON_MASK,
  CompressionCodec,
  TimestampType,
  RecordBatchHeader,
  setBaseOffset,
  setPartitionLeaderEpoch,
  setLogAppendTime,
  writeBatchCrc,
} from './records/record-batch-header.js';
export {
  validateBatches,
  scanValidPrefix,
  type BatchValidationErrorKind,
  type BatchValidationResult,
  type ValidateBatchesOptions,
  type ScanStopReason,
  type ValidPrefix,
} from './records/batch-validation.js';
export {
  compress,
  compressSync,
  decompress,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
} from './records/compression.js';
export type { Record, Record as KafkaRecord, RecordHeader, DecodedRecord, RecordInput } from './records/record.js';
export {
  encodeRecordBatch,
  encodeRecordBatchSync,
  decodeRecordBatches,
  decodeRecordBatchAt,
  type RecordBatchInput,
  type DecodedBatch,
  type DecodeOptions,
} from './records/record-batch.js';
export {
  encodeControlRecordBatch,
  decodeControlRecord,
  peekControlRecord,
  type ControlBatchInput,
  type ControlRecord,
  type ControlRecordType,
} from './records/control-record.js';
export { decodeLegacyMessageSet, decodeLegacyMessage } from './records/legacy-message-set.js';
export { encodeLegacyMessageSet, type LegacyMessageInput, type LegacyMessageSetInput } from './records/legacy-message-set-writer.js';
export { isLegacyMessageSet, upConvertMessageSet, type UpConverted, type UpConvertOptions } from './records/legacy-up-convert.js';
export { downConvertBatches, type DownConverted, type DownConvertOptions } from './records/legacy-down-convert.js';
// --- end records / errors section ---
