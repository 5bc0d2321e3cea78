#!/usr/bin/env node
// Client benchmark (issue 5): @samsa/client against kafkajs, @platformatic/kafka and
// @confluentinc/kafka-javascript, all talking to the same Samsa broker in one invocation,
// reported as ratios ours / theirs. bench/clients/run.sh installs the competitors (bench/clients
// is its own npm package), builds the root and runs this.
//
//   single   `await producer.send()` of one 100 B record at a time, acks=all: sends/s
//   batch    `await producer.send()` of 100 such records at a time: records/s
//   consume  a group consumer reads a freshly filled topic from the beginning: records/s
//
// The broker is the embeddable one (`startBroker` from @samsa/broker) in this process, which
// otherwise only waits for its children; every measurement runs in a child process of its own
// (load.mjs) so no client shares an event loop, heap or native threads with the broker or with
// another client. After an unmeasured warm-up round, rounds interleave the clients (the first one
// rotates each round) and every run gets fresh topics and a fresh group; medians over the rounds
// are reported. The broker's CPU per op is this process's CPU time between the child's start and
// result markers.
//
// Besides the clients: `raw` (drivers/raw.mjs), a raw socket replaying a pre-encoded Produce
// request, is the ceiling any client can reach against this broker; `--baseline DIR` adds another
// build of our client, for before/after comparisons. Neither takes part in the target verdicts.
//
// bench/README.md ("Clients") describes the settings and why.
//
// Only 127.0.0.1; every child is killed and the broker's data dir removed on exit, error or
// signal; every child is bounded by --timeout.

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { installCleanup, log, median, readLines, repoRoot, tempDir, track } from '../lib/harness.mjs';
import { summarizeCpuProfile } from '../e2e/cpuprofile-top.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const loadScript = join(here, 'load.mjs');
const ALL_CLIENTS = ['samsa', 'kafkajs', 'platformatic', 'confluent', 'raw'];
/** Not a client: the round trip alone (drivers/raw.mjs), shown for reference in the produce tests. */
const REFERENCE = 'raw';
const ALL_TESTS = ['single', 'batch', 'consume'];

const usage = `usage: bench/clients/run.sh [options]     (or: node bench/clients/run.mjs [options] after npx tsc -b)
  --tests LIST          single,batch,consume (default all three)
  --clients LIST        samsa,kafkajs,platformatic,confluent,raw (default all; samsa is always included;
                        raw is the reference: a raw socket replaying a pre-encoded Produce request)
  --repeat K            rounds; medians over them are reported (default 5)
  --single N            awaited single-record sends per run, after N/20 unmeasured ones (default 20000)
  --batches N           awaited sends of --batch-size records per run, after N/20 unmeasured (default 3000)
  --batch-size N        records per send in the batch test (default 100)
  --consume N           records in each consume run's topic (default 300000)
  --value-bytes N       record value size (default 100)
  --partitions N        partitions of every topic (default 1)
  --idempotence MODE    default (each client's own default), on, off (default: default)
  --timeout S           bound on every child process (default 180)
  --profile DIR         run our client's children under node --cpu-prof into DIR and print top functions
  --baseline DIR        also measure the client built in DIR (a checkout with packages/client/dist built),
                        as the row "baseline", interleaved with the others: before/after comparisons
  --quick               --repeat 1 --single 3000 --batches 300 --consume 50000 (~30 s)
  --json FILE           also write every raw measurement to FILE
  --help                this text
The Markdown report goes to stdout, progress to stderr.`;

