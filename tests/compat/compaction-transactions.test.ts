// Issue 4, log compaction of transactional data with a third-party client: confluent-kafka-python
// (librdkafka) writes committed and aborted transactions interleaved into a compacted topic with
// small segments; a plain barrier batch then seals the segment holding the last marker. Once the
// cleaner has run (and delete.retention.ms has passed for the markers it left without data):
//  - the raw log (Fetch, read_uncommitted, control batches included) holds exactly the latest
//    committed record of every key, at the offset it was written at, no aborted record, and
//    exactly the markers of the transactions with a record left plus the marker of the
//    producer's last transaction (its last batch stays for producer state);
//  - librdkafka reads the same records read_committed and read_uncommitted;
//  - after a broker kill -9 and restart, both reads are unchanged.
// Every wait is bounded (waitFor); nothing asserts on timing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PythonConsumeResult } from '../support/clients.js';
import { fetchTopic } from '../support/fetch-partitions.js';
import { b64, uniqueTopic, unb64, type ConsumedRecord } from '../support/records.js';
import { runPython } from '../support/run-python.js';
import { needsSamsa, withTarget } from '../support/target.js';
import { waitFor } from '../support/wait-for.js';

interface TxnResult {
  committed: string[];
  aborted: string[];
  error?: string;
}

interface Delivered {
  partition: number;
  offset: number;
  error: string | null;
}

const COMPACTED_TOPIC_CONFIGS = {
  'cleanup.policy': 'compact',
  'segment.bytes': '2048',
  'min.cleanable.dirty.ratio': '0.01',
  'delete.retention.ms': '2000',
};
const BROKER_SETTINGS = { 'log.cleaner.backoff.ms': 100 };

type Triple = [number, string | null, string | null];
const text = (v: string | null): string | null => (v === null ? null : unb64(v).toString());
const triples = (records: readonly ConsumedRecord[]): Triple[] => records.map((r) => [r.offset, text(r.key), text(r.value)]);

/** Reads partition 0 from the beginning to its end with confluent-kafka at `isolation`. */
async function confluentRead(bootstrap: string, topic: string, isolation: 'read_committed' | 'read_uncommitted'): Promise<Triple[]> {
  const r = await runPython<PythonConsumeResult>('confluent_consume', { bootstrap, topic, partitions: [0], timeout_s: 30, config: { 'isolation.level': isolation } }, 60_000);
  if (r.errors.length > 0) throw new Error(`consumer errors (${isolation}): ${JSON.stringify(r.errors)}`);
  if (r.timed_out) throw new Error(`${isolation} consumer did not reach the end of the partition`);
  return triples(r.records);
}

