import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode } from '@samsa/protocol';
import { StorageError } from '../src/errors.js';
import { defaultLogConfig, type LogConfig } from '../src/log-config.js';
import { classifyStorageFault, takesLogDirOffline } from '../src/log-dir-health.js';
import { LogManager, type StorageLogLevel } from '../src/log-manager.js';
import { CLEAN_SHUTDOWN_FILE, PartitionLog } from '../src/partition-log.js';
import { decodeAll, makeBatch } from '../test-support/batches.js';
import { FaultyFs } from '../test-support/faulty-fs.js';
import { makeTempDir } from '../test-support/tmp-dir.js';

/** flush.messages=1: every append fdatasyncs before it is acknowledged. */
const syncEveryAppend: LogConfig = { ...defaultLogConfig, flushMessages: 1 };

const errno = (code: string, syscall: string): Error => Object.assign(new Error(`${code}: ${syscall}`), { code, syscall });

test('the truth table: which errors take a log dir offline', () => {
  const rows: Array<[string, unknown, ReturnType<typeof classifyStorageFault>]> = [
    ['failed fdatasync', errno('EIO', 'fdatasync'), 'sync-failed'],
    ['failed fsync, even ENOSPC', errno('ENOSPC', 'fsync'), 'sync-failed'],
    ['ENOSPC on write', errno('ENOSPC', 'write'), 'no-space'],
    ['EDQUOT on open', errno('EDQUOT', 'open'), 'no-space'],
    ['EMFILE on open', errno('EMFILE', 'open'), 'no-descriptors'],
    ['ENFILE on open', errno('ENFILE', 'open'), 'no-descriptors'],
    ['EIO on write', errno('EIO', 'write'), 'io-failed'],
    ['EROFS on rename', errno('EROFS', 'rename'), 'io-failed'],
    ['EIO on read', errno('EIO', 'read'), 'io-failed'],
    ['a wrapped ENOSPC', new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, 'write failed', { cause: errno('ENOSPC', 'write') }), 'no-space'],
    ['an explicit fault wins over the errno', new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, 'cut failed', { cause: errno('ENOSPC', 'write'), fault: 'io-failed' }), 'io-failed'],
    ['a Kafka refusal', new StorageError(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'gap'), null],
    ['a plain error', new Error('bug'), null],
  ];
  for (const [what, err, fault] of rows) assert.equal(classifyStorageFault(err), fault, what);
  assert.equal(takesLogDirOffline('sync-failed'), true);
  assert.equal(takesLogDirOffline('io-failed'), true);
  assert.equal(takesLogDirOffline('no-space'), false);
  assert.equal(takesLogDirOffline('no-descriptors'), false);
});

test('a failed fdatasync takes the log offline; it is never retried and nothing later is acknowledged', async () => {
  const { dir, cleanup } = await makeTempDir();
  try {
    const fs = new FaultyFs();
    const log = await PartitionLog.open({ dir, topic: 's', partition: 0, config: syncEveryAppend, fs });
    await log.append(makeBatch(2));
    fs.failNextDatasyncs(1);
    const failed = await log.append(makeBatch(3)).then(() => null, (err: unknown) => err);
    assert.ok(failed instanceof StorageError && failed.code === ErrorCode.KAFKA_STORAGE_ERROR, `append must fail with KAFKA_STORAGE_ERROR, got ${String(failed)}`);
    assert.match(failed.message, /fdatasync of .*\.log failed/);
    assert.equal(log.online, false);
    const syncsAfterFailure = fs.datasyncs;

    // The file system would succeed now: that is exactly when a retried fsync would lie.
    for (const op of [() => log.append(makeBatch(1)), () => log.flush(), () => log.read(0, 1 << 20), () => log.offsetForTimestamp(0), () => log.roll()]) {
      await assert.rejects(op(), (err: unknown) => err instanceof StorageError && err.code === ErrorCode.KAFKA_STORAGE_ERROR && /is offline/.test(err.message));
    }
    await log.maybeFlush();
    assert.equal(await log.applyRetention(), 0);
    await log.close();
    assert.equal(fs.datasyncs, syncsAfterFailure, 'no fdatasync after the failed one');
    assert.ok(!(await readdir(join(dir, 's-0'))).includes(CLEAN_SHUTDOWN_FILE), 'an offline log writes no clean-shutdown marker');

    // The next start recovers: the acknowledged records are there, and only whole batches.
    const reopened = await PartitionLog.open({ dir, topic: 's', partition: 0, config: syncEveryAppend });
    assert.equal(reopened.openInfo.cleanShutdown, false);
    assert.ok(reopened.logEndOffset >= 2);
    const records = await decodeAll((await reopened.read(0, 1 << 20)).buffers);
    assert.deepEqual(records.slice(0, 2).map((r) => r.offset), [0, 1]);
    await reopened.close();
  } finally {
    await cleanup();
  }
});

test('appends queued behind a failed fdatasync are all refused', async () => {
  const { dir, cleanup } = await makeTempDir();
  try {
    const fs = new FaultyFs();
    const log = await PartitionLog.open({ dir, topic: 'q', partition: 0, config: syncEveryAppend, fs });
    await log.append(makeBatch(1));
    fs.failNextDatasyncs(1);
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => log.append(makeBatch(2))));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 0, 'no append queued with or after the failed flush is acknowledged');
    await log.close();
  } finally {
    await cleanup();
  }
});

