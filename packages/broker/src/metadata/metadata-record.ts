/**
 * The records of the single-node metadata log: one record per metadata
 * change, each the JSON payload of one frame (metadata-frame.ts). A record
 * names the one thing it changes, so its size does not grow with the number
 * of topics (Kafka's KRaft log works the same way, with TopicRecord,
 * RemoveTopicRecord, PartitionRecord and ConfigRecord).
 *
 * | type | fields | applied as |
 * |---|---|---|
 * | `CreateTopic` | name, topicId, partitions, configs | adds the topic (name and id must be new) |
 * | `DeleteTopic` | topicId | removes the topic |
 * | `SetPartitionCount` | topicId, partitions | replaces the partition count |
 * | `SetTopicConfigs` | topicId, configs | replaces the topic's config overrides |
 * | `SetBrokerConfigs` | scope, configs | replaces the dynamic broker configs of one scope |
 * | `AllocateProducerIds` | nextProducerId | raises the first producer id not handed out |
 *
 * `configs` is a JSON object of Kafka config names to string values. Topics
 * are addressed by id after creation, so a record can never apply to a later
 * topic that reuses a deleted one's name.
 */
import type { BrokerConfigScope } from './metadata-store.js';

/** One metadata change. */
export type MetadataRecord =
  | { readonly type: 'CreateTopic'; readonly name: string; readonly topicId: string; readonly partitions: number; readonly configs: Readonly<Record<string, string>> }
  | { readonly type: 'DeleteTopic'; readonly topicId: string }
  | { readonly type: 'SetPartitionCount'; readonly topicId: string; readonly partitions: number }
  | { readonly type: 'SetTopicConfigs'; readonly topicId: string; readonly configs: Readonly<Record<string, string>> }
  | { readonly type: 'SetBrokerConfigs'; readonly scope: BrokerConfigScope; readonly configs: Readonly<Record<string, string>> }
  | { readonly type: 'AllocateProducerIds'; readonly nextProducerId: number };

/** A record that passed its frame's checksum but does not make sense: a bug or a file from another program. */
export class MetadataRecordError extends Error {
  override readonly name = 'MetadataRecordError';
}

/** The frame payload of `record`. */
export function encodeRecord(record: MetadataRecord): Buffer {
  return Buffer.from(JSON.stringify(record), 'utf8');
}

/** Parses and shape-checks one record payload; throws {@link MetadataRecordError}. */
export function decodeRecord(payload: Buffer): MetadataRecord {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    throw new MetadataRecordError(`metadata record is not JSON: ${(err as Error).message}`);
  }
  if (!isObject(value)) throw new MetadataRecordError('metadata record is not a JSON object');
  const type = value.type;
  switch (type) {
    case 'CreateTopic':
      return {
        type,
        name: str(value, 'name'),
        topicId: topicId(value),
        partitions: count(value, 'partitions'),
        configs: configMap(value, 'configs'),
      };
    case 'DeleteTopic':
      return { type, topicId: topicId(value) };
    case 'SetPartitionCount':
      return { type, topicId: topicId(value), partitions: count(value, 'partitions') };
    case 'SetTopicConfigs':
      return { type, topicId: topicId(value), configs: configMap(value, 'configs') };
    case 'SetBrokerConfigs': {
      const scope = value.scope;
      if (scope !== 'broker' && scope !== 'cluster-default') throw new MetadataRecordError(`unknown broker config scope ${JSON.stringify(scope)}`);
      return { type, scope, configs: configMap(value, 'configs') };
    }
    case 'AllocateProducerIds':
      return { type, nextProducerId: nonNegative(value, 'nextProducerId') };
    default:
      throw new MetadataRecordError(`unknown metadata record type ${JSON.stringify(type)} (written by a newer Samsa?)`);
  }
}

/** Shape checks, shared with the snapshot reader: a plain JSON object. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A non-empty string field. */
export function str(o: Record<string, unknown>, field: string): string {
  const v = o[field];
  if (typeof v !== 'string' || v.length === 0) throw new MetadataRecordError(`metadata field ${field} is not a non-empty string`);
  return v;
}

/** A `topicId` field: 32 lowercase hex digits. */
export function topicId(o: Record<string, unknown>): string {
  const v = str(o, 'topicId');
  if (!/^[0-9a-f]{32}$/.test(v)) throw new MetadataRecordError(`metadata topicId ${JSON.stringify(v)} is not 32 hex digits`);
  return v;
}

/** A non-negative safe-integer field. */
export function nonNegative(o: Record<string, unknown>, field: string): number {
  const v = o[field];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new MetadataRecordError(`metadata field ${field} is not a non-negative integer`);
  return v;
}

/** A positive safe-integer field (partition counts). */
export function count(o: Record<string, unknown>, field: string): number {
  const v = nonNegative(o, field);
  if (v < 1) throw new MetadataRecordError(`metadata field ${field} is not positive`);
  return v;
}

/** A config map field: an object of strings (absent = empty). */
export function configMap(o: Record<string, unknown>, field: string): Record<string, string> {
  const v = o[field] ?? {};
  if (!isObject(v)) throw new MetadataRecordError(`metadata field ${field} is not an object`);
  for (const [k, s] of Object.entries(v)) {
    if (typeof s !== 'string') throw new MetadataRecordError(`metadata config ${k} is not a string`);
  }
  return v as Record<string, string>;
}
