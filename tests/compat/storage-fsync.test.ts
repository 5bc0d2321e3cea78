// Issue 10, storage faults: an injected fdatasync failure takes its log directory offline.
//
// An in-process broker with two log dirs runs on a file system that fails the next fdatasync
// of files under the first dir when armed (the real disk underneath). The topics sync every
// append (flush.messages=1), so a produce acknowledgement means the fdatasync succeeded.
// After the failure, kafkajs and librdkafka (confluent-kafka) producers get
// KAFKA_STORAGE_ERROR and no acknowledgement for that partition, even though the file system
// would now succeed (a retried fsync is exactly what must not happen); ListOffsets and Fetch
// answer KAFKA_STORAGE_ERROR too; DescribeLogDirs reports the dir with KAFKA_STORAGE_ERROR;
// the broker logs the failure at error level with the path; the other dir keeps serving.
// After a restart the dir is recovered and every acknowledged record reads back.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { startBroker, type StartedBroker } from '@samsa/broker';
import { Connection } from '@samsa/client';
import { DescribeLogDirsApi, ErrorCode, FetchApi, ListOffsetsApi } from '@samsa/protocol';
import { nodeFs, type Fs, type FsFile } from '@samsa/storage';
import type { PythonConsumeResult } from '../support/clients.js';
import { fetchOnePartition } from '../support/fetch-partitions.js';
import { b64, uniqueTopic, unb64 } from '../support/records.js';
import { runPython } from '../support/run-python.js';

/** node:fs, except that once armed the next fdatasync of a file under `under` fails with EIO. */
class FsyncFailingFs implements Fs {
  #armedUnder: string | null = null;
  /** fdatasyncs of files under the armed dir after the injected failure (must stay 0). */
  syncsAfterFailure = 0;
  #failed = false;

  arm(under: string): void {
    this.#armedUnder = under;
  }

  async open(path: string): Promise<FsFile> {
    const file = await nodeFs.open(path);
    return {
      path,
      write: (buf, position) => file.write(buf, position),
      writev: file.writev ? (bufs, position) => file.writev!(bufs, position) : undefined,
      read: (buf, offset, length, position) => file.read(buf, offset, length, position),
      truncate: (length) => file.truncate(length),
      size: () => file.size(),
      close: () => file.close(),
      datasync: async () => {
        const under = this.#armedUnder;
        if (under !== null && path.startsWith(under)) {
          if (this.#failed) {
            this.syncsAfterFailure++;
          } else {
            this.#failed = true;
            throw Object.assign(new Error(`EIO: i/o error, fdatasync '${path}'`), { code: 'EIO', syscall: 'fdatasync', path });
          }
        }
        await file.datasync();
      },
    };
  }
  readFile = nodeFs.readFile;
  writeFileAtomic = nodeFs.writeFileAtomic;
  unlink = nodeFs.unlink;
  mkdir = nodeFs.mkdir;
  readdir = nodeFs.readdir;
  stat = nodeFs.stat;
  rmrf = nodeFs.rmrf;
  rename = nodeFs.rename;
  fsyncDir = nodeFs.fsyncDir;
}

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

const syncEveryAppend = [{ name: 'flush.messages', value: '1' }];

