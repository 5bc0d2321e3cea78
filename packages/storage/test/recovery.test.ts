import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFile, open, readFile, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeRecordBatches } from '@samsa/protocol';
import { defaultLogConfig, type LogConfig } from '../src/log-config.js';
import { PartitionLog } from '../src/partition-log.js';
import { segmentFilePath } from '../src/segment.js';
import { decodeAll, makeBatch } from '../test-support/batches.js';
import { FaultyFs } from '../test-support/faulty-fs.js';
import { makeTempDir } from '../test-support/tmp-dir.js';
import { waitFor } from '../test-support/wait-for.js';

const cfg: LogConfig = { ...defaultLogConfig, segmentBytes: 4096, indexIntervalBytes: 256 };

/** Writes 40 batches of 3 records, then "kills" the process (fds closed, no marker). */
async function crashedLog(dir: string): Promise<{ partDir: string; active: string; batchSize: number }> {
  const fs = new FaultyFs();
  const log = await PartitionLog.open({ dir, topic: 't', partition: 0, config: cfg, fs });
  const batch = makeBatch(3, { valueBytes: 30 });
  for (let i = 0; i < 40; i++) await log.append(Buffer.from(batch));
  const bases = log.segmentBaseOffsets();
  await fs.crash('process');
  const partDir = join(dir, 't-0');
  return { partDir, active: segmentFilePath(partDir, bases[bases.length - 1], '.log'), batchSize: batch.length };
}

async function reopenAndCheck(dir: string, expectedLeo: number): Promise<PartitionLog> {
  const log = await PartitionLog.open({ dir, topic: 't', partition: 0, config: cfg });
  assert.equal(log.openInfo.cleanShutdown, false);
  assert.equal(log.logEndOffset, expectedLeo);
  const recs = [];
  for (let off = 0; off < log.logEndOffset; ) {
    const r = await log.read(off, 1 << 20);
    const batch = await decodeAll(r.buffers);
    recs.push(...batch);
    off = batch[batch.length - 1].offset + 1;
  }
  assert.deepEqual(recs.map((r) => r.offset), Array.from({ length: expectedLeo }, (_, i) => i));
  const next = await log.append(makeBatch(2));
  assert.equal(next.baseOffset, expectedLeo, 'appends continue after recovery');
  return log;
}

test('recovery after a crash with an intact log keeps everything', async () => {
  const { dir, cleanup } = await makeTempDir();
  try {
    await crashedLog(dir);
    const log = await reopenAndCheck(dir, 120);
    assert.equal(log.openInfo.truncatedBytes, 0);
    await log.close();
  } finally {
    await cleanup();
  }
});

test('recovery truncates trailing garbage', async () => {
  const { dir, cleanup } = await makeTempDir();
  try {
    const { active } = await crashedLog(dir);
    await appendFile(active, Buffer.from('garbage that is not a record batch at all, long enough for a header.....'));
    const log = await reopenAndCheck(dir, 120);
    assert.ok(log.openInfo.truncatedBytes > 0);
    await log.close();
  } finally {
    await cleanup();
  }
});

test('recovery truncates a torn last batch', async () => {
  const { dir, cleanup } = await makeTempDir();
  try {
    const { active, batchSize } = await crashedLog(dir);
    const size = (await stat(active)).size;
    await truncate(active, size - Math.floor(batchSize / 2));
    const log = await reopenAndCheck(dir, 117);
    await log.close();
  } finally {
    await cleanup();
  }
});

test('recovery drops a last batch whose bytes were flipped (CRC mismatch)', async () => {
  const { dir, cleanup } = await makeTempDir();
  try {
    const { active, batchSize } = await crashedLog(dir);
    const size = (await stat(active)).size;
    const fh = await open(active, 'r+');
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, size - batchSize + 70);
    b[0] ^= 0xff;
    await fh.write(b, 0, 1, size - batchSize + 70);
    await fh.close();
    const log = await reopenAndCheck(dir, 117);
    await log.close();
  } finally {
    await cleanup();
  }
});

test('a missing or corrupt index file is rebuilt even after a clean shutdown', async () => {
  const { dir, cleanup } = await makeTempDir();
  try {
    let log = await PartitionLog.open({ dir, topic: 't', partition: 0, config: cfg });
    for (let i = 0; i < 40; i++) await log.append(makeBatch(3, { valueBytes: 30 }));
    const bases = log.segmentBaseOffsets();
    await log.close();
    const partDir = join(dir, 't-0');
    const idx0 = segmentFilePath(partDir, bases[0], '.index');
    const good = await readFile(idx0);
    assert.ok(good.length > 0);
    await unlink(idx0);
    await writeFile(segmentFilePath(partDir, bases[1], '.index'), Buffer.from([0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 3]));
    log = await PartitionLog.open({ dir, topic: 't', partition: 0, config: cfg });
    assert.equal(log.openInfo.cleanShutdown, true);
    assert.equal(log.openInfo.rebuiltSegments, 2);
    assert.equal(log.logEndOffset, 120);
    await log.close();
    assert.deepEqual(await readFile(idx0), good, 'the rebuilt index equals the original');
  } finally {
    await cleanup();
  }
});

