/**
 * One topic config's effective value as text: the topic's override, else the broker's
 * default for it (log.* synonyms, then the built-in default). For the few settings
 * handlers read directly rather than through the partition's LogConfig.
 */
import { CompressionCodec } from '@samsa/protocol';
import type { BrokerServices } from './broker-services.js';
import type { TopicMetadata } from './metadata/metadata-store.js';

export function topicConfigValue(s: BrokerServices, topic: TopicMetadata, name: string): string | null {
  return topic.configs.get(name) ?? s.config.topicDefault(name).value.text;
}

const CODECS: ReadonlyMap<string, CompressionCodec> = new Map([
  ['uncompressed', CompressionCodec.None],
  ['gzip', CompressionCodec.Gzip],
  ['snappy', CompressionCodec.Snappy],
  ['lz4', CompressionCodec.Lz4],
  ['zstd', CompressionCodec.Zstd],
]);

/** The topic's `compression.type` as a codec, or 'producer' (keep the producer's codec). */
export function topicCompression(s: BrokerServices, topic: TopicMetadata): CompressionCodec | 'producer' {
  return CODECS.get(topicConfigValue(s, topic, 'compression.type') ?? 'producer') ?? 'producer';
}
