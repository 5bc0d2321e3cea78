#!/usr/bin/env node
// Idempotence and transactions benchmark: the same librdkafka loads against Samsa and against
// librdkafka's in-memory mock cluster (which has an idempotent producer state and a transaction
// coordinator), in one invocation. bench/txn/run.sh builds the broker first and then runs this.
//
//   idempotence  the bench/e2e produce load with enable.idempotence=false and =true (acks=all,
//                5 in flight, linger.ms=5) on fresh topics; reported as idempotent / plain on
//                each broker, and Samsa / mock for each mode.
//   txn          back-to-back transactions of 10, 100, 1000 records, each committed, for a fixed
//                time per run: records/s, transactions/s, commit_transaction() latency.
//   consume      Samsa only: a topic filled with transactions (every 10th aborted) read once
//                with read_uncommitted and once with read_committed.
//   anatomy      (not in the default set) one traced run of each load with librdkafka's
//                debug=protocol log: round trip per API, Produce requests in flight.
//
// Runs are interleaved (plain and idempotent adjacent, order alternating; brokers alternating)
// and repeated; medians are reported. Broker CPU is sampled from /proc/<pid>/stat at the load's
// start marker and at its result line. Only 127.0.0.1; ports are chosen at run time; every child
// is killed and every temporary directory removed on exit, including on errors and signals
// (bench/lib/harness.mjs).

import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { summarizeCpuProfile } from '../e2e/cpuprofile-top.mjs';
import {
  CLK_TCK, cpuTicks, installCleanup, log, median, memKb, repoRoot, resetPeak, runPy, startMock, startSamsa, tempDir,
} from '../lib/harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const loadPy = join(here, 'load.py');

const usage = `usage: bench/txn/run.sh [options]     (or: node bench/txn/run.mjs [options] after npx tsc -b)
  --tests LIST          idempotence,txn,consume (default all three); anatomy: an extra diagnostic
                        run of each load with librdkafka's debug=protocol log, giving per-API
                        round trips and the Produce requests in flight (not in the default)
  --sizes LIST          record sizes of the plain/idempotent runs, bytes (default 100,1024)
  --records N           records per plain/idempotent run of records < 1 KiB (default 500000)
  --records-1k N        records per plain/idempotent run of records >= 1 KiB (default 200000)
  --partitions LIST     partition counts of the plain/idempotent topics (default 1,8)
  --per-txn LIST        records per transaction (default 10,100,1000)
  --txn-size N          record size of the transactional runs, bytes (default 100)
  --txn-seconds S       length of one transactional run (whole transactions until S s) (default 2)
  --txn-partitions N    partitions of the transactional topics (default 1)
  --consume-records N   records written for the consume test, in transactions of 1000 (default 500000)
  --abort-every M       every M-th transaction of the consume topic is aborted (default 10; 0: none)
  --repeat K            runs per cell, broker and mode; medians are reported (default 5)
  --no-mock             Samsa only (no reference columns)
  --profile             run Samsa under node --cpu-prof and print its top self-time functions
  --timeout S           bound on each load process (default 120; transactional runs get --txn-seconds more)
  --json FILE           also write every raw measurement to FILE
  --keep-going          record a failed run and continue instead of stopping
  --help                this text
The Markdown report goes to stdout, progress to stderr.`;