test('power loss drops unflushed appends but keeps flushed ones; flush.messages=1 keeps all', async () => {
  const { dir, cleanup } = await makeTempDir();
  try {
    const fs = new FaultyFs();
    let log = await PartitionLog.open({ dir, topic: 'p', partition: 0, config: { ...cfg, segmentBytes: 1 << 20 }, fs });
    for (let i = 0; i < 5; i++) await log.append(makeBatch(2));
    await log.flush();
    for (let i = 0; i < 5; i++) await log.append(makeBatch(2));
    await fs.crash('power');
    log = await PartitionLog.open({ dir, topic: 'p', partition: 0, config: { ...cfg, segmentBytes: 1 << 20, flushMessages: 1 }, fs });
    assert.equal(log.logEndOffset, 10, 'unflushed tail lost, flushed prefix kept');
    for (let i = 0; i < 5; i++) await log.append(makeBatch(2));
    await fs.crash('power');
    log = await PartitionLog.open({ dir, topic: 'p', partition: 0, config: cfg, fs });
    assert.equal(log.logEndOffset, 20, 'flush.messages=1: every acknowledged append survives');
    await log.close();
  } finally {
    await cleanup();
  }
});

test('a torn EIO write fails the append, takes the log offline and leaves it consistent for recovery', async () => {
  const { dir, cleanup } = await makeTempDir();
  try {
    const fs = new FaultyFs();
    let log = await PartitionLog.open({ dir, topic: 'e', partition: 0, config: cfg, fs });
    await log.append(makeBatch(2));
    fs.failNextWrites(1, 'torn');
    await assert.rejects(log.append(makeBatch(2)), /write to .* failed/);
    assert.equal(log.logEndOffset, 2);
    assert.equal(log.online, false, 'an I/O error other than ENOSPC takes the log dir offline');
    await assert.rejects(log.append(makeBatch(3)), /is offline/);
    await fs.crash('process');
    log = await PartitionLog.open({ dir, topic: 'e', partition: 0, config: cfg });
    assert.equal(log.logEndOffset, 2);
    assert.deepEqual((await decodeAll((await log.read(0, 1 << 20)).buffers)).map((r) => r.offset), [0, 1]);
    await log.close();
  } finally {
    await cleanup();
  }
});

test('a torn ENOSPC write fails only that append; the log stays online and consistent', async () => {
  const { dir, cleanup } = await makeTempDir();
  try {
    const fs = new FaultyFs();
    let log = await PartitionLog.open({ dir, topic: 'e', partition: 0, config: cfg, fs });
    await log.append(makeBatch(2));
    fs.failNextWrites(1, 'torn', 'ENOSPC');
    await assert.rejects(log.append(makeBatch(2)), /write to .* failed/);
    assert.equal(log.logEndOffset, 2);
    assert.equal(log.online, true);
    await log.append(makeBatch(3));
    assert.equal(log.logEndOffset, 5);
    await fs.crash('process');
    log = await PartitionLog.open({ dir, topic: 'e', partition: 0, config: cfg });
    assert.equal(log.logEndOffset, 5);
    assert.deepEqual((await decodeAll((await log.read(0, 1 << 20)).buffers)).map((r) => r.offset), [0, 1, 2, 3, 4]);
    await log.close();
  } finally {
    await cleanup();
  }
});

test('kill -9 of a writing process loses no acknowledged append', async () => {
  const { dir, cleanup } = await makeTempDir();
  try {
    const script = fileURLToPath(new URL('../test-support/append-writer.js', import.meta.url));
    const child = spawn(process.execPath, [script, dir, 'killed'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let exited = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('exit', () => (exited = true));
    const acks = (): number[] => [...out.matchAll(/^ack (\d+)$/gm)].map((m) => Number(m[1]));
    await waitFor(() => acks().length >= 400 || exited, { timeoutMs: 20_000, message: `writer to acknowledge 400 appends (stderr: ${err})` });
    assert.equal(exited, false, `writer exited early: ${err}`);
    child.kill('SIGKILL');
    await waitFor(() => exited, { timeoutMs: 10_000, message: 'writer to die after SIGKILL' });
    const acked = acks();
    const lastAcked = acked[acked.length - 1];
    for (let i = 1; i < acked.length; i++) assert.ok(acked[i] > acked[i - 1], 'acks are in order');

    const log = await PartitionLog.open({ dir, topic: 'killed', partition: 0, config: defaultLogConfig });
    assert.equal(log.openInfo.cleanShutdown, false);
    assert.ok(log.logEndOffset > lastAcked, `LEO ${log.logEndOffset} must be past last ack ${lastAcked}`);
    // Every batch is CRC-valid and offsets are contiguous from 0.
    let expected = 0;
    for (let off = 0; off < log.logEndOffset; ) {
      const r = await log.read(off, 1 << 20);
      for (const buf of r.buffers) {
        for (const b of await decodeRecordBatches(buf, { verifyCrc: true })) {
          assert.equal(b.baseOffset, expected);
          expected = b.lastOffset + 1;
        }
      }
      off = expected;
    }
    assert.equal(expected, log.logEndOffset);
    await log.close();
  } finally {
    await cleanup();
  }
});
