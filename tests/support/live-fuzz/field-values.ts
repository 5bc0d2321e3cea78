// Type-valid random request values for fuzzing a live broker. Unlike the codec round-trip
// generator (packages/protocol/test-support/random-message.ts), which wants values that
// survive encode -> decode, this one wants values that reach deep broker code: names of
// topics, groups and transactions that exist, partition indexes near the real ones,
// boundary integers (-1, 0, 2^31-1, ...), now and then long arrays, and record batches that
// pass validation. Every value is still valid for its field's type and version, so the
// generated encoder accepts it.
import { CompressionCodec, encodeRecordBatchSync, type RecordInput } from '@samsa/protocol';
import type { FieldModel, MessageModel, TypeModel } from './request-models.js';
import type { FuzzRandom } from './random.js';

/** Names the generated values refer to: they exist on the broker under test. */
export interface FuzzVocabulary {
  topics: readonly string[];
  groups: readonly string[];
  transactionalIds: readonly string[];
}

type Primitive = Extract<TypeModel, { kind: 'primitive' }>;
type Value = Record<string, unknown>;

const INT32_BOUNDARIES = [0, -1, 1, 2, 3, 100, 65535, 2147483647, -2147483648] as const;
const INT16_BOUNDARIES = [0, -1, 1, 2, 3, 32767, -32768] as const;
const INT64_BOUNDARIES = [0, -1, -2, 1, 1000, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER] as const;
const CONFIG_NAMES = ['cleanup.policy', 'retention.ms', 'segment.bytes', 'max.message.bytes', 'min.insync.replicas', 'compression.type', 'no.such.config'];
const CONFIG_VALUES = ['', '-1', '0', '1', '2147483647', '9223372036854775807', 'delete', 'compact', 'compact,delete', 'gzip', 'x'];
const STRING_ALPHABET = ['a', 'b', 'Z', '0', '-', '.', '_', ' ', '/', 'é', '日', '😀', '\u0000'];
const ZERO_UUID = '00000000000000000000000000000000';
/** Sync encoding supports these (zstd's binding is async only). */
const CODECS = [CompressionCodec.None, CompressionCodec.None, CompressionCodec.Gzip, CompressionCodec.Snappy, CompressionCodec.Lz4];
/** A bound on array elements per message, so a "long array" never builds megabytes. */
const ELEMENT_BUDGET = 1500;

/** Builds one request value of `model` valid at `version`. */
export function fuzzMessage(model: MessageModel, version: number, rnd: FuzzRandom, vocabulary: FuzzVocabulary): Value {
  const builder = new ValueBuilder(model, version, rnd, vocabulary);
  return builder.struct(model.root, 0);
}

class ValueBuilder {
  #budget = ELEMENT_BUDGET;

  constructor(
    readonly model: MessageModel,
    readonly version: number,
    readonly rnd: FuzzRandom,
    readonly vocabulary: FuzzVocabulary,
  ) {}

  struct(structName: string, depth: number): Value {
    const value: Value = {};
    const fields = this.model.structs[structName];
    for (const field of fields) {
      if (!field.versions.includes(this.version)) {
        value[field.name] = undefined;
        continue;
      }
      if (field.tagged.includes(this.version) && this.rnd.chance(0.4)) {
        value[field.name] = undefined;
        continue;
      }
      if (field.nullable.includes(this.version) && this.rnd.chance(0.1)) {
        value[field.name] = null;
        continue;
      }
      value[field.name] = this.ofType(field, field.type, structName, depth);
    }
    if (this.model.flexible.includes(this.version) && this.rnd.chance(0.05)) {
      const tag = this.rnd.chance(0.5) ? this.rnd.int(0, 20) : this.rnd.int(128, 70000);
      const known = fields.some((f) => f.tag === tag);
      value.unknownTaggedFields = known ? undefined : [{ tag, data: this.rnd.bytes(this.rnd.int(0, 8)) }];
    }
    return value;
  }

  ofType(field: FieldModel, type: TypeModel, structName: string, depth: number): unknown {
    if (type.kind === 'primitive') return this.primitive(field, type, structName);
    if (type.kind === 'struct') return this.struct(type.name, depth + 1);
    const length = this.arrayLength(depth);
    const items: unknown[] = [];
    for (let i = 0; i < length; i++) items.push(this.ofType(field, type.elem, structName, depth + 1));
    return items;
  }

