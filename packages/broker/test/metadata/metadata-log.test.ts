// The single-node metadata log on the real disk: one record per change, torn and corrupt
// tails cut at recovery, snapshot plus tail replay, migration from the whole-state JSON
// file of earlier versions, and the refusals (damaged snapshot, log without snapshot,
// intact but invalid record).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeFs, type Fs } from '@samsa/storage';
import { FileMetadataStore } from '../../src/metadata/metadata-store.js';
import { encodeFrame, scanFrames, FRAME_HEADER_BYTES } from '../../src/metadata/metadata-frame.js';
import { LEGACY_FILE, LOG_FILE, MetadataCorruptError, SNAPSHOT_FILE } from '../../src/metadata/metadata-log.js';

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-metalog-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function state(store: FileMetadataStore): unknown {
  return {
    clusterId: store.clusterId,
    topics: [...store.topics()]
      .map((t) => [t.name, t.topicId, t.partitions, [...t.configs].sort()])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    broker: [...store.brokerConfigs('broker')].sort(),
    clusterDefault: [...store.brokerConfigs('cluster-default')].sort(),
  };
}

async function logFrames(dir: string): Promise<ReturnType<typeof scanFrames>> {
  return scanFrames(await readFile(join(dir, LOG_FILE)), 1 << 20);
}

test('each change appends exactly one record, whatever the number of topics', async (t) => {
  const dir = await tempDir(t);
  const store = await FileMetadataStore.open(dir);
  for (let i = 0; i < 200; i++) await store.createTopic(`t${i}`, 1, new Map());
  const before = (await stat(join(dir, LOG_FILE))).size;
  await store.createTopic('one-more', 3, new Map([['retention.ms', '5']]));
  const growth = (await stat(join(dir, LOG_FILE))).size - before;
  assert.ok(growth < 250, `one create appended ${growth} bytes`);
  await store.setTopicConfigs('one-more', new Map([['retention.ms', '6']]));
  await store.setPartitionCount('one-more', 4);
  await store.setBrokerConfigs('broker', new Map([['log.retention.ms', '7']]));
  await store.allocateProducerIdBlock(1000);
  await store.deleteTopic('one-more');
  const scan = await logFrames(dir);
  assert.equal(scan.stop, null);
  assert.equal(scan.frames.length, 206);
  assert.deepEqual(
    scan.frames.slice(-6).map((f) => (JSON.parse(f.payload.toString()) as { type: string }).type),
    ['CreateTopic', 'SetTopicConfigs', 'SetPartitionCount', 'SetBrokerConfigs', 'AllocateProducerIds', 'DeleteTopic'],
  );
  assert.deepEqual(
    scan.frames.map((f) => f.offset),
    scan.frames.map((_, i) => i),
  );
  await store.close();
  const reopened = await FileMetadataStore.open(dir);
  assert.deepEqual(state(reopened), state(store));
  assert.equal(reopened.recovery.replayedRecords, 206);
  assert.equal((await reopened.allocateProducerIdBlock(10)).firstProducerId, 1000);
  await reopened.close();
});

test('a record torn at any byte is cut at recovery and the previous state is served', async (t) => {
  const dir = await tempDir(t);
  const store = await FileMetadataStore.open(dir);
  await store.createTopic('kept', 2, new Map());
  await store.setTopicConfigs('kept', new Map([['cleanup.policy', 'compact']]));
  const expected = state(store);
  const goodBytes = (await stat(join(dir, LOG_FILE))).size;
  await store.createTopic('torn', 5, new Map([['retention.ms', '1']]));
  await store.close();
  const fullBytes = (await stat(join(dir, LOG_FILE))).size;
  const pristine = join(dir, 'pristine.log');
  await copyFile(join(dir, LOG_FILE), pristine);
  for (let cut = goodBytes + 1; cut < fullBytes; cut++) {
    await copyFile(pristine, join(dir, LOG_FILE));
    await truncate(join(dir, LOG_FILE), cut);
    const reopened = await FileMetadataStore.open(dir);
    assert.deepEqual(state(reopened), expected, `cut at ${cut}`);
    assert.equal(reopened.recovery.truncatedBytes, cut - goodBytes);
    assert.equal((await stat(join(dir, LOG_FILE))).size, goodBytes, 'torn bytes removed from the file');
    // The log continues cleanly after the cut.
    await reopened.createTopic('after', 1, new Map());
    await reopened.close();
    const again = await FileMetadataStore.open(dir);
    assert.ok(again.topic('after'));
    assert.equal(again.topic('torn'), undefined);
    assert.equal(again.recovery.truncatedBytes, 0);
    await again.close();
  }
});

