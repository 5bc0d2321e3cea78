// Issue 4 acceptance, a transactional history checker in the spirit of Jepsen's Elle for Kafka.
// Workload (tests/clients/txn_history_workload.py): 4 confluent-kafka transactional producers,
// each with its own transactional.id, write uniquely named values to random partitions of 2
// topics x 3 partitions and commit or abort at random, with injected zombie producers (fenced
// by a successor, then trying to commit) and impatient commits (outcome unknown). Faults: the
// broker is killed with SIGKILL and restarted at seeded moments. Readers
// (tests/clients/txn_history_read.py): a read_committed consumer follows along during the kills;
// after the workload has settled another reads every partition from start to end. Checker
// (tests/support/txn-history-checker.ts): no aborted read, no lost committed write, no torn
// transaction (unknown outcomes all or nothing), no duplicate, no per-partition order violation,
// no value that was never written, offsets as acknowledged.
//
// This test found a broker bug only the concurrent reader could see: a read_committed Fetch
// served while an ABORT marker was appended got the aborted records without their
// AbortedTransactions entry (the high watermark moved before the aborted-transaction index
// entry was in memory). PartitionLog now adds the entry in the same tick.
//
// Randomness is seeded: the kill schedule here and every transaction's plan in the workload.
// A failure prints SAMSA_SEED=<n>; `SAMSA_SEED=<n> node scripts/run-tests.mjs txn-history.test`
// replays the same plans and schedule (thread interleavings and timings still vary). On a
// failure of the checks the history, the anomalies, the workload's log, every partition as
// stored (batches, markers, aborted-transaction list) and the broker log go to a JSON file
// whose path is printed; with SAMSA_TXN_HISTORY_DEBUG=1 librdkafka's transaction debug log of
// every producer is kept too.
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { Connection, parseHostPort } from '@samsa/client';
import { FetchApi, decodeControlRecord } from '@samsa/protocol';
import { fetchOnePartition, fetchTopic } from '../support/fetch-partitions.js';
import { uniqueTopic } from '../support/records.js';
import { runPython, startPython } from '../support/run-python.js';
import { needsSamsa, withTarget } from '../support/target.js';
import { checkHistory, describeAnomalies, type CheckResult, type History, type ReadLog, type TxnOutcome, type TxnRecord } from '../support/txn-history-checker.js';
import { waitFor, withTimeout } from '../support/wait-for.js';

const writers = 4;
const txnsPerWriter = 60;
const partitions = 3;
const kills = 5;

interface WorkloadTxnLine {
  txn: {
    writer: string;
    seq: number;
    outcome: TxnOutcome;
    intent: 'commit' | 'abort';
    fault: 'zombie' | 'impatient' | null;
    writes: Array<[string, number, string, number | null]>;
    error: string | null;
  };
}
interface WorkloadDoneLine {
  done: true;
  txns: number;
  settled: string[];
  unsettled: Record<string, string>;
  failed: Record<string, string>;
  stopped_early: boolean;
}
interface ReaderResult {
  records: Array<[string, number, number, string]>;
  errors: string[];
  complete: boolean;
  ends: Record<string, { position: number | null; high: number | null }>;
  timed_out: boolean;
}

/** mulberry32: a small seeded generator of floats in [0, 1). */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** When to kill: after how many finished transactions, then how long to wait before SIGKILL and before the restart. */
interface KillPlan {
  afterTxns: number;
  delayMs: number;
  downMs: number;
}

/** The workload's bound on each client call (init, commit, abort, flush), in seconds. */
const opTimeoutS = 4;

/** Outages that outlast the workload's call timeout, among the kills. */
const longOutages = 2;

/**
 * `kills` kill points spread over the run: one at a random place in each of the first `kills`
 * of `kills + 1` equal stretches. Most outages are short (the clients ride through them on
 * their retries); `longOutages` of them, at random, outlast the workload's call timeout, so
 * commits and aborts fail with a timeout and are retried or resolved as unknown.
 */
function killSchedule(random: () => number, total: number): KillPlan[] {
  const stretch = total / (kills + 1);
  const long = new Set<number>();
  while (long.size < longOutages) long.add(Math.floor(random() * kills));
  return Array.from({ length: kills }, (_, k) => ({
    afterTxns: Math.floor(stretch * k + stretch * (0.3 + 0.7 * random())),
    delayMs: Math.floor(random() * 300),
    downMs: long.has(k) ? Math.floor((opTimeoutS + 0.5 + random()) * 1000) : Math.floor(random() * 700),
  }));
}

const toReadLog = (reader: string, result: ReaderResult, complete: boolean): ReadLog => ({
  reader,
  complete,
  records: result.records.map(([topic, partition, offset, value]) => ({ topic, partition, offset, value })),
});


interface Run {
  history: History;
  check: CheckResult;
  faults: Record<'zombie' | 'impatient', number>;
  /** Transactions without an injected fault that met an error (the kills). */
  erred: number;
  replaced: number;
  followerErrors: number;
  /** For a failure report: the workload's own lines and, if there are anomalies, the partitions as stored. */
  evidence: { workload: unknown[]; partitions?: RawPartition[]; brokerLog?: string };
}

