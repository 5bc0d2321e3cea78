#!/usr/bin/env node
// Macro-benchmark: the same librdkafka load against Samsa and against librdkafka's in-memory
// mock broker, in one invocation; Samsa is reported as a ratio of the mock.
//
//   node bench/e2e/run.mjs [--records N] [--records-1k N] [--repeat K] [--profile] ...
//   (bench/run.sh builds the broker first and then runs this.)
//
// Loads (all librdkafka 2.0.2, see bench/README.md):
//   produce   confluent-kafka-python, one producer, N records as fast as possible, latency of
//             every record from produce() to its delivery report (under saturation)
//   kcat      `kcat -P -l FILE`: the same records from a pre-generated file, a C producer loop
//             that is not bound by Python's per-call cost
//   paced     confluent-kafka-python at a fixed rate with linger.ms=0: unloaded round trip
//   consume   confluent-kafka-python, assign() without a group, re-reading a read set of at most
//             3 MiB per partition (the mock keeps only 5 MiB per partition)
// Beside each produce and kcat cell, the disk-write ceiling: the same number of bytes written in
// 1 MiB sequential writes to a new file on Samsa's file system by a bare Node process (no
// broker, no network), so the ratio of any broker that persists there cannot be above
// ceiling / mock in that moment's state of the machine (see bench/README.md). The files are kept
// until the end, as Samsa keeps its logs: removing them would hand their page-cache pages to
// the next write, which Samsa's appends never get.
// Broker CPU comes from /proc/<pid>/stat (utime+stime) deltas around each load, memory from
// /proc/<pid>/status (VmRSS when idle, VmHWM after resetting it through clear_refs).
//
// Only 127.0.0.1; ports are chosen at run time; every child is killed and every temporary
// directory removed on exit, including on errors and signals.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { summarizeCpuProfile } from './cpuprofile-top.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
const loadPy = join(here, 'load.py');
const samsaBin = join(repoRoot, 'packages', 'cli', 'bin', 'samsa.mjs');
const PY = '/usr/bin/python3'; // Debian's python: the one that can import confluent_kafka
const CLK_TCK = 100;

const usage = `usage: node bench/e2e/run.mjs [options]
  --records N          records per produce run of 100 B records (default 1000000)
  --records-1k N       records per produce run of 1 KiB records (default 300000)
  --consume-records N  records read per consume run (default: the produce count of that size)
  --partitions LIST    partition counts (default 1,8)
  --sizes LIST         record sizes in bytes (default 100,1024)
  --acks LIST          acks values, 1 and/or all (default 1,all)
  --loads LIST         produce,kcat,paced,consume (default all four)
  --paced-rate R       records/s of the paced latency run (default 5000)
  --paced-seconds S    duration of the paced latency run (default 2)
  --repeat K           runs per produce/kcat/consume cell; the median by records/s is kept (default 3)
  --profile            run Samsa under node --cpu-prof and print its top self-time functions
  --no-ceiling         skip the disk-write ceiling runs beside produce and kcat cells
  --json FILE          also write every raw measurement to FILE
  --keep-going         record a failed cell and continue instead of stopping`;

const { values: opt } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    'records-1k': { type: 'string', default: '300000' },
    'consume-records': { type: 'string' },
    partitions: { type: 'string', default: '1,8' },
    sizes: { type: 'string', default: '100,1024' },
    acks: { type: 'string', default: '1,all' },
    loads: { type: 'string', default: 'produce,kcat,paced,consume' },
    'paced-rate': { type: 'string', default: '5000' },
    'paced-seconds': { type: 'string', default: '2' },
    repeat: { type: 'string', default: '3' },
    profile: { type: 'boolean', default: false },
    json: { type: 'string' },
    'keep-going': { type: 'boolean', default: false },
    'no-ceiling': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (opt.help) {
  console.log(usage);
  process.exit(0);
}
const list = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);
const partitionCounts = list(opt.partitions).map(Number);
const sizes = list(opt.sizes).map(Number);
const acksList = list(opt.acks).map((a) => (a === 'all' || a === '-1' ? 'all' : a));
const loads = new Set(list(opt.loads));
const repeat = Math.max(1, Number(opt.repeat));
const recordsFor = (size) => (size >= 1024 ? Number(opt['records-1k']) : Number(opt.records));
const consumeRecordsFor = (size) => (opt['consume-records'] ? Number(opt['consume-records']) : recordsFor(size));
const pacedRate = Number(opt['paced-rate']);
const pacedSeconds = Number(opt['paced-seconds']);

