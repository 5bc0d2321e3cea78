// Decoder fuzzing: random bytes and mutated valid frames fed to every decoder at every
// version. A decoder may return a value or throw ProtocolDecodeError; any other
// exception (RangeError, TypeError, ...) fails, and so would a hang or a huge
// allocation (lengths are checked against the remaining bytes before allocating).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProtocolDecodeError } from '../../src/primitives/protocol-decode-error.js';
import { Reader } from '../../src/primitives/reader.js';
import { Writer } from '../../src/primitives/writer.js';
import { codecFor, type MessageCodec } from '../../test-support/codecs.js';
import { Random, runSeed } from '../../test-support/random.js';
import { randomMessage } from '../../test-support/random-message.js';
import { loadSchemaModel } from '../../test-support/schema-model.js';

const RANDOM_FRAMES = 8;
const VALID_FRAMES = 4;
const MUTATIONS_PER_FRAME = 40;
const models = loadSchemaModel();
const seed = runSeed();

/** Length prefixes a hostile peer would send: max int32, -2, and a 5-byte max uvarint. */
const HOSTILE_PREFIXES: readonly Buffer[] = [
  Buffer.from([0x7f, 0xff, 0xff, 0xff]),
  Buffer.from([0xff, 0xfe]),
  Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]),
  Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
  Buffer.from([0x80, 0x80, 0x80, 0x80, 0x08]),
];

function mutate(frame: Buffer, rnd: Random): Buffer {
  const out = Buffer.from(frame);
  switch (rnd.int(0, 4)) {
    case 0: {
      // Flip a few bits.
      for (let i = rnd.int(1, 3); i > 0 && out.length > 0; i--) out[rnd.int(0, out.length - 1)] ^= 1 << rnd.int(0, 7);
      return out;
    }
    case 1:
      return out.subarray(0, rnd.int(0, Math.max(0, out.length - 1)));
    case 2: {
      const at = rnd.int(0, out.length);
      return Buffer.concat([out.subarray(0, at), rnd.pick(HOSTILE_PREFIXES), out.subarray(at)]);
    }
    case 3: {
      // Overwrite with a hostile prefix in place.
      const prefix = rnd.pick(HOSTILE_PREFIXES);
      const at = rnd.int(0, Math.max(0, out.length - 1));
      prefix.copy(out, at, 0, Math.min(prefix.length, out.length - at));
      return out;
    }
    default: {
      const at = rnd.int(0, out.length);
      return Buffer.concat([out.subarray(0, at), rnd.bytes(rnd.int(1, 8)), out.subarray(at)]);
    }
  }
}

function decodeOrDecodeError(codec: MessageCodec, frame: Buffer, version: number, where: string): void {
  try {
    codec.decode(new Reader(frame), version);
  } catch (error) {
    if (error instanceof ProtocolDecodeError) return;
    assert.fail(`${where}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}; frame ${frame.toString('hex')}`);
  }
}

for (const model of models) {
  test(`${model.name} decoders only throw ProtocolDecodeError (SAMSA_SEED=${seed})`, () => {
    const codec = codecFor(model);
    const rnd = new Random(seed ^ model.name.length ^ (model.apiKey ?? 0) * 7919);
    for (const version of model.versions) {
      const where = `${model.name} v${version} (SAMSA_SEED=${seed})`;
      for (let i = 0; i < RANDOM_FRAMES; i++) decodeOrDecodeError(codec, rnd.bytes(rnd.int(0, 64)), version, where);
      for (let i = 0; i < VALID_FRAMES; i++) {
        const w = new Writer();
        codec.encode(w, randomMessage(model, version, rnd), version);
        const frame = w.toBuffer();
        for (let m = 0; m < MUTATIONS_PER_FRAME; m++) decodeOrDecodeError(codec, mutate(frame, rnd), version, where);
      }
    }
  });
}

test('a huge array count fails before allocating', () => {
  const produce = models.find((m) => m.name === 'ProduceRequest');
  assert.ok(produce);
  const codec = codecFor(produce);
  // v3: transactionalId null, acks, timeout, then a topic count of 2^31-1 in 14 bytes.
  const frame = Buffer.from('ffff' + '0001' + '00007530' + '7fffffff', 'hex');
  const before = process.memoryUsage().arrayBuffers;
  assert.throws(() => codec.decode(new Reader(frame), 3), ProtocolDecodeError);
  assert.ok(process.memoryUsage().arrayBuffers - before < 1024 * 1024);
});