/** One partition as stored, for failure reports: every batch (control batches included) and the aborted-transaction list. */
interface RawPartition {
  partition: string;
  batches: Array<{ offsets: string; producer: string; transactional: boolean; control?: string; values?: string[] }>;
  abortedTransactions: Array<{ producerId: number; firstOffset: number }>;
}

/** Reads every partition raw (read_uncommitted batches, read_committed aborted-transaction list). */
async function rawPartitions(bootstrap: string, topics: string[]): Promise<RawPartition[]> {
  const out: RawPartition[] = [];
  const { host, port } = parseHostPort(bootstrap);
  const conn = await Connection.open(host, port, { timeoutMs: 15_000 });
  try {
    for (const topic of topics) {
      const fetched = await fetchTopic(bootstrap, topic);
      for (const [partition, batches] of fetched.partitions.entries()) {
        const res = await conn.request(FetchApi, fetchOnePartition(topic, partition, 0, 1), 11);
        out.push({
          partition: `${topic}/${partition}`,
          batches: batches.map((b) => ({
            offsets: b.baseOffset === b.lastOffset ? `${b.baseOffset}` : `${b.baseOffset}-${b.lastOffset}`,
            producer: `${b.producerId}/${b.producerEpoch}`,
            transactional: b.isTransactional,
            ...(b.isControl
              ? { control: b.records.map((r) => decodeControlRecord(r).type).join(',') }
              : { values: b.records.map((r) => r.value?.toString() ?? 'null') }),
          })),
          abortedTransactions: (res.responses[0]?.partitions[0]?.abortedTransactions ?? []).map((a) => ({ producerId: Number(a.producerId), firstOffset: Number(a.firstOffset) })),
        });
      }
    }
  } finally {
    conn.close();
  }
  return out;
}

/**
 * Starts Samsa, runs the workload with the follower and the seeded kills, then the final read.
 * `debugLog`: a file for librdkafka's transaction debug log of every producer (for diagnosis).
 */
async function run(t: TestContext, seed: number, debugLog: string | undefined): Promise<Run> {
  return withTarget(t, {}, async (target) => {
    const samsa = target.samsa;
    if (samsa === null) throw new Error('needs Samsa');
    const random = seededRandom(seed);
    const base = uniqueTopic('txn-history');
    const topics = [`${base}-a`, `${base}-b`];
    for (const topic of topics) await target.createTopic(topic, { partitions });

    const follower = startPython('txn_history_read', { bootstrap: target.bootstrap, topics, partitions, mode: 'follow', timeout_s: 150, drain_s: 30 });
    const workload = startPython('txn_history_workload', {
      bootstrap: target.bootstrap,
      topics,
      partitions,
      writers,
      txns_per_writer: txnsPerWriter,
      seed,
      id_prefix: base,
      op_timeout_s: opTimeoutS,
      deadline_s: 110,
      ...(debugLog === undefined ? {} : { debug_log: debugLog }),
    });
    t.after(() => {
      workload.child.kill('SIGKILL');
      follower.child.kill('SIGKILL');
    });
    const txnLines = (): WorkloadTxnLine[] => (workload.lines as Array<Partial<WorkloadTxnLine>>).filter((l): l is WorkloadTxnLine => l.txn !== undefined);
    const workloadExited = (): boolean => workload.child.exitCode !== null || workload.child.signalCode !== null;
    try {
      // Faults: SIGKILL at seeded moments, measured in finished transactions.
      // Each kill also waits for a few transactions since the last restart, so that every kill
      // hits a broker the clients are working with again.
      const total = writers * txnsPerWriter;
      let sinceRestart = 0;
      for (const [k, kill] of killSchedule(random, total).entries()) {
        const goal = Math.min(total - 10, Math.max(kill.afterTxns, sinceRestart + 5));
        await waitFor(() => txnLines().length >= goal || workloadExited(), {
          timeoutMs: 60_000,
          message: `${goal} finished transactions before kill ${k + 1}`,
        });
        assert.ok(!workloadExited(), `the workload exited before kill ${k + 1}\n${workload.stderr().slice(-3000)}`);
        await delay(kill.delayMs);
        const atKill = txnLines().length;
        await samsa.kill9();
        await delay(kill.downMs);
        await samsa.restart();
        sinceRestart = txnLines().length;
        t.diagnostic(`kill ${k + 1} after ${atKill} transactions (planned ${kill.afterTxns}, +${kill.delayMs} ms), down ${kill.downMs} ms`);
      }
      const code = await withTimeout(workload.exit, 120_000, `workload to finish its ${total} transactions`);
      assert.equal(code, 0, `workload exit code\n${workload.stderr().slice(-3000)}`);
      follower.child.stdin.end();
      const followerCode = await withTimeout(follower.exit, 60_000, 'following reader to drain and exit');
      assert.equal(followerCode, 0, `following reader exit code\n${follower.stderr().slice(-3000)}`);
    } catch (err) {
      process.stderr.write(`--- workload stderr ---\n${workload.stderr().slice(-4000)}\n--- reader stderr ---\n${follower.stderr().slice(-2000)}\n`);
      throw err;
    }
    const done = (workload.lines as Array<Partial<WorkloadDoneLine>>).find((l): l is WorkloadDoneLine => l.done === true);
    assert.ok(done !== undefined, 'the workload reported its end');
    assert.deepEqual(done.failed, {}, 'no writer thread died');
    assert.equal(done.stopped_early, false, 'the workload ran every transaction before its deadline');
    assert.deepEqual(done.unsettled, {}, 'every writer settled (init_transactions after its last transaction)');
    assert.equal(txnLines().length, writers * txnsPerWriter, 'every planned transaction ran');
    const followed = follower.lines[follower.lines.length - 1] as ReaderResult;

    const final = await runPython<ReaderResult>('txn_history_read', { bootstrap: target.bootstrap, topics, partitions, mode: 'final', timeout_s: 60 }, 90_000);
    assert.deepEqual(final.errors, [], 'final read: consumer errors');
    assert.ok(final.complete, `final read reached the end of every partition (position = high watermark): ${JSON.stringify(final.ends)}`);

    const txns: TxnRecord[] = txnLines().map(({ txn }) => ({
      writer: txn.writer,
      seq: txn.seq,
      outcome: txn.outcome,
      writes: txn.writes.map(([topic, partition, value, offset]) => (offset === null ? { topic, partition, value } : { topic, partition, value, offset })),
    }));
    const faults = { zombie: 0, impatient: 0 };
    let erred = 0;
    for (const { txn } of txnLines()) {
      if (txn.fault !== null) faults[txn.fault]++;
      else if (txn.error !== null) erred++;
    }
    const history: History = { txns, reads: [toReadLog('final', final, true), toReadLog('follower', followed, false)] };
    const check = checkHistory(history);
    const evidence: Run['evidence'] = { workload: workload.lines };
    if (check.anomalies.length > 0) {
      evidence.partitions = await rawPartitions(target.bootstrap, topics);
      evidence.brokerLog = samsa.logs();
    }
    return {
      history,
      check,
      faults,
      erred,
      replaced: (workload.lines as Array<{ event?: string }>).filter((l) => l.event === 'replace').length,
      followerErrors: followed.errors.length,
      evidence,
    };
  });
}