test('a corrupt record is cut with everything after it', async (t) => {
  const dir = await tempDir(t);
  const store = await FileMetadataStore.open(dir);
  await store.createTopic('a', 1, new Map());
  const expected = state(store);
  await store.createTopic('b', 1, new Map());
  await store.createTopic('c', 1, new Map());
  await store.close();
  const bytes = await readFile(join(dir, LOG_FILE));
  const second = (await logFrames(dir)).frames[1]!;
  bytes[second.position + FRAME_HEADER_BYTES + 3]! ^= 0x20;
  await writeFile(join(dir, LOG_FILE), bytes);
  const reopened = await FileMetadataStore.open(dir);
  assert.deepEqual(state(reopened), expected);
  assert.equal(reopened.recovery.truncatedReason, 'bad-crc');
  assert.equal(reopened.recovery.truncatedBytes, bytes.length - second.position);
  await reopened.close();
});

test('snapshots are taken as the log grows and recovery replays snapshot plus tail', async (t) => {
  const dir = await tempDir(t);
  const store = await FileMetadataStore.open(dir, { snapshotMinLogBytes: 2000 });
  for (let i = 0; i < 300; i++) {
    await store.createTopic(`topic-${i}`, 1 + (i % 4), new Map([['segment.bytes', String(1_000_000 + i)]]));
    if (i % 3 === 0) await store.deleteTopic(`topic-${i}`);
  }
  assert.ok(store.stats.snapshots >= 3, `snapshots taken: ${store.stats.snapshots}`);
  const snapshotOffset = scanFrames(await readFile(join(dir, SNAPSHOT_FILE)), 1 << 24).frames[0]!.offset;
  const tail = await logFrames(dir);
  assert.ok(tail.frames.length > 0, 'the test needs a tail after the last snapshot');
  assert.equal(tail.frames[0]!.offset, snapshotOffset, 'the log restarts at the snapshot offset');
  // The snapshot trigger grows with the snapshot, so the log never holds far more than one snapshot's worth.
  const snapshotBytes = (await stat(join(dir, SNAPSHOT_FILE))).size;
  assert.ok((await stat(join(dir, LOG_FILE))).size < Math.max(2000, snapshotBytes) + 500);
  await store.close();
  const reopened = await FileMetadataStore.open(dir);
  assert.deepEqual(state(reopened), state(store));
  assert.equal(reopened.recovery.replayedRecords, tail.frames.length);
  assert.equal(reopened.stats.nextOffset, store.stats.nextOffset);
  assert.deepEqual((await readdir(dir)).sort(), [LOG_FILE, SNAPSHOT_FILE].sort());
  await reopened.close();
});

test('records left in the log below the snapshot offset (crash before the log was emptied) are skipped', async (t) => {
  const dir = await tempDir(t);
  const store = await FileMetadataStore.open(dir, { snapshotMinLogBytes: 1 << 30 });
  await store.createTopic('x', 1, new Map());
  await store.createTopic('y', 1, new Map());
  await store.close();
  const staleLog = await readFile(join(dir, LOG_FILE));
  // Snapshot now (reopen with a tiny trigger), then put the stale records back as a crash would have left them.
  const snapshotting = await FileMetadataStore.open(dir, { snapshotMinLogBytes: 1 });
  const expected = state(snapshotting);
  await snapshotting.close();
  assert.equal((await stat(join(dir, LOG_FILE))).size, 0);
  await writeFile(join(dir, LOG_FILE), staleLog);
  const reopened = await FileMetadataStore.open(dir, { snapshotMinLogBytes: 1 << 30 });
  assert.deepEqual(state(reopened), expected);
  assert.equal(reopened.recovery.replayedRecords, 0);
  assert.equal(reopened.recovery.truncatedBytes, 0);
  await reopened.createTopic('z', 1, new Map());
  await reopened.close();
  const last = await FileMetadataStore.open(dir);
  assert.deepEqual([...last.topics()].map((t) => t.name).sort(), ['x', 'y', 'z']);
  assert.equal(last.stats.nextOffset, 3);
  await last.close();
});

