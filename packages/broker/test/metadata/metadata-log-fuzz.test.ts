// Op-fuzz of the metadata store against a reference model, with crashes.
//
// A seeded random workload issues groups of concurrent changes (create, delete, grow,
// set topic configs, set broker configs, allocate producer ids) to a FileMetadataStore on a
// CrashFs that dies at a random file-system step, often in the middle of a write, a
// snapshot or a log truncation. Unsynced bytes are then partly lost or scrambled, and the
// store is reopened. The checker: the recovered state equals the model after some prefix
// of the issued changes, and that prefix contains every change whose promise resolved
// (acknowledged means durable). Snapshots are made tiny so most rounds cross one.
//
// On failure the seed is printed as SAMSA_SEED=<n>; rerun with that env var.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileMetadataStore } from '../../src/metadata/metadata-store.js';
import { CrashFs, seededRandom, testSeed } from '../../test-support/crash-fs.js';

interface ModelTopic {
  topicId: string;
  partitions: number;
  configs: Record<string, string>;
}

/** The reference: plain data, changed by the same operations. */
interface Model {
  topics: Map<string, ModelTopic>;
  broker: Record<string, string>;
  clusterDefault: Record<string, string>;
  nextProducerId: number;
}

function describeModel(m: Model): string {
  const topics = [...m.topics].sort(([a], [b]) => a.localeCompare(b)).map(([name, t]) => [name, t.topicId, t.partitions, sorted(t.configs)]);
  return JSON.stringify({ topics, broker: sorted(m.broker), clusterDefault: sorted(m.clusterDefault), nextProducerId: m.nextProducerId });
}

function sorted(r: Record<string, string>): [string, string][] {
  return Object.entries(r).sort(([a], [b]) => a.localeCompare(b));
}

/** The store's state in the model's shape; the producer-id mark is read by allocating a block of 1 later. */
function describeStore(s: FileMetadataStore, nextProducerId: number): string {
  const m: Model = {
    topics: new Map([...s.topics()].map((t) => [t.name, { topicId: t.topicId, partitions: t.partitions, configs: Object.fromEntries(t.configs) }])),
    broker: Object.fromEntries(s.brokerConfigs('broker')),
    clusterDefault: Object.fromEntries(s.brokerConfigs('cluster-default')),
    nextProducerId,
  };
  return describeModel(m);
}

const NAMES = Array.from({ length: 12 }, (_, i) => `topic-${i}`);
const CONFIG_KEYS = ['retention.ms', 'segment.bytes', 'cleanup.policy', 'max.message.bytes'];

function randomConfigs(random: () => number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of CONFIG_KEYS) if (random() < 0.4) out[k] = String(Math.floor(random() * 1e9));
  return out;
}

/**
 * Issues one random change to the store and applies it to the model in the same tick (the
 * store applies synchronously too). Returns the store's promise.
 */
function issueRandomChange(random: () => number, store: FileMetadataStore, model: Model): Promise<unknown> {
  const existing = [...model.topics.keys()];
  const roll = random();
  if (roll < 0.35 || existing.length === 0) {
    const free = NAMES.filter((n) => !model.topics.has(n));
    if (free.length > 0) {
      const name = free[Math.floor(random() * free.length)]!;
      const partitions = 1 + Math.floor(random() * 8);
      const configs = randomConfigs(random);
      const p = store.createTopic(name, partitions, new Map(Object.entries(configs)));
      const topicId = store.topic(name)?.topicId;
      assert.ok(topicId, 'createTopic applies synchronously');
      model.topics.set(name, { topicId, partitions, configs });
      return p;
    }
  }
  const name = existing[Math.floor(random() * existing.length)]!;
  const topic = model.topics.get(name)!;
  if (roll < 0.5) {
    model.topics.delete(name);
    return store.deleteTopic(name);
  }
  if (roll < 0.65) {
    topic.partitions += 1 + Math.floor(random() * 3);
    return store.setPartitionCount(name, topic.partitions);
  }
  if (roll < 0.8) {
    topic.configs = randomConfigs(random);
    return store.setTopicConfigs(name, new Map(Object.entries(topic.configs)));
  }
  if (roll < 0.9) {
    const configs = randomConfigs(random);
    const scope = random() < 0.5 ? 'broker' : 'cluster-default';
    if (scope === 'broker') model.broker = configs;
    else model.clusterDefault = configs;
    return store.setBrokerConfigs(scope, new Map(Object.entries(configs)));
  }
  const size = 1 + Math.floor(random() * 5000);
  const expectedFirst = model.nextProducerId;
  model.nextProducerId += size;
  return store.allocateProducerIdBlock(size).then((block) => assert.deepEqual(block, { firstProducerId: expectedFirst, size }));
}