test('transactional history: concurrent transactional producers and read_committed consumers across broker kill -9s', { timeout: 180_000 }, async (t) => {
  if (!needsSamsa(t)) return;
  const seed = process.env.SAMSA_SEED !== undefined ? Number(process.env.SAMSA_SEED) : randomInt(2 ** 31);
  assert.ok(Number.isInteger(seed), `SAMSA_SEED must be an integer, not ${process.env.SAMSA_SEED}`);
  const started = Date.now();
  // SAMSA_TXN_HISTORY_DEBUG=1: librdkafka's transaction debug log goes to a file kept on failure.
  const debugLog = process.env.SAMSA_TXN_HISTORY_DEBUG === '1' ? join(tmpdir(), `txn-history-${seed}-${Date.now()}-librdkafka.log`) : undefined;
  const replay = (run?: Run): void => {
    let saved = debugLog === undefined ? '' : `; librdkafka's log is in ${debugLog}`;
    if (run !== undefined) {
      const file = join(tmpdir(), `txn-history-${seed}-${Date.now()}.json`);
      writeFileSync(file, JSON.stringify({ seed, history: run.history, anomalies: run.check.anomalies, evidence: run.evidence }));
      saved += `; the history, anomalies, workload log, stored partitions and broker log are in ${file}`;
    }
    process.stderr.write(`\nSAMSA_SEED=${seed} replays this run${saved}\n`);
  };
  let result: Run;
  try {
    result = await run(t, seed, debugLog);
  } catch (err) {
    replay();
    throw err;
  }
  const { history } = result;
  const { anomalies, stats } = result.check;
  const summary =
    `seed ${seed}: ${history.txns.length} transactions: ${stats.txns.committed} committed, ${stats.txns.aborted} aborted, ` +
    `${stats.txns.unknown} unknown (${stats.unknownVisible} wholly visible, ${stats.unknownInvisible} invisible); ` +
    `faults: ${kills} broker kills, ${result.faults.zombie} zombie producers, ${result.faults.impatient} impatient commits (${result.replaced} producers replaced), ${result.erred} others surfaced a client error; ` +
    `${stats.writes} values written; read: final ${stats.recordsRead.final} records, follower ${stats.recordsRead.follower} ` +
    `(${result.followerErrors} consumer errors); ${((Date.now() - started) / 1000).toFixed(1)} s`;
  t.diagnostic(summary);

  await t.test('no aborted read, lost write, torn transaction, duplicate, order violation or unwritten value', () => {
    try {
      assert.ok(stats.txns.committed > 0 && stats.txns.aborted > 0, `both outcomes occur: ${summary}`);
      assert.deepEqual(anomalies, [], `${anomalies.length} anomalies\n${describeAnomalies(anomalies)}\n${summary}`);
    } catch (err) {
      replay(result);
      throw err;
    }
    if (debugLog !== undefined) rmSync(debugLog, { force: true });
  });
});
