// `samsa produce`: lines from stdin and files become records (keys, headers,
// partitions, codecs, acks), read back with kcat (librdkafka).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { startBroker } from '@samsa/broker';
import { Admin } from '@samsa/client';
import { run, samsa } from '../test-support/run-samsa.js';

/** Every record of `topic` as `partition|key|value|headers` lines (kcat's format), sorted by partition then offset. */
async function readBack(bootstrap: string, topic: string, extra: string[] = []): Promise<string[]> {
  const r = await run('kcat', ['-C', '-b', bootstrap, '-t', topic, '-e', '-q', '-f', '%p|%k|%s|%h\\n', ...extra], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, `kcat: ${r.stderr}`);
  return r.stdout.split('\n').slice(0, -1);
}

/** Polls until kcat sees `count` records (acks=0 writes may land after the command exits). */
async function readBackCount(bootstrap: string, topic: string, count: number, extra: string[] = []): Promise<string[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const lines = await readBack(bootstrap, topic, extra);
    if (lines.length >= count || Date.now() > deadline) return lines;
    await delay(200);
  }
}

function summaryOf(stdout: string): { records: number; bytes: number; topic: string } {
  const m = /^Produced (\d+) records \((\d+) bytes of input\) to (\S+) in [\d.]+ s: [\d.]+ records\/s, [\d.]+ MiB\/s\.\n/.exec(stdout);
  assert.ok(m, `summary line: ${stdout}`);
  return { records: Number(m[1]), bytes: Number(m[2]), topic: m[3] };
}

test('samsa produce writes one record per line, with keys, headers, partitions, codecs and acks', { timeout: 120_000 }, async (t) => {
  const broker = await startBroker();
  t.after(() => broker.stop());
  const dir = await mkdtemp(join(tmpdir(), 'samsa-cli-produce-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const b = ['--bootstrap-server', broker.bootstrap];
  const admin = await Admin.connect(broker.bootstrap, { timeoutMs: 10_000 });
  t.after(() => admin.close());
  await admin.createTopics([{ name: 'lines', numPartitions: 3 }]);

  // stdin, keys split at the first separator, headers on every record, gzip, acks=all
  const input = 'k1:v1\nk2:v:2\nk1:v3\n:no key\n';
  const keyed = await samsa(['produce', '--topic', 'lines', '--key-separator', ':', '--header', 'source=cli', '-H', 'empty=', '--compression', 'gzip', ...b], { input });
  assert.equal(keyed.code, 0, keyed.stderr);
  assert.equal(keyed.stderr, '', 'no progress output when stderr is not a terminal');
  assert.deepEqual(summaryOf(keyed.stdout), { records: 4, bytes: input.length, topic: 'lines' });
  assert.match(keyed.stdout, /\nPartitions written: \d \(from offset 0\)/);
  const records = await readBack(broker.bootstrap, 'lines');
  const withoutPartition = records.map((r) => r.slice(r.indexOf('|') + 1));
  assert.deepEqual(withoutPartition.sort(), ['k1|v1|source=cli,empty=', 'k1|v3|source=cli,empty=', 'k2|v:2|source=cli,empty=', '|no key|source=cli,empty='].sort());
  const partitionOf = (key: string): string[] => [...new Set(records.filter((r) => r.split('|')[1] === key).map((r) => r.split('|')[0]))];
  assert.equal(partitionOf('k1').length, 1, 'one key, one partition');

  // A file to one partition, acks=1, lz4: empty lines, '\r', bytes that are not UTF-8 and no final newline all survive.
  const bytes = Buffer.concat([Buffer.from('first\r\n\n\tthird\n'), Buffer.from([0xff, 0xfe, 0x00, 0x41]), Buffer.from('\nlast line without newline')]);
  const file = join(dir, 'records.txt');
  await writeFile(file, bytes);
  const fromFile = await samsa(['produce', '-t', 'lines', '--file', file, '--partition', '2', '--acks', '1', '-z', 'lz4', ...b]);
  assert.equal(fromFile.code, 0, fromFile.stderr);
  assert.equal(summaryOf(fromFile.stdout).records, 5);
  const p2 = await run('kcat', ['-C', '-b', broker.bootstrap, '-t', 'lines', '-p', '2', '-o', String(records.filter((r) => r.startsWith('2|')).length), '-e', '-q', '-f', '%s\\n'], { timeoutMs: 30_000 });
  assert.equal(p2.code, 0, p2.stderr);
  assert.deepEqual(p2.stdoutBytes, Buffer.concat([bytes, Buffer.from('\n')]), 'the values joined by newlines are the file');

  // zstd, snappy and acks=0 to a topic the broker creates on first use
  for (const [codec, acks] of [['zstd', 'all'], ['snappy', '0']] as const) {
    const topic = `auto-${codec}`;
    const r = await samsa(['produce', '-t', topic, '-z', codec, '-a', acks, ...b], { input: 'a\nb\nc\n' });
    assert.equal(r.code, 0, `${codec}: ${r.stderr}`);
    assert.equal(summaryOf(r.stdout).records, 3);
    if (acks === '0') assert.doesNotMatch(r.stdout, /Partitions written/, 'acks=0 gets no offsets');
    const back = await readBackCount(broker.bootstrap, topic, 3);
    assert.deepEqual(back.map((l) => l.split('|')[2]).sort(), ['a', 'b', 'c'], codec);
  }

  // A line without the key separator stops the command; the lines before it are written.
  const noSep = await samsa(['produce', '-t', 'nosep', '-K', '=', ...b], { input: 'a=1\nb=2\nno separator\nc=3\n' });
  assert.equal(noSep.code, 1);
  assert.equal(noSep.stderr, "samsa: line 3 has no key separator '='. 2 of 2 records were acknowledged before it\n");
  assert.deepEqual((await readBack(broker.bootstrap, 'nosep')).map((l) => l.split('|').slice(1, 3).join('=')), ['a=1', 'b=2']);

  // A partition the topic does not have is refused before anything is read.
  const badPartition = await samsa(['produce', '-t', 'lines', '-p', '3', ...b], { input: 'x\n' });
  assert.equal(badPartition.code, 1);
  assert.equal(badPartition.stderr, 'samsa: topic lines has 3 partitions (0-2); --partition 3 does not exist\n');
  const missingFile = await samsa(['produce', '-t', 'lines', '-f', join(dir, 'absent.txt'), ...b]);
  assert.equal(missingFile.code, 1);
  assert.match(missingFile.stderr, /^samsa: cannot read --file .*absent\.txt: ENOENT\n$/);
});
