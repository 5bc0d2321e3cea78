// The JSON model of every generated message (test-support/schema-model.json, written
// by scripts/generate.ts next to src/messages). Tests use it to build random values
// that are valid for each version, without a second hand-written schema.
import { readFileSync } from 'node:fs';

export type Primitive = 'bool' | 'int8' | 'int16' | 'uint16' | 'int32' | 'int64' | 'float64' | 'string' | 'bytes' | 'records' | 'uuid';

export type TypeModel =
  | { kind: 'primitive'; prim: Primitive; bigint: boolean }
  | { kind: 'array'; elem: TypeModel }
  | { kind: 'struct'; name: string };

export type DefaultModel =
  | { kind: 'number'; value: number }
  | { kind: 'bigint'; value: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'string'; value: string }
  | { kind: 'null' }
  | { kind: 'emptyBytes' }
  | { kind: 'emptyArray' }
  | { kind: 'zeroUuid' }
  | { kind: 'struct' };

export interface FieldModel {
  /** The TypeScript property name. */
  name: string;
  type: TypeModel;
  versions: number[];
  nullable: number[];
  tagged: number[];
  tag: number | null;
  default: DefaultModel;
}

export interface MessageModel {
  /** The JSON message name, also the root interface name (`ProduceRequest`). */
  name: string;
  kind: 'request' | 'response' | 'header' | 'data';
  apiKey: number | null;
  /** The generated module in src/messages, without `.ts`. */
  module: string;
  versions: number[];
  flexible: number[];
  root: string;
  structs: Record<string, FieldModel[]>;
}

/** The model file as committed beside the generated code. */
export const SCHEMA_MODEL_URL = new URL('../../test-support/schema-model.json', import.meta.url);

export function loadSchemaModel(): MessageModel[] {
  const parsed = JSON.parse(readFileSync(SCHEMA_MODEL_URL, 'utf8')) as { messages: MessageModel[] };
  return parsed.messages;
}