async function runSeed(t: TestContext, seed: number): Promise<void> {
  const random = seededRandom(seed);
  const dir = await mkdtemp(join(tmpdir(), 'samsa-metafuzz-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  let model: Model = { topics: new Map(), broker: {}, clusterDefault: {}, nextProducerId: 0 };
  let clusterId: string | undefined;
  for (let round = 0; round < 25; round++) {
    const crashes = random() < 0.8;
    const fs = new CrashFs(random, crashes ? 1 + Math.floor(random() * 120) : Infinity);
    let store: FileMetadataStore;
    try {
      store = await FileMetadataStore.open(dir, { fs, snapshotMinLogBytes: 1 + Math.floor(random() * 1500) });
    } catch (err) {
      // Crashed while opening (while writing the first snapshot or cutting a torn tail): try again.
      assert.ok(fs.crashed, `open failed without a crash: ${String(err)}`);
      await fs.loseUnsyncedData();
      continue;
    }
    clusterId ??= store.clusterId;
    assert.equal(store.clusterId, clusterId, 'cluster id is stable');
    const states: string[] = [];
    const acked: boolean[] = [];
    states.push(describeModel(model));
    let crashed = false;
    // A crash can also come with nothing pending (in a snapshot after the last write), so the
    // file system is asked too.
    for (let group = 0; group < 20 && !crashed && !fs.crashed; group++) {
      const n = 1 + Math.floor(random() * 5);
      const promises: Promise<unknown>[] = [];
      for (let i = 0; i < n; i++) {
        promises.push(issueRandomChange(random, store, model));
        states.push(describeModel(model));
        acked.push(false);
      }
      const first = acked.length - n;
      const results = await Promise.allSettled(promises);
      results.forEach((r, i) => {
        if (r.status === 'fulfilled') acked[first + i] = true;
        else {
          assert.ok(fs.crashed, `change failed without a crash: ${String(r.reason)}`);
          crashed = true;
        }
      });
    }
    if (!crashed) await store.close().catch((err: unknown) => assert.ok(fs.crashed, String(err)));
    await fs.loseUnsyncedData();

    // Acknowledged changes form a prefix (group commit acknowledges in order).
    const lastAcked = acked.lastIndexOf(true);
    assert.ok(acked.slice(0, lastAcked + 1).every(Boolean), `acknowledgements out of order: ${acked.join(',')}`);

    const check = await FileMetadataStore.open(dir, { snapshotMinLogBytes: 1 << 30 });
    // The producer-id mark is visible only through an allocation: the probe's block starts at it.
    const firstBlock = await check.allocateProducerIdBlock(1);
    const recovered = describeStore(check, firstBlock.firstProducerId);
    await check.close();
    const k = states.findIndex((s, i) => i >= lastAcked + 1 && s === recovered);
    assert.ok(
      k >= 0,
      `round ${round}: recovered state matches no prefix that contains all ${lastAcked + 1} acknowledged changes\nrecovered: ${recovered}\nafter acks: ${states[lastAcked + 1]}\nall issued: ${states[states.length - 1]}`,
    );
    model = rebuildModel(states[k]!);
    // The probe's block is taken: the next round continues after it.
    model.nextProducerId = firstBlock.firstProducerId + 1;
  }
}

/** A model from its description (the recovered prefix becomes the new reference). */
function rebuildModel(description: string): Model {
  const d = JSON.parse(description) as { topics: [string, string, number, [string, string][]][]; broker: [string, string][]; clusterDefault: [string, string][]; nextProducerId: number };
  return {
    topics: new Map(d.topics.map(([name, topicId, partitions, configs]) => [name, { topicId, partitions, configs: Object.fromEntries(configs) }])),
    broker: Object.fromEntries(d.broker),
    clusterDefault: Object.fromEntries(d.clusterDefault),
    nextProducerId: d.nextProducerId,
  };
}

const fixedSeed = process.env.SAMSA_SEED;
const seeds = fixedSeed !== undefined ? [Number(fixedSeed)] : [testSeed(), 1, 2, 3];

for (const seed of seeds) {
  test(`metadata store op-fuzz with crashes, seed ${seed}`, { timeout: 120_000 }, async (t) => {
    try {
      await runSeed(t, seed);
    } catch (err) {
      console.error(`SAMSA_SEED=${seed} (replay: SAMSA_SEED=${seed} node --test packages/broker/dist/test/metadata/metadata-log-fuzz.test.js)`);
      throw err;
    }
  });
}