const legacyFixture = new URL('../../../test/fixtures/metadata/legacy-v1.json', import.meta.url);

test('a data dir with the earlier whole-state JSON file is migrated: same topics, ids, configs and producer ids', async (t) => {
  const dir = await tempDir(t);
  // Written by FileMetadataStore of main 7d8f61e (the JSON-rewriting store).
  await copyFile(legacyFixture, join(dir, LEGACY_FILE));
  const store = await FileMetadataStore.open(dir, { clusterId: 'ignored' });
  assert.equal(store.recovery.migratedLegacyFile, true);
  assert.equal(store.clusterId, 'LegacyClusterId_AAAAAA');
  assert.deepEqual(
    [...store.topics()].map((t) => [t.name, t.topicId, t.partitions, Object.fromEntries(t.configs)]),
    [
      ['orders', '283d9024a329bc8576acb4502346bdbd', 3, { 'retention.ms': '86400000', 'cleanup.policy': 'delete' }],
      ['payments', '3517bb8a69eb24f1e017ec54272a0e13', 4, {}],
    ],
  );
  assert.deepEqual(Object.fromEntries(store.brokerConfigs('broker')), { 'log.cleaner.threads': '2' });
  assert.deepEqual(Object.fromEntries(store.brokerConfigs('cluster-default')), { 'log.retention.ms': '3600000' });
  assert.equal((await store.allocateProducerIdBlock(5)).firstProducerId, 1000);
  await store.createTopic('new-one', 1, new Map());
  await store.close();
  assert.deepEqual((await readdir(dir)).sort(), [LOG_FILE, SNAPSHOT_FILE].sort(), 'legacy file removed');
  const reopened = await FileMetadataStore.open(dir);
  assert.equal(reopened.recovery.migratedLegacyFile, false);
  assert.deepEqual(state(reopened), state(store));
  assert.equal((await reopened.allocateProducerIdBlock(5)).firstProducerId, 1005);
  await reopened.close();
});

test('the oldest legacy file (no broker configs, no producer ids) migrates too', async (t) => {
  const dir = await tempDir(t);
  await writeFile(
    join(dir, LEGACY_FILE),
    JSON.stringify({ version: 1, clusterId: 'old', topics: [{ name: 'a', topicId: 'ab'.repeat(16), partitions: 2, configs: {} }] }, null, 1),
  );
  const store = await FileMetadataStore.open(dir);
  assert.equal(store.clusterId, 'old');
  assert.equal(store.topic('a')?.partitions, 2);
  assert.equal(store.brokerConfigs('broker').size, 0);
  assert.equal((await store.allocateProducerIdBlock(1)).firstProducerId, 0);
  await store.close();
});

test('a crash after the first snapshot but before the legacy file was removed: the snapshot wins', async (t) => {
  const dir = await tempDir(t);
  await copyFile(legacyFixture, join(dir, LEGACY_FILE));
  const store = await FileMetadataStore.open(dir);
  await store.deleteTopic('orders');
  await store.close();
  await copyFile(legacyFixture, join(dir, LEGACY_FILE));
  const reopened = await FileMetadataStore.open(dir);
  assert.equal(reopened.topic('orders'), undefined);
  assert.ok(reopened.topic('payments'));
  assert.deepEqual((await readdir(dir)).sort(), [LOG_FILE, SNAPSHOT_FILE].sort());
  await reopened.close();
});