test('a failed fdatasync takes its log dir offline: KAFKA_STORAGE_ERROR and no ack; the other dir serves; restart recovers', { timeout: 180_000 }, async (t) => {
  const base = await mkdtemp(join(tmpdir(), 'samsa-fsync-'));
  let broker: StartedBroker | null = null;
  const closers: Array<() => unknown> = [];
  // One hook, in order: clients, then the broker, then its directories (node runs after hooks first in, first out).
  t.after(async () => {
    for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => undefined);
    await broker?.stop();
    await rm(base, { recursive: true, force: true });
  });
  const dirA = join(base, 'a');
  const dirB = join(base, 'b');
  const config = { 'log.dirs': `${dirA},${dirB}` };
  const logLines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) });
  const fs = new FsyncFailingFs();
  broker = await startBroker({ dataDir: base, config, logger, fs });

  const kafka = new Kafka({ clientId: 'fsync-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const admin = kafka.admin();
  await admin.connect();
  closers.push(() => admin.disconnect());
  // New partitions go to the dir holding the fewest (the first on ties): one topic lands in each.
  const doomed = uniqueTopic('fsync-doomed');
  const healthy = uniqueTopic('fsync-healthy');
  await admin.createTopics({ topics: [{ topic: doomed, numPartitions: 1, configEntries: syncEveryAppend }] });
  await admin.createTopics({ topics: [{ topic: healthy, numPartitions: 1, configEntries: syncEveryAppend }] });
  assert.ok(existsSync(join(dirA, `${doomed}-0`)), `${doomed}-0 is in ${dirA}`);
  assert.ok(existsSync(join(dirB, `${healthy}-0`)), `${healthy}-0 is in ${dirB}`);

  const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
  await producer.connect();
  closers.push(() => producer.disconnect());
  const acked: string[] = [];
  for (let i = 0; i < 3; i++) {
    await producer.send({ topic: doomed, acks: -1, messages: [{ value: `acked-${i}` }] });
    acked.push(`acked-${i}`);
  }

  fs.arm(dirA);
  // kafkajs: the produce that hits the failed fdatasync, and the ones after it, are refused.
  for (let i = 0; i < 3; i++) {
    const err = await producer.send({ topic: doomed, acks: -1, messages: [{ value: `refused-${i}` }] }).then(() => null, (e: unknown) => e);
    assert.ok(err !== null, `kafkajs produce ${i} after the fsync failure must not be acknowledged`);
    assert.ok(kafkajsErrorTypes(err).includes('KAFKA_STORAGE_ERROR'), `kafkajs sees KAFKA_STORAGE_ERROR, got ${kafkajsErrorTypes(err).join(', ')}`);
  }
  // librdkafka (no retries, so the broker's answer is reported as is).
  const rd = await runPython<Delivered>(
    'confluent_produce',
    { bootstrap: broker.bootstrap, topic: doomed, acks: 'all', records: [0, 1, 2].map((i) => ({ key: null, value: b64(`rd-refused-${i}`), headers: [], timestamp: null, partition: 0 })), config: { 'message.send.max.retries': 0 }, timeout_s: 20 },
    60_000,
  );
  for (const d of rd.delivered) assert.equal(d.error, 'KAFKA_STORAGE_ERROR', `librdkafka delivery report: ${JSON.stringify(d)}`);

  // ListOffsets, Fetch and DescribeLogDirs tell the same story.
  const conn = await Connection.open('127.0.0.1', broker.port);
  closers.push(() => conn.close());
  const offsets = await conn.send(ListOffsetsApi, 7, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: doomed, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1, maxNumOffsets: 1 }] }],
    timeoutMs: 0,
  });
  assert.equal(offsets.topics[0].partitions[0].errorCode, ErrorCode.KAFKA_STORAGE_ERROR, 'ListOffsets');
  const fetched = await conn.send(FetchApi, 11, fetchOnePartition(doomed, 0, 0, 0));
  assert.equal(fetched.responses[0].partitions[0].errorCode, ErrorCode.KAFKA_STORAGE_ERROR, 'Fetch');
  const dirs = await conn.send(DescribeLogDirsApi, 4, { topics: null });
  const byDir = new Map(dirs.results.map((r) => [r.logDir, r]));
  assert.equal(byDir.get(dirA)?.errorCode, ErrorCode.KAFKA_STORAGE_ERROR, 'DescribeLogDirs reports the failed dir');
  assert.deepEqual(byDir.get(dirA)?.topics, []);
  assert.equal(byDir.get(dirB)?.errorCode, ErrorCode.NONE);

  // The other log dir keeps serving, to both clients.
  await producer.send({ topic: healthy, acks: -1, messages: [{ value: 'healthy-kafkajs' }] });
  const rdHealthy = await runPython<Delivered>(
    'confluent_produce',
    { bootstrap: broker.bootstrap, topic: healthy, acks: 'all', records: [{ key: null, value: b64('healthy-librdkafka'), headers: [], timestamp: null, partition: 0 }], timeout_s: 20 },
    60_000,
  );
  assert.equal(rdHealthy.delivered[0].error, null);
  const healthyRead = await runPython<PythonConsumeResult>('confluent_consume', { bootstrap: broker.bootstrap, topic: healthy, config: { 'check.crcs': true }, timeout_s: 30 }, 60_000);
  assert.deepEqual(healthyRead.records.map((r) => unb64(r.value ?? '').toString()), ['healthy-kafkajs', 'healthy-librdkafka']);

  // Logged once, at error level (pino 50), with the dir and the failing file.
  const offline = logLines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('log directory offline'));
  assert.equal(offline.length, 1, 'the offline log dir is logged once');
  assert.equal(offline[0].level, 50);
  assert.equal(offline[0].logDir, dirA);
  assert.match(String(offline[0].error), new RegExp(`fdatasync of ${join(dirA, `${doomed}-0`)}`));

  // Restart (no fault now): the dir is recovered, every acknowledged record reads back, produce works.
  for (const close of closers.splice(0).reverse()) await close();
  const stopping = broker;
  broker = null;
  await stopping.stop();
  assert.equal(fs.syncsAfterFailure, 0, 'no fdatasync in the failed dir after the failure, shutdown included');
  broker = await startBroker({ dataDir: base, config });
  const again = await runPython<Delivered>(
    'confluent_produce',
    { bootstrap: broker.bootstrap, topic: doomed, acks: 'all', records: [{ key: null, value: b64('after-restart'), headers: [], timestamp: null, partition: 0 }], timeout_s: 20 },
    60_000,
  );
  assert.equal(again.delivered[0].error, null);
  const read = await runPython<PythonConsumeResult>('confluent_consume', { bootstrap: broker.bootstrap, topic: doomed, config: { 'check.crcs': true }, timeout_s: 30 }, 60_000);
  assert.deepEqual(read.errors, []);
  const values = read.records.map((r) => unb64(r.value ?? '').toString());
  assert.deepEqual(values.slice(0, 3), acked, 'every acknowledged record, in order');
  assert.equal(values[values.length - 1], 'after-restart');
});
