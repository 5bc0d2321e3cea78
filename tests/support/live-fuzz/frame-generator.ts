// Frame `index` of the run seeded with `seed`, rebuilt the same way every time: the
// generator keeps no state between frames, so a suspect frame is replayed from
// (seed, index) alone.
//
// Mix (per frame): 10 % random bytes; 65 % a type-valid request, half of them mutated, of
// an API key and version the broker serves (80 %) or of any in the generated table (20 %,
// so unserved keys and versions are sent too); 25 % a golden frame captured from a real
// client, mutated. The served set comes from the broker's ApiVersions answer, so a frame
// is reproducible from (seed, index) against the same broker build.
import { Writer, encodeRequestHeader } from '@samsa/protocol';
import { fuzzMessage, type FuzzVocabulary } from './field-values.js';
import type { GoldenFrame } from './golden-frames.js';
import { MUTATIONS, lengthPrefix } from './mutators.js';
import { FuzzRandom } from './random.js';
import type { RequestModel } from './request-models.js';

export type FrameSource = 'random' | 'structured' | 'golden';

/** One fuzz frame, ready to write to a socket. */
export interface FuzzFrame {
  seed: number;
  index: number;
  source: FrameSource;
  /** What the generator built (before mutation); the decoded header may differ. */
  intendedApiKey: number;
  intendedApiVersion: number;
  /** The golden file or the API name the frame was built from. */
  origin: string;
  /** Mutation names in the order applied; empty for an unmutated frame. */
  mutations: string[];
  /** Length prefix and payload. */
  bytes: Buffer;
}

/** What the generator draws from; identical inputs give identical frames. */
export interface FrameGeneratorInputs {
  models: readonly RequestModel[];
  /** The models of the APIs the broker serves, each with the versions it serves. */
  served: ReadonlyArray<{ model: RequestModel; versions: readonly number[] }>;
  golden: readonly GoldenFrame[];
  vocabulary: FuzzVocabulary;
}

/** An API key and version range from the broker's ApiVersions answer. */
export interface ServedApi {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

export function generatorInputs(
  models: readonly RequestModel[],
  served: readonly ServedApi[],
  golden: readonly GoldenFrame[],
  vocabulary: FuzzVocabulary,
): FrameGeneratorInputs {
  const servedModels: FrameGeneratorInputs['served'][number][] = [];
  for (const api of [...served].sort((a, b) => a.apiKey - b.apiKey)) {
    const model = models.find((m) => m.apiKey === api.apiKey);
    if (model === undefined) continue;
    const versions = model.versions.filter((v) => v >= api.minVersion && v <= api.maxVersion);
    if (versions.length > 0) servedModels.push({ model, versions });
  }
  if (servedModels.length === 0) throw new Error('the broker serves none of the generated request models');
  return { models, served: servedModels, golden, vocabulary };
}

/** Keys no Kafka version defines, and one past the top of the table. */
const UNKNOWN_API_KEYS = [-1, -32768, 32767, 1000];

export function generateFrame(seed: number, index: number, inputs: FrameGeneratorInputs): FuzzFrame {
  const rnd = FuzzRandom.forFrame(seed, index);
  const correlationId = index % 0x80000000;
  const roll = rnd.next();
  if (roll < 0.1) {
    const payload = rnd.chance(0.5) ? rnd.bytes(rnd.int(0, 64)) : withRandomBody(rnd, correlationId);
    return finish(seed, index, 'random', payload, 'random bytes', [], rnd);
  }
  if (roll < 0.75) return structured(seed, index, rnd, correlationId, inputs);
  const golden = rnd.pick(inputs.golden);
  const payload = Buffer.from(golden.payload);
  payload.writeInt32BE(correlationId, 4);
  const mutations = rnd.chance(0.9) ? rnd.int(1, 3) : 0;
  return mutateAndFinish(seed, index, 'golden', payload, golden.file, mutations, rnd, inputs);
}

function structured(seed: number, index: number, rnd: FuzzRandom, correlationId: number, inputs: FrameGeneratorInputs): FuzzFrame {
  const servedChoice = rnd.chance(0.8) ? rnd.pick(inputs.served) : null;
  const model = servedChoice?.model ?? rnd.pick(inputs.models);
  const choice = servedChoice ?? { model, versions: model.versions };
  const top = model.versions[model.versions.length - 1];
  let apiKey = model.apiKey;
  let bodyVersion = rnd.pick(choice.versions);
  let headerApiVersion = bodyVersion;
  const oddity = rnd.next();
  if (oddity < 0.03) {
    headerApiVersion = rnd.pick([top + 1, top + 2, top + 10, -1, 32767]);
    bodyVersion = top;
  } else if (oddity < 0.05) {
    apiKey = rnd.pick([...UNKNOWN_API_KEYS, inputs.models[inputs.models.length - 1].apiKey + 1]);
  }
  const w = new Writer();
  encodeRequestHeader(
    w,
    { requestApiKey: apiKey, requestApiVersion: headerApiVersion, correlationId, clientId: rnd.chance(0.9) ? 'live-fuzz' : rnd.chance(0.5) ? null : '' },
    model.headerVersion(headerApiVersion),
  );
  model.encode(w, fuzzMessage(model.model, bodyVersion, rnd, inputs.vocabulary), bodyVersion);
  const payload = w.toBuffer();
  const mutations = rnd.chance(0.5) ? rnd.int(1, 3) : 0;
  const origin = `${model.name} v${bodyVersion}`;
  const frame = mutateAndFinish(seed, index, 'structured', payload, origin, mutations, rnd, inputs);
  frame.intendedApiKey = apiKey;
  frame.intendedApiVersion = headerApiVersion;
  return frame;
}

/** A plausible header of a random known API and version, then random bytes. */
function withRandomBody(rnd: FuzzRandom, correlationId: number): Buffer {
  const header = Buffer.alloc(10);
  header.writeInt16BE(rnd.int(0, 80), 0);
  header.writeInt16BE(rnd.int(0, 17), 2);
  header.writeInt32BE(correlationId, 4);
  header.writeInt16BE(-1, 8);
  return Buffer.concat([header, rnd.bytes(rnd.int(0, 96))]);
}

function mutateAndFinish(
  seed: number,
  index: number,
  source: FrameSource,
  original: Buffer,
  origin: string,
  count: number,
  rnd: FuzzRandom,
  inputs: FrameGeneratorInputs,
): FuzzFrame {
  let payload = original;
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const mutation = rnd.pick(MUTATIONS);
    payload = mutation.apply(payload, rnd, rnd.pick(inputs.golden).payload);
    names.push(mutation.name);
  }
  return finish(seed, index, source, payload, origin, names, rnd, original);
}

