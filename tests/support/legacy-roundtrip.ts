import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { confluentDriver, kafkajsDriver } from './clients.js';
import { kafkajs, kafkajsConsume } from './kafkajs-driver.js';
import type { LegacyClient, LegacyResult } from './legacy-clients.js';
import { b64, uniqueTopic, type ConsumedRecord, type WireRecord } from './records.js';
import { fetchTopic } from './fetch-partitions.js';
import { logOnFailure, startTarget, targetKind, type Target } from './target.js';

/** What an old client can write. */
export interface LegacyRoundTripOptions {
  codec: 'none' | 'gzip' | 'snappy' | 'lz4';
  /** The client writes magic 1 and takes the timestamps we give (kafka-python >= 0.10). */
  keepsTimestamps: boolean;
  /** The client can write a null key (all here) and a null value (kafka-python: only with a key). */
  nullValues: boolean;
}

const COUNT = 24;
const CODEC_IDS = { none: 0, gzip: 1, snappy: 2, lz4: 3 } as const;
const BASE_TIMESTAMP = 1_700_000_000_000;

function view(r: { offset: number; key: string | null; value: string | null }): string {
  return `${r.offset}:${r.key ?? '<null>'}:${r.value ?? '<null>'}`;
}

/** Records from `tag`: every 4th without a key, with `nullValues` one without a value, the rest binary-safe text. */
function recordsOf(tag: string, nullValues: boolean): Array<{ key: string | null; value: string | null; timestamp: number }> {
  return Array.from({ length: COUNT }, (_, i) => ({
    key: i % 4 === 0 ? null : b64(`${tag}-key-${i}`),
    value: nullValues && i === 5 ? null : b64(Buffer.concat([Buffer.from(`${tag}-value-${i}-`), Buffer.from([0, 1, 2, 255, i])])),
    timestamp: BASE_TIMESTAMP + i * 1000,
  }));
}

async function committedOffset(bootstrap: string, group: string, topic: string): Promise<number> {
  const admin = kafkajs(bootstrap).admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return Number(t.partitions.find((p) => p.partition === 0)?.offset ?? -1);
  } finally {
    await admin.disconnect();
  }
}

function sortByOffset<T extends { offset: number }>(rs: T[]): T[] {
  return [...rs].sort((a, b) => a.offset - b.offset);
}

/**
 * The old-client acceptance of issue 10: `client` produces and consumes in a consumer group;
 * librdkafka (confluent-kafka-python) and kafkajs read what it wrote identically; then
 * librdkafka and kafkajs write (with headers, which magic 0/1 drop) and the old client reads
 * that in a group identically. Committed group offsets are checked through kafkajs' admin.
 */
export async function legacyRoundTrip(t: TestContext, client: LegacyClient, options: LegacyRoundTripOptions): Promise<void> {
  if (targetKind() === 'mock') {
    t.skip("librdkafka's mock cluster does not serve magic 0/1 clients");
    return;
  }
  const target = await startTarget();
  t.after(() => target.stop());
  await logOnFailure(target, t, () => roundTrip(target.bootstrap, target, client, options));
}

async function roundTrip(bootstrap: string, target: Target, client: LegacyClient, options: LegacyRoundTripOptions): Promise<void> {

  // 1. The old client writes, reads back in a group, commits.
  // kafkajs reads only gzip: other codecs are re-compressed to gzip on append (topic compression.type).
  const written = uniqueTopic('legacy-w');
  const storedCodec = options.codec === 'none' || options.codec === 'gzip' ? options.codec : 'gzip';
  await target.createTopic(written, { partitions: 1, configs: storedCodec === options.codec ? {} : { 'compression.type': storedCodec } });
  const produce = recordsOf('old', options.nullValues);
  const group = `${written}-g`;
  const own: LegacyResult = await client.run({ bootstrap, topic: written, group, compression: options.codec, produce, consume: COUNT });
  const expected = produce.map((r, offset) => view({ offset, ...r }));
  assert.deepEqual(sortByOffset(own.records).map(view), expected, `${client.name} reads back what it wrote`);
  if (options.keepsTimestamps) {
    assert.deepEqual(sortByOffset(own.records).map((r) => r.timestamp), produce.map((r) => r.timestamp), `${client.name} timestamps`);
  }
  assert.equal(await committedOffset(bootstrap, group, written), COUNT, `${client.name} committed its group's offset`);
  const stored = (await fetchTopic(bootstrap, written)).partitions[0];
  assert.ok(stored.length > 0 && stored.every((b) => b.magic === 2 && b.compression === CODEC_IDS[storedCodec]), `stored as magic-2 ${storedCodec} batches: ${JSON.stringify(stored.map((b) => [b.magic, b.compression]))}`);

  // 2. librdkafka and kafkajs read the same records.
  const byLibrdkafka = await confluentDriver.consume(bootstrap, written, COUNT);
  const byKafkajs = await kafkajsConsume(bootstrap, written, COUNT);
  for (const [reader, records] of [['librdkafka', byLibrdkafka], ['kafkajs', byKafkajs]] as const) {
    const sorted = sortByOffset(records as ConsumedRecord[]);
    assert.deepEqual(sorted.map(view), expected, `${reader} reads what ${client.name} wrote`);
    if (options.keepsTimestamps) assert.deepEqual(sorted.map((r) => r.timestamp), produce.map((r) => r.timestamp), `${reader} timestamps`);
    assert.ok(sorted.every((r) => r.headers.length === 0), `${reader}: no headers on old-format records`);
  }

  // 3. librdkafka and kafkajs write; the old client reads in a group.
  const read = uniqueTopic('legacy-r');
  await target.createTopic(read, { partitions: 1 });
  const withHeaders = (tag: string): WireRecord[] =>
    recordsOf(tag, true).slice(0, COUNT / 2).map((r) => ({ ...r, headers: [['dropped', b64('for old clients')]], partition: 0 }));
  const fromLibrdkafka = withHeaders('rdk');
  const fromKafkajs = withHeaders('kjs');
  // lz4 from librdkafka reaches a magic-0 reader as an LZ4 wrapper with old Kafka's frame checksum.
  await confluentDriver.produce(bootstrap, read, fromLibrdkafka, 'lz4');
  await kafkajsDriver.produce(bootstrap, read, fromKafkajs, 'gzip');
  const readGroup = `${read}-g`;
  const theirs = await client.run({ bootstrap, topic: read, group: readGroup, consume: COUNT });
  const expectedTheirs = [...fromLibrdkafka, ...fromKafkajs].map((r, offset) => view({ offset, ...r }));
  assert.deepEqual(sortByOffset(theirs.records).map(view), expectedTheirs, `${client.name} reads what librdkafka and kafkajs wrote`);
  if (options.keepsTimestamps) {
    assert.deepEqual(sortByOffset(theirs.records).map((r) => r.timestamp), [...fromLibrdkafka, ...fromKafkajs].map((r) => r.timestamp), `${client.name} reads their timestamps`);
  }
  assert.equal(await committedOffset(bootstrap, readGroup, read), COUNT, `${client.name} committed after reading`);
}