test('LogManager: an offline dir fails its partitions only, logs at error level with the path, and new partitions go elsewhere', async () => {
  const a = await makeTempDir();
  const b = await makeTempDir();
  try {
    const fs = new FaultyFs();
    const lines: Array<{ msg: string; fields: Record<string, unknown>; level: StorageLogLevel }> = [];
    const mgr = await LogManager.open({
      logDirs: [a.dir, b.dir],
      defaultConfig: syncEveryAppend,
      fs,
      log: (msg, fields = {}, level = 'info') => lines.push({ msg, fields, level }),
    });
    const inA = await mgr.getOrCreate('t', 0, syncEveryAppend);
    const inB = await mgr.getOrCreate('t', 1, syncEveryAppend);
    assert.ok(inA.dir.startsWith(a.dir) && inB.dir.startsWith(b.dir), 'one partition in each dir');
    await inA.append(makeBatch(1));
    await inB.append(makeBatch(1));

    fs.failNextDatasyncs(1, a.dir);
    await assert.rejects(inA.append(makeBatch(1)), /fdatasync/);
    assert.equal(inA.online, false);
    assert.equal(inB.online, true);
    await inB.append(makeBatch(1));
    assert.equal(inB.logEndOffset, 2);

    const offline = lines.filter((l) => l.msg.startsWith('log directory offline'));
    assert.equal(offline.length, 1, 'logged once');
    assert.equal(offline[0].level, 'error');
    assert.equal(offline[0].fields.logDir, a.dir);
    assert.match(String(offline[0].fields.error), new RegExp(`fdatasync of ${a.dir}`));
    assert.deepEqual(offline[0].fields.partitions, ['t-0']);

    assert.deepEqual(mgr.logDirStates().map((d) => [d.logDir, d.failure?.fault ?? null]), [[a.dir, 'sync-failed'], [b.dir, null]]);
    const created = await mgr.getOrCreate('u', 0, syncEveryAppend);
    assert.ok(created.dir.startsWith(b.dir), 'a new partition goes to an online dir');
    await mgr.runFlushCheck();
    await mgr.runRetention();
    await mgr.close();
  } finally {
    await a.cleanup();
    await b.cleanup();
  }
});

test('LogManager: with every dir offline, creating a partition fails with KAFKA_STORAGE_ERROR', async () => {
  const { dir, cleanup } = await makeTempDir();
  try {
    const fs = new FaultyFs();
    const mgr = await LogManager.open({ logDirs: [dir], defaultConfig: syncEveryAppend, fs });
    const log = await mgr.getOrCreate('t', 0, syncEveryAppend);
    fs.failNextWrites(1, 'eio');
    await assert.rejects(log.append(makeBatch(1)));
    await assert.rejects(mgr.getOrCreate('t', 1, syncEveryAppend), (err: unknown) => err instanceof StorageError && err.code === ErrorCode.KAFKA_STORAGE_ERROR);
    await mgr.close();
  } finally {
    await cleanup();
  }
});

test('ENOSPC on a write fails that append only: nothing torn is served and appends work once space returns', async () => {
  const { dir, cleanup } = await makeTempDir();
  try {
    const fs = new FaultyFs();
    const lines: Array<{ msg: string; level: StorageLogLevel }> = [];
    const mgr = await LogManager.open({ logDirs: [dir], defaultConfig: defaultLogConfig, fs, log: (msg, _f, level = 'info') => lines.push({ msg, level }) });
    const log = await mgr.getOrCreate('n', 0, defaultLogConfig);
    await log.append(makeBatch(2, { prefix: 'before' }));
    fs.failNextWrites(3, 'torn', 'ENOSPC');
    for (let i = 0; i < 3; i++) await assert.rejects(log.append(makeBatch(2, { prefix: 'lost' })), (err: unknown) => err instanceof StorageError && err.code === ErrorCode.KAFKA_STORAGE_ERROR);
    assert.equal(log.online, true);
    assert.equal(log.logEndOffset, 2);
    assert.deepEqual((await decodeAll((await log.read(0, 1 << 20)).buffers)).map((r) => r.value?.toString()), ['before-0', 'before-1']);
    await log.append(makeBatch(2, { prefix: 'after' }));
    await mgr.close();
    assert.equal(lines.filter((l) => l.level === 'error').length, 0);

    const reopened = await PartitionLog.open({ dir, topic: 'n', partition: 0, config: defaultLogConfig });
    assert.equal(reopened.openInfo.cleanShutdown, true);
    assert.deepEqual((await decodeAll((await reopened.read(0, 1 << 20)).buffers)).map((r) => r.value?.toString()), ['before-0', 'before-1', 'after-0', 'after-1']);
    await reopened.close();
  } finally {
    await cleanup();
  }
});

test('storage failures are logged at warn or error, never info', async () => {
  const { dir, cleanup } = await makeTempDir();
  try {
    const fs = new FaultyFs();
    const lines: Array<{ msg: string; level: StorageLogLevel }> = [];
    const mgr = await LogManager.open({ logDirs: [dir], defaultConfig: defaultLogConfig, fs, log: (msg, _f, level = 'info') => lines.push({ msg, level }) });
    const log = await mgr.getOrCreate('w', 0, { ...defaultLogConfig, flushMs: 0 });
    fs.failNextDatasyncs(1);
    // flush.ms=0: the append's own flush fails first; the flush.ms check then skips the offline log.
    await assert.rejects(log.append(makeBatch(1)));
    await mgr.runFlushCheck();
    await mgr.close();
    const failures = lines.filter((l) => /fail|offline/.test(l.msg));
    assert.ok(failures.length > 0);
    for (const l of failures) assert.notEqual(l.level, 'info', l.msg);
  } finally {
    await cleanup();
  }
});
