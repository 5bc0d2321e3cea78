// Cross-checks against kafka-python's independent record implementation
// (test-support/kafka-python-records.py): we decode what it builds for every codec and
// magic, and it decodes what we build for every codec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CompressionCodec, decodeRecordBatches, encodeRecordBatch, setBaseOffset, TimestampType, type RecordHeader } from '../../src/index.js';

const PYTHON = '/usr/bin/python3';
// dist/test/records -> package root (the .py file is not compiled into dist).
const SCRIPT = fileURLToPath(new URL('../../../test-support/kafka-python-records.py', import.meta.url));
const BASE_TS = 1_700_000_000_000;

// Must match RECORDS in kafka-python-records.py.
const RECORDS: Array<{ offset: number; timestamp: number; key: Buffer | null; value: Buffer | null; headers: RecordHeader[] }> = [
  { offset: 0, timestamp: BASE_TS, key: Buffer.from('key-0'), value: Buffer.from('value-0'), headers: [{ key: 'h1', value: Buffer.from('v1') }, { key: 'h2', value: null }] },
  { offset: 1, timestamp: BASE_TS + 7, key: null, value: Buffer.from('value-1 '.repeat(40)), headers: [] },
  { offset: 2, timestamp: BASE_TS + 3, key: Buffer.from('key-2'), value: null, headers: [{ key: 'été', value: Buffer.alloc(0) }] },
  { offset: 3, timestamp: BASE_TS + 1_000_000, key: Buffer.alloc(0), value: Buffer.alloc(0), headers: [] },
];

function runPython(mode: string, input?: string): { ok: true; out: unknown } | { ok: false; reason: string } {
  const r = spawnSync(PYTHON, [SCRIPT, mode], { input, encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) return { ok: false, reason: r.error.message };
  if (r.status !== 0) return { ok: false, reason: r.stderr.trim().split('\n').pop() ?? `exit ${r.status}` };
  return { ok: true, out: JSON.parse(r.stdout) };
}

function unavailable(): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  const r = runPython('check');
  return r.ok ? null : `kafka-python not importable by ${PYTHON}: ${r.reason}`;
}

const skipReason = unavailable();
const codecsAvailable = (): Record<string, boolean> => {
  const r = runPython('check');
  return r.ok ? (r.out as { codecs: Record<string, boolean> }).codecs : {};
};

test('we decode kafka-python batches for every magic and codec', { skip: skipReason ?? false }, async (t) => {
  const r = runPython('build');
  assert.ok(r.ok, r.ok ? '' : r.reason);
  const built = r.out as Record<string, { hex: string; magic: number; codec: number }>;
  const avail = codecsAvailable();
  for (const name of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
    if (!avail[name]) t.diagnostic(`kafka-python lacks ${name}; its vectors are not checked`);
  }
  assert.ok(Object.keys(built).length >= 5);
  for (const [name, entry] of Object.entries(built)) {
    const buf = Buffer.from(entry.hex, 'hex');
    // A producer writes a magic-1 wrapper with offset 0; the broker sets it to the absolute
    // offset of the last inner message, from which the relative inner offsets are resolved.
    if (entry.magic === 1 && entry.codec !== 0) setBaseOffset(buf, 0, RECORDS.length - 1);
    const batches = await decodeRecordBatches(buf);
    const records = batches.flatMap((b) => b.records);
    assert.equal(records.length, RECORDS.length, name);
    for (const b of batches) {
      assert.equal(b.magic, entry.magic, name);
      assert.equal(b.compression, entry.codec, name);
    }
    if (entry.magic === 2) {
      const [b] = batches;
      assert.deepEqual([b.producerId, b.producerEpoch, b.baseSequence, b.timestampType], [4242, 3, 17, TimestampType.CreateTime], name);
      assert.equal(b.maxTimestamp, BASE_TS + 1_000_000, name);
    }
    RECORDS.forEach((exp, i) => {
      const got = records[i];
      assert.equal(got.offset, exp.offset, `${name} #${i} offset`);
      assert.equal(got.timestamp, entry.magic === 0 ? -1 : exp.timestamp, `${name} #${i} timestamp`);
      assert.deepEqual(got.key, exp.key, `${name} #${i} key`);
      assert.deepEqual(got.value, exp.value, `${name} #${i} value`);
      assert.deepEqual(got.headers, entry.magic === 2 ? exp.headers : [], `${name} #${i} headers`);
    });
  }
});

test('kafka-python decodes our batches for every codec', { skip: skipReason ?? false }, async () => {
  const avail = codecsAvailable();
  const codecs: Array<[string, CompressionCodec]> = [['none', 0], ['gzip', 1], ['snappy', 2], ['lz4', 3], ['zstd', 4]];
  const ours: Record<string, string> = {};
  for (const [name, codec] of codecs) {
    if (!avail[name]) continue;
    const buf = await encodeRecordBatch({
      compression: codec,
      baseTimestamp: BASE_TS,
      producerId: 99,
      producerEpoch: 1,
      baseSequence: 5,
      isTransactional: codec === CompressionCodec.Lz4,
      records: RECORDS.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp })),
    });
    setBaseOffset(buf, 0, 1000);
    ours[name] = buf.toString('hex');
  }
  const r = runPython('read', JSON.stringify(ours));
  assert.ok(r.ok, r.ok ? '' : r.reason);
  type PyRecord = { offset: number; timestamp: number; key: string | null; value: string | null; headers: Array<[string, string | null]> };
  type PyBatch = { crcOk: boolean; baseOffset: number; lastOffsetDelta: number; compression: number; isTransactional: boolean; producerId: number; producerEpoch: number; baseSequence: number; records: PyRecord[] };
  const read = r.out as Record<string, { batches?: PyBatch[]; error?: string }>;
  for (const [name, codec] of codecs) {
    if (!avail[name]) continue;
    const res = read[name];
    assert.equal(res.error, undefined, `${name}: ${res.error}`);
    assert.equal(res.batches?.length, 1);
    const b = (res.batches as PyBatch[])[0];
    assert.equal(b.crcOk, true, name);
    assert.deepEqual([b.baseOffset, b.lastOffsetDelta, b.compression, b.producerId, b.producerEpoch, b.baseSequence], [1000, 3, codec, 99, 1, 5], name);
    assert.equal(b.isTransactional, codec === CompressionCodec.Lz4);
    assert.deepEqual(
      b.records,
      RECORDS.map((e) => ({
        offset: 1000 + e.offset,
        timestamp: e.timestamp,
        key: e.key === null ? null : e.key.toString('hex'),
        value: e.value === null ? null : e.value.toString('hex'),
        headers: e.headers.map((h) => [h.key, h.value === null ? null : h.value.toString('hex')]),
      })),
      name,
    );
  }
});
