// Acceptance 1 (cross-client): what one client wrote, every other client reads identically.
// Each writer writes the sample records to its own topic with one of its codecs; each reader
// then reads every writer's topic and must reproduce key, value (null vs empty), headers and
// timestamp bytes. Writers that cannot set timestamps (kcat) are checked for agreement: all
// readers must see the same timestamps and offsets. A client reads the codecs it writes
// (kafkajs only gzip; @platformatic/kafka no zstd on Node 20), so each writer also writes a
// gzip copy, which the readers that cannot decompress the writer's codec read instead.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertSameRecords } from '../support/assert-records.js';
import { allClients, type ClientDriver, type ClientName } from '../support/clients.js';
import { byPosition, sampleRecords, uniqueTopic, type Codec, type ConsumedRecord, type WireRecord } from '../support/records.js';
import { logOnFailure, startTarget, type Target } from '../support/target.js';

/** The codec each writer uses in the matrix, spreading the codecs over the clients. */
const writerCodec: Record<ClientName, Codec> = {
  kafkajs: 'gzip',
  platformatic: 'lz4',
  kcat: 'snappy',
  'confluent-kafka': 'zstd',
  'kafka-python': 'lz4',
};

interface Written {
  /** Topic by codec: the writer's codec and gzip. */
  topics: Map<Codec, string>;
  records: WireRecord[];
  window: { from: number; to: number };
}

describe('cross-client matrix: each writer, each reader', { timeout: 420_000 }, () => {
  let target: Target | undefined;
  const written = new Map<ClientName, Written>();
  const firstRead = new Map<string, ConsumedRecord[]>();
  before(async () => {
    target = await startTarget();
  });
  after(() => target?.stop());

  const usable = (t: { skip(message: string): void }, tg: Target, c: ClientDriver): boolean => {
    if (tg.kind === 'mock' && c.needsApiVersionsV3) {
      t.skip(`${c.name} needs ApiVersions v3, which the librdkafka 2.0.2 mock lacks`);
      return false;
    }
    return true;
  };

  for (const writer of allClients) {
    test(`${writer.name} writes (${writerCodec[writer.name]})`, { timeout: 90_000 }, async (t) => {
      if (target === undefined) throw new Error('target did not start');
      const tg = target;
      if (!usable(t, tg, writer)) return;
      await logOnFailure(tg, t, async () => {
        const records = sampleRecords(`matrix-${writer.name}`);
        const topics = new Map<Codec, string>();
        const from = Date.now();
        for (const codec of new Set<Codec>([writerCodec[writer.name], 'gzip'])) {
          const topic = uniqueTopic(`matrix-${writer.name}-${codec}`);
          await tg.createTopic(topic, { partitions: 1 });
          await writer.produce(tg.bootstrap, topic, records, codec);
          topics.set(codec, topic);
        }
        written.set(writer.name, { topics, records, window: { from, to: Date.now() } });
      });
    });
  }

  for (const writer of allClients) {
    for (const reader of allClients) {
      test(`${writer.name} → ${reader.name}`, { timeout: 90_000 }, async (t) => {
        if (target === undefined) throw new Error('target did not start');
        const tg = target;
        if (!usable(t, tg, writer) || !usable(t, tg, reader)) return;
        const w = written.get(writer.name);
        if (w === undefined) throw new Error(`${writer.name} failed to write; see its test`);
        await logOnFailure(tg, t, async () => {
          const codec = reader.codecs.includes(writerCodec[writer.name]) ? writerCodec[writer.name] : 'gzip';
          const topic = w.topics.get(codec);
          if (topic === undefined) throw new Error(`no ${codec} topic of ${writer.name}`);
          t.diagnostic(`reading the ${codec} topic`);
          const read = byPosition(await reader.consume(tg.bootstrap, topic, w.records.length));
          assertSameRecords(w.records, read, {
            withTimestamps: writer.setsTimestamps,
            timeWindow: w.window,
            label: `${writer.name} → ${reader.name}`,
          });
          const firstKey = `${writer.name}/${codec}`;
          const first = firstRead.get(firstKey);
          if (first === undefined) firstRead.set(firstKey, read);
          else {
            assert.deepEqual(
              read.map((r) => [r.offset, r.timestamp]),
              first.map((r) => [r.offset, r.timestamp]),
              `${reader.name} sees the offsets and timestamps other readers saw`,
            );
          }
        });
      });
    }
  }
});
