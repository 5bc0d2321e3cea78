// Issue 10, storage faults: a full log dir (ENOSPC) loses nothing acknowledged, serves no torn
// batch, and takes produce back once space is freed.
//
// The broker's second log dir is an 8 MiB tmpfs (mounting needs root: the test is skipped with
// a message otherwise, and the tmpfs is unmounted in cleanup). A filler file leaves ~1.5 MiB
// free. kafkajs produces 8 KiB records one per request, without retries, until the broker
// answers KAFKA_STORAGE_ERROR several times in a row. Then librdkafka (confluent-kafka, with CRC
// checks) reads the partition back: exactly the acknowledged records, at their offsets. The log
// dir stays online (ENOSPC fails the request only; see docs/storage-faults.md). Deleting the
// filler frees space, and both kafkajs and librdkafka produce again; every acknowledged record
// reads back, and after a broker restart (recovery runs over the full dir's files) too.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type StartedBroker } from '@samsa/broker';
import { Connection } from '@samsa/client';
import { DescribeLogDirsApi, ErrorCode } from '@samsa/protocol';
import type { PythonConsumeResult } from '../support/clients.js';
import { b64, uniqueTopic, unb64 } from '../support/records.js';
import { runPython } from '../support/run-python.js';

const TMPFS_BYTES = 8 << 20;
const FILLER_BYTES = 6.5 * (1 << 20);
const RECORD_BYTES = 8 << 10;
/** Bound on produce attempts: ~1.5 MiB free fits about 190 records. */
const MAX_SENDS = 1000;
/** Consecutive refusals that mean "the dir is full", not a passing hiccup. */
const FULL_AFTER_REFUSALS = 5;

/** Every error type named in a kafkajs error and its causes. */
function kafkajsErrorTypes(err: unknown, seen = new Set<unknown>()): string[] {
  if (typeof err !== 'object' || err === null || seen.has(err)) return [];
  seen.add(err);
  const e = err as { type?: unknown; name?: unknown; cause?: unknown; originalError?: unknown; errors?: unknown };
  const own = [e.type, e.name].filter((x): x is string => typeof x === 'string');
  const nested = [e.cause, e.originalError, ...(Array.isArray(e.errors) ? e.errors : [])];
  return [...own, ...nested.flatMap((n) => kafkajsErrorTypes(n, seen))];
}

interface Delivered {
  delivered: Array<{ partition: number; offset: number; error: string | null }>;
}

/** A record value that names itself, padded to RECORD_BYTES. */
const valueOf = (tag: string): string => tag.padEnd(RECORD_BYTES, '.');