function finish(
  seed: number,
  index: number,
  source: FrameSource,
  payload: Buffer,
  origin: string,
  mutations: string[],
  rnd: FuzzRandom,
  original: Buffer = payload,
): FuzzFrame {
  const { prefix, name } = lengthPrefix(payload, rnd, rnd.chance(0.02));
  if (name !== null) mutations.push(name);
  return {
    seed,
    index,
    source,
    intendedApiKey: original.length >= 2 ? original.readInt16BE(0) : -1,
    intendedApiVersion: original.length >= 4 ? original.readInt16BE(2) : -1,
    origin,
    mutations,
    bytes: Buffer.concat([prefix, payload]),
  };
}

/** The request header fields as the broker will read them (null where the frame is too short). */
export interface DecodedHeader {
  length: number;
  apiKey: number | null;
  apiVersion: number | null;
  correlationId: number | null;
}

export function decodeHeader(bytes: Buffer): DecodedHeader {
  return {
    length: bytes.length >= 4 ? bytes.readInt32BE(0) : -1,
    apiKey: bytes.length >= 6 ? bytes.readInt16BE(4) : null,
    apiVersion: bytes.length >= 8 ? bytes.readInt16BE(6) : null,
    correlationId: bytes.length >= 12 ? bytes.readInt32BE(8) : null,
  };
}

/** One line per frame for reports: seed, index, header, origin, mutations, hex. */
export function describeFrame(frame: FuzzFrame, maxHexBytes = 512): string {
  const h = decodeHeader(frame.bytes);
  const hex = frame.bytes.subarray(0, maxHexBytes).toString('hex');
  const more = frame.bytes.length > maxHexBytes ? `... (${frame.bytes.length} bytes)` : '';
  return (
    `seed=${frame.seed} index=${frame.index} source=${frame.source} origin="${frame.origin}" ` +
    `mutations=[${frame.mutations.join(',')}] header: length=${h.length} apiKey=${h.apiKey} apiVersion=${h.apiVersion} ` +
    `correlationId=${h.correlationId}\n  hex ${hex}${more}`
  );
}
