// Every request message the protocol package generates codecs for, with its schema model
// (packages/protocol/test-support/schema-model.json, written by the codec generator) and its
// generated encoder, so the fuzzer builds type-valid requests for every API key and version
// without a second schema.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as protocol from '@samsa/protocol';
import type { Writer } from '@samsa/protocol';
import type { MessageModel } from '../../../packages/protocol/test-support/schema-model.js';
import { repoRoot } from '../paths.js';

export type { FieldModel, MessageModel, TypeModel } from '../../../packages/protocol/test-support/schema-model.js';

/** A generated request message that the fuzzer can encode. */
export interface RequestModel {
  readonly apiKey: number;
  readonly name: string;
  readonly model: MessageModel;
  /** Every version Kafka defines for the request (not only those Samsa serves). */
  readonly versions: readonly number[];
  encode(w: Writer, msg: Record<string, unknown>, version: number): void;
  /** The request header version of `version`; out-of-range versions use the top version's. */
  headerVersion(version: number): number;
}

const schemaModelPath = join(repoRoot, 'packages', 'protocol', 'test-support', 'schema-model.json');

/** Loads the request models and binds each to its generated encoder. */
export function loadRequestModels(): RequestModel[] {
  const parsed = JSON.parse(readFileSync(schemaModelPath, 'utf8')) as { messages: MessageModel[] };
  const exported: Record<string, unknown> = { ...protocol };
  const out: RequestModel[] = [];
  for (const model of parsed.messages) {
    if (model.kind !== 'request' || model.apiKey === null) continue;
    const encode = exported[`encode${model.root}`];
    if (typeof encode !== 'function') throw new Error(`@samsa/protocol does not export encode${model.root}`);
    const descriptor = protocol.apiByKey.get(model.apiKey);
    if (descriptor === undefined) throw new Error(`apiByKey has no descriptor for ${model.name} (key ${model.apiKey})`);
    const top = model.versions[model.versions.length - 1];
    const bottom = model.versions[0];
    out.push({
      apiKey: model.apiKey,
      name: descriptor.name,
      model,
      versions: model.versions,
      encode: encode as RequestModel['encode'],
      headerVersion: (version) => descriptor.requestHeaderVersion(Math.min(top, Math.max(bottom, version))),
    });
  }
  out.sort((a, b) => a.apiKey - b.apiKey);
  return out;
}