let opt;
try {
  ({ values: opt } = parseArgs({
    options: {
      tests: { type: 'string', default: ALL_TESTS.join(',') },
      clients: { type: 'string', default: ALL_CLIENTS.join(',') },
      repeat: { type: 'string' },
      single: { type: 'string' },
      batches: { type: 'string' },
      'batch-size': { type: 'string', default: '100' },
      consume: { type: 'string' },
      'value-bytes': { type: 'string', default: '100' },
      partitions: { type: 'string', default: '1' },
      idempotence: { type: 'string', default: 'default' },
      timeout: { type: 'string', default: '180' },
      profile: { type: 'string' },
      baseline: { type: 'string' },
      quick: { type: 'boolean', default: false },
      json: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  }));
} catch (err) {
  console.error(`bench/clients: ${err.message}\n\n${usage}`);
  process.exit(2);
}
if (opt.help) {
  console.log(usage);
  process.exit(0);
}

const quick = opt.quick;
const cfg = {
  tests: opt.tests.split(',').filter(Boolean),
  clients: opt.clients.split(',').filter(Boolean),
  repeat: Number(opt.repeat ?? (quick ? 1 : 5)),
  single: Number(opt.single ?? (quick ? 3000 : 20_000)),
  batches: Number(opt.batches ?? (quick ? 300 : 3000)),
  batchSize: Number(opt['batch-size']),
  consume: Number(opt.consume ?? (quick ? 50_000 : 300_000)),
  valueBytes: Number(opt['value-bytes']),
  partitions: Number(opt.partitions),
  idempotence: opt.idempotence,
  timeoutS: Number(opt.timeout),
};
for (const t of cfg.tests) if (!ALL_TESTS.includes(t)) usageError(`unknown test ${t}`);
for (const c of cfg.clients) if (!ALL_CLIENTS.includes(c)) usageError(`unknown client ${c}`);
if (!cfg.clients.includes('samsa')) cfg.clients.unshift('samsa');
for (const k of ['repeat', 'single', 'batches', 'batchSize', 'consume', 'valueBytes', 'partitions', 'timeoutS']) {
  if (!Number.isSafeInteger(cfg[k]) || cfg[k] < 1) usageError(`--${k} must be a whole number >= 1`);
}
if (!['default', 'on', 'off'].includes(cfg.idempotence)) usageError('--idempotence must be default, on or off');
const baselineEntry = opt.baseline === undefined ? undefined : resolve(opt.baseline, 'packages', 'client', 'dist', 'src', 'index.js');
if (baselineEntry !== undefined) {
  if (!existsSync(baselineEntry)) usageError(`--baseline: ${baselineEntry} does not exist (build the client there first)`);
  cfg.clients.splice(cfg.clients.indexOf('samsa') + 1, 0, 'baseline');
}

function usageError(msg) {
  console.error(`bench/clients: ${msg}\n\n${usage}`);
  process.exit(2);
}

installCleanup('bench/clients');

// Imported after argument checks so --help works before the root is built.
const { startBroker } = await import('@samsa/broker');
const { Admin } = await import('@samsa/client');

// ---------------------------------------------------------------------------------------------
// Children

/**
 * Runs `load.mjs mode client args...`; resolves with its result object. `onStart` runs at its
 * `@@start` line. A child that prints {"error"}, exits abnormally or outlives --timeout rejects.
 */
function runLoad(mode, client, args, { onStart, profileDir } = {}) {
  return new Promise((resolve, reject) => {
    const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    const entry = client === 'baseline' ? ['--client-entry', baselineEntry] : [];
    const proc = track(
      spawn(process.execPath, [...nodeArgs, loadScript, mode, client, '--timeout', String(cfg.timeoutS), ...entry, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    let res = null;
    let stderr = '';
    let killed = false;
    proc.stderr.on('data', (c) => (stderr = (stderr + c).slice(-4000)));
    readLines(proc.stdout, (line) => {
      if (line === '@@start') onStart?.();
      else if (line.startsWith('@@result ')) res = JSON.parse(line.slice('@@result '.length));
    });
    // load.mjs bounds itself; this is the backstop for a child that cannot even do that.
    const timer = setTimeout(() => {
      killed = true;
      proc.kill('SIGKILL');
    }, (cfg.timeoutS + 15) * 1000);
    proc.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    proc.once('close', (code, signal) => {
      clearTimeout(timer);
      const tail = stderr.trim().split('\n').slice(-8).join('\n');
      if (killed) reject(new Error(`${mode} ${client}: killed after ${cfg.timeoutS + 15} s\n${tail}`));
      else if (res === null || res.error || code !== 0) reject(new Error(`${mode} ${client} failed (exit ${code ?? signal}): ${res?.error ?? '(no result line)'}\n${tail}`));
      else resolve(res);
    });
  });
}

function cpuMicros() {
  const u = process.cpuUsage();
  return u.user + u.system;
}

// ---------------------------------------------------------------------------------------------
// Run

const startedAt = Date.now();
const broker = await startBroker({
  dataDir: tempDir('samsa-bench-clients-'),
  // Consumer groups of one member form at once instead of after Kafka's 3 s initial delay.
  config: { 'group.initial.rebalance.delay.ms': '0' },
});
log(`broker on ${broker.bootstrap}, data in ${broker.dataDir}`);
const admin = new Admin(broker.bootstrap);
await admin.connect();

// Which clients can run here (confluent's native addon may not have been built).
const labels = new Map();
const skipped = new Map();
for (const client of cfg.clients) {
  try {
    labels.set(client, (await runLoad('probe', client, [])).label);
  } catch (err) {
    if (client === 'samsa') throw err;
    let reason = err.message.split('\n')[0].replace(/^probe \w+ failed \(exit \d+\): /, '');
    if (client === 'confluent' && /Cannot find (module|package)|\.node\b/.test(reason)) {
      reason += ' (its native addon was not built: the optional dependency failed at npm install;' +
        ' `cd bench/clients && CKJS_LINKING=dynamic npm install` shows why; it needs g++, make, python3 and the zlib and OpenSSL headers)';
    }
    skipped.set(client, reason);
    log(`SKIPPING ${client}: ${reason}`);
  }
}
const clients = cfg.clients.filter((c) => labels.has(c));

let topicSeq = 0;
async function freshTopic(kind, client) {
  const name = `clients-${kind}-${client}-${++topicSeq}`;
  await admin.createTopics([{ name, numPartitions: cfg.partitions }]);
  return name;
}

async function endOffset(topic) {
  const parts = await admin.listOffsets(topic, 'latest');
  return parts.reduce((s, p) => s + p.offset, 0);
}

/**
 * One timed run of `test` with `client`; returns the measurement, with the broker's CPU. `scale`
 * shrinks the record counts (the warm-up round).
 */
async function runOne(test, client, round, scale = 1) {
  const common = ['--bootstrap', broker.bootstrap, '--value-bytes', String(cfg.valueBytes), '--idempotence', cfg.idempotence];
  const profileDir = opt.profile && client === 'samsa' && round > 0 ? join(opt.profile, test) : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  let brokerCpu0 = 0;
  const onStart = () => (brokerCpu0 = cpuMicros());
  let m;
  if (test === 'single' || test === 'batch') {
    const topic = await freshTopic(test, client);
    const perSend = test === 'single' ? 1 : cfg.batchSize;
    const count = Math.max(20, Math.round((test === 'single' ? cfg.single : cfg.batches) * scale));
    const warmup = Math.max(10, Math.ceil(count / 20));
    m = await runLoad(test, client, [...common, '--topic', topic, '--count', String(count), '--batch', String(perSend), '--warmup', String(warmup)], { onStart, profileDir });
    m.brokerCpuUs = cpuMicros() - brokerCpu0;
    // acks=all: everything acknowledged must be in the log.
    const expected = (count + warmup) * perSend;
    const end = await endOffset(topic);
    if (end !== expected) throw new Error(`${test} ${client}: the topic ends at ${end}, expected ${expected}`);
  } else {
    const topic = await freshTopic('consume', client);
    const count = Math.max(1000, Math.round(cfg.consume * scale));
    await runLoad('fill', 'samsa', [...common, '--topic', topic, '--count', String(count)]);
    const group = `bench-${client}-${round}-${topicSeq}`;
    m = await runLoad('consume', client, [...common, '--topic', topic, '--count', String(count), '--group', group], { onStart, profileDir });
    m.brokerCpuUs = cpuMicros() - brokerCpu0;
  }
  m.test = test;
  m.client = client;
  m.round = round;
  return m;
}

// Warm-up round, not recorded: the broker's code is cold at first (V8 compiles it while it runs),
// which would penalise whichever client goes first.
for (const test of cfg.tests) {
  for (const client of clients) {
    if (test === 'consume' && client === REFERENCE) continue;
    await runOne(test, client, 0, 0.1);
  }
}
log('warm-up round done');

const runs = [];
for (let round = 1; round <= cfg.repeat; round++) {
  for (const test of cfg.tests) {
    // Rotate who goes first, so a drift in the machine's load does not always favour one client.
    const order = clients.map((_, i) => clients[(i + round - 1) % clients.length]);
    for (const client of order) {
      if (test === 'consume' && client === REFERENCE) continue;
      const m = await runOne(test, client, round);
      runs.push(m);
      log(`round ${round}/${cfg.repeat} ${test.padEnd(7)} ${client.padEnd(12)} ${describe(m)}`);
    }
  }
}
await admin.disconnect();
await broker.stop();

function rateOf(m) {
  return m.test === 'single' ? m.sends / m.seconds : m.records / m.seconds;
}

function describe(m) {
  const r = Math.round(rateOf(m)).toLocaleString('en-US');
  if (m.test === 'single') return `${r} sends/s  p50 ${m.p50Ms.toFixed(3)} ms  p99 ${m.p99Ms.toFixed(3)} ms`;
  if (m.test === 'batch') return `${r} records/s`;
  return `${r} records/s  (first record after ${m.firstRecordMs.toFixed(0)} ms)`;
}

// ---------------------------------------------------------------------------------------------
// Report

const fmt = (x) => (x == null ? '–' : Math.round(x).toLocaleString('en-US'));
const fmt1 = (x, d = 1) => (x == null ? '–' : x.toFixed(d));
const ratio = (a, b) => (a == null || b == null || b === 0 ? null : a / b);
const fmtRatio = (r) => (r == null ? '–' : `${r.toFixed(2)}×`);

function stats(test, client) {
  const ms = runs.filter((m) => m.test === test && m.client === client);
  if (!ms.length) return null;
  const rates = ms.map(rateOf);
  const units = ms.map((m) => (test === 'single' ? m.sends : m.records));
  return {
    rate: median(rates),
    min: Math.min(...rates),
    max: Math.max(...rates),
    clientCpu: median(ms.map((m, i) => m.clientCpuUs / units[i])),
    brokerCpu: median(ms.map((m, i) => m.brokerCpuUs / units[i])),
    p50: median(ms.map((m) => m.p50Ms)),
    p99: median(ms.map((m) => m.p99Ms)),
    firstMs: median(ms.map((m) => m.firstRecordMs)),
    steady: median(ms.map((m) => (m.steadySeconds > 0 ? (m.records - 1) / m.steadySeconds : null))),
    idempotent: ms[0].idempotent,
  };
}

const TARGETS = {
  single: { platformatic: 1.2, kafkajs: 2 },
  batch: { platformatic: 1.2, kafkajs: 2 },
  consume: { platformatic: 1, kafkajs: 1 },
};
const TITLES = {
  single: `Produce: single-record sends, \`await\` each (${cfg.single.toLocaleString('en-US')} sends per run)`,
  batch: `Produce: ${cfg.batchSize} records per send, \`await\` each (${(cfg.batches * cfg.batchSize).toLocaleString('en-US')} records per run)`,
  consume: `Consume: group consumer, eachMessage, ${cfg.consume.toLocaleString('en-US')} records from the beginning`,
};

const out = [];
const p = (s = '') => out.push(s);
let commit = 'unknown';
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
  if (execFileSync('git', ['status', '--porcelain', '--', 'packages'], { cwd: repoRoot, encoding: 'utf8' }).trim()) commit += ' + uncommitted changes';
} catch {
  // not a git checkout
}
p(`Clients against one Samsa broker (embedded, ${broker.bootstrap}), commit ${commit}, Node ${process.version}, ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} at the end.`);
p(`${cfg.repeat} round(s), medians (min–max over rounds); ${cfg.valueBytes} B values, null keys, acks=all, ${cfg.partitions} partition(s), fresh topics per run; idempotence: ${cfg.idempotence === 'default' ? "each client's default" : cfg.idempotence}.`);
p();
p('| client | version | idempotent producer |');
p('| --- | --- | --- |');
for (const c of cfg.clients) {
  if (skipped.has(c)) p(`| ${c} | **skipped**: ${skipped.get(c).replaceAll('|', '\\|')} | |`);
  else {
    const any = runs.find((m) => m.client === c && m.idempotent !== undefined);
    p(`| ${c} | ${labels.get(c)} | ${any ? (any.idempotent ? 'yes' : 'no') : '–'} |`);
  }
}
const verdicts = [];
for (const test of cfg.tests) {
  const ours = stats(test, 'samsa');
  p();
  p(`### ${TITLES[test]}`);
  p();
  const unit = test === 'single' ? 'sends/s' : 'records/s';
  const per = test === 'single' ? 'send' : 'record';
  if (test === 'single') {
    p(`| client | ${unit} | min–max | latency p50 / p99 ms | client CPU µs/${per} | broker CPU µs/${per} | ours / this |`);
    p('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  } else if (test === 'batch') {
    p(`| client | ${unit} | min–max | client CPU µs/${per} | broker CPU µs/${per} | ours / this |`);
    p('| --- | ---: | ---: | ---: | ---: | ---: |');
  } else {
    p(`| client | ${unit} | min–max | first record after ms | ${unit} after the first | client CPU µs/${per} | broker CPU µs/${per} | ours / this |`);
    p('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  }
  // The reference row goes last: it is the ceiling, not a competitor.
  for (const c of [...clients.filter((x) => x !== REFERENCE), ...clients.filter((x) => x === REFERENCE)]) {
    const s = stats(test, c);
    if (s === null) continue;
    const r = c === 'samsa' ? '—' : fmtRatio(ratio(ours?.rate, s.rate));
    const range = `${fmt(s.min)}–${fmt(s.max)}`;
    const cpu = `${fmt1(s.clientCpu, 2)} | ${fmt1(s.brokerCpu, 2)}`;
    const name = c === REFERENCE ? 'raw (reference)' : c;
    if (test === 'single') p(`| ${name} | ${fmt(s.rate)} | ${range} | ${fmt1(s.p50, 3)} / ${fmt1(s.p99, 3)} | ${cpu} | ${r} |`);
    else if (test === 'batch') p(`| ${name} | ${fmt(s.rate)} | ${range} | ${cpu} | ${r} |`);
    else p(`| ${name} | ${fmt(s.rate)} | ${range} | ${fmt(s.firstMs)} | ${fmt(s.steady)} | ${cpu} | ${r} |`);
  }
  for (const [other, target] of Object.entries(TARGETS[test])) {
    const s = stats(test, other);
    if (s === null) continue;
    const r = ratio(ours?.rate, s.rate);
    verdicts.push({ test, other, target, r, met: r != null && r >= target });
  }
}
if (verdicts.length) {
  p();
  p('### Targets (issue 5)');
  p();
  p('| test | target | measured | verdict |');
  p('| --- | --- | ---: | --- |');
  for (const v of verdicts) p(`| ${v.test} | ours ≥ ${v.target}× ${v.other} | ${fmtRatio(v.r)} | ${v.met ? 'met' : '**missed**'} |`);
}
if (skipped.size) {
  p();
  for (const [c, why] of skipped) p(`**${c} was skipped**: ${why}`);
}
if (opt.profile) {
  for (const test of cfg.tests) {
    // The largest profile of the test: the longest run, the most samples.
    const dir = join(opt.profile, test);
    const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(dir, f));
    if (!files.length) continue;
    const largest = files.sort((a, b) => statSync(b).size - statSync(a).size)[0];
    p();
    p(`### Our client's top self-time functions: ${test} (${largest})`);
    p();
    p(summarizeCpuProfile(JSON.parse(readFileSync(largest, 'utf8')), 25, repoRoot));
  }
}
p();
p(`Wall time of the whole run: ${((Date.now() - startedAt) / 1000).toFixed(0)} s.`);
console.log(out.join('\n'));
if (opt.json) {
  writeFileSync(opt.json, JSON.stringify({ cfg, labels: Object.fromEntries(labels), skipped: Object.fromEntries(skipped), runs }, null, 2));
}
process.exit(0);
