// Acceptance 1: each third-party client produces and consumes records with keys, null
// values, headers and explicit timestamps (where it can set them), with every compression
// codec it supports, and reads back exactly what it wrote.
import { after, before, describe, test } from 'node:test';
import { assertSameRecords } from '../support/assert-records.js';
import { allClients } from '../support/clients.js';
import { byPosition, sampleRecords, uniqueTopic } from '../support/records.js';
import { logOnFailure, startTarget, type Target } from '../support/target.js';

describe('each client round-trips records with each codec it supports', { timeout: 300_000 }, () => {
  let target: Target | undefined;
  before(async () => {
    target = await startTarget();
  });
  after(() => target?.stop());

  for (const client of allClients) {
    for (const codec of client.codecs) {
      test(`${client.name} writes and reads with ${codec}`, { timeout: 90_000 }, async (t) => {
        if (target === undefined) throw new Error('target did not start');
        const tg = target;
        if (tg.kind === 'mock' && client.needsApiVersionsV3) {
          t.skip('the librdkafka 2.0.2 mock only speaks ApiVersions v0-2; this client needs v3');
          return;
        }
        await logOnFailure(tg, t, async () => {
          const topic = uniqueTopic(`rt-${client.name}-${codec}`);
          await tg.createTopic(topic, { partitions: 1 });
          const written = sampleRecords(`${client.name}-${codec}`);
          const from = Date.now();
          await client.produce(tg.bootstrap, topic, written, codec);
          const to = Date.now();
          const read = byPosition(await client.consume(tg.bootstrap, topic, written.length));
          assertSameRecords(written, read, {
            withTimestamps: client.setsTimestamps,
            timeWindow: { from, to },
            label: `${client.name}/${codec}`,
          });
        });
      });
    }
  }
});