test('transactions into a compacted topic: after cleaning, read_committed and read_uncommitted see the latest committed value per key', { timeout: 300_000 }, async (t) => {
  if (!needsSamsa(t)) return;
  await withTarget(t, { settings: BROKER_SETTINGS }, async (target) => {
    const samsa = target.samsa;
    if (samsa === null) throw new Error('needs Samsa');
    const topic = uniqueTopic('compacted-txn');
    await target.createTopic(topic, { partitions: 1, configs: COMPACTED_TOPIC_CONFIGS });
    // Transaction i writes keys k0..k(count-1) with values "t<i>-r<j>" (confluent_transactions.py).
    // Every third one aborts, and so does the last: its batch is the producer's last and must stay.
    const transactions = Array.from({ length: 30 }, (_, i) => ({ commit: i % 3 !== 1 && i !== 29, count: 1 + ((i * 7) % 16) }));
    const produced = await runPython<TxnResult>('confluent_transactions', { bootstrap: target.bootstrap, topic, partitions: 1, transactional_id: `${topic}-tx`, transactions }, 120_000);
    assert.equal(produced.error, undefined, `producer failed: ${produced.error}`);

    // One partition, one producer: transaction i takes its records' offsets, then one for its marker.
    const txns: Array<{ index: number; commit: boolean; count: number; base: number; marker: number }> = [];
    let next = 0;
    for (const [index, x] of transactions.entries()) {
      txns.push({ index, ...x, base: next, marker: next + x.count });
      next += x.count + 1;
    }
    // A plain batch larger than segment.bytes rolls the segment holding the last marker.
    const barrier = await runPython<{ delivered: Array<Delivered | null> }>(
      'confluent_produce',
      { bootstrap: target.bootstrap, topic, acks: 'all', compression: 'none', records: [0, 1, 2].map((i) => ({ key: b64(`barrier-${i}`), value: b64('b'.repeat(900)), headers: [], timestamp: null, partition: 0 })) },
      90_000,
    );
    assert.deepEqual(barrier.delivered.map((d) => [d?.error, d?.offset]), [0, 1, 2].map((i) => [null, next + i]), 'the transactions took the offsets expected');

    const latest = new Map<number, { offset: number; value: string; txn: number }>();
    for (const x of txns) if (x.commit) for (let j = 0; j < x.count; j++) latest.set(j, { offset: x.base + j, value: `t${x.index}-r${j}`, txn: x.index });
    const want: Triple[] = [
      ...[...latest].map(([j, v]): Triple => [v.offset, `k${j}`, v.value]),
      ...[0, 1, 2].map((i): Triple => [next + i, `barrier-${i}`, 'b'.repeat(900)]),
    ].sort((a, b) => a[0] - b[0]);
    const keptTxns = new Set([...latest.values()].map((v) => v.txn));
    keptTxns.add(txns.length - 1);
    const wantMarkers = txns.filter((x) => keptTxns.has(x.index)).map((x) => x.marker);
    const txnOfOffset = (offset: number): number => txns.findIndex((x) => offset >= x.base && offset <= x.marker);

    // The raw log, as Fetch returns it, until the cleaner is done with it.
    const markerless = new Set<number>();
    await waitFor(
      async () => {
        const [batches] = (await fetchTopic(target.bootstrap, topic)).partitions;
        const records: Triple[] = batches.filter((b) => !b.isControl).flatMap((b) => b.records.map((r): Triple => [r.offset, r.key?.toString() ?? null, r.value?.toString() ?? null]));
        const markers = batches.filter((b) => b.isControl).map((b) => b.baseOffset);
        // Every data batch of a transaction left in the log (even emptied) has its marker, at every read.
        for (const b of batches) if (b.isTransactional && !b.isControl && !markers.includes(txns[txnOfOffset(b.baseOffset)].marker)) markerless.add(b.baseOffset);
        if (JSON.stringify(records) === JSON.stringify(want) && JSON.stringify(markers) === JSON.stringify(wantMarkers)) return true;
        // Not there yet: what was seen becomes the "last error" of a timeout.
        throw new Error(`${records.length} records (want ${want.length}), markers at ${markers.join(',')} (want ${wantMarkers.join(',')})`);
      },
      { timeoutMs: 120_000, intervalMs: 300, message: 'cleaned: the latest committed value per key and the expected markers' },
    );
    assert.deepEqual([...markerless], [], 'no transactional batch was ever seen without its marker');

    assert.deepEqual(await confluentRead(target.bootstrap, topic, 'read_committed'), want, 'read_committed after cleaning');
    assert.deepEqual(await confluentRead(target.bootstrap, topic, 'read_uncommitted'), want, 'read_uncommitted after cleaning: no aborted record left');
    const cleans = (samsa.logs().match(/cleaned partition log/g) ?? []).length;
    t.diagnostic(`${produced.committed.length} committed and ${produced.aborted.length} aborted records; ${cleans} cleans logged; ${wantMarkers.length} of ${txns.length} markers kept`);

    await samsa.kill9();
    await samsa.restart();
    assert.deepEqual(await confluentRead(target.bootstrap, topic, 'read_committed'), want, 'read_committed after a kill -9 and restart');
    assert.deepEqual(await confluentRead(target.bootstrap, topic, 'read_uncommitted'), want, 'read_uncommitted after a kill -9 and restart');
  });
});
