/**
 * Produce (key 0), versions 0-11.
 *
 * Each partition's payload must be exactly one magic-2 record batch (v3+):
 * its header and CRC are checked, never its records (architecture
 * principle 2). The batch is stored as sent, with the broker patching only
 * the base offset, the leader epoch and, for LogAppendTime topics, the
 * timestamp. acks=0 gets no response at all; acks=1 and acks=all are
 * answered after the write reached the log (one node: the ISR is this node).
 *
 * Per-partition errors:
 *   unknown topic or partition     UNKNOWN_TOPIC_OR_PARTITION
 *   internal topic                  INVALID_TOPIC_EXCEPTION
 *   batch larger than max.message.bytes  MESSAGE_TOO_LARGE
 *   not exactly one batch, bad structure, magic 0/1   INVALID_RECORD
 *   bad size or CRC                 CORRUPT_MESSAGE
 *   zstd before v7                  UNSUPPORTED_COMPRESSION_TYPE
 *   timestamp outside message.timestamp.{before,after}.max.ms  INVALID_TIMESTAMP
 *   acks not in {-1, 0, 1}          INVALID_REQUIRED_ACKS (every partition)
 *   control batch from a client     INVALID_RECORD
 *   producer id without epoch or sequence  INVALID_RECORD
 *   sequence gap / new epoch not at 0  OUT_OF_ORDER_SEQUENCE_NUMBER
 *   stale producer epoch            INVALID_PRODUCER_EPOCH
 *   first batch of an unknown producer not at sequence 0  UNKNOWN_PRODUCER_ID
 *   transactional batch for a partition not in the producer's ongoing
 *     transaction (KIP-890 verification), or a non-transactional batch from
 *     a producer with an open transaction    INVALID_TXN_STATE
 *   transactional batch from a fenced producer  INVALID_PRODUCER_EPOCH
 *   record without a key on a compacted topic  INVALID_RECORD, with recordErrors (v8+)
 *   storage failure                 KAFKA_STORAGE_ERROR
 *
 * Idempotent producers: batches with a producer id are checked against the
 * partition's producer state (storage/producer-state.ts). A retry of one of
 * the producer's last five batches is answered with the offsets it got the
 * first time and is not written again, as in Kafka.
 *
 * Version notes: v0-v2 carry magic 0/1 message sets (or, as Kafka allows, one
 * magic-2 batch). A magic 0/1 set is up-converted to one magic-2 batch in the
 * topic's compression.type (records/legacy-up-convert.ts has the rules and
 * errors; docs/protocol-versions.md the truth table), then checked and
 * appended like any batch; the converted batch must fit max.message.bytes.
 * v1 adds throttle time, v2 the log append time. Produce is advertised from
 * v0 whatever else is configured: librdkafka before 2.10 enables compression
 * only when Produce v0 is listed (KAFKA-18659).
 */
import {
  CompressionCodec,
  ErrorCode,
  isLegacyMessageSet,
  ProduceApi,
  RecordFormatError,
  TimestampType,
  upConvertMessageSet,
  validateBatches,
  type ProduceRequest,
  type ProduceResponse,
  type RecordBatchHeader,
} from '@samsa/protocol';
import { hasCompactPolicy, keylessRecordIndexes, keylessRecordMessage, StorageError, type LogConfig, type PartitionLog } from '@samsa/storage';
import { SINGLE_NODE_LEADER_EPOCH, type BrokerServices } from '../broker-services.js';
import type { ApiHandler } from '../request-context.js';
import { topicCompression } from '../topic-config-value.js';
import { isInternalTopic } from '../topic-name.js';

type PartitionResponse = ProduceResponse['responses'][number]['partitionResponses'][number];