test('a damaged snapshot, a log without its snapshot, or an intact but invalid record stop the broker with a clear error', async (t) => {
  const dir = await tempDir(t);
  const store = await FileMetadataStore.open(dir);
  await store.createTopic('a', 1, new Map());
  await store.close();
  const snapshot = await readFile(join(dir, SNAPSHOT_FILE));

  const flipped = Buffer.from(snapshot);
  flipped[flipped.length - 2]! ^= 1;
  await writeFile(join(dir, SNAPSHOT_FILE), flipped);
  await assert.rejects(FileMetadataStore.open(dir), (err: Error) => err instanceof MetadataCorruptError && /not one valid snapshot frame/.test(err.message));

  await rm(join(dir, SNAPSHOT_FILE));
  await assert.rejects(FileMetadataStore.open(dir), (err: Error) => err instanceof MetadataCorruptError && /does not/.test(err.message));

  await writeFile(join(dir, SNAPSHOT_FILE), snapshot);
  const log = await readFile(join(dir, LOG_FILE));
  // A well-framed record that deletes a topic id nobody has.
  const bogus = encodeFrame(1, Buffer.from(JSON.stringify({ type: 'DeleteTopic', topicId: 'cd'.repeat(16) })));
  await writeFile(join(dir, LOG_FILE), Buffer.concat([log, bogus]));
  await assert.rejects(FileMetadataStore.open(dir), (err: Error) => err instanceof MetadataCorruptError && /offset 1 .* intact but invalid/.test(err.message));
  const future = encodeFrame(1, Buffer.from(JSON.stringify({ type: 'SomethingNew' })));
  await writeFile(join(dir, LOG_FILE), Buffer.concat([log, future]));
  await assert.rejects(FileMetadataStore.open(dir), /unknown metadata record type "SomethingNew"/);
});

test('concurrent changes share writes and syncs (group commit), each acknowledged once durable', async (t) => {
  const dir = await tempDir(t);
  const store = await FileMetadataStore.open(dir);
  const created = await Promise.all(Array.from({ length: 100 }, (_, i) => store.createTopic(`c${i}`, 1, new Map())));
  assert.equal(new Set(created.map((c) => c.topicId)).size, 100);
  assert.ok(store.stats.writes < 100, `writes for 100 concurrent creates: ${store.stats.writes}`);
  const blocks = await Promise.all(Array.from({ length: 10 }, () => store.allocateProducerIdBlock(1000)));
  assert.deepEqual(
    blocks.map((b) => b.firstProducerId).sort((a, b) => a - b),
    Array.from({ length: 10 }, (_, i) => i * 1000),
  );
  await store.close();
  const reopened = await FileMetadataStore.open(dir);
  assert.equal([...reopened.topics()].length, 100);
  assert.equal((await reopened.allocateProducerIdBlock(1)).firstProducerId, 10_000);
  await reopened.close();
});

test('bad requests are refused without writing anything', async (t) => {
  const dir = await tempDir(t);
  const store = await FileMetadataStore.open(dir);
  await store.createTopic('a', 1, new Map());
  const offset = store.stats.nextOffset;
  await assert.rejects(store.createTopic('a', 1, new Map()), /already exists/);
  await assert.rejects(store.createTopic('b', 0, new Map()), RangeError);
  await assert.rejects(store.setPartitionCount('nope', 2), /unknown topic/);
  await assert.rejects(store.setTopicConfigs('nope', new Map()), /unknown topic/);
  await assert.rejects(store.allocateProducerIdBlock(0), RangeError);
  await store.deleteTopic('nope');
  assert.equal(store.stats.nextOffset, offset);
  await store.close();
});

test('after a failed write the store refuses further changes instead of diverging from disk', async (t) => {
  const dir = await tempDir(t);
  let failSync = false;
  const fs: Fs = {
    ...nodeFs,
    async open(path) {
      const file = await nodeFs.open(path);
      return {
        ...file,
        path,
        write: (b, p) => file.write(b, p),
        read: (b, o, l, p) => file.read(b, o, l, p),
        truncate: (l) => file.truncate(l),
        size: () => file.size(),
        close: () => file.close(),
        datasync: () => (failSync ? Promise.reject(Object.assign(new Error('EIO: injected'), { code: 'EIO' })) : file.datasync()),
      };
    },
  };
  const store = await FileMetadataStore.open(dir, { fs });
  await store.createTopic('durable', 1, new Map());
  failSync = true;
  await assert.rejects(store.createTopic('lost', 1, new Map()), /EIO/);
  failSync = false;
  await assert.rejects(store.createTopic('refused', 1, new Map()), /metadata log failed earlier/);
  await store.close();
  const reopened = await FileMetadataStore.open(dir);
  assert.ok(reopened.topic('durable'));
  assert.equal(reopened.topic('refused'), undefined);
  await reopened.close();
});