// ---------------------------------------------------------------------------------------------
// Cleanup: every child and temporary directory is registered here the moment it exists.

const children = new Set();
const tempDirs = new Set();
function track(proc) {
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  return proc;
}
function cleanupSync() {
  for (const proc of children) {
    try {
      process.kill(proc.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}
process.on('exit', cleanupSync);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => {
    cleanupSync();
    process.exit(130);
  });
}
function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

const log = (msg) => process.stderr.write(`[bench] ${msg}\n`);

// ---------------------------------------------------------------------------------------------
// Processes

function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

/** Runs a command to completion; resolves {code, stdout, stderr, seconds}. */
function run(cmd, args, { timeoutMs = 300_000 } = {}) {
  return new Promise((res, rej) => {
    const t0 = process.hrtime.bigint();
    const proc = track(spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c) => (stdout += c));
    proc.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.once('error', rej);
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      res({ code: code ?? (signal ? 128 : 1), stdout, stderr, seconds });
    });
  });
}

/** Runs load.py; resolves its JSON result line or rejects with the error and stderr tail. */
async function py(args) {
  const r = await run(PY, [loadPy, ...args]);
  const lines = r.stdout.trim().split('\n').filter(Boolean);
  let out;
  try {
    out = JSON.parse(lines.at(-1) ?? '{}');
  } catch {
    out = {};
  }
  if (r.code !== 0 || out.error) {
    throw new Error(`load.py ${args[0]} failed (exit ${r.code}): ${out.error ?? ''}\n${r.stderr.slice(-2000)}`);
  }
  return out;
}

function readLines(stream, onLine) {
  let buf = '';
  stream.on('data', (c) => {
    buf += c;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
}

function waitFor(cond, timeoutMs, what) {
  return new Promise((res, rej) => {
    const t0 = Date.now();
    const tick = () => {
      let v;
      try {
        v = cond();
      } catch (err) {
        rej(err);
        return;
      }
      if (v) res(v);
      else if (Date.now() - t0 > timeoutMs) rej(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 20);
    };
    tick();
  });
}

async function startSamsa(profileDir) {
  const port = await freePort();
  const dataDir = tempDir('samsa-bench-data-');
  const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const args = [...nodeArgs, samsaBin, 'server', '--set', `listeners=PLAINTEXT://127.0.0.1:${port}`, '--set', `log.dirs=${dataDir}`];
  const proc = track(spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] }));
  let output = '';
  proc.stdout.on('data', (c) => (output = (output + c).slice(-20000)));
  proc.stderr.on('data', (c) => (output = (output + c).slice(-20000)));
  await waitFor(
    () => {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`samsa exited during startup:\n${output}`);
      return output.includes(`listening on 127.0.0.1:${port}`);
    },
    30_000,
    'samsa to listen',
  );
  return {
    name: 'samsa',
    pid: proc.pid,
    bootstrap: `127.0.0.1:${port}`,
    dataDir,
    output: () => output,
    async createTopics(specs) {
      await py(['create', '--bootstrap', this.bootstrap, ...specs.flatMap(([t, p]) => ['--topic', `${t}:${p}`])]);
    },
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    },
  };
}

