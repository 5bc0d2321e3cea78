// Acceptance: a 100 MiB file of lines (any byte but '\n', so mostly invalid
// UTF-8; lengths from 0 to 4 KiB) written with `samsa produce --file` reads
// back byte-identical with `samsa consume` (text output: each value's raw
// bytes and a newline; one partition, from the beginning, --max-messages =
// the line count, so it exits after the last line): the SHA-256 of its stdout,
// hashed as it streams, is the file's. Bounded: consume gives up after 30 s
// without a record, produce is killed after 120 s and consume after 90 s.
// Measured on a 2-core machine: about 4 s in all (file 1.7 s, produce 0.7 s,
// consume 1.0 s), about 7 s with both cores kept busy by other processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startBroker } from '@samsa/broker';
import { Admin } from '@samsa/client';
import { samsa, samsaBin } from '../test-support/run-samsa.js';

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

/** `samsa consume` of the first `count` records of partition 0 in text form, its stdout hashed as it streams. */
function consumeSha256(bootstrap: string, topic: string, count: number, timeoutMs: number): Promise<{ sha256: string; bytes: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const args = ['consume', '--topic', topic, '--partition', '0', '--from-beginning', '--max-messages', String(count), '--timeout-ms', '30000', '--bootstrap-server', bootstrap];
    const child = spawn(process.execPath, [samsaBin, ...args], { env: { ...process.env, SAMSA_BOOTSTRAP: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const hash = createHash('sha256');
    let bytes = 0;
    let stderr = '';
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (c: Buffer) => {
      hash.update(c);
      bytes += c.length;
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`samsa ${args.join(' ')} exited with ${code ?? signal}${killed ? ` (killed after ${timeoutMs} ms)` : ''} after ${bytes} bytes: ${stderr}`));
      else resolve({ sha256: hash.digest('hex'), bytes, stderr });
    });
  });
}

test('samsa produce --file: a 100 MiB file reads back byte-identical', { timeout: 240_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-cli-large-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const broker = await startBroker();
  t.after(() => broker.stop());
  const admin = await Admin.connect(broker.bootstrap, { timeoutMs: 10_000 });
  t.after(() => admin.close());
  await admin.createTopics([{ name: 'big', numPartitions: 1 }]);

  const path = join(dir, 'lines.bin');
  let phaseStart = performance.now();
  const phase = (name: string): void => {
    const now = performance.now();
    t.diagnostic(`${name}: ${Math.round(now - phaseStart)} ms`);
    phaseStart = now;
  };
  const lines = await writeLines(path, 20_240_601);
  phase(`write the file (${lines} lines)`);
  const produced = await samsa(['produce', '--topic', 'big', '--file', path, '--bootstrap-server', broker.bootstrap], { timeoutMs: 120_000 });
  assert.equal(produced.code, 0, `samsa produce: ${produced.stderr}`);
  assert.match(produced.stdout, new RegExp(`^Produced ${lines} records \\(${FILE_BYTES} bytes of input\\) to big in `));
  assert.match(produced.stdout, /Partitions written: 0 \(from offset 0\)\.\n$/);
  phase('samsa produce');
  const [end] = await admin.listOffsets('big', 'latest');
  assert.equal(end.offset, lines, 'one record per line');

  const back = await consumeSha256(broker.bootstrap, 'big', lines, 90_000);
  phase('samsa consume');
  assert.match(back.stderr, new RegExp(`(^|\\n)Processed a total of ${lines} messages\\n$`), back.stderr);
  assert.equal(back.bytes, FILE_BYTES, 'as many bytes read back as the file has');
  assert.equal(back.sha256, await sha256OfFile(path), 'the values joined by newlines are the file');
});
