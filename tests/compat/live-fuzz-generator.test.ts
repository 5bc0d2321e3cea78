// The live fuzzer's frame generator (tests/support/live-fuzz), without a broker: frames are
// rebuilt identically from (seed, index), type-valid requests of every API key and version in
// the generated table encode without throwing, and the mix has every source and mutation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Writer } from '@samsa/protocol';
import { fuzzMessage } from '../support/live-fuzz/field-values.js';
import { generateFrame, generatorInputs, type FrameGeneratorInputs } from '../support/live-fuzz/frame-generator.js';
import { FUZZ_VOCABULARY } from '../support/live-fuzz/fuzz-target.js';
import { loadGoldenRequests } from '../support/live-fuzz/golden-frames.js';
import { FuzzRandom } from '../support/live-fuzz/random.js';
import { loadRequestModels } from '../support/live-fuzz/request-models.js';

const models = loadRequestModels();
/** As if the broker served every version of every API in the table. */
const inputs: FrameGeneratorInputs = generatorInputs(
  models,
  models.map((m) => ({ apiKey: m.apiKey, minVersion: m.versions[0], maxVersion: m.versions[m.versions.length - 1] })),
  loadGoldenRequests(),
  FUZZ_VOCABULARY,
);

test('a frame is rebuilt byte for byte from (seed, index), and neighbours differ', () => {
  for (const [seed, index] of [[1, 0], [1, 1], [7, 123_456], [4_294_967_295, 9_999_999]] as const) {
    const a = generateFrame(seed, index, inputs);
    const b = generateFrame(seed, index, inputs);
    assert.deepEqual(a.bytes, b.bytes);
    assert.deepEqual({ ...a, bytes: undefined }, { ...b, bytes: undefined });
    assert.notDeepEqual(generateFrame(seed, index + 1, inputs).bytes, a.bytes);
  }
});

test('type-valid values of every request API and version encode with the generated encoders', () => {
  assert.ok(models.length >= 90, `request models: ${models.length}`);
  for (const model of models) {
    for (const version of model.versions) {
      for (let seed = 0; seed < 25; seed++) {
        const rnd = FuzzRandom.forFrame(seed, model.apiKey * 100 + version);
        const w = new Writer();
        assert.doesNotThrow(() => model.encode(w, fuzzMessage(model.model, version, rnd, FUZZ_VOCABULARY), version), `${model.name} v${version} seed ${seed}`);
      }
    }
  }
});

test('20,000 frames cover every source, every mutation and every (apiKey, version) pair', () => {
  const sources = new Set<string>();
  const mutations = new Set<string>();
  const pairs = new Set<string>();
  for (let index = 0; index < 20_000; index++) {
    const frame = generateFrame(42, index, inputs);
    sources.add(frame.source);
    for (const m of frame.mutations) mutations.add(m.startsWith('prefix=') ? 'prefix' : m);
    if (frame.source === 'structured') pairs.add(`${frame.intendedApiKey}:${frame.intendedApiVersion}`);
    assert.equal(frame.bytes.length >= 4, true);
  }
  assert.deepEqual([...sources].sort(), ['golden', 'random', 'structured']);
  assert.deepEqual(
    [...mutations].sort(),
    ['append', 'bit-flip', 'duplicate', 'header-version', 'insert', 'length-int16', 'length-int32', 'length-uvarint', 'prefix', 'splice', 'truncate'],
  );
  const missing = models.flatMap((m) => m.versions.map((v) => `${m.apiKey}:${v}`)).filter((p) => !pairs.has(p));
  assert.deepEqual(missing, []);
});