  arrayLength(depth: number): number {
    const rnd = this.rnd;
    let n: number;
    if (depth > 4) n = 0;
    else if (rnd.chance(0.02)) n = rnd.int(50, 400);
    else n = rnd.pick([0, 1, 1, 1, 2, 3]);
    n = Math.min(n, this.#budget);
    this.#budget -= n;
    return n;
  }

  primitive(field: FieldModel, type: Primitive, structName: string): unknown {
    const rnd = this.rnd;
    const name = field.name;
    switch (type.prim) {
      case 'bool':
        return rnd.chance(0.5);
      case 'int8':
        return rnd.pick([0, 1, -1, 127, -128, rnd.int(-128, 127)]);
      case 'uint16':
        return rnd.pick([0, 1, 65535, rnd.int(0, 65535)]);
      case 'int16':
        return rnd.chance(0.7) ? rnd.pick(INT16_BOUNDARIES) : rnd.int(-32768, 32767);
      case 'int32':
        if (/partition/i.test(name) && rnd.chance(0.7)) return rnd.pick([0, 0, 1, 2, 3, -1]);
        if (/Ms$/.test(name) && rnd.chance(0.7)) return rnd.pick([0, 1, 10, 100, -1, 2147483647]);
        return rnd.chance(0.7) ? rnd.pick(INT32_BOUNDARIES) : rnd.int(-2147483648, 2147483647);
      case 'int64':
        if (type.bigint) {
          if (rnd.chance(0.5)) return BigInt(rnd.pick(INT64_BOUNDARIES));
          return rnd.pick([9223372036854775807n, -9223372036854775808n, BigInt.asIntN(64, (BigInt(rnd.nextUint32()) << 32n) | BigInt(rnd.nextUint32()))]);
        }
        if (/offset/i.test(name) && rnd.chance(0.6)) return rnd.pick([0, 1, 5, 10, -1, -2, -3]);
        return rnd.chance(0.7) ? rnd.pick(INT64_BOUNDARIES) : rnd.int(-1e15, 1e15);
      case 'float64':
        return rnd.pick([0, -1, 0.5, Number.MAX_VALUE, Number.NaN, Number.POSITIVE_INFINITY]);
      case 'string':
        return this.string(name, structName);
      case 'bytes':
        return rnd.bytes(rnd.chance(0.05) ? rnd.int(256, 4096) : rnd.int(0, 24));
      case 'records':
        return rnd.chance(0.7) ? recordBatches(rnd) : rnd.bytes(rnd.int(0, 80));
      case 'uuid':
        return rnd.chance(0.6) ? ZERO_UUID : rnd.bytes(16).toString('hex');
    }
  }

  string(name: string, structName: string): string {
    const rnd = this.rnd;
    const { topics, groups, transactionalIds } = this.vocabulary;
    const lower = name.toLowerCase();
    if (/config/i.test(structName) || /^config/.test(lower)) {
      if (lower === 'name' || lower === 'configname' || lower === 'key') return rnd.pick(CONFIG_NAMES);
      if (lower === 'value') return rnd.pick(CONFIG_VALUES);
    }
    if ((lower.includes('topic') || lower === 'name' || lower === 'resourcename') && rnd.chance(0.75)) return rnd.pick(topics);
    if (lower.includes('groupid') && rnd.chance(0.75)) return rnd.pick(groups);
    if (lower.includes('transactionalid') && rnd.chance(0.75)) return rnd.pick(transactionalIds);
    if (lower === 'protocoltype' && rnd.chance(0.7)) return 'consumer';
    return randomString(rnd);
  }
}

function randomString(rnd: FuzzRandom): string {
  const n = rnd.chance(0.03) ? rnd.int(200, 2000) : rnd.int(0, 12);
  let s = '';
  for (let i = 0; i < n; i++) s += rnd.pick(STRING_ALPHABET);
  return s;
}

/** One or two v2 record batches that pass the broker's validation (unless the frame is mutated later). */
function recordBatches(rnd: FuzzRandom): Buffer {
  const parts: Buffer[] = [];
  for (let b = rnd.pick([1, 1, 1, 2]); b > 0; b--) {
    const records: RecordInput[] = [];
    for (let i = rnd.int(1, 5); i > 0; i--) {
      records.push({
        key: rnd.chance(0.5) ? null : rnd.bytes(rnd.int(0, 8)),
        value: rnd.chance(0.1) ? null : rnd.bytes(rnd.int(0, 64)),
        headers: rnd.chance(0.2) ? [{ key: 'h', value: rnd.bytes(3) }] : [],
      });
    }
    const idempotent = rnd.chance(0.2);
    parts.push(
      encodeRecordBatchSync({
        baseTimestamp: 1_700_000_000_000 + rnd.int(0, 1_000_000_000),
        compression: rnd.pick(CODECS),
        producerId: idempotent ? rnd.pick([0, 1, 1000]) : -1,
        producerEpoch: idempotent ? rnd.pick([0, 1]) : -1,
        baseSequence: idempotent ? rnd.pick([0, 1, 5]) : -1,
        isTransactional: idempotent && rnd.chance(0.3),
        records,
      }),
    );
  }
  return Buffer.concat(parts);
}