let opt;
try {
  ({ values: opt } = parseArgs({
    options: {
      tests: { type: 'string', default: 'idempotence,txn,consume' },
      sizes: { type: 'string', default: '100,1024' },
      records: { type: 'string', default: '500000' },
      'records-1k': { type: 'string', default: '200000' },
      partitions: { type: 'string', default: '1,8' },
      'per-txn': { type: 'string', default: '10,100,1000' },
      'txn-size': { type: 'string', default: '100' },
      'txn-seconds': { type: 'string', default: '2' },
      'txn-partitions': { type: 'string', default: '1' },
      'consume-records': { type: 'string', default: '500000' },
      'abort-every': { type: 'string', default: '10' },
      repeat: { type: 'string', default: '5' },
      'no-mock': { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      timeout: { type: 'string', default: '120' },
      json: { type: 'string' },
      'keep-going': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  }));
} catch (err) {
  console.error(`bench/txn: ${err.message}\n\n${usage}`);
  process.exit(2);
}
if (opt.help) {
  console.log(usage);
  process.exit(0);
}

function bad(msg) {
  console.error(`bench/txn: ${msg}`);
  process.exit(2);
}
const list = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);
const intList = (name, min = 1) => {
  const xs = list(opt[name]).map(Number);
  if (!xs.length || xs.some((n) => !Number.isInteger(n) || n < min)) bad(`--${name} must list integers >= ${min}, got ${opt[name]}`);
  return xs;
};
const int = (name, min = 1) => {
  const n = Number(opt[name]);
  if (!Number.isInteger(n) || n < min) bad(`--${name} must be an integer >= ${min}, got ${opt[name]}`);
  return n;
};
const tests = new Set(list(opt.tests));
for (const t of tests) if (!['idempotence', 'txn', 'consume', 'anatomy'].includes(t)) bad(`unknown test ${t} (idempotence, txn, consume, anatomy)`);
const sizes = intList('sizes');
const partitionCounts = intList('partitions');
const perTxnList = intList('per-txn');
const txnSize = int('txn-size');
const txnPartitions = int('txn-partitions');
const consumeRecords = int('consume-records', 0);
const CONSUME_PER_TXN = 1000;
const abortEvery = int('abort-every', 0);
const repeat = int('repeat');
const txnSeconds = Number(opt['txn-seconds']);
if (!(txnSeconds > 0)) bad(`--txn-seconds must be a positive number, got ${opt['txn-seconds']}`);
const timeoutS = Number(opt.timeout);
if (!(timeoutS > 0)) bad(`--timeout must be a positive number, got ${opt.timeout}`);
const recordsFor = (size) => (size >= 1024 ? int('records-1k') : int('records'));
if (tests.has('consume') && consumeRecords % CONSUME_PER_TXN) bad(`--consume-records must be a multiple of ${CONSUME_PER_TXN}`);

installCleanup('txn');

// ---------------------------------------------------------------------------------------------
// Runs

/**
 * Runs one load.py subcommand against `broker`; its broker CPU is the /proc delta between the
 * load's {"event":"start"} line and its result line. Checks that the broker is still alive.
 */
async function measuredRun(broker, args, timeoutMs) {
  let ticks0 = null;
  resetPeak(broker.pid);
  const r = await runPy(loadPy, args, {
    timeoutMs,
    onLine(ev) {
      if (ev.event === 'start') ticks0 = cpuTicks(broker.pid);
      else if (!ev.error && ticks0 !== null) ev.brokerCpuSeconds = (cpuTicks(broker.pid) - ticks0) / CLK_TCK;
    },
  });
  if (!broker.alive()) throw new Error(`${broker.name} died during the run:\n${broker.output().slice(-3000)}`);
  r.brokerPeakRssMb = memKb(broker.pid).hwmKb / 1024;
  if (r.brokerCpuSeconds != null && r.seconds) {
    r.brokerCpuPct = (r.brokerCpuSeconds / r.seconds) * 100;
    r.brokerCpuUsPerRecord = r.records ? (r.brokerCpuSeconds * 1e6) / r.records : null;
    r.brokerCpuUsPerTxn = r.transactions ? (r.brokerCpuSeconds * 1e6) / r.transactions : null;
  }
  return r;
}

// Topics are created up front, all in one call per broker (a create is a Python process, ~0.3 s
// on this machine), and log ends are checked after each phase, again in one call per broker.
const topicName = (...parts) => `txnbench-${parts.join('-')}`;
/** broker name -> [{ topic, check(high) -> error message or null }] */
const pendingChecks = new Map();
function expectLogEnd(broker, topic, check) {
  if (!pendingChecks.has(broker.name)) pendingChecks.set(broker.name, []);
  pendingChecks.get(broker.name).push({ topic, check });
}
/** Runs the queued log-end checks of `broker`; returns the failures as messages. */
async function verifyLogEnds(broker) {
  const checks = pendingChecks.get(broker.name) ?? [];
  pendingChecks.delete(broker.name);
  if (!checks.length) return [];
  const { high } = await runPy(loadPy, ['offsets', '--bootstrap', broker.bootstrap, ...checks.flatMap((c) => ['--topic', c.topic])], { timeoutMs: 60_000 });
  return checks.map((c) => c.check(high[c.topic])).filter(Boolean).map((m) => `${broker.name}: ${m}`);
}

async function runProduce(broker, { size, p, mode, rep, topic = topicName(mode, `s${size}`, `p${p}`, `r${rep}`), trace = false }) {
  const n = recordsFor(size);
  const r = await measuredRun(broker, ['produce', '--bootstrap', broker.bootstrap, '--topic', topic, '--size', String(size),
    '--acks', '-1', '--records', String(n), '--idempotence', mode === 'idempotent' ? 'on' : 'off', ...(trace ? ['--trace'] : [])], timeoutS * 1000);
  expectLogEnd(broker, topic, (high) => (high === n ? null : `${topic}: high watermarks sum to ${high}, expected ${n}`));
  return r;
}

/**
 * Queues the log-end check of a transactional topic: data records plus one marker per
 * transaction and partition. With one partition Samsa must match exactly; the mock (librdkafka
 * 2.0.2) writes no markers, which is recorded (r.markers) rather than treated as an error.
 */
function expectTxnLogEnd(broker, topic, partitions, dataRecords, transactions, r) {
  const withMarkers = dataRecords + transactions;
  const exact = partitions === 1;
  expectLogEnd(broker, topic, (high) => {
    const markersOk = exact ? high === withMarkers : high >= withMarkers;
    if (broker.name !== 'samsa' && high === dataRecords) {
      r.markers = false;
      return null;
    }
    r.markers = true;
    return markersOk ? null : `${topic}: log end ${high}, expected ${exact ? '' : '≥ '}${withMarkers} (${dataRecords} records + ${transactions} markers)`;
  });
}

let txnIdSeq = 0;
async function runTxn(broker, perTxn, { topic, partitions = txnPartitions, maxTxns = 0, abort = 0, trace = false }) {
  const args = ['txn', '--bootstrap', broker.bootstrap, '--topic', topic, '--transactional-id', `txnbench-${process.pid}-${++txnIdSeq}`,
    '--size', String(txnSize), '--per-txn', String(perTxn), '--abort-every', String(abort), ...(trace ? ['--trace'] : [])];
  if (maxTxns) args.push('--max-txns', String(maxTxns));
  else args.push('--seconds', String(txnSeconds));
  const r = await measuredRun(broker, args, (timeoutS + txnSeconds) * 1000);
  // The warm-up transaction inside the run is committed too.
  expectTxnLogEnd(broker, topic, partitions, r.records + r.warmupRecords, r.transactions + 1, r);
  r.topic = topic;
  return r;
}

// ---------------------------------------------------------------------------------------------
// Formatting

const fmtInt = (x) => (x == null || Number.isNaN(x) ? '–' : Math.round(x).toLocaleString('en-US'));
const fmt1 = (x) => (x == null || Number.isNaN(x) ? '–' : x.toFixed(1));
const fmt2 = (x) => (x == null || Number.isNaN(x) ? '–' : x.toFixed(2));
const pct = (a, b) => {
  if (a == null || !b) return '–';
  const r = (a / b) * 100;
  return `${r < 10 ? r.toFixed(1) : Math.round(r)} %`;
};
const pctSpread = (xs) => {
  const v = xs.filter((x) => x != null && !Number.isNaN(x));
  if (!v.length) return '–';
  const m = median(v);
  return v.length === 1 ? `${Math.round(m * 100)} %` : `${Math.round(m * 100)} % (${Math.round(Math.min(...v) * 100)}–${Math.round(Math.max(...v) * 100)})`;
};
const sizeLabel = (s) => (s === 1024 ? '1 KiB' : s % 1024 === 0 ? `${s / 1024} KiB` : `${s} B`);
const lat = (a, b) => (a == null ? '–' : `${fmt2(a)} / ${fmt2(b)}`);
function table(header, rows, leftCols = 2) {
  const out = [`| ${header.join(' | ')} |`, `| ${header.map((_, i) => (i < leftCols ? '---' : '---:')).join(' | ')} |`];
  for (const r of rows) out.push(`| ${r.join(' | ')} |`);
  return out.join('\n');
}
/** Median of a field over runs. */
const med = (runs, key) => median((runs ?? []).map((r) => r[key]));
/** Ratios a/b of recordsPerSec of the runs of the same repeat (adjacent in time). */
const pairedRatios = (as, bs) => (as ?? []).flatMap((a) => {
  const b = (bs ?? []).find((x) => x.rep === a.rep);
  return b ? [a.recordsPerSec / b.recordsPerSec] : [];
});

// ---------------------------------------------------------------------------------------------
// Main

/** Total µs some task waited for a CPU (/proc/pressure/cpu "some"), or null without PSI. */
function cpuPressureUs() {
  try {
    return Number(/^some .*total=(\d+)/m.exec(readFileSync('/proc/pressure/cpu', 'utf8'))?.[1] ?? NaN);
  } catch {
    return null;
  }
}

async function main() {
  const started = Date.now();
  const pressure0 = cpuPressureUs();
  const profileDir = opt.profile ? tempDir('samsa-txnbench-prof-') : undefined;
  const samsa = await startSamsa({ profileDir });
  const brokers = [samsa];
  if (!opt['no-mock']) brokers.push(await startMock());
  await new Promise((r) => setTimeout(r, 1000));
  const idleRssMb = memKb(samsa.pid).rssKb / 1024;
  log(`samsa ${samsa.bootstrap} (pid ${samsa.pid}, idle RSS ${fmt1(idleRssMb)} MB)` +
    (brokers[1] ? `; mock ${brokers[1].bootstrap} (pid ${brokers[1].pid})` : ''));

  const failures = [];
  const raw = { idempotence: [], txn: [], consume: [], consumeFill: null, anatomy: null };
  async function attempt(what, fn) {
    try {
      return await fn();
    } catch (err) {
      const msg = `${what}: ${err.message}`;
      if (!opt['keep-going']) throw new Error(msg, { cause: err });
      log(`FAILED ${msg}`);
      failures.push(msg);
      return null;
    }
  }

  // Every topic of the run, created before anything is measured.
  const specs = [];
  if (tests.has('idempotence')) {
    for (const size of sizes) for (const p of partitionCounts) for (let i = 0; i < repeat; i++) {
      for (const mode of ['plain', 'idempotent']) specs.push([topicName(mode, `s${size}`, `p${p}`, `r${i + 1}`), p]);
    }
  }
  const warmTopic = topicName('warmup');
  const consumeTopic = topicName('consume');
  if (tests.has('txn') || tests.has('consume') || tests.has('anatomy')) specs.push([warmTopic, 1]);
  if (tests.has('txn')) for (const k of perTxnList) for (let i = 0; i < repeat; i++) specs.push([topicName(`txn${k}`, `r${i + 1}`), txnPartitions]);
  const anatomySize = sizes.find((x) => x >= 1024) ?? sizes.at(-1);
  if (tests.has('anatomy')) {
    for (const mode of ['plain', 'idempotent']) specs.push([topicName('anatomy', mode), 1]);
    for (const k of perTxnList) specs.push([topicName('anatomy', `txn${k}`), txnPartitions]);
  }
  for (const b of brokers) {
    const t0 = Date.now();
    await b.createTopics(b === samsa && tests.has('consume') && consumeRecords > 0 ? [...specs, [consumeTopic, 1]] : specs);
    log(`${specs.length} topics created on ${b.name} in ${Date.now() - t0} ms`);
  }

  // Warm-up on every broker: Samsa creates __transaction_state (50 partitions) on the first
  // FindCoordinator for a transaction; no measured run should pay for that.
  if (tests.has('txn') || tests.has('consume') || tests.has('anatomy')) {
    for (const b of brokers) {
      const t0 = Date.now();
      await attempt(`warm-up on ${b.name}`, () => runTxn(b, 10, { topic: warmTopic, partitions: 1, maxTxns: 5 }));
      log(`warm-up transactions on ${b.name}: ${Date.now() - t0} ms`);
    }
  }
  async function verifyAll(phase) {
    for (const b of brokers) {
      const problems = await attempt(`log-end check after ${phase} on ${b.name}`, () => verifyLogEnds(b));
      for (const m of problems ?? []) {
        if (!opt['keep-going']) throw new Error(`log-end check after ${phase}: ${m}`);
        log(`FAILED ${m}`);
        failures.push(`log-end check after ${phase}: ${m}`);
      }
    }
  }

  // ---- plain vs idempotent
  const idemCells = [];
  if (tests.has('idempotence')) {
    for (const size of sizes) {
      for (const p of partitionCounts) {
        const cell = { size, p, runs: Object.fromEntries(brokers.map((b) => [b.name, { plain: [], idempotent: [], paired: [] }])) };
        idemCells.push(cell);
        for (let i = 0; i < repeat; i++) {
          // Alternate which broker and which mode goes first, so drift in the shared machine's
          // load does not favour one side.
          const order = i % 2 ? ['idempotent', 'plain'] : ['plain', 'idempotent'];
          for (const b of i % 2 ? [...brokers].reverse() : brokers) {
            const pair = {};
            for (const mode of order) {
              const r = await attempt(`${mode} ${sizeLabel(size)} p=${p} run ${i + 1} on ${b.name}`, () => runProduce(b, { size, p, mode, rep: i + 1 }));
              if (!r) continue;
              pair[mode] = r;
              cell.runs[b.name][mode].push(r);
              raw.idempotence.push({ broker: b.name, size, p, mode, run: i + 1, result: r });
              log(`${mode} ${sizeLabel(size)} p=${p} #${i + 1} ${b.name}: ${fmtInt(r.recordsPerSec)} rec/s, broker CPU ${fmtInt(r.brokerCpuPct)} %`);
            }
            if (pair.plain && pair.idempotent) cell.runs[b.name].paired.push(pair.idempotent.recordsPerSec / pair.plain.recordsPerSec);
          }
        }
      }
    }
    await verifyAll('the plain/idempotent runs');
  }

  // ---- transactions
  const txnCells = [];
  if (tests.has('txn')) {
    for (const k of perTxnList) {
      const cell = { k, runs: Object.fromEntries(brokers.map((b) => [b.name, []])) };
      txnCells.push(cell);
      for (let i = 0; i < repeat; i++) {
        for (const b of i % 2 ? [...brokers].reverse() : brokers) {
          const r = await attempt(`${k} records/txn run ${i + 1} on ${b.name}`, () => runTxn(b, k, { topic: topicName(`txn${k}`, `r${i + 1}`) }));
          if (!r) continue;
          r.rep = i + 1;
          cell.runs[b.name].push(r);
          raw.txn.push({ broker: b.name, perTxn: k, run: i + 1, result: r });
          log(`txn ${k}/txn #${i + 1} ${b.name}: ${fmtInt(r.txnsPerSec)} txn/s, ${fmtInt(r.recordsPerSec)} rec/s, commit p50 ${fmt2(r.commitP50Ms)} ms, broker CPU ${fmtInt(r.brokerCpuPct)} %`);
        }
      }
    }
  }
  // Also checks the warm-up topic.
  if (tests.has('txn') || tests.has('consume')) await verifyAll('the transactional runs');

  // ---- read_committed vs read_uncommitted (Samsa)
  let consume = null;
  if (tests.has('consume') && consumeRecords > 0) {
    consume = await attempt('consume test on samsa', async () => {
      const topic = consumeTopic;
      const nTxns = consumeRecords / CONSUME_PER_TXN;
      const fill = await runTxn(samsa, CONSUME_PER_TXN, { topic, partitions: 1, maxTxns: nTxns, abort: abortEvery });
      const problems = await verifyLogEnds(samsa);
      if (problems.length) throw new Error(problems.join('; '));
      // The warm-up transaction is committed too.
      const committed = fill.committedRecords + fill.warmupRecords;
      const total = fill.records + fill.warmupRecords;
      log(`consume topic: ${fmtInt(total)} records in ${fill.transactions + 1} transactions, ${fill.aborted} aborted (filled at ${fmtInt(fill.recordsPerSec)} rec/s)`);
      const runs = { read_uncommitted: [], read_committed: [] };
      for (let i = 0; i < repeat; i++) {
        for (const iso of i % 2 ? ['read_committed', 'read_uncommitted'] : ['read_uncommitted', 'read_committed']) {
          const expect = iso === 'read_committed' ? committed : total;
          const r = await measuredRun(samsa, ['consume', '--bootstrap', samsa.bootstrap, '--topic', topic, '--isolation', iso,
            '--expect', String(expect), '--timeout', String(timeoutS)], (timeoutS + 30) * 1000);
          r.rep = i + 1;
          runs[iso].push(r);
          raw.consume.push({ isolation: iso, run: i + 1, result: r });
          log(`consume ${iso} #${i + 1}: ${fmtInt(r.records)} records at ${fmtInt(r.recordsPerSec)} rec/s, broker CPU ${fmtInt(r.brokerCpuPct)} %`);
        }
      }
      raw.consumeFill = fill;
      return { fill, committed, total, runs };
    });
  }

  // ---- diagnostic: request anatomy (one traced run each; the debug log slows the client)
  const anatomy = { produce: [], txn: [] };
  if (tests.has('anatomy')) {
    for (const b of brokers) {
      for (const mode of ['plain', 'idempotent']) {
        const r = await attempt(`anatomy ${mode} on ${b.name}`, () => runProduce(b, { size: anatomySize, p: 1, mode, topic: topicName('anatomy', mode), trace: true }));
        if (r) anatomy.produce.push({ broker: b.name, mode, r });
      }
      for (const k of perTxnList) {
        const r = await attempt(`anatomy ${k}/txn on ${b.name}`, () => runTxn(b, k, { topic: topicName('anatomy', `txn${k}`), trace: true }));
        if (r) anatomy.txn.push({ broker: b.name, k, r });
      }
    }
    await verifyAll('the anatomy runs');
    raw.anatomy = anatomy;
  }

  const samsaProblems = samsa.problems.slice();
  for (const b of brokers.slice().reverse()) await b.stop();
  const elapsedS = (Date.now() - started) / 1000;
  const pressure1 = cpuPressureUs();
  const stallPct = pressure0 != null && pressure1 != null ? ((pressure1 - pressure0) / 1e6 / elapsedS) * 100 : null;

  // ---- report
  const out = [];
  const hasMock = brokers.length > 1;
  if (idemCells.length) {
    out.push(`### Plain vs idempotent produce (confluent-kafka-python, acks=all, max.in.flight=5, linger.ms=5, batch.size=1 MiB; median of ${repeat})\n`);
    const header = ['record', 'partitions', 'Samsa plain rec/s', 'Samsa idempotent rec/s', 'Samsa idempotent / plain'];
    if (hasMock) header.push('mock plain rec/s', 'mock idempotent rec/s', 'mock idempotent / plain', 'Samsa / mock plain', 'Samsa / mock idempotent');
    out.push(table(header, idemCells.map((c) => {
      const s = c.runs.samsa;
      const row = [sizeLabel(c.size), c.p, fmtInt(med(s.plain, 'recordsPerSec')), fmtInt(med(s.idempotent, 'recordsPerSec')), pctSpread(s.paired)];
      if (hasMock) {
        const m = c.runs.mock;
        row.push(fmtInt(med(m.plain, 'recordsPerSec')), fmtInt(med(m.idempotent, 'recordsPerSec')), pctSpread(m.paired),
          pct(med(s.plain, 'recordsPerSec'), med(m.plain, 'recordsPerSec')), pct(med(s.idempotent, 'recordsPerSec'), med(m.idempotent, 'recordsPerSec')));
      }
      return row;
    })));
    out.push('\n"idempotent / plain" is the median of the per-repeat ratios of adjacent runs (min–max in brackets).\n');
    const header2 = ['record', 'partitions', 'mode', 'Samsa p50 / p99 ms', 'Samsa CPU %', 'Samsa CPU µs/rec', 'client main thread % (Samsa)'];
    if (hasMock) header2.push('mock p50 / p99 ms', 'mock CPU %', 'client main thread % (mock)');
    const rows2 = [];
    for (const c of idemCells) {
      for (const mode of ['plain', 'idempotent']) {
        const s = c.runs.samsa[mode];
        const row = [sizeLabel(c.size), c.p, mode, lat(med(s, 'p50Ms'), med(s, 'p99Ms')), fmtInt(med(s, 'brokerCpuPct')), fmt2(med(s, 'brokerCpuUsPerRecord')), fmtInt(med(s, 'clientMainThreadPct'))];
        if (hasMock) {
          const m = c.runs.mock[mode];
          row.push(lat(med(m, 'p50Ms'), med(m, 'p99Ms')), fmtInt(med(m, 'brokerCpuPct')), fmtInt(med(m, 'clientMainThreadPct')));
        }
        rows2.push(row);
      }
    }
    out.push(table(header2, rows2, 3));
    out.push('\nLatency = produce() to delivery report under saturation (mostly time queued in the client). Client main thread ≈ 100 % means the run is bound by the Python producer.\n');
  }
  if (txnCells.length) {
    out.push(`### Transactions (${sizeLabel(txnSize)} records, ${txnPartitions} partition${txnPartitions > 1 ? 's' : ''}, one producer, begin → produce → commit back to back for ${txnSeconds} s per run; median of ${repeat})\n`);
    const idemRef = idemCells.find((c) => c.size === txnSize && c.p === txnPartitions);
    const header = ['records / txn', 'Samsa txn/s', 'Samsa rec/s', 'Samsa commit p50 / p99 ms', 'Samsa CPU %', 'Samsa CPU µs/txn'];
    if (idemRef) header.push('Samsa rec/s vs its idempotent produce');
    if (hasMock) header.push('mock txn/s', 'mock rec/s', 'mock commit p50 / p99 ms', 'Samsa / mock (paired)');
    out.push(table(header, txnCells.map((c) => {
      const s = c.runs.samsa;
      const row = [c.k, fmtInt(med(s, 'txnsPerSec')), fmtInt(med(s, 'recordsPerSec')), lat(med(s, 'commitP50Ms'), med(s, 'commitP99Ms')),
        fmtInt(med(s, 'brokerCpuPct')), fmtInt(med(s, 'brokerCpuUsPerTxn'))];
      if (idemRef) row.push(pct(med(s, 'recordsPerSec'), med(idemRef.runs.samsa.idempotent, 'recordsPerSec')));
      if (hasMock) {
        const m = c.runs.mock;
        row.push(fmtInt(med(m, 'txnsPerSec')), fmtInt(med(m, 'recordsPerSec')), lat(med(m, 'commitP50Ms'), med(m, 'commitP99Ms')),
          pctSpread(pairedRatios(s, m)));
      }
      return row;
    }), 1));
    const spreadOf = (runs) => (runs.length ? `${fmtInt(Math.min(...runs.map((r) => r.txnsPerSec)))}–${fmtInt(Math.max(...runs.map((r) => r.txnsPerSec)))}` : '–');
    out.push(`\ntxn/s spread over the runs: ${txnCells.map((c) => `${c.k}/txn Samsa ${spreadOf(c.runs.samsa)}${hasMock ? `, mock ${spreadOf(c.runs.mock)}` : ''}`).join('; ')}.`);
    out.push('Commit latency = the commit_transaction() call: flush of the transaction\'s records, then EndTxn until the coordinator answers. ' +
      '"Samsa / mock (paired)" is the median of the per-repeat ratios of records/s (the two brokers\' runs are adjacent in time), min–max in brackets.');
    const mockRuns = hasMock ? txnCells.flatMap((c) => c.runs.mock) : [];
    if (mockRuns.length) {
      out.push(`Mock log ends: ${mockRuns.every((r) => !r.markers) ? 'data records only, **no commit markers** (librdkafka 2.0.2\'s mock writes no control batches: its log end counts data records only)' : 'include markers'}; Samsa's: data records + one marker per transaction (checked exactly).`);
    }
    out.push('');
  }
  if (consume) {
    const { fill, runs } = consume;
    out.push(`### Consume over transactional data, Samsa only (read once from offset 0, confluent-kafka-python, assign() without a group; median of ${repeat})\n`);
    out.push(`Topic: 1 partition, ${fmtInt(consume.total)} records of ${sizeLabel(txnSize)} in ${fill.transactions + 1} transactions of ${CONSUME_PER_TXN}` +
      (fill.aborted ? `, ${fill.aborted} of them aborted (every ${abortEvery}th, after its records were flushed)` : '') +
      `; ${fmtInt(consume.committed)} committed records.\n`);
    const ru = runs.read_uncommitted;
    const rc = runs.read_committed;
    out.push(table(['isolation', 'records returned', 'rec/s', 'MB/s', 'Samsa CPU %', 'Samsa CPU µs/rec'], [
      ['read_uncommitted', fmtInt(consume.total), fmtInt(med(ru, 'recordsPerSec')), fmt1(med(ru, 'mbPerSec')), fmtInt(med(ru, 'brokerCpuPct')), fmt2(med(ru, 'brokerCpuUsPerRecord'))],
      ['read_committed', fmtInt(consume.committed), fmtInt(med(rc, 'recordsPerSec')), fmt1(med(rc, 'mbPerSec')), fmtInt(med(rc, 'brokerCpuPct')), fmt2(med(rc, 'brokerCpuUsPerRecord'))],
    ], 2));
    const scanRc = median(rc.map((r) => (consume.total / r.records) * r.recordsPerSec));
    out.push(`\nread_committed / read_uncommitted: ${pctSpread(pairedRatios(rc, ru))} in records returned per second (median of the per-repeat ratios, min–max), ` +
      `${pct(scanRc, med(ru, 'recordsPerSec'))} in log records covered per second (aborted ones included). ` +
      'The mock is not measured here: it keeps ≤ 5 MiB per partition and writes no markers, so read_committed there is read_uncommitted.\n');
  }
  if (anatomy.produce.length || anatomy.txn.length) {
    out.push(`### Request anatomy (diagnostic, one run each with librdkafka debug=protocol; the logging slows the client)\n`);
    const rttOf = (r, api) => {
      const x = r.trace?.rtt?.[api];
      return x ? `${fmt2(x.p50Ms)} / ${fmt2(x.meanMs)}` : '–';
    };
    if (anatomy.produce.length) {
      out.push(`Produce, ${sizeLabel(anatomySize)} records, 1 partition (acks=all, max.in.flight=5):\n`);
      out.push(table(['broker', 'mode', 'rec/s (traced)', 'Produce requests', 'mean request KiB', 'requests in flight right after each send (count: requests)', 'Produce round trip p50 / mean ms'],
        anatomy.produce.map(({ broker, mode, r }) => [broker, mode, fmtInt(r.recordsPerSec), fmtInt(r.trace?.rtt?.Produce?.n),
          fmt1((r.trace?.produceRequestBytesMean ?? NaN) / 1024),
          Object.entries(r.trace?.produceInFlightAfterSend ?? {}).map(([k, n]) => `${k}: ${n}`).join(', ') || '–', rttOf(r, 'Produce')])));
      out.push('');
    }
    if (anatomy.txn.length) {
      out.push(`Transactions, ${sizeLabel(txnSize)} records: round trip p50 / mean ms of each request of a transaction; "client rest" = time per transaction minus the three mean round trips.\n`);
      out.push(table(['records / txn', 'broker', 'txn/s (traced)', 'ms / txn', 'AddPartitionsToTxn', 'Produce', 'EndTxn', 'client rest ms / txn'],
        anatomy.txn.map(({ broker, k, r }) => {
          const mean = (api) => r.trace?.rtt?.[api]?.meanMs ?? 0;
          const perTxnMs = 1000 / r.txnsPerSec;
          return [k, broker, fmtInt(r.txnsPerSec), fmt2(perTxnMs), rttOf(r, 'AddPartitionsToTxn'), rttOf(r, 'Produce'), rttOf(r, 'EndTxn'),
            fmt2(perTxnMs - mean('AddPartitionsToTxn') - mean('Produce') - mean('EndTxn'))];
        })));
      out.push('');
    }
  }
  out.push(`Samsa idle RSS ${fmt1(idleRssMb)} MB. Total wall time: ${fmtInt(elapsedS)} s` +
    (stallPct != null ? `; CPU pressure over the run (/proc/pressure/cpu "some": share of time at least one task waited for a core): ${fmtInt(stallPct)} %.` : '.'));
  if (samsaProblems.length) {
    out.push(`\nSamsa logged ${samsaProblems.length} warning/error line(s); first ones:\n\n\`\`\`\n${samsaProblems.slice(0, 5).join('\n')}\n\`\`\``);
  }
  if (failures.length) out.push(`\n### Failures\n\n${failures.map((f) => `- ${f}`).join('\n')}`);
  if (profileDir) {
    const files = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'));
    out.push(files.length
      ? `\n### Samsa CPU profile: top self time over the whole run (node --cpu-prof)\n\n${summarizeCpuProfile(JSON.parse(readFileSync(join(profileDir, files[0]), 'utf8')), 25, repoRoot)}`
      : '\n(no .cpuprofile was written: the broker did not exit cleanly)');
  }
  console.log(out.join('\n'));
  if (opt.json) writeFileSync(opt.json, JSON.stringify({ date: new Date().toISOString(), options: opt, idleRssMb, cpuPressureSomePct: stallPct, raw, failures }, null, 2));
  if (failures.length) process.exitCode = 1;
}

main().catch((err) => {
  // Failures of a run carry the load's own message and stderr tail; a stack only helps for bugs here.
  console.error(`[txn] FAILED: ${err instanceof Error && err.message.includes(': ') ? err.message : (err.stack ?? err)}`);
  process.exit(1); // the exit handler kills the brokers and removes their directories
});
