// Acceptance: a 100 MiB file of lines (any byte but '\n', lengths from 0 to
// 4 KiB) written with `samsa produce --file` reads back byte-identical.
// Read back with kcat (librdkafka): `samsa consume` was not in the tree when
// this test was written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '@samsa/broker';
import { Admin } from '@samsa/client';
import { samsa } from '../test-support/run-samsa.js';

const FILE_BYTES = 100 * 1_048_576;
const MAX_LINE_BYTES = 4096;

/** Writes FILE_BYTES of seeded pseudo-random lines (xorshift32) ending with '\n'; returns the line count. */
async function writeLines(path: string, seed: number): Promise<number> {
  let x = seed >>> 0 || 1;
  const next = (): number => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  const file = await open(path, 'w');
  let lines = 0;
  try {
    const chunk = Buffer.alloc(1_048_576);
    let written = 0;
    let lineLeft = next() % (MAX_LINE_BYTES + 1);
    while (written < FILE_BYTES) {
      const n = Math.min(chunk.length, FILE_BYTES - written);
      for (let i = 0; i < n; i++) {
        if (lineLeft === 0 || written + i === FILE_BYTES - 1) {
          chunk[i] = 10;
          lines++;
          lineLeft = next() % (MAX_LINE_BYTES + 1);
        } else {
          const byte = next() & 0xff;
          chunk[i] = byte === 10 ? 11 : byte;
          lineLeft--;
        }
      }
      await file.write(chunk, 0, n);
      written += n;
    }
  } finally {
    await file.close();
  }
  return lines;
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** kcat's output of every value of partition 0 followed by '\n', hashed as it streams. */
function kcatValuesSha256(bootstrap: string, topic: string, timeoutMs: number): Promise<{ sha256: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', ['-C', '-b', bootstrap, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%s\\n'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const hash = createHash('sha256');
    let bytes = 0;
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (c: Buffer) => {
      hash.update(c);
      bytes += c.length;
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`kcat exited with ${code ?? signal} after ${bytes} bytes (timeout ${timeoutMs} ms): ${stderr}`));
      else resolve({ sha256: hash.digest('hex'), bytes });
    });
  });
}

test('samsa produce --file: a 100 MiB file reads back byte-identical', { timeout: 180_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-cli-large-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const broker = await startBroker();
  t.after(() => broker.stop());
  const admin = await Admin.connect(broker.bootstrap, { timeoutMs: 10_000 });
  t.after(() => admin.close());
  await admin.createTopics([{ name: 'big', numPartitions: 1 }]);

  const path = join(dir, 'lines.bin');
  const lines = await writeLines(path, 20_240_601);
  const produced = await samsa(['produce', '--topic', 'big', '--file', path, '--bootstrap-server', broker.bootstrap], { timeoutMs: 120_000 });
  assert.equal(produced.code, 0, `samsa produce: ${produced.stderr}`);
  assert.match(produced.stdout, new RegExp(`^Produced ${lines} records \\(${FILE_BYTES} bytes of input\\) to big in `));
  assert.match(produced.stdout, /Partitions written: 0 \(from offset 0\)\.\n$/);
  const [end] = await admin.listOffsets('big', 'latest');
  assert.equal(end.offset, lines, 'one record per line');

  const back = await kcatValuesSha256(broker.bootstrap, 'big', 90_000);
  assert.equal(back.bytes, FILE_BYTES, 'as many bytes read back as the file has');
  assert.equal(back.sha256, await sha256OfFile(path), 'the values joined by newlines are the file');
});
