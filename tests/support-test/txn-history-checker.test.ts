// The transactional history checker on hand-made histories: a correct history has no
// anomaly, and every anomaly it claims to find is found, alone, where it was planted.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkHistory, describeAnomalies, type AnomalyKind, type History, type ReadLog, type ReadRecord, type TxnOutcome, type TxnRecord } from '../support/txn-history-checker.js';

/** A transaction writing `[topic, partition, value]` triples in order. */
function txn(writer: string, seq: number, outcome: TxnOutcome, writes: Array<[string, number, string, number?]>): TxnRecord {
  return {
    writer,
    seq,
    outcome,
    writes: writes.map(([topic, partition, value, offset]) => (offset === undefined ? { topic, partition, value } : { topic, partition, value, offset })),
  };
}

/** A read log from `[topic, partition, offset, value]` quadruples. */
function read(reader: string, complete: boolean, records: Array<[string, number, number, string]>): ReadLog {
  return { reader, complete, records: records.map(([topic, partition, offset, value]): ReadRecord => ({ topic, partition, offset, value })) };
}

// A correct history. w1 and w2 write to a/0, a/1 and b/0; offsets leave room for markers.
//   a/0: 0 w1.0.0 | 1 w2.0.0 | 2 w1.0.1 | 3 C(w1) 4 C(w2) | 5 w1.1.0 (aborted) 6 A | 7 w2.1.0 (unknown, committed) 8 C
//        | 9 w1.3.0 (unknown, fenced: never visible) 10 A | 11 w1.4.0 12 C
//   a/1: 0 w1.0.2 1 C | 2 w2.1.1 3 C
//   b/0: 0 w2.0.1 1 C | 2 w1.1.1 (aborted) 3 A | 4 w1.2.0 5 C
const txns: TxnRecord[] = [
  txn('w1', 0, 'committed', [['a', 0, 'w1.0.0'], ['a', 0, 'w1.0.1'], ['a', 1, 'w1.0.2']]),
  txn('w2', 0, 'committed', [['a', 0, 'w2.0.0'], ['b', 0, 'w2.0.1', 0]]),
  txn('w1', 1, 'aborted', [['a', 0, 'w1.1.0'], ['b', 0, 'w1.1.1']]),
  txn('w2', 1, 'unknown', [['a', 0, 'w2.1.0'], ['a', 1, 'w2.1.1']]),
  txn('w1', 2, 'committed', [['b', 0, 'w1.2.0']]),
  txn('w1', 3, 'unknown', [['a', 0, 'w1.3.0']]),
  txn('w1', 4, 'committed', [['a', 0, 'w1.4.0', 11]]),
];
const finalRecords: Array<[string, number, number, string]> = [
  ['a', 0, 0, 'w1.0.0'],
  ['a', 0, 1, 'w2.0.0'],
  ['a', 0, 2, 'w1.0.1'],
  ['a', 0, 7, 'w2.1.0'],
  ['a', 0, 11, 'w1.4.0'],
  ['a', 1, 0, 'w1.0.2'],
  ['a', 1, 2, 'w2.1.1'],
  ['b', 0, 0, 'w2.0.1'],
  ['b', 0, 4, 'w1.2.0'],
];
// A consumer that ran during the workload: a prefix of each partition, a rewind (a/0 read
// again from 0) and partitions read interleaved.
const followerRecords: Array<[string, number, number, string]> = [
  ['a', 0, 0, 'w1.0.0'],
  ['b', 0, 0, 'w2.0.1'],
  ['a', 0, 1, 'w2.0.0'],
  ['a', 0, 0, 'w1.0.0'],
  ['a', 0, 1, 'w2.0.0'],
  ['a', 0, 2, 'w1.0.1'],
  ['a', 1, 0, 'w1.0.2'],
];
const clean: History = { txns, reads: [read('final', true, finalRecords), read('follower', false, followerRecords)] };

/** `clean` with the final read's records replaced by `records` (and the follower dropped). */
function withFinal(records: Array<[string, number, number, string]>, extraTxns: TxnRecord[] = []): History {
  return { txns: [...txns, ...extraTxns], reads: [read('final', true, records)] };
}

function kinds(history: History): AnomalyKind[] {
  return [...new Set(checkHistory(history).anomalies.map((a) => a.kind))].sort();
}

function without(value: string): Array<[string, number, number, string]> {
  return finalRecords.filter((r) => r[3] !== value);
}

