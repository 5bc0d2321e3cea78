// Looks up the generated encode/decode functions of a modelled message by name.
import * as messages from '../src/messages/index.js';
import type { Reader } from '../src/primitives/reader.js';
import type { Writer } from '../src/primitives/writer.js';
import type { MessageValue } from './random-message.js';
import type { MessageModel } from './schema-model.js';

export interface MessageCodec {
  encode(w: Writer, msg: MessageValue, version: number): void;
  decode(r: Reader, version: number): MessageValue;
}

const exported: Record<string, unknown> = { ...messages };

export function codecFor(model: MessageModel): MessageCodec {
  const encode = exported[`encode${model.root}`];
  const decode = exported[`decode${model.root}`];
  if (typeof encode !== 'function' || typeof decode !== 'function') {
    throw new Error(`the messages barrel does not export encode${model.root}/decode${model.root}`);
  }
  return {
    encode: encode as MessageCodec['encode'],
    decode: decode as MessageCodec['decode'],
  };
}
