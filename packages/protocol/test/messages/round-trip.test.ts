// Every generated message at every version: random valid value -> encode -> decode
// must give the same value, and encoding that again must give the same bytes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Reader } from '../../src/primitives/reader.js';
import { Writer } from '../../src/primitives/writer.js';
import { codecFor } from '../../test-support/codecs.js';
import { Random, runSeed } from '../../test-support/random.js';
import { randomMessage } from '../../test-support/random-message.js';
import { loadSchemaModel } from '../../test-support/schema-model.js';

const VALUES_PER_VERSION = 6;
const models = loadSchemaModel();
const seed = runSeed();

test('the model covers every API request and response, headers and data schemas', () => {
  const requests = models.filter((m) => m.kind === 'request').length;
  const responses = models.filter((m) => m.kind === 'response').length;
  assert.equal(requests, responses);
  assert.ok(requests >= 90, `only ${requests} APIs`);
  assert.ok(models.some((m) => m.name === 'RequestHeader'));
  assert.ok(models.some((m) => m.name === 'ConsumerProtocolSubscription'));
});

for (const model of models) {
  test(`${model.name} round-trips at versions ${model.versions[0]}-${model.versions[model.versions.length - 1]} (SAMSA_SEED=${seed})`, () => {
    const codec = codecFor(model);
    const rnd = new Random(seed ^ hash(model.name));
    for (const version of model.versions) {
      for (let i = 0; i < VALUES_PER_VERSION; i++) {
        const value = randomMessage(model, version, rnd);
        const where = `${model.name} v${version} value #${i} (SAMSA_SEED=${seed})`;
        const w = new Writer();
        codec.encode(w, value, version);
        const bytes = w.toBuffer();
        assert.equal(w.length, bytes.length, `${where}: length`);
        const r = new Reader(bytes);
        const decoded = codec.decode(r, version);
        assert.equal(r.remaining(), 0, `${where}: ${r.remaining()} bytes left after decoding`);
        assert.deepStrictEqual(decoded, value, `${where}: decoded value differs`);
        const again = new Writer();
        codec.encode(again, decoded, version);
        assert.ok(again.toBuffer().equals(bytes), `${where}: re-encoding gives different bytes`);
      }
    }
  });
}

test('encoders write defaults for undefined fields and ignore fields a version lacks', () => {
  for (const model of models) {
    const codec = codecFor(model);
    for (const version of model.versions) {
      const w = new Writer();
      codec.encode(w, {}, version);
      const decoded = codec.decode(new Reader(w.toBuffer()), version);
      const again = new Writer();
      codec.encode(again, decoded, version);
      assert.ok(again.toBuffer().equals(w.toBuffer()), `${model.name} v${version}`);
    }
  }
});

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}