export function produceHandler(s: BrokerServices): ApiHandler<ProduceRequest, ProduceResponse> {
  return {
    api: ProduceApi,
    minVersion: 0,
    maxVersion: 11,
    async handle(ctx, req) {
      const version = ctx.apiVersion;
      const acksValid = req.acks === -1 || req.acks === 0 || req.acks === 1;
      const pending: Array<Promise<void>> = [];
      const responses: ProduceResponse['responses'] = req.topicData.map((topicData) => {
        const topic = s.metadata.topic(topicData.name);
        const partitionResponses = topicData.partitionData.map((pd) => {
          const r = partitionResponse(pd.index);
          if (!acksValid) return fail(r, ErrorCode.INVALID_REQUIRED_ACKS);
          if (!topic || pd.index < 0 || pd.index >= topic.partitions) return fail(r, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          if (isInternalTopic(topic.name)) {
            return fail(r, ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${topic.name}`);
          }
          const log = s.topics.log(topic.name, pd.index);
          if (!log) return fail(r, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          const records = pd.records;
          if (records === null || records.length === 0) {
            return fail(r, ErrorCode.INVALID_RECORD, 'Produce request must contain exactly one record batch');
          }
          const append = (batchBytes: Buffer): Promise<void> =>
            log.append(batchBytes, { leaderEpoch: SINGLE_NODE_LEADER_EPOCH }).then(
              (result) => {
                r.baseOffset = result.baseOffset;
                r.logAppendTimeMs = result.logAppendTimeMs;
                r.logStartOffset = result.logStartOffset;
                s.notifier.notify(topic.name, pd.index);
              },
              (err: unknown) => {
                if (err instanceof StorageError && REFUSALS.has(err.code)) {
                  fail(r, err.code, err.message);
                  return;
                }
                s.logger.error({ err, topic: topic.name, partition: pd.index }, 'append failed');
                fail(r, ErrorCode.KAFKA_STORAGE_ERROR, 'Disk error while appending');
              },
            );
          if (version < 3 && isLegacyMessageSet(records)) {
            pending.push(appendInOrder(log, upConvert(records, topicCompression(s, topic), log, r, append)));
            return r;
          }
          const maxMessageBytes = log.config.maxMessageBytes;
          if (records.length > maxMessageBytes + 12 /* LOG_OVERHEAD: Kafka compares the batch size */) {
            return fail(r, ErrorCode.MESSAGE_TOO_LARGE, `The batch is ${records.length} bytes, larger than max.message.bytes=${maxMessageBytes}`);
          }
          const validation = validateBatches(records, { requireSingleBatch: true });
          if (!validation.ok) return fail(r, validation.errorCode, validation.message);
          const batch = validation.batches[0];
          if (batch.compression === CompressionCodec.Zstd && version < 7) {
            return fail(r, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, 'zstd needs Produce v7 or later');
          }
          const timestampProblem = checkTimestamps(batch, log.config, Date.now());
          if (timestampProblem) return fail(r, ErrorCode.INVALID_TIMESTAMP, timestampProblem);
          const producerProblem = checkProducerFields(batch);
          if (producerProblem) return fail(r, producerProblem.errorCode, producerProblem.message);
          if (batch.isTransactional) {
            const verified = s.txns.verifyPartition(req.transactionalId, batch.producerId, batch.producerEpoch, topic.name, pd.index);
            if (verified !== ErrorCode.NONE) return fail(r, verified, `Partition ${topic.name}-${pd.index} is not part of an ongoing transaction of this producer`);
          }
          pending.push(hasCompactPolicy(log.config) ? appendInOrder(log, keyChecked(log, records, r, append)) : append(records));
          return r;
        });
        return { name: topicData.name, topicId: topicData.topicId, partitionResponses };
      });
      if (pending.length > 0) await Promise.all(pending);
      if (req.acks === 0) return null;
      return { responses, throttleTimeMs: 0, nodeEndpoints: [] };
    },
  };
}

/** An append that is ready to issue, or null when the batch was refused. */
type ReadyAppend = (() => Promise<void>) | null;

/**
 * Appends whose preparation is asynchronous (a compacted topic's key check,
 * the up-conversion of a magic 0/1 set), chained per partition: each is
 * issued only after the previous one of its partition was, so appends keep
 * the order of their requests. `prepared` must not reject.
 */
const preparedAppends = new WeakMap<PartitionLog, Promise<void>>();

function appendInOrder(log: PartitionLog, prepared: Promise<ReadyAppend>): Promise<void> {
  let appended: Promise<void> = Promise.resolve();
  const issued = Promise.all([preparedAppends.get(log), prepared]).then(([, ready]) => {
    if (ready !== null) appended = ready();
  });
  // A failed link must not fail every later append of the partition.
  preparedAppends.set(log, issued.catch(() => undefined));
  return issued.then(() => appended);
}

/**
 * Compacted topics refuse records without a key, as Kafka's LogValidator
 * does: the only records the produce path decodes (records of other topics
 * never are). Resolves to the append once the batch passed; otherwise fails
 * `r` with INVALID_RECORD and one recordErrors entry per keyless record, in
 * Kafka's words.
 */
function keyChecked(log: PartitionLog, records: Buffer, r: PartitionResponse, append: (batch: Buffer) => Promise<void>): Promise<ReadyAppend> {
  return keylessRecordIndexes(records).then(
    (keyless) => {
      if (keyless.length === 0) return () => append(records);
      const message = keylessRecordMessage(log.topic, log.partition);
      r.recordErrors = keyless.map((batchIndex) => ({ batchIndex, batchIndexErrorMessage: message }));
      const shown = keyless.slice(0, 3).map((i) => `RecordError(batchIndex=${i}, message='${message}')`);
      fail(r, ErrorCode.INVALID_RECORD, `One or more records have been rejected due to ${keyless.length} record errors in total, and only showing the first three errors at most: [${shown.join(', ')}]`);
      return null;
    },
    (err: unknown) => {
      fail(r, ErrorCode.CORRUPT_MESSAGE, `Records of the batch do not decode: ${String(err)}`);
      return null;
    },
  );
}

/**
 * Produce v0-v2: converts a magic 0/1 message set to one magic-2 batch and
 * applies the checks a batch gets (size, timestamps, keys on compacted
 * topics). Resolves to the append, or null after failing `r`.
 */
async function upConvert(
  records: Buffer,
  compression: CompressionCodec | 'producer',
  log: PartitionLog,
  r: PartitionResponse,
  append: (batch: Buffer) => Promise<void>,
): Promise<ReadyAppend> {
  try {
    const converted = await upConvertMessageSet(records, { compression });
    const maxMessageBytes = log.config.maxMessageBytes;
    if (converted.batch.length > maxMessageBytes + 12) {
      fail(r, ErrorCode.MESSAGE_TOO_LARGE, `The converted batch is ${converted.batch.length} bytes, larger than max.message.bytes=${maxMessageBytes}`);
      return null;
    }
    const bounds = { timestampType: TimestampType.CreateTime, baseTimestamp: converted.minTimestamp, maxTimestamp: converted.maxTimestamp };
    const timestampProblem = checkTimestamps(bounds, log.config, Date.now());
    if (timestampProblem) {
      fail(r, ErrorCode.INVALID_TIMESTAMP, timestampProblem);
      return null;
    }
    return hasCompactPolicy(log.config) ? await keyChecked(log, converted.batch, r, append) : () => append(converted.batch);
  } catch (err) {
    // Anything else thrown while reading the client's bytes is a malformed set too.
    if (err instanceof RecordFormatError) fail(r, err.errorCode, err.message);
    else fail(r, ErrorCode.CORRUPT_MESSAGE, `The message set does not decode: ${String(err)}`);
    return null;
  }
}

/** Storage errors that refuse one batch (answered with their own code) rather than signal a failing disk. */
const REFUSALS: ReadonlySet<number> = new Set([
  ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  ErrorCode.INVALID_PRODUCER_EPOCH,
  ErrorCode.UNKNOWN_PRODUCER_ID,
  ErrorCode.INVALID_RECORD,
  ErrorCode.MESSAGE_TOO_LARGE,
  ErrorCode.INVALID_TXN_STATE,
]);

/** Batch-header rules for producer fields that Kafka enforces on client writes. */
function checkProducerFields(batch: RecordBatchHeader): { errorCode: number; message: string } | null {
  if (batch.isControl) return { errorCode: ErrorCode.INVALID_RECORD, message: 'Clients may not write control batches' };
  if (batch.producerId < 0) {
    if (batch.isTransactional) return { errorCode: ErrorCode.INVALID_RECORD, message: 'A transactional batch needs a producer id' };
    return null;
  }
  if (batch.producerEpoch < 0 || batch.baseSequence < 0) {
    return { errorCode: ErrorCode.INVALID_RECORD, message: `Batch of producer ${batch.producerId} has epoch ${batch.producerEpoch} and base sequence ${batch.baseSequence}` };
  }
  return null;
}

function partitionResponse(index: number): PartitionResponse {
  return {
    index,
    errorCode: ErrorCode.NONE,
    baseOffset: -1,
    logAppendTimeMs: -1,
    logStartOffset: -1,
    recordErrors: [],
    errorMessage: null,
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
  };
}

function fail(r: PartitionResponse, errorCode: number, message: string | null = null): PartitionResponse {
  r.errorCode = errorCode;
  r.errorMessage = message;
  r.baseOffset = -1;
  return r;
}

/**
 * Kafka checks every record's timestamp; without decoding records the batch's
 * first (base) and largest timestamps bound them for producers that write
 * deltas >= 0, which every client here does.
 */
function checkTimestamps(
  batch: Pick<RecordBatchHeader, 'timestampType' | 'baseTimestamp' | 'maxTimestamp'>,
  config: LogConfig,
  nowMs: number,
): string | null {
  if (batch.timestampType === TimestampType.LogAppendTime || config.messageTimestampType === 'LogAppendTime') return null;
  const before = config.messageTimestampBeforeMaxMs ?? Number.MAX_SAFE_INTEGER;
  const after = config.messageTimestampAfterMaxMs ?? Number.MAX_SAFE_INTEGER;
  for (const ts of [batch.baseTimestamp, batch.maxTimestamp]) {
    if (ts < 0) continue;
    if (nowMs - ts > before) return `Timestamp ${ts} is more than message.timestamp.before.max.ms=${before} before the broker's time`;
    if (ts - nowMs > after) return `Timestamp ${ts} is more than message.timestamp.after.max.ms=${after} after the broker's time`;
  }
  return null;
}
