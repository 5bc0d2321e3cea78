// Issue 4, log compaction with third-party clients. A compacted topic with small segments, a
// tiny min.cleanable.dirty.ratio, a short delete.retention.ms and a cleaner that looks every
// 100 ms:
//  - keys overwritten many times plus tombstones, written by librdkafka (confluent-kafka-python):
//    a from-beginning read by librdkafka and by kcat ends up with exactly the latest value of
//    each key, at the offset its delivery report gave; the tombstones go once
//    delete.retention.ms has passed after the clean that kept them;
//  - producing and fetching while the cleaner runs: every read is a subset of what was written,
//    at the same offsets, and at the end every key's latest value is there;
//  - records without a key are refused with INVALID_RECORD, per record (recordErrors, v8+),
//    and pipelined produces to a compacted partition keep their order.
// Every wait is bounded (waitFor); nothing asserts on timing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startBroker } from '@samsa/broker';
import { Admin, Connection } from '@samsa/client';
import { CompressionCodec, encodeRecordBatch, ErrorCode, ProduceApi, ZERO_UUID, type ProduceRequest } from '@samsa/protocol';
import type { PythonConsumeResult } from '../support/clients.js';
import { b64, uniqueTopic, unb64, type ConsumedRecord, type WireRecord } from '../support/records.js';
import { kcatConsume } from '../support/run-kcat.js';
import { runPython } from '../support/run-python.js';
import { needsSamsa, withTarget, type Target } from '../support/target.js';
import { waitFor } from '../support/wait-for.js';

interface Delivered {
  partition: number;
  offset: number;
  error: string | null;
  error_code?: number;
}

const COMPACTED_TOPIC_CONFIGS = {
  'cleanup.policy': 'compact',
  'segment.bytes': '2048',
  'min.cleanable.dirty.ratio': '0.01',
  'delete.retention.ms': '2000',
};
const BROKER_SETTINGS = { 'log.cleaner.backoff.ms': 100 };

/** Produces with confluent-kafka (one delivery report per record, in input order). */
async function confluentProduce(bootstrap: string, topic: string, records: WireRecord[], compression = 'none'): Promise<Delivered[]> {
  const r = await runPython<{ delivered: Array<Delivered | null> }>('confluent_produce', { bootstrap, topic, records, compression, acks: 'all' }, 90_000);
  return r.delivered.map((d, i) => {
    if (d === null) throw new Error(`record ${i} got no delivery report`);
    return d;
  });
}

/** Reads partition 0 from the beginning to its end with confluent-kafka. */
async function confluentReadAll(bootstrap: string, topic: string): Promise<ConsumedRecord[]> {
  const r = await runPython<PythonConsumeResult>('confluent_consume', { bootstrap, topic, partitions: [0], timeout_s: 30 }, 60_000);
  if (r.errors.length > 0) throw new Error(`consumer errors: ${JSON.stringify(r.errors)}`);
  if (r.timed_out) throw new Error('consumer did not reach the end of the partition');
  return r.records;
}

const rec = (key: string, value: string | null): WireRecord => ({ key: b64(key), value: value === null ? null : b64(value), headers: [], timestamp: null, partition: 0 });
const text = (v: string | null): string | null => (v === null ? null : unb64(v).toString());

/** What a consumer saw, as [offset, key, value] with text keys and values. */
function triples(records: readonly ConsumedRecord[]): Array<[number, string | null, string | null]> {
  return records.map((r) => [r.offset, text(r.key), text(r.value)]);
}

/** The latest [offset, key, value] of every key among `written` (offset → record), tombstones left out. */
function expectedLatest(written: ReadonlyMap<number, { key: string; value: string | null }>): Array<[number, string, string]> {
  const latest = new Map<string, [number, string | null]>();
  for (const [offset, w] of [...written].sort((a, b) => a[0] - b[0])) latest.set(w.key, [offset, w.value]);
  return [...latest]
    .filter(([, [, v]]) => v !== null)
    .map(([key, [offset, value]]): [number, string, string] => [offset, key, value as string])
    .sort((a, b) => a[0] - b[0]);
}

/** Produces `records` and returns offset → record from the delivery reports (all must succeed). */
async function produceTracked(target: Target, topic: string, records: Array<{ key: string; value: string | null }>, compression = 'none'): Promise<Map<number, { key: string; value: string | null }>> {
  const delivered = await confluentProduce(target.bootstrap, topic, records.map((r) => rec(r.key, r.value)), compression);
  const out = new Map<number, { key: string; value: string | null }>();
  delivered.forEach((d, i) => {
    assert.equal(d.error, null, `record ${i} (${records[i].key}) acknowledged`);
    out.set(d.offset, records[i]);
  });
  return out;
}

