/**
 * What producers and consumers take from their `Kafka` instance, and the
 * metadata cluster each of them builds from it with its own settings.
 */
import type { ClusterOptions } from './cluster/cluster.js';
import type { Logger } from './logger.js';
import type { RetryOptions, RetryPolicy } from './retry.js';

export interface ClientConfig {
  clientId: string;
  brokers: string[];
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
  retry: RetryOptions | undefined;
  logger: Logger;
}

/** The settings of a producer or consumer that shape its cluster view. */
export interface ClusterSettings {
  requestTimeoutMs: number;
  retry: RetryPolicy;
  allowAutoTopicCreation: boolean;
  metadataMaxAgeMs: number;
}

export function clusterOptions(client: ClientConfig, s: ClusterSettings, random: () => number): ClusterOptions {
  return {
    clientId: client.clientId,
    brokers: client.brokers,
    connectionTimeoutMs: client.connectionTimeoutMs,
    requestTimeoutMs: s.requestTimeoutMs,
    retry: s.retry,
    logger: client.logger,
    allowAutoTopicCreation: s.allowAutoTopicCreation,
    metadataMaxAgeMs: s.metadataMaxAgeMs,
    random,
  };
}