describe('txn-history-checker', () => {
  test('a correct history has no anomaly, and the summary counts it', () => {
    const result = checkHistory(clean);
    assert.deepEqual(result.anomalies, [], describeAnomalies(result.anomalies));
    assert.deepEqual(result.stats.txns, { committed: 4, aborted: 1, unknown: 2 });
    assert.equal(result.stats.unknownVisible, 1);
    assert.equal(result.stats.unknownInvisible, 1);
    assert.equal(result.stats.writes, 12);
    assert.deepEqual(result.stats.recordsRead, { final: 9, follower: 5 });
  });

  test('aborted read: a value of an aborted transaction is read', () => {
    const records = [...finalRecords, ['b', 0, 2, 'w1.1.1'] as [string, number, number, string]];
    const result = checkHistory(withFinal(records));
    assert.deepEqual(kinds(withFinal(records)), ['aborted-read']);
    const [a] = result.anomalies;
    assert.equal(a.writer, 'w1');
    assert.equal(a.seq, 1);
    assert.deepEqual(a.values, ['w1.1.1']);
  });

  test('aborted read by a prefix reader too', () => {
    const h: History = { txns, reads: [read('final', true, finalRecords), read('follower', false, [...followerRecords, ['a', 0, 5, 'w1.1.0']])] };
    assert.deepEqual(kinds(h), ['aborted-read']);
  });

  test('lost committed write: a committed transaction wholly missing from a complete read', () => {
    const h = withFinal(without('w1.2.0'));
    assert.deepEqual(kinds(h), ['lost-write']);
    assert.deepEqual(checkHistory(h).anomalies[0].values, ['w1.2.0']);
  });

  test('lost committed write in a prefix read: a reader read past it in its partition', () => {
    // The follower read w1 txn 4 in a/0 but not w1.0.1 of committed w1 txn 0 before it.
    const h: History = {
      txns,
      reads: [read('final', true, finalRecords), read('follower', false, [['a', 0, 0, 'w1.0.0'], ['a', 0, 1, 'w2.0.0'], ['a', 0, 11, 'w1.4.0']])],
    };
    const result = checkHistory(h);
    assert.deepEqual(kinds(h), ['lost-write', 'torn']);
    assert.ok(result.anomalies.every((a) => a.reader === 'follower' && a.seq === 0 && a.values.join() === 'w1.0.1'));
  });

  test('a prefix read that stops inside a transaction is not torn', () => {
    // Only w1.0.0 of w1 txn 0 in a/0: the follower has not read past it.
    const h: History = { txns, reads: [read('final', true, finalRecords), read('follower', false, [['a', 0, 0, 'w1.0.0']])] };
    assert.deepEqual(kinds(h), []);
  });

  test('lost write: a value one reader read is missing from the complete read', () => {
    // The follower read w1.4.0 (committed) at a/0@11; the final read lacks it.
    const h: History = { txns, reads: [read('final', true, without('w1.4.0')), read('follower', false, [...followerRecords, ['a', 0, 11, 'w1.4.0']])] };
    const lost = checkHistory(h).anomalies.filter((a) => a.kind === 'lost-write');
    assert.deepEqual(kinds(h), ['lost-write']);
    assert.ok(lost.some((a) => a.message.includes('follower read w1.4.0')), describeAnomalies(lost));
  });

  test('lost write: a reader read part of an unknown-outcome transaction the complete read shows partly', () => {
    // w2 txn 1 is torn in the final read (w2.1.1 only); the follower read the missing w2.1.0.
    const h: History = { txns, reads: [read('final', true, without('w2.1.0')), read('follower', false, [...followerRecords, ['a', 0, 7, 'w2.1.0']])] };
    assert.deepEqual(kinds(h), ['lost-write', 'torn']);
  });

  test('aborted read: another reader read an unknown-outcome transaction the complete read shows aborted', () => {
    const h: History = {
      txns,
      reads: [read('final', true, without('w2.1.0').filter((r) => r[3] !== 'w2.1.1')), read('follower', false, [...followerRecords, ['a', 1, 2, 'w2.1.1']])],
    };
    assert.deepEqual(kinds(h), ['aborted-read']);
    const [a] = checkHistory(h).anomalies;
    assert.equal(a.reader, 'follower');
    assert.deepEqual([a.writer, a.seq, a.values], ['w2', 1, ['w2.1.1']]);
  });

  test('torn: a committed transaction visible in one partition and not in another', () => {
    const h = withFinal(without('w1.0.2'));
    assert.deepEqual(kinds(h), ['lost-write', 'torn']);
    const torn = checkHistory(h).anomalies.find((a) => a.kind === 'torn');
    assert.equal(torn?.seq, 0);
    assert.deepEqual(torn?.values, ['w1.0.2']);
  });

  test('torn: a committed transaction only partly visible within one partition', () => {
    const h = withFinal(without('w1.0.1'));
    assert.deepEqual(kinds(h), ['lost-write', 'torn']);
  });

  test('torn: an unknown-outcome transaction partly visible (and nothing is lost)', () => {
    const h = withFinal(without('w2.1.1'));
    assert.deepEqual(kinds(h), ['torn']);
    const [a] = checkHistory(h).anomalies;
    assert.equal(a.writer, 'w2');
    assert.equal(a.seq, 1);
  });

  test('an unknown-outcome transaction may be wholly invisible', () => {
    const h = withFinal(without('w2.1.0').filter((r) => r[3] !== 'w2.1.1'));
    assert.deepEqual(kinds(h), []);
    assert.equal(checkHistory(h).stats.unknownInvisible, 2);
  });

  test('duplicate: one value at two offsets', () => {
    const h = withFinal([...finalRecords, ['b', 0, 6, 'w1.2.0']]);
    assert.deepEqual(kinds(h), ['duplicate']);
    assert.match(checkHistory(h).anomalies[0].message, /b\/0@4, b\/0@6/);
  });

  test('re-reading an offset (a consumer rewind) is not a duplicate', () => {
    const h = withFinal([...finalRecords, ['b', 0, 4, 'w1.2.0'], ['a', 0, 0, 'w1.0.0']]);
    assert.deepEqual(kinds(h), []);
  });

  test('order: a later transaction of a writer before an earlier one in a partition', () => {
    // w1 txn 4 at a/0@11, before w1 txn 0's second write at a/0@12.
    const h = withFinal([
      ['a', 0, 0, 'w1.0.0'],
      ['a', 0, 1, 'w2.0.0'],
      ['a', 0, 7, 'w2.1.0'],
      ['a', 0, 11, 'w1.4.0'],
      ['a', 0, 12, 'w1.0.1'],
      ['a', 1, 0, 'w1.0.2'],
      ['a', 1, 2, 'w2.1.1'],
      ['b', 0, 0, 'w2.0.1'],
      ['b', 0, 4, 'w1.2.0'],
    ]);
    assert.deepEqual(kinds(h), ['order']);
    const [a] = checkHistory(h).anomalies;
    assert.deepEqual(a.values, ['w1.4.0', 'w1.0.1']);
  });

  test('order: two writes of one transaction swapped in a partition', () => {
    const swapped = finalRecords.map((r): [string, number, number, string] => (r[3] === 'w1.0.0' ? ['a', 0, 2, 'w1.0.0'] : r[3] === 'w1.0.1' ? ['a', 0, 0, 'w1.0.1'] : r));
    assert.deepEqual(kinds(withFinal(swapped)), ['order']);
  });

  test('order across writers is free', () => {
    // w2.0.0 before w1.0.0 in a/0: different writers, no constraint.
    const h = withFinal(finalRecords.map((r): [string, number, number, string] => (r[3] === 'w1.0.0' ? ['a', 0, 1, 'w1.0.0'] : r[3] === 'w2.0.0' ? ['a', 0, 0, 'w2.0.0'] : r)));
    assert.deepEqual(kinds(h), []);
  });

  test('never written: a value no transaction wrote', () => {
    const h = withFinal([...finalRecords, ['a', 1, 9, 'w9.0.0']]);
    assert.deepEqual(kinds(h), ['never-written']);
  });

  test('never written: a value read from another partition than it was written to', () => {
    const h = withFinal(finalRecords.map((r): [string, number, number, string] => (r[3] === 'w1.2.0' ? ['a', 1, 4, 'w1.2.0'] : r)));
    assert.deepEqual(kinds(h), ['never-written']);
    assert.match(checkHistory(h).anomalies[0].message, /wrote it to b\/0/);
  });

  test('offset conflict: two readers see different values at one offset', () => {
    const h: History = { txns, reads: [read('final', true, finalRecords), read('follower', false, [['a', 0, 0, 'w2.0.0']])] };
    // The follower also reads w2.0.0 at another offset than the final read: a conflict, not
    // a duplicate (duplicates are within one reader).
    assert.deepEqual(kinds(h), ['offset-conflict']);
  });

  test('offset conflict: one reader sees different values at one offset', () => {
    const h = withFinal([...finalRecords, ['b', 0, 4, 'w9.9.9']]);
    assert.ok(kinds(h).includes('offset-conflict'));
  });

  test('ack offset: a value read elsewhere than its delivery report said', () => {
    const h = withFinal(finalRecords.map((r): [string, number, number, string] => (r[3] === 'w1.4.0' ? ['a', 0, 12, 'w1.4.0'] : r)));
    assert.deepEqual(kinds(h), ['ack-offset']);
  });

  test('a malformed history (a value written twice) is an error, not an anomaly', () => {
    assert.throws(() => checkHistory({ txns: [...txns, txn('w3', 0, 'committed', [['a', 0, 'w1.0.0']])], reads: [] }), /value w1\.0\.0 written by/);
    assert.throws(() => checkHistory({ txns: [...txns, txn('w1', 0, 'aborted', [])], reads: [] }), /w1 txn 0 listed twice/);
  });

  test('describeAnomalies groups by kind and bounds the output', () => {
    const h = withFinal([...finalRecords, ['a', 1, 20, 'x1'], ['a', 1, 21, 'x2'], ['a', 1, 22, 'x3']]);
    const text = describeAnomalies(checkHistory(h).anomalies, 2);
    assert.match(text, /^never-written: 3\n/);
    assert.match(text, /… and 1 more$/);
  });
});
