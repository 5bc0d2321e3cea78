/**
 * Fetch v0-v3 down-conversion: the stored magic-2 batches a partition read
 * returned, rewritten in the magic the request version reads (v0-v1 → magic
 * 0, v2-v3 → magic 1). The conversion rules and their memory bound are in
 * @samsa/protocol's records/legacy-down-convert.ts; this file adds Kafka's
 * per-topic refusals (KafkaApis, fetch versions below 10 / 4):
 *
 *   topic config                               partition error
 *   message.downconversion.enable=false        UNSUPPORTED_VERSION
 *   compression.type=zstd, or a zstd batch     UNSUPPORTED_COMPRESSION_TYPE
 *     first in line (magic 0/1 have no zstd)
 */
import { CompressionCodec, downConvertBatches, ErrorCode } from '@samsa/protocol';
import type { BrokerServices } from '../broker-services.js';
import type { TopicMetadata } from '../metadata/metadata-store.js';
import { topicCompression, topicConfigValue } from '../topic-config-value.js';

/** The first Fetch version that reads magic-2 batches as stored. */
export const FIRST_MAGIC_2_FETCH_VERSION = 4;

/** Converted records, or the error the partition answers instead. */
export type DownConvertedFetch = { errorCode: typeof ErrorCode.NONE; records: Buffer } | { errorCode: number; records: null };

/**
 * Converts `stored` (read at `fetchOffset`, at most about `maxBytes`) for a
 * Fetch of `version` < 4. Only the response's first batch may exceed
 * `maxBytes` (KIP-74): `firstOfResponse` says whether this one may. Throws RecordFormatError when a stored batch does
 * not decode (the caller answers a storage error).
 */
export async function downConvertForFetch(
  s: BrokerServices,
  topic: TopicMetadata,
  version: number,
  fetchOffset: number,
  stored: Buffer,
  maxBytes: number,
  firstOfResponse: boolean,
): Promise<DownConvertedFetch> {
  if (topicConfigValue(s, topic, 'message.downconversion.enable') === 'false') return { errorCode: ErrorCode.UNSUPPORTED_VERSION, records: null };
  if (topicCompression(s, topic) === CompressionCodec.Zstd) return { errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, records: null };
  const converted = await downConvertBatches(stored, { toMagic: version <= 1 ? 0 : 1, fetchOffset, maxBytes, firstMayExceed: firstOfResponse });
  if (converted.unsupportedCompression) return { errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, records: null };
  return { errorCode: ErrorCode.NONE, records: converted.records };
}