test('ENOSPC on a log dir: acknowledged records all read back, no torn batch, produce works again once space is freed', { timeout: 240_000 }, async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip('needs root to mount a small tmpfs as a log dir (CI runs as root)');
    return;
  }
  const base = await mkdtemp(join(tmpdir(), 'samsa-enospc-'));
  const mainDir = join(base, 'main');
  const smallDir = join(base, 'small');
  await mkdir(smallDir);
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_BYTES}`, 'tmpfs', smallDir], { encoding: 'utf8' });
  if (mounted.status !== 0) {
    await rm(base, { recursive: true, force: true });
    t.skip(`mounting a tmpfs failed (${(mounted.stderr || mounted.error?.message || '').trim()}); this test needs mount rights`);
    return;
  }
  let broker: StartedBroker | null = null;
  const closers: Array<() => unknown> = [];
  t.after(async () => {
    for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => undefined);
    await broker?.stop().catch(() => undefined);
    const unmounted = spawnSync('umount', [smallDir], { encoding: 'utf8' });
    if (unmounted.status !== 0) t.diagnostic(`umount ${smallDir} failed: ${unmounted.stderr}`);
    await rm(base, { recursive: true, force: true });
  });

  // The metadata store lives in the first log dir, so the small one is second.
  const config = { 'log.dirs': `${mainDir},${smallDir}` };
  broker = await startBroker({ dataDir: base, config });
  const kafka = new Kafka({ clientId: 'enospc-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const admin = kafka.admin();
  await admin.connect();
  closers.push(() => admin.disconnect());
  // New partitions go to the dir with the fewest (the first on ties): the placeholder takes the main dir.
  await admin.createTopics({ topics: [{ topic: uniqueTopic('enospc-placeholder'), numPartitions: 1 }] });
  const topic = uniqueTopic('enospc');
  // Small segments, so the log also rolls (index, producer snapshot and new segment files) while the dir is full.
  await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'segment.bytes', value: String(256 << 10) }] }] });
  assert.ok(existsSync(join(smallDir, `${topic}-0`)), `${topic}-0 is on the tmpfs`);
  const filler = join(smallDir, 'filler');
  await writeFile(filler, Buffer.alloc(FILLER_BYTES, 1));

  const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
  await producer.connect();
  closers.push(() => producer.disconnect());
  const acked = new Map<number, string>();
  let refusalsInARow = 0;
  let sends = 0;
  for (; sends < MAX_SENDS && refusalsInARow < FULL_AFTER_REFUSALS; sends++) {
    const value = valueOf(`r${sends}`);
    try {
      const [meta] = await producer.send({ topic, acks: -1, messages: [{ value }] });
      acked.set(Number(meta.baseOffset), value);
      refusalsInARow = 0;
    } catch (err) {
      const types = kafkajsErrorTypes(err);
      assert.ok(types.includes('KAFKA_STORAGE_ERROR'), `a full dir answers KAFKA_STORAGE_ERROR, got ${types.join(', ')}`);
      refusalsInARow++;
    }
  }
  t.diagnostic(`${acked.size} records acknowledged in ${sends} sends before the dir was full`);
  assert.equal(refusalsInARow, FULL_AFTER_REFUSALS, `the tmpfs filled up within ${MAX_SENDS} sends`);
  assert.ok(acked.size > 10, 'records were acknowledged before the dir filled');

  // Still online: ENOSPC fails requests, it does not take the dir offline.
  const conn = await Connection.open('127.0.0.1', broker.port);
  closers.push(() => conn.close());
  const dirs = await conn.send(DescribeLogDirsApi, 4, { topics: null });
  assert.equal(dirs.results.find((r) => r.logDir === smallDir)?.errorCode, ErrorCode.NONE, 'the full dir is still online');

  const readBack = async (label: string): Promise<Map<number, string>> => {
    const read = await runPython<PythonConsumeResult>('confluent_consume', { bootstrap: broker!.bootstrap, topic, config: { 'check.crcs': true }, timeout_s: 60 }, 90_000);
    assert.deepEqual(read.errors, [], `${label}: librdkafka (check.crcs) reads without errors: no torn or corrupt batch`);
    assert.equal(read.timed_out, false, `${label}: read to the end`);
    return new Map(read.records.map((r) => [r.offset, unb64(r.value ?? '').toString()]));
  };
  const whileFull = await readBack('while full');
  assert.deepEqual([...whileFull.keys()], [...acked.keys()], 'exactly the acknowledged offsets are in the log');
  for (const [offset, value] of acked) assert.equal(whileFull.get(offset), value, `acknowledged record at ${offset}`);

  // Free the space: both clients produce again.
  await unlink(filler);
  for (let i = 0; i < 5; i++) {
    const value = valueOf(`freed-kafkajs-${i}`);
    const [meta] = await producer.send({ topic, acks: -1, messages: [{ value }] });
    acked.set(Number(meta.baseOffset), value);
  }
  const rdValues = [0, 1, 2, 3, 4].map((i) => valueOf(`freed-librdkafka-${i}`));
  const rd = await runPython<Delivered>(
    'confluent_produce',
    { bootstrap: broker.bootstrap, topic, acks: 'all', records: rdValues.map((v) => ({ key: null, value: b64(v), headers: [], timestamp: null, partition: 0 })), timeout_s: 30 },
    60_000,
  );
  rd.delivered.forEach((d, i) => {
    assert.equal(d.error, null, `librdkafka produce after space was freed: ${JSON.stringify(d)}`);
    acked.set(d.offset, rdValues[i]);
  });

  const afterFree = await readBack('after freeing space');
  assert.deepEqual([...afterFree.keys()], [...acked.keys()].sort((a, b) => a - b));
  for (const [offset, value] of acked) assert.equal(afterFree.get(offset), value, `acknowledged record at ${offset}`);

  // A restart opens (and recovers) the files written while the dir was full: the same records.
  for (const close of closers.splice(0).reverse()) await close();
  const stopping = broker;
  broker = null;
  await stopping.stop();
  broker = await startBroker({ dataDir: base, config });
  const afterRestart = await readBack('after restart');
  assert.deepEqual([...afterRestart.entries()], [...afterFree.entries()]);
});