test('overwritten keys and tombstones: librdkafka and kcat read the latest value per key at its original offset; tombstones go', { timeout: 180_000 }, async (t) => {
  if (!needsSamsa(t)) return;
  await withTarget(t, { settings: BROKER_SETTINGS }, async (target) => {
    const topic = uniqueTopic('compacted');
    await target.createTopic(topic, { partitions: 1, configs: COMPACTED_TOPIC_CONFIGS });
    const workload: Array<{ key: string; value: string | null }> = [];
    for (let round = 0; round < 25; round++) {
      for (let k = 0; k < 20; k++) workload.push({ key: `key-${k}`, value: `key-${k} round ${round} `.padEnd(60, '.') });
    }
    for (let k = 0; k < 5; k++) workload.push({ key: `key-${k}`, value: null });
    const written = await produceTracked(target, topic, workload, 'lz4');
    // A separate batch of larger records rolls the segment holding the end of the workload, so
    // all of it lies in sealed segments the cleaner may clean.
    for (const [offset, r] of await produceTracked(target, topic, [0, 1, 2].map((i) => ({ key: `barrier-${i}`, value: 'b'.repeat(900) })))) written.set(offset, r);
    const want = expectedLatest(written);
    assert.equal(want.length, 15 + 3, 'keys 5..19 and the barrier records stay');

    let seen: Array<[number, string | null, string | null]> = [];
    await waitFor(
      async () => {
        seen = triples(await confluentReadAll(target.bootstrap, topic));
        return JSON.stringify(seen) === JSON.stringify(want);
      },
      { timeoutMs: 90_000, intervalMs: 300, message: `compacted, tombstones gone: a from-beginning read equals the latest value per key (last read: ${seen.length} records)` },
    );
    // Everything a consumer ever sees was written at that offset (checked on the final read too).
    for (const [offset, key, value] of seen) assert.deepEqual([key, value], [written.get(offset)?.key, written.get(offset)?.value], `offset ${offset}`);
    // kcat, a second client, reads the same.
    assert.deepEqual(triples(await kcatConsume(target.bootstrap, topic, { partition: 0 })), want);
    const logs = target.samsa?.logs() ?? '';
    assert.match(logs, /cleaned partition log/, 'the broker logged its cleans');
  });
});

test('cleaning while producing and fetching: reads stay consistent and every latest value survives', { timeout: 240_000 }, async (t) => {
  if (!needsSamsa(t)) return;
  await withTarget(t, { settings: BROKER_SETTINGS }, async (target) => {
    const topic = uniqueTopic('compacted-live');
    await target.createTopic(topic, { partitions: 1, configs: { ...COMPACTED_TOPIC_CONFIGS, 'segment.bytes': '4096' } });
    const written = new Map<number, { key: string; value: string | null }>();
    const reads: Array<Array<[number, string | null, string | null]>> = [];
    let producing = true;
    const reader = (async () => {
      // Readers in a loop while the producer writes and the cleaner rewrites segments.
      for (let i = 0; producing || i < 2; i++) {
        reads.push(triples(i % 3 === 0 ? await confluentReadAll(target.bootstrap, topic) : await kcatConsume(target.bootstrap, topic, { partition: 0 })));
      }
    })();
    try {
      for (let wave = 0; wave < 12; wave++) {
        const records: Array<{ key: string; value: string | null }> = [];
        for (let i = 0; i < 300; i++) {
          const k = (wave * 7 + i) % 50;
          records.push({ key: `id-${k}`, value: wave === 11 && k % 10 === 0 ? null : `id-${k} wave ${wave} #${i}`.padEnd(40, '.') });
        }
        for (const [offset, r] of await produceTracked(target, topic, records, wave % 2 === 0 ? 'none' : 'gzip')) written.set(offset, r);
      }
      for (const [offset, r] of await produceTracked(target, topic, [0, 1, 2, 3, 4].map((i) => ({ key: `barrier-${i}`, value: 'b'.repeat(900) })))) written.set(offset, r);
    } finally {
      producing = false;
      await reader;
    }
    assert.ok(reads.length >= 2, `reads ran during the load (${reads.length})`);
    const cleans = (target.samsa?.logs() ?? '').split('cleaned partition log').length - 1;
    t.diagnostic(`${reads.length} reads of ${reads.map((r) => r.length).join(', ')} records; ${cleans} cleans logged; ${written.size} records written`);
    for (const [n, read] of reads.entries()) {
      let prev = -1;
      for (const [offset, key, value] of read) {
        assert.ok(offset > prev, `read ${n}: offsets increase (${offset} after ${prev})`);
        prev = offset;
        const w = written.get(offset);
        assert.ok(w !== undefined, `read ${n}: offset ${offset} was written`);
        assert.deepEqual([key, value], [w.key, w.value], `read ${n}: the record at ${offset} is the one written there`);
      }
    }
    const want = expectedLatest(written);
    await waitFor(
      async () => JSON.stringify(triples(await confluentReadAll(target.bootstrap, topic))) === JSON.stringify(want),
      { timeoutMs: 90_000, intervalMs: 300, message: 'after the load, a from-beginning read equals the latest value per key' },
    );
  });
});

