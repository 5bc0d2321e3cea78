/**
 * The whole metadata state as one JSON document: the payload of the snapshot
 * frame (`__samsa_metadata.snapshot`, version 2) and, without a frame, the
 * single file earlier Samsa versions rewrote on every change
 * (`__samsa_metadata.json`, version 1, read for migration only).
 *
 *   { "version": 2, "clusterId": "...",
 *     "topics": [ { "name", "topicId", "partitions", "configs": {k: v} } ],
 *     "brokerConfigs": { "broker": {k: v}, "cluster-default": {k: v} },
 *     "nextProducerId": n }
 *
 * Version 1 has the same fields; `brokerConfigs` and `nextProducerId` may be
 * absent there (read as empty and 0).
 */
import { MetadataImage } from './metadata-image.js';
import { MetadataRecordError, configMap, count, isObject, nonNegative, str, topicId } from './metadata-record.js';

/** Version of the snapshot payload this code writes. */
export const SNAPSHOT_VERSION = 2;
/** Version of the legacy whole-state JSON file. */
export const LEGACY_VERSION = 1;

/** The snapshot payload of `image`. */
export function encodeSnapshot(image: MetadataImage): Buffer {
  const topics = [];
  for (const t of image.topics()) topics.push({ name: t.name, topicId: t.topicId, partitions: t.partitions, configs: Object.fromEntries(t.configs) });
  return Buffer.from(
    JSON.stringify({
      version: SNAPSHOT_VERSION,
      clusterId: image.clusterId,
      topics,
      brokerConfigs: {
        broker: Object.fromEntries(image.brokerConfigs('broker')),
        'cluster-default': Object.fromEntries(image.brokerConfigs('cluster-default')),
      },
      nextProducerId: image.nextProducerId,
    }),
    'utf8',
  );
}

/**
 * Rebuilds an image from a snapshot payload (or the legacy file's content
 * when `expectedVersion` is {@link LEGACY_VERSION}). Every topic goes through
 * the same checks as a CreateTopic record. Throws {@link MetadataRecordError}.
 */
export function decodeSnapshot(payload: Buffer, expectedVersion: number): MetadataImage {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    throw new MetadataRecordError(`metadata snapshot is not JSON: ${(err as Error).message}`);
  }
  if (!isObject(value)) throw new MetadataRecordError('metadata snapshot is not a JSON object');
  if (value.version !== expectedVersion) throw new MetadataRecordError(`metadata snapshot version ${JSON.stringify(value.version)}, expected ${expectedVersion}`);
  const image = new MetadataImage(str(value, 'clusterId'));
  const topics = value.topics ?? [];
  if (!Array.isArray(topics)) throw new MetadataRecordError('metadata snapshot topics is not an array');
  for (const t of topics) {
    if (!isObject(t)) throw new MetadataRecordError('metadata snapshot topic is not an object');
    // A topic is exactly what a CreateTopic record carries, so the record decoder checks it.
    image.apply({ type: 'CreateTopic', name: str(t, 'name'), topicId: topicId(t), partitions: count(t, 'partitions'), configs: configMap(t, 'configs') });
  }
  const brokerConfigs = value.brokerConfigs ?? {};
  if (!isObject(brokerConfigs)) throw new MetadataRecordError('metadata snapshot brokerConfigs is not an object');
  for (const scope of ['broker', 'cluster-default'] as const) {
    image.apply({ type: 'SetBrokerConfigs', scope, configs: configMap(brokerConfigs, scope) });
  }
  image.apply({ type: 'AllocateProducerIds', nextProducerId: value.nextProducerId === undefined ? 0 : nonNegative(value, 'nextProducerId') });
  return image;
}