async function startMock() {
  const proc = track(spawn(PY, [loadPy, 'mock', '--brokers', '1'], { stdio: ['pipe', 'pipe', 'pipe'] }));
  const replies = [];
  let stderr = '';
  proc.stderr.on('data', (c) => (stderr = (stderr + c).slice(-20000)));
  readLines(proc.stdout, (line) => replies.push(JSON.parse(line)));
  const hello = await waitFor(
    () => {
      if (proc.exitCode !== null) throw new Error(`mock host exited:\n${stderr}`);
      return replies.shift();
    },
    10_000,
    'the mock cluster bootstrap address',
  );
  if (!hello.bootstrap) throw new Error(`mock host: ${JSON.stringify(hello)}`);
  return {
    name: 'mock',
    pid: proc.pid,
    bootstrap: hello.bootstrap,
    async createTopics(specs) {
      for (const [t, p] of specs) {
        proc.stdin.write(`topic ${t} ${p}\n`);
        const r = await waitFor(() => replies.shift(), 10_000, `mock topic ${t}`);
        if (r.created !== t || r.err !== 0) throw new Error(`mock topic ${t}: ${JSON.stringify(r)}`);
      }
    },
    async stop() {
      if (proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.stdin.end(); // the host exits on stdin EOF
      const t = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// /proc measurements

function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces: split after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
}
function memKb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const get = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssKb: get('VmRSS'), hwmKb: get('VmHWM') };
}
function resetPeak(pid) {
  writeFileSync(`/proc/${pid}/clear_refs`, '5'); // resets VmHWM to the current RSS
}

/** Runs fn() while measuring the broker: CPU seconds and peak RSS over the call. */
async function measured(broker, fn) {
  resetPeak(broker.pid);
  const ticks0 = cpuTicks(broker.pid);
  const result = await fn();
  const cpuSeconds = (cpuTicks(broker.pid) - ticks0) / CLK_TCK;
  const { hwmKb } = memKb(broker.pid);
  // CPU% is over the load's own measured interval (the broker idles while the client starts).
  const seconds = result.seconds ?? null;
  return {
    ...result,
    brokerCpuSeconds: cpuSeconds,
    brokerCpuPct: seconds ? (cpuSeconds / seconds) * 100 : null,
    brokerCpuUsPerRecord: result.records ? (cpuSeconds * 1e6) / result.records : null,
    brokerPeakRssMb: hwmKb / 1024,
  };
}

/**
 * The disk-write ceiling of a produce cell: `bytes` written in 1 MiB writes to a new file in
 * `dir` by a separate Node process, timed there (the file stays until the run ends).
 */
const CEILING_WRITER = `
const fs = require('node:fs');
const [path, total] = [process.argv[1], Number(process.argv[2])];
const chunk = Buffer.alloc(1 << 20, 120);
const fd = fs.openSync(path, 'w');
const t0 = process.hrtime.bigint();
for (let done = 0; done < total; done += chunk.length) fs.writeSync(fd, chunk, 0, Math.min(chunk.length, total - done), done);
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
fs.closeSync(fd);
console.log(JSON.stringify({ seconds }));`;

let ceilingSeq = 0;
async function diskCeiling(dir, records, size) {
  const bytes = records * size;
  const r = await run(process.execPath, ['-e', CEILING_WRITER, join(dir, `ceiling-${++ceilingSeq}.bin`), String(bytes)]);
  if (r.code !== 0) throw new Error(`disk-write ceiling run failed (exit ${r.code}): ${r.stderr.slice(-500)}`);
  const { seconds } = JSON.parse(r.stdout.trim().split('\n').at(-1));
  return { records, bytes, seconds, recordsPerSec: records / seconds, mbPerSec: bytes / seconds / 1e6 };
}

function median(results) {
  const sorted = [...results].sort((a, b) => a.recordsPerSec - b.recordsPerSec);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

// ---------------------------------------------------------------------------------------------
// Loads

const acksArg = (acks) => (acks === 'all' ? '-1' : acks);
let topicSeq = 0;
const topicName = (load, p, size, acks) => `bench-${load}-p${p}-s${size}-a${acks}-${++topicSeq}`;

async function verifyStored(broker, topic, expected) {
  const o = await py(['offsets', '--bootstrap', broker.bootstrap, '--topic', topic]);
  // The mock drops batches beyond 5 MiB per partition, so only its high watermark is checked.
  if (o.high !== expected) throw new Error(`${broker.name} ${topic}: high watermarks sum to ${o.high}, expected ${expected}`);
}

async function loadProduce(broker, { p, size, acks }) {
  const topic = topicName('py', p, size, acks);
  await broker.createTopics([[topic, p]]);
  const n = recordsFor(size);
  const r = await measured(broker, () =>
    py(['produce', '--bootstrap', broker.bootstrap, '--topic', topic, '--size', String(size), '--acks', acksArg(acks), '--records', String(n)]),
  );
  await verifyStored(broker, topic, n);
  return r;
}

const kcatFiles = new Map();
function kcatFile(size, n) {
  const key = `${size}:${n}`;
  if (kcatFiles.has(key)) return kcatFiles.get(key);
  const dir = tempDir('samsa-bench-kcat-');
  const file = join(dir, `records-${size}.txt`);
  // Printable payload of exactly `size` bytes, newline-delimited (kcat's default -D).
  const line = Buffer.alloc(size + 1, 0x61);
  for (let i = 0; i < size; i++) line[i] = 0x41 + ((i * 7) % 26);
  line[size] = 0x0a;
  const chunkLines = 4096;
  const chunk = Buffer.concat(Array.from({ length: chunkLines }, () => line));
  const fd = openSync(file, 'w');
  let left = n;
  while (left > 0) {
    const k = Math.min(left, chunkLines);
    writeSync(fd, chunk, 0, k * (size + 1));
    left -= k;
  }
  closeSync(fd);
  kcatFiles.set(key, file);
  return file;
}

async function loadKcat(broker, { p, size, acks }) {
  const topic = topicName('kcat', p, size, acks);
  await broker.createTopics([[topic, p]]);
  const n = recordsFor(size);
  const file = kcatFile(size, n);
  const r = await measured(broker, async () => {
    const x = await run('kcat', [
      '-P', '-b', broker.bootstrap, '-t', topic, '-l', file,
      '-X', `acks=${acksArg(acks)}`, '-X', 'linger.ms=5', '-X', 'batch.num.messages=100000', '-X', 'batch.size=1048576',
      '-X', 'queue.buffering.max.messages=1000000', '-X', 'queue.buffering.max.kbytes=1048576', '-X', 'compression.type=none',
    ]);
    if (x.code !== 0 || /ERROR|failed/i.test(x.stderr)) throw new Error(`kcat -P failed (exit ${x.code}): ${x.stderr.slice(-2000)}`);
    // Wall time of the kcat process: includes its start and metadata round trip (~tens of ms).
    return { records: n, bytes: n * size, seconds: x.seconds, recordsPerSec: n / x.seconds, mbPerSec: (n * size) / x.seconds / 1e6 };
  });
  await verifyStored(broker, topic, n);
  return r;
}

async function loadPaced(broker, { p, size, acks }) {
  const topic = topicName('paced', p, size, acks);
  await broker.createTopics([[topic, p]]);
  return py(['paced', '--bootstrap', broker.bootstrap, '--topic', topic, '--size', String(size), '--acks', acksArg(acks),
    '--rate', String(pacedRate), '--seconds', String(pacedSeconds)]);
}

// Records per partition of the consume read set: at most 3 MiB of record bytes, under the mock's
// 5 MiB per-partition limit with room for batch overhead.
const readSetPerPartition = (size) => Math.floor((3 * 1048576) / (size + 20));

async function prepareConsume(broker, { p, size }) {
  const topic = topicName('consume', p, size, 1);
  await broker.createTopics([[topic, p]]);
  const n = readSetPerPartition(size) * p;
  await py(['produce', '--bootstrap', broker.bootstrap, '--topic', topic, '--size', String(size), '--acks', '1', '--records', String(n), '--round-robin']);
  await verifyStored(broker, topic, n);
  return topic;
}

async function loadConsume(broker, { p, size }, topic) {
  const n = consumeRecordsFor(size);
  return measured(broker, () => py(['consume', '--bootstrap', broker.bootstrap, '--topic', topic, '--partitions', String(p), '--records', String(n)]));
}

// ---------------------------------------------------------------------------------------------
// Formatting

const fmtInt = (x) => (x == null || Number.isNaN(x) ? '–' : Math.round(x).toLocaleString('en-US'));
const fmt1 = (x) => (x == null || Number.isNaN(x) ? '–' : x.toFixed(1));
const fmt2 = (x) => (x == null || Number.isNaN(x) ? '–' : x.toFixed(2));
const fmtLat = (r) => (r && r.p50Ms != null ? `${fmt1(r.p50Ms)} / ${fmt1(r.p99Ms)}` : '–');
const fmtLatFine = (r) => (r && r.p50Ms != null ? `${fmt2(r.p50Ms)} / ${fmt2(r.p99Ms)}` : '–');
const sizeLabel = (s) => (s === 1024 ? '1 KiB' : `${s} B`);
const ratio = (a, b) => (a && b ? `${Math.round((a.recordsPerSec / b.recordsPerSec) * 100)} %` : '–');

function table(header, rows) {
  const out = [`| ${header.join(' | ')} |`, `| ${header.map((h, i) => (i < 3 ? '---' : '---:')).join(' | ')} |`];
  for (const r of rows) out.push(`| ${r.join(' | ')} |`);
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  const started = Date.now();
  const profileDir = opt.profile ? tempDir('samsa-bench-prof-') : undefined;
  const samsa = await startSamsa(profileDir);
  const mock = await startMock();
  // Idle RSS: a moment after start, before any client connects.
  await new Promise((r) => setTimeout(r, 1000));
  const idle = { samsa: memKb(samsa.pid).rssKb / 1024, mock: memKb(mock.pid).rssKb / 1024 };
  log(`samsa ${samsa.bootstrap} (pid ${samsa.pid}, idle RSS ${fmt1(idle.samsa)} MB); mock ${mock.bootstrap} (pid ${mock.pid}, idle RSS ${fmt1(idle.mock)} MB)`);

  const brokers = [samsa, mock];
  // Beside Samsa's data directory (same file system), removed with the other temporary dirs.
  const ceilingDir = tempDir('samsa-bench-ceiling-');
  const results = []; // {load, p, size, acks, samsa, mock}
  const failures = [];

  async function cell(load, params, fn) {
    const row = { load, ...params };
    for (const b of brokers) {
      try {
        const runs = [];
        for (let i = 0; i < (load === 'paced' ? 1 : repeat); i++) runs.push(await fn(b, params));
        row[b.name] = load === 'paced' ? runs[0] : median(runs);
        const x = row[b.name];
        log(`${load} p=${params.p} ${sizeLabel(params.size)} acks=${params.acks ?? '-'} ${b.name}: ` +
          (x.recordsPerSec ? `${fmtInt(x.recordsPerSec)} rec/s ${fmt1(x.mbPerSec)} MB/s` : '') +
          (x.p50Ms != null ? ` p50/p99 ${fmtLatFine(x)} ms` : '') +
          (x.brokerCpuPct != null ? ` cpu ${fmtInt(x.brokerCpuPct)} %` : ''));
      } catch (err) {
        const msg = `${load} p=${params.p} ${sizeLabel(params.size)} acks=${params.acks ?? '-'} on ${b.name}: ${err.message}`;
        if (!opt['keep-going']) throw new Error(msg, { cause: err });
        log(`FAILED ${msg}`);
        failures.push(msg);
      }
    }
    if (!opt['no-ceiling'] && (load === 'produce' || load === 'kcat')) {
      const runs = [];
      for (let i = 0; i < repeat; i++) runs.push(await diskCeiling(ceilingDir, recordsFor(params.size), params.size));
      row.ceiling = median(runs);
      log(`${load} p=${params.p} ${sizeLabel(params.size)} acks=${params.acks} disk-write ceiling: ${fmt1(row.ceiling.mbPerSec)} MB/s`);
    }
    results.push(row);
  }

  for (const p of partitionCounts) {
    for (const size of sizes) {
      for (const acks of acksList) {
        const params = { p, size, acks };
        if (loads.has('produce')) await cell('produce', params, loadProduce);
        if (loads.has('kcat')) await cell('kcat', params, loadKcat);
        if (loads.has('paced')) await cell('paced', params, loadPaced);
      }
      if (loads.has('consume')) {
        const topics = new Map();
        for (const b of brokers) topics.set(b.name, await prepareConsume(b, { p, size }).catch((e) => e));
        await cell('consume', { p, size }, (b, prm) => {
          const t = topics.get(b.name);
          if (t instanceof Error) throw t;
          return loadConsume(b, prm, t);
        });
      }
    }
  }

  const samsaPeakOverall = Math.max(0, ...results.map((r) => r.samsa?.brokerPeakRssMb ?? 0));
  const mockPeakOverall = Math.max(0, ...results.map((r) => r.mock?.brokerPeakRssMb ?? 0));
  await mock.stop();
  await samsa.stop();
  const elapsedS = (Date.now() - started) / 1000;

  // ---- report
  const out = [];
  const by = (load) => results.filter((r) => r.load === load);
  const produceHeader = ['partitions', 'record', 'acks', 'Samsa rec/s', 'Samsa MB/s', 'Samsa p50 / p99 ms', 'Samsa CPU %', 'Samsa CPU µs/rec', 'Samsa peak RSS MB',
    'mock rec/s', 'mock MB/s', 'mock p50 / p99 ms', 'mock CPU %', 'Samsa / mock', 'disk-write ceiling MB/s', 'ceiling / mock'];
  const produceRows = (load) => by(load).map((r) => [r.p, sizeLabel(r.size), r.acks,
    fmtInt(r.samsa?.recordsPerSec), fmt1(r.samsa?.mbPerSec), fmtLat(r.samsa), fmtInt(r.samsa?.brokerCpuPct), fmt2(r.samsa?.brokerCpuUsPerRecord), fmtInt(r.samsa?.brokerPeakRssMb),
    fmtInt(r.mock?.recordsPerSec), fmt1(r.mock?.mbPerSec), fmtLat(r.mock), fmtInt(r.mock?.brokerCpuPct), ratio(r.samsa, r.mock), fmt1(r.ceiling?.mbPerSec), ratio(r.ceiling, r.mock)]);
  if (by('produce').length) {
    out.push('### Produce: confluent-kafka-python, 1 producer (linger.ms=5, no compression; latency = produce() to delivery report, under saturation)\n');
    out.push(table(produceHeader, produceRows('produce')));
    out.push('\nPython main-thread CPU during the run (≈ 100 % means the load is client-bound): ' +
      by('produce').map((r) => `p${r.p}/${sizeLabel(r.size)}/acks=${r.acks}: Samsa ${fmtInt(r.samsa?.clientMainThreadPct)} %, mock ${fmtInt(r.mock?.clientMainThreadPct)} %`).join('; ') + '\n');
  }
  if (by('kcat').length) {
    out.push('### Produce: kcat -P -l FILE, 1 producer (C; wall time of the kcat process)\n');
    out.push(table(produceHeader.filter((h) => !h.includes('p50')), produceRows('kcat').map((r) => r.filter((_, i) => i !== 5 && i !== 11))));
    out.push('');
  }
  if (by('paced').length) {
    out.push(`### Latency at a fixed ${fmtInt(pacedRate)} records/s (confluent-kafka-python, linger.ms=0, ${pacedSeconds} s)\n`);
    out.push(table(['partitions', 'record', 'acks', 'Samsa p50 / p99 ms', 'mock p50 / p99 ms'],
      by('paced').map((r) => [r.p, sizeLabel(r.size), r.acks, fmtLatFine(r.samsa), fmtLatFine(r.mock)])));
    out.push('');
  }
  if (by('consume').length) {
    out.push('### Consume: confluent-kafka-python, assign() without a group, re-reading ≤ 3 MiB per partition\n');
    out.push(table(['partitions', 'record', '–', 'Samsa rec/s', 'Samsa MB/s', 'Samsa CPU %', 'Samsa CPU µs/rec', 'Samsa peak RSS MB', 'mock rec/s', 'mock MB/s', 'mock CPU %', 'Samsa / mock'],
      by('consume').map((r) => [r.p, sizeLabel(r.size), '', fmtInt(r.samsa?.recordsPerSec), fmt1(r.samsa?.mbPerSec), fmtInt(r.samsa?.brokerCpuPct), fmt2(r.samsa?.brokerCpuUsPerRecord), fmtInt(r.samsa?.brokerPeakRssMb),
        fmtInt(r.mock?.recordsPerSec), fmt1(r.mock?.mbPerSec), fmtInt(r.mock?.brokerCpuPct), ratio(r.samsa, r.mock)])));
    out.push('');
  }
  out.push('### Memory (VmRSS / VmHWM of the broker process)\n');
  out.push(table(['broker', 'process', '–', 'idle RSS MB (1 s after start)', 'peak RSS MB (highest of the measured loads)'], [
    ['Samsa', 'node (main thread + libuv pool)', '', fmt1(idle.samsa), fmt1(samsaPeakOverall)],
    ['mock', 'python3 hosting the librdkafka mock threads (keeps ≤ 5 MiB per partition in memory)', '', fmt1(idle.mock), fmt1(mockPeakOverall)],
  ]));
  out.push('');

  // ---- targets
  const verdicts = [];
  const produceLike = results.filter((r) => (r.load === 'produce' || r.load === 'kcat') && r.samsa && r.mock);
  const kib = produceLike.filter((r) => r.size === 1024);
  if (kib.length) {
    const worst = kib.reduce((a, b) => (a.samsa.recordsPerSec / a.mock.recordsPerSec < b.samsa.recordsPerSec / b.mock.recordsPerSec ? a : b));
    const pct = (worst.samsa.recordsPerSec / worst.mock.recordsPerSec) * 100;
    const met = kib.filter((r) => r.samsa.recordsPerSec / r.mock.recordsPerSec >= 0.5).length;
    verdicts.push(`- 1 KiB records at ≥ 50 % of the mock while persisting to disk: **${met === kib.length ? 'met' : met === 0 ? 'missed' : `missed (met in ${met} of ${kib.length} cells)`}**; lowest ratio ${Math.round(pct)} % (${worst.load}, ${worst.p} partitions, acks=${worst.acks}).`);
    const capped = kib.filter((r) => r.ceiling && r.ceiling.recordsPerSec / r.mock.recordsPerSec < 0.5);
    if (kib.some((r) => r.ceiling)) {
      verdicts.push(`  Disk-write ceiling below 50 % of the mock (no persisting broker could meet the target there): ${capped.length} of ${kib.length} cells` +
        (capped.length ? ` (${capped.map((r) => `${r.load} p${r.p} acks=${r.acks}: ${ratio(r.ceiling, r.mock)}`).join(', ')})` : '') + '.');
    }
  }
  const small = produceLike.filter((r) => r.size === 100);
  if (small.length) {
    const lo = small.reduce((a, b) => (a.samsa.recordsPerSec < b.samsa.recordsPerSec ? a : b));
    const hi = small.reduce((a, b) => (a.samsa.recordsPerSec > b.samsa.recordsPerSec ? a : b));
    verdicts.push(`- ≥ 500,000 records/s of 100 B with one producer: **${lo.samsa.recordsPerSec >= 500_000 ? 'met in every cell' : hi.samsa.recordsPerSec >= 500_000 ? 'met in some cells' : 'missed'}**; lowest ${fmtInt(lo.samsa.recordsPerSec)} (${lo.load}, ${lo.p} partitions, acks=${lo.acks}), highest ${fmtInt(hi.samsa.recordsPerSec)} (${hi.load}, ${hi.p} partitions, acks=${hi.acks}).`);
  }
  verdicts.push(`- Broker idle RSS ≤ 100 MB: **${idle.samsa <= 100 ? 'met' : 'missed'}** (${fmt1(idle.samsa)} MB).`);
  out.push('### Targets\n');
  out.push(verdicts.join('\n'));
  if (failures.length) out.push(`\n### Failures\n\n${failures.map((f) => `- ${f}`).join('\n')}`);
  out.push(`\nTotal wall time: ${fmtInt(elapsedS)} s.`);

  if (profileDir) {
    const files = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'));
    if (files.length) {
      out.push('\n### Samsa CPU profile: top self time over the whole run (node --cpu-prof)\n');
      out.push(summarizeCpuProfile(JSON.parse(readFileSync(join(profileDir, files[0]), 'utf8')), 25, repoRoot));
    } else {
      out.push('\n(no .cpuprofile was written: the broker did not exit cleanly)');
    }
  }

  console.log(out.join('\n'));
  if (opt.json) {
    writeFileSync(opt.json, JSON.stringify({ date: new Date().toISOString(), options: opt, idle, results, failures }, null, 2));
  }
  if (failures.length) process.exitCode = 1;
}

main().catch((err) => {
  console.error(`[bench] ${err.stack ?? err}`);
  process.exitCode = 1;
});
