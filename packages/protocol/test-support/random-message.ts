// Random values for generated messages, driven by the schema model: valid for the
// chosen version (absent fields at their defaults, null only where the version
// allows it, tagged fields sometimes left at their defaults, unknown tags sometimes
// added), so encode -> decode must give back exactly the same value.
import type { DefaultModel, FieldModel, MessageModel, TypeModel } from './schema-model.js';
import type { Random } from './random.js';

export type MessageValue = Record<string, unknown>;

const ZERO_UUID = '00000000000000000000000000000000';
/** Mixed ASCII, 2-, 3- and 4-byte UTF-8 (a valid surrogate pair), no lone surrogates. */
const STRING_ALPHABET = ['a', 'b', 'Z', '0', '-', '.', '_', ' ', 'é', 'ß', '日', '本', '😀'];

export function defaultValue(model: MessageModel, field: FieldModel): unknown {
  return defaultFromModel(model, field.type, field.default);
}

function defaultFromModel(model: MessageModel, type: TypeModel, d: DefaultModel): unknown {
  switch (d.kind) {
    case 'number':
      return d.value;
    case 'bigint':
      return BigInt(d.value);
    case 'bool':
      return d.value;
    case 'string':
      return d.value;
    case 'null':
      return null;
    case 'emptyBytes':
      return Buffer.alloc(0);
    case 'emptyArray':
      return [];
    case 'zeroUuid':
      return ZERO_UUID;
    case 'struct':
      if (type.kind !== 'struct') throw new Error('struct default on a non-struct field');
      return defaultStruct(model, type.name);
  }
}

export function defaultStruct(model: MessageModel, structName: string): MessageValue {
  const value: MessageValue = {};
  for (const field of model.structs[structName]) value[field.name] = defaultValue(model, field);
  value.unknownTaggedFields = undefined;
  return value;
}

function randomPrimitive(type: Extract<TypeModel, { kind: 'primitive' }>, rnd: Random): unknown {
  switch (type.prim) {
    case 'bool':
      return rnd.chance(0.5);
    case 'int8':
      return rnd.int(-128, 127);
    case 'int16':
      return rnd.int(-32768, 32767);
    case 'uint16':
      return rnd.int(0, 65535);
    case 'int32':
      return rnd.pick([0, -1, 1, 2147483647, -2147483648, rnd.int(-2147483648, 2147483647)]);
    case 'int64':
      if (type.bigint) return BigInt.asIntN(64, (BigInt(rnd.nextUint32()) << 32n) | BigInt(rnd.nextUint32()));
      return rnd.pick([0, -1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, rnd.int(-1e15, 1e15), rnd.int(-1000, 1000)]);
    case 'float64':
      return rnd.pick([0, -1.5, Math.PI, Number.MAX_VALUE, (rnd.next() - 0.5) * 1e9]);
    case 'string': {
      const n = rnd.int(0, 12);
      let s = '';
      for (let i = 0; i < n; i++) s += rnd.pick(STRING_ALPHABET);
      return s;
    }
    case 'bytes':
    case 'records':
      return rnd.bytes(rnd.chance(0.1) ? rnd.int(256, 600) : rnd.int(0, 24));
    case 'uuid':
      return rnd.bytes(16).toString('hex');
  }
}

function randomOfType(model: MessageModel, type: TypeModel, version: number, rnd: Random, depth: number): unknown {
  if (type.kind === 'primitive') return randomPrimitive(type, rnd);
  if (type.kind === 'array') {
    const n = depth > 3 ? 0 : rnd.int(0, 3);
    const items: unknown[] = [];
    for (let i = 0; i < n; i++) items.push(randomOfType(model, type.elem, version, rnd, depth + 1));
    return items;
  }
  return randomStruct(model, type.name, version, rnd, depth + 1);
}

function randomStruct(model: MessageModel, structName: string, version: number, rnd: Random, depth: number): MessageValue {
  const value: MessageValue = {};
  const fields = model.structs[structName];
  for (const field of fields) {
    if (!field.versions.includes(version)) {
      value[field.name] = defaultValue(model, field);
      continue;
    }
    if (field.tagged.includes(version) && rnd.chance(0.4)) {
      value[field.name] = defaultValue(model, field);
      continue;
    }
    if (field.nullable.includes(version) && rnd.chance(0.15)) {
      value[field.name] = null;
      continue;
    }
    value[field.name] = randomOfType(model, field.type, version, rnd, depth);
  }
  value.unknownTaggedFields = model.flexible.includes(version) && rnd.chance(0.2) ? randomUnknownTags(fields, rnd) : undefined;
  return value;
}

/** One or two tags no version of the struct knows, ascending as decoding returns them. */
function randomUnknownTags(fields: FieldModel[], rnd: Random): { tag: number; data: Buffer }[] {
  const known = new Set(fields.map((f) => f.tag).filter((t): t is number => t !== null));
  const tags = new Set<number>();
  const count = rnd.int(1, 2);
  while (tags.size < count) {
    const tag = rnd.chance(0.5) ? rnd.int(0, 20) : rnd.int(128, 70000);
    if (!known.has(tag)) tags.add(tag);
  }
  return [...tags].sort((a, b) => a - b).map((tag) => ({ tag, data: rnd.bytes(rnd.int(0, 5)) }));
}

/** A random value of `model`'s root type, valid at `version`. */
export function randomMessage(model: MessageModel, version: number, rnd: Random): MessageValue {
  return randomStruct(model, model.root, version, rnd, 0);
}
