// Decoder fuzzing: random and mutated inputs may only produce RecordFormatError (or a
// rejection result), never another exception, a hang, or a large allocation.
// Replay a failure with SAMSA_SEED=<seed printed in the assertion message>.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CompressionCodec,
  CRC_OFFSET,
  crc32c,
  decodeRecordBatches,
  decompress,
  encodeRecordBatch,
  RecordFormatError,
  scanValidPrefix,
  validateBatches,
} from '../../src/index.js';
import { seededRandom, testSeed } from '../../test-support/records-fixtures.js';

const SEED = testSeed();
const LIMIT = 4 * 1024 * 1024; // keeps any accepted bomb small

function mutate(rand: () => number, src: Buffer): Buffer {
  const out = Buffer.from(src);
  const n = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < n; i++) {
    const op = rand();
    const at = Math.floor(rand() * out.length);
    if (op < 0.5) out[at] = Math.floor(rand() * 256);
    else if (op < 0.7) out[at] ^= 1 << Math.floor(rand() * 8);
    else if (op < 0.85) out.writeInt32BE(Math.floor(rand() * 2 ** 32) - 2 ** 31, Math.min(at, out.length - 4));
    else return out.subarray(0, at);
  }
  return out;
}

/** Recompute the CRC so mutations reach the record decoder instead of stopping at the checksum. */
function fixCrc(buf: Buffer): void {
  if (buf.length >= 61 && buf.readInt8(16) === 2) {
    const end = Math.min(buf.length, 12 + Math.max(49, buf.readInt32BE(8)));
    buf.writeUInt32BE(crc32c(buf.subarray(21, end)), CRC_OFFSET);
  }
}

async function expectOnlyFormatErrors(what: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof RecordFormatError, `${what}: unexpected ${String(err)} (SAMSA_SEED=${SEED})`);
  }
}

// A decompression bomb that got through would blow the test's timeout rather than a timed assertion.
test(`fuzz validate/scan/decode/decompress (SAMSA_SEED=${SEED})`, { timeout: 300_000 }, async () => {
  const rand = seededRandom(SEED);
  const seeds: Array<[CompressionCodec, Buffer, Buffer]> = [];
  for (const codec of [0, 1, 2, 3, 4] as CompressionCodec[]) {
    const records = Array.from({ length: 20 }, (_, i) => ({
      key: i % 3 === 0 ? null : Buffer.from(`key-${i}`),
      value: Buffer.from(`value-${i}-`.repeat(i + 1)),
      headers: i % 2 ? [{ key: `h${i}`, value: i % 4 ? Buffer.from('hv') : null }] : [],
      timestamp: 1_700_000_000_000 + i,
    }));
    const batch = await encodeRecordBatch({ baseTimestamp: 1_700_000_000_000, compression: codec, records });
    seeds.push([codec, batch, batch.subarray(61)]);
  }
  for (let i = 0; i < 3000; i++) {
    const [codec, batch, payload] = seeds[i % seeds.length];
    let input: Buffer;
    const kind = rand();
    if (kind < 0.1) {
      input = Buffer.alloc(Math.floor(rand() * 200));
      for (let j = 0; j < input.length; j++) input[j] = Math.floor(rand() * 256);
    } else {
      input = mutate(rand, batch);
      if (kind < 0.7) fixCrc(input);
    }
    const v = validateBatches(input);
    assert.equal(typeof v.ok, 'boolean');
    const s = scanValidPrefix(input);
    assert.ok(s.validBytes >= 0 && s.validBytes <= input.length);
    await expectOnlyFormatErrors('decodeRecordBatches', () => decodeRecordBatches(input, { maxDecompressedBytes: LIMIT }));
    if (codec !== CompressionCodec.None) {
      await expectOnlyFormatErrors(`decompress codec ${codec}`, () => decompress(codec, mutate(rand, payload), LIMIT));
    }
  }
});
