// Acceptance 7: time-based retention deletes old segments. The topic has 1 KiB segments and
// retention.ms=1000 and the broker checks retention every 200 ms. After producing ~30 small
// batches (several segments), the log start offset reported by ListOffsets (earliest, via the
// kafkajs admin and kcat -Q) must move forward, and the segment files below it must leave the
// data directory. Only `*.log` files count: a segment renamed for asynchronous deletion
// (`.deleted`, as Kafka does) is gone from the log already. Samsa only: the mock has no retention.
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { kafkajs, kafkajsProduce } from '../support/kafkajs-driver.js';
import { b64, uniqueTopic } from '../support/records.js';
import { kcatEarliestOffset } from '../support/run-kcat.js';
import { needsSamsa, withTarget } from '../support/target.js';
import { waitFor } from '../support/wait-for.js';

/** Base offsets of the `<base>.log` segment files of `topic`-0 anywhere under `dataDir`. */
function segmentBaseOffsets(dataDir: string, topic: string): number[] {
  const found: number[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/^\d+\.log$/.test(name) && p.includes(`${topic}-0`)) found.push(Number(name.slice(0, -4)));
    }
  };
  walk(dataDir);
  return found.sort((a, b) => a - b);
}

test('retention.ms deletes old segments and moves the log start offset', { timeout: 120_000 }, async (t) => {
  if (!needsSamsa(t)) return;
  await withTarget(t, { settings: { 'log.retention.check.interval.ms': 200 } }, async (target) => {
    const samsa = target.samsa;
    if (samsa === null) throw new Error('needs Samsa');
    const topic = uniqueTopic('retention');
    await target.createTopic(topic, { partitions: 1, configs: { 'segment.bytes': '1024', 'retention.ms': '1000' } });
    const batches = 30;
    for (let i = 0; i < batches; i++) {
      // One record per send: one batch each, so 1 KiB segments roll every few batches.
      await kafkajsProduce(target.bootstrap, topic, [{ key: b64(`k${i}`), value: b64('v'.repeat(300)), headers: [], timestamp: null, partition: 0 }]);
    }
    const initial = segmentBaseOffsets(samsa.dataDir, topic);
    t.diagnostic(`segments after producing: ${initial.join(',')}`);
    assert.ok(initial.length > 1, `several segments exist (found ${initial.length}; 30 × ~370 B batches in 1 KiB segments)`);

    const admin = kafkajs(target.bootstrap).admin();
    await admin.connect();
    try {
      let earliest = 0;
      await waitFor(
        async () => {
          const offsets = await admin.fetchTopicOffsets(topic);
          earliest = Number(offsets[0].low);
          return earliest > 0;
        },
        { timeoutMs: 30_000, intervalMs: 200, message: 'ListOffsets earliest moves forward' },
      );
      assert.ok(earliest <= batches, `log start ${earliest} within the log`);
      assert.ok((await kcatEarliestOffset(target.bootstrap, topic, 0)) >= earliest, 'kcat -Q agrees the log start moved');
      // Segments wholly below the log start must go; at most the one holding it may stay.
      await waitFor(() => segmentBaseOffsets(samsa.dataDir, topic).filter((base) => base < earliest).length <= 1, {
        timeoutMs: 30_000,
        intervalMs: 200,
        message: `segment files wholly below log start ${earliest} removed`,
      });
      const remaining = segmentBaseOffsets(samsa.dataDir, topic);
      for (let i = 0; i + 1 < initial.length; i++) {
        if (initial[i + 1] <= earliest) assert.ok(!remaining.includes(initial[i]), `segment ${initial[i]} (next starts at ${initial[i + 1]} <= log start ${earliest}) deleted`);
      }
    } finally {
      await admin.disconnect();
    }
  });
});
