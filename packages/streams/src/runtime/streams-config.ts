/**
 * Settings shared by the runtime (`KafkaStreams`) and the test driver, with
 * Kafka Streams' names in camelCase (`application.id` → `applicationId`) and
 * its defaults.
 */
import type { Logger } from '@samsa/client';
import type { TimestampExtractor } from '../processor/timestamp-extractor.js';
import { recordTimestamp } from '../processor/timestamp-extractor.js';
import type { Serde } from '../serdes/serde.js';
import { StreamsError } from '../streams-error.js';

/** Kafka's processing.guarantee values (exactly_once and exactly_once_beta are deprecated there and not offered). */
export type ProcessingGuarantee = 'at_least_once' | 'exactly_once_v2';

/**
 * What to do with a record whose key or value cannot be deserialized
 * (Kafka's default.deserialization.exception.handler): stop the application
 * (LogAndFailExceptionHandler, Kafka's default), or log it, count it and go on.
 */
export type DeserializationExceptionHandling = 'logAndFail' | 'logAndContinue';

/** Settings common to the runtime and the test driver. */
export interface TopologySettings {
  /** application.id: the consumer group, the prefix of internal topics and of transactional ids. */
  applicationId: string;
  /** default.key.serde: for sources and sinks that name none. */
  defaultKeySerde?: Serde<unknown>;
  /** default.value.serde. */
  defaultValueSerde?: Serde<unknown>;
  /** default.timestamp.extractor [the record's timestamp]. */
  defaultTimestampExtractor?: TimestampExtractor;
  /** [logAndFail] */
  deserializationExceptionHandler?: DeserializationExceptionHandling;
  /** Where warnings (skipped records) go [the client's console logger]. */
  logger?: Logger;
}

/** Validated topology settings. */
export interface ResolvedTopologySettings {
  applicationId: string;
  defaultKeySerde: Serde<unknown> | undefined;
  defaultValueSerde: Serde<unknown> | undefined;
  defaultTimestampExtractor: TimestampExtractor;
  deserializationExceptionHandler: DeserializationExceptionHandling;
  logger: Logger;
}

const APPLICATION_ID = /^[a-zA-Z0-9._-]+$/;

function configError(message: string): StreamsError {
  return new StreamsError('SAMSA_ERR_STREAMS_CONFIG', message);
}

/** Checks the common settings; throws StreamsError SAMSA_ERR_STREAMS_CONFIG. */
export function resolveTopologySettings(s: TopologySettings, fallbackLogger: Logger): ResolvedTopologySettings {
  if (s === null || typeof s !== 'object') throw configError('settings must be an object with at least applicationId');
  if (typeof s.applicationId !== 'string' || !APPLICATION_ID.test(s.applicationId)) {
    throw configError(`applicationId must be a non-empty string of [a-zA-Z0-9._-] (it prefixes topic names), got ${JSON.stringify(s.applicationId)}`);
  }
  const handler = s.deserializationExceptionHandler ?? 'logAndFail';
  if (handler !== 'logAndFail' && handler !== 'logAndContinue') throw configError(`deserializationExceptionHandler must be 'logAndFail' or 'logAndContinue', got ${String(handler)}`);
  return {
    applicationId: s.applicationId,
    defaultKeySerde: s.defaultKeySerde,
    defaultValueSerde: s.defaultValueSerde,
    defaultTimestampExtractor: s.defaultTimestampExtractor ?? recordTimestamp,
    deserializationExceptionHandler: handler,
    logger: s.logger ?? fallbackLogger,
  };
}

/** `<application.id>-<store>-changelog` */
export function changelogTopicName(applicationId: string, storeName: string): string {
  return `${applicationId}-${storeName}-changelog`;
}