test('records without a key are refused on a compacted topic (INVALID_RECORD, per record), keyed ones in order', { timeout: 60_000 }, async (t) => {
  const broker = await startBroker({ config: { 'log.cleaner.backoff.ms': '100' } });
  t.after(() => broker.stop());
  const admin = await Admin.connect(broker.bootstrap);
  t.after(() => admin.close());
  await admin.createTopics([
    { name: 'compacted', numPartitions: 1, configs: { 'cleanup.policy': 'compact' } },
    { name: 'plain', numPartitions: 1, configs: {} },
  ]);
  const conn = await Connection.open('127.0.0.1', broker.port);
  t.after(() => conn.close());
  const request = (topic: string, records: Buffer): ProduceRequest => ({
    transactionalId: null,
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, topicId: ZERO_UUID, partitionData: [{ index: 0, records }] }],
  });
  const batch = (keys: Array<string | null>, compression = CompressionCodec.None): Promise<Buffer> =>
    encodeRecordBatch({ baseTimestamp: Date.now(), compression, records: keys.map((k, i) => ({ key: k === null ? null : Buffer.from(k), value: Buffer.from(`v${i}`), headers: [] })) });

  for (const codec of [CompressionCodec.None, CompressionCodec.Zstd]) {
    const res = await conn.send(ProduceApi, 9, request('compacted', await batch(['a', null, 'b', null], codec)));
    const p = res.responses[0].partitionResponses[0];
    assert.equal(p.errorCode, ErrorCode.INVALID_RECORD);
    assert.deepEqual(p.recordErrors.map((e) => e.batchIndex), [1, 3]);
    assert.equal(p.recordErrors[0].batchIndexErrorMessage, 'Compacted topic cannot accept message without key in topic partition compacted-0.');
    assert.match(p.errorMessage ?? '', /rejected due to 2 record errors/);
  }
  // v7 has no recordErrors: the code alone.
  const v7 = await conn.send(ProduceApi, 7, request('compacted', await batch([null])));
  assert.equal(v7.responses[0].partitionResponses[0].errorCode, ErrorCode.INVALID_RECORD);
  // Keyless records are fine elsewhere.
  assert.equal((await conn.send(ProduceApi, 9, request('plain', await batch([null])))).responses[0].partitionResponses[0].errorCode, ErrorCode.NONE);
  // Pipelined produces to the compacted partition (the key check is asynchronous) keep their order.
  const sends = [];
  for (let i = 0; i < 40; i++) sends.push(conn.send(ProduceApi, 9, request('compacted', await batch([`k${i}`], i % 3 === 0 ? CompressionCodec.Gzip : CompressionCodec.None))));
  const offsets = (await Promise.all(sends)).map((r) => r.responses[0].partitionResponses[0].baseOffset);
  assert.deepEqual(offsets, offsets.map((_, i) => i), 'offsets follow the request order');
});

test('librdkafka gets INVALID_RECORD for a record without a key on a compacted topic', { timeout: 120_000 }, async (t) => {
  await withTarget(t, {}, async (target) => {
    if (target.kind !== 'samsa') {
      t.skip('the mock broker does not validate keys');
      return;
    }
    const topic = uniqueTopic('compacted-keyless');
    await target.createTopic(topic, { partitions: 1, configs: { 'cleanup.policy': 'compact' } });
    const [keyless] = await confluentProduce(target.bootstrap, topic, [{ key: null, value: b64('no key'), headers: [], timestamp: null, partition: 0 }]);
    assert.equal(keyless.error, 'INVALID_RECORD', JSON.stringify(keyless));
    // The whole batch is refused, as in Kafka; a batch of keyed records goes in.
    const [keyed] = await confluentProduce(target.bootstrap, topic, [rec('k', 'keyed')]);
    assert.equal(keyed.error, null);
    assert.equal(keyed.offset, 0);
  });
});
