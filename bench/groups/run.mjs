#!/usr/bin/env node
// Consumer-group benchmark: the same librdkafka members against Samsa and against librdkafka's
// in-memory mock cluster (which implements classic groups), in one invocation, reported as
// ratios. bench/groups/run.sh builds the broker first and then runs this.
//
//   join     N ∈ {1, 10, 100} members subscribe to a fresh group at once: time until every member
//            holds its assignment; then one extra member joins the stable group: time until all
//            N+1 hold the new assignment. Samsa runs twice, with group.initial.rebalance.delay.ms
//            0 and 3000; the mock's first-join delay is fixed (3000 ms in librdkafka 2.0.2).
//   death    a 3-member group; one member (a child process) is SIGKILLed: time until the two
//            survivors hold all partitions. Also a graceful close() (LeaveGroup).
//   commits  one member commits explicit offsets synchronously in a loop, and asynchronously
//            with a window of commits in flight, for 1 and 8 partitions per commit.
//
// The members are confluent-kafka-python 1.7 consumers (librdkafka 2.0.2), see members.py and
// bench/README.md for why. Only 127.0.0.1; ports are chosen at run time; every child is killed and
// every temporary directory removed on exit, including on errors and signals.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
const membersPy = join(here, 'members.py');
const loadPy = join(repoRoot, 'bench', 'e2e', 'load.py'); // mock host and Samsa topic creation
const samsaBin = join(repoRoot, 'packages', 'cli', 'bin', 'samsa.mjs');
const PY = '/usr/bin/python3'; // Debian's python: the one that can import confluent_kafka
const CLK_TCK = 100;

const usage = `usage: bench/groups/run.sh [options]     (or: node bench/groups/run.mjs [options] after npx tsc -b)
  --tests LIST             join,death,commits (default all three)
  --members LIST           group sizes for join (default 1,10,100)
  --join-partitions N      partitions of the join topic (default 100)
  --repeat K               join trials per group size and broker; medians are reported (default 3)
  --death-repeat K         kill and leave trials per broker (default 3)
  --death-members N        group size of the death/leave trials, the victim included (default 3)
  --death-partitions N     partitions of the death topic (default 6)
  --session-timeout-ms MS  session.timeout.ms of every member (default 6000, Samsa's minimum)
  --heartbeat-ms MS        heartbeat.interval.ms of every member (default 500)
  --commit-seconds S       duration of one commit run (default 1.5)
  --commit-repeat K        runs per commit mode and partition count (default 3)
  --commit-window W        async commits in flight (default 100)
  --commit-partitions N    partitions per commit in the second column (default 8)
  --timeout S              bound on every wait inside a trial (default 60)
  --json FILE              also write every raw measurement to FILE
  --keep-going             record a failed trial and continue instead of stopping
  --help                   this text
The Markdown report goes to stdout, progress to stderr.`;

let opt;
try {
  ({ values: opt } = parseArgs({
    options: {
      tests: { type: 'string', default: 'join,death,commits' },
      members: { type: 'string', default: '1,10,100' },
      'join-partitions': { type: 'string', default: '100' },
      repeat: { type: 'string', default: '3' },
      'death-repeat': { type: 'string', default: '3' },
      'death-members': { type: 'string', default: '3' },
      'death-partitions': { type: 'string', default: '6' },
      'session-timeout-ms': { type: 'string', default: '6000' },
      'heartbeat-ms': { type: 'string', default: '500' },
      'commit-seconds': { type: 'string', default: '1.5' },
      'commit-repeat': { type: 'string', default: '3' },
      'commit-window': { type: 'string', default: '100' },
      'commit-partitions': { type: 'string', default: '8' },
      timeout: { type: 'string', default: '60' },
      json: { type: 'string' },
      'keep-going': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  }));
} catch (err) {
  console.error(`bench/groups: ${err.message}\n\n${usage}`);
  process.exit(2);
}
if (opt.help) {
  console.log(usage);
  process.exit(0);
}
const list = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);
const posInt = (name) => {
  const n = Number(opt[name]);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`bench/groups: --${name} must be a positive integer, got ${opt[name]}`);
    process.exit(2);
  }
  return n;
};
const tests = new Set(list(opt.tests));
for (const t of tests) {
  if (!['join', 'death', 'commits'].includes(t)) {
    console.error(`bench/groups: unknown test ${t} (join, death, commits)`);
    process.exit(2);
  }
}
const memberCounts = list(opt.members).map(Number);
if (memberCounts.some((n) => !Number.isInteger(n) || n < 1)) {
  console.error(`bench/groups: --members must list positive integers, got ${opt.members}`);
  process.exit(2);
}
const joinPartitions = posInt('join-partitions');
const repeat = posInt('repeat');
const deathRepeat = posInt('death-repeat');
const deathMembers = posInt('death-members');
const deathPartitions = posInt('death-partitions');
const sessionTimeoutMs = posInt('session-timeout-ms');
const heartbeatMs = posInt('heartbeat-ms');
const commitRepeat = posInt('commit-repeat');
const commitWindow = posInt('commit-window');
const commitPartitions = posInt('commit-partitions');
const commitSeconds = Number(opt['commit-seconds']);
const timeoutS = Number(opt.timeout);
if (deathMembers < 2) {
  console.error('bench/groups: --death-members must be at least 2 (one victim, one survivor)');
  process.exit(2);
}
// A driver process may wait --timeout several times (warm-up, join, extra join) plus its own start.
const processTimeoutMs = (timeoutS * 4 + 60) * 1000;

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
    log(`${sig}: killing children and removing temporary directories`);
    cleanupSync();
    process.exit(130);
  });
}
function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

const log = (msg) => process.stderr.write(`[groups] ${msg}\n`);

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
      else if (Date.now() - t0 > timeoutMs) rej(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      else setTimeout(tick, 20);
    };
    tick();
  });
}

/**
 * Runs a Python script to completion. Every stdout line is parsed as JSON and handed to onLine
 * (as it arrives, so the caller can sample the broker at markers); the last line is the result.
 * Rejects with the script's error line and the tail of its stderr.
 */
function py(script, args, { onLine, timeoutMs = processTimeoutMs } = {}) {
  return new Promise((res, rej) => {
    const proc = track(spawn(PY, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
    let last = null;
    let stderr = '';
    proc.stderr.on('data', (c) => (stderr = (stderr + c).slice(-4000)));
    readLines(proc.stdout, (line) => {
      if (!line.trim()) return;
      try {
        last = JSON.parse(line);
      } catch {
        last = { error: `unparsable output line: ${line.slice(0, 200)}` };
        return;
      }
      onLine?.(last);
    });
    const timer = setTimeout(() => {
      stderr += `\n(killed by run.mjs after ${timeoutMs / 1000} s)`;
      proc.kill('SIGKILL');
    }, timeoutMs);
    proc.once('error', (err) => {
      clearTimeout(timer);
      rej(err);
    });
    proc.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0 || last === null || last.error) {
        const what = `${script.split('/').at(-1)} ${args[0]}`;
        rej(new Error(`${what} failed (exit ${code ?? signal}): ${last?.error ?? '(no result line)'}\n${stderr.trim().split('\n').slice(-15).join('\n')}`));
      } else {
        res(last);
      }
    });
  });
}

async function startSamsa(name, initialDelayMs) {
  const port = await freePort();
  const dataDir = tempDir('samsa-groups-data-');
  const args = [samsaBin, 'server', '--set', `listeners=PLAINTEXT://127.0.0.1:${port}`, '--set', `log.dirs=${dataDir}`,
    '--set', `group.initial.rebalance.delay.ms=${initialDelayMs}`];
  const proc = track(spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] }));
  let output = '';
  // Warnings and errors the broker logs (pino levels 40+, and anything on stderr) are shown in the report.
  const problems = [];
  const onChunk = (c) => (output = (output + c).slice(-20000));
  proc.stdout.on('data', onChunk);
  proc.stderr.on('data', onChunk);
  readLines(proc.stdout, (line) => {
    const level = Number(/"level":(\d+)/.exec(line)?.[1] ?? 0);
    if (level >= 40) problems.push(line.slice(0, 400));
  });
  readLines(proc.stderr, (line) => {
    if (line.trim()) problems.push(`stderr: ${line.slice(0, 400)}`);
  });
  await waitFor(
    () => {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`samsa (${name}) exited during startup:\n${output}`);
      return output.includes(`listening on 127.0.0.1:${port}`);
    },
    30_000,
    `samsa (${name}) to listen`,
  );
  return {
    name,
    label: `Samsa, initial delay ${initialDelayMs} ms`,
    pid: proc.pid,
    bootstrap: `127.0.0.1:${port}`,
    alive: () => proc.exitCode === null && proc.signalCode === null,
    output: () => output,
    problems,
    async createTopics(specs) {
      await py(loadPy, ['create', '--bootstrap', this.bootstrap, ...specs.flatMap(([t, p]) => ['--topic', `${t}:${p}`])]);
    },
    async stop() {
      if (!this.alive()) return;
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
    label: 'librdkafka 2.0.2 mock',
    pid: proc.pid,
    bootstrap: hello.bootstrap,
    alive: () => proc.exitCode === null && proc.signalCode === null,
    output: () => stderr,
    async createTopics(specs) {
      for (const [t, p] of specs) {
        proc.stdin.write(`topic ${t} ${p}\n`);
        const r = await waitFor(() => replies.shift(), 10_000, `mock topic ${t}`);
        if (r.created !== t || r.err !== 0) throw new Error(`mock topic ${t}: ${JSON.stringify(r)}`);
      }
    },
    async stop() {
      if (!this.alive()) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.stdin.end(); // the host exits on stdin EOF
      const t = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
    },
  };
}

function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces: split after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
}

// ---------------------------------------------------------------------------------------------
// Trials

const TOPIC_JOIN = 'groups-join';
const TOPIC_DEATH = 'groups-death';
const TOPIC_COMMITS = 'groups-commits';
const common = (broker, topic) => ['--bootstrap', broker.bootstrap, '--topic', topic,
  '--session-timeout-ms', String(sessionTimeoutMs), '--heartbeat-ms', String(heartbeatMs), '--timeout', String(timeoutS)];

async function trialJoin(broker, members) {
  const r = await py(membersPy, ['join', ...common(broker, TOPIC_JOIN), '--members', String(members),
    '--partitions', String(joinPartitions), '--extra']);
  if (!broker.alive()) throw new Error(`${broker.name} died during the trial:\n${broker.output().slice(-3000)}`);
  return r;
}

async function trialDeath(broker, how) {
  const r = await py(membersPy, ['death', ...common(broker, TOPIC_DEATH), '--members', String(deathMembers),
    '--partitions', String(deathPartitions), '--how', how]);
  if (!broker.alive()) throw new Error(`${broker.name} died during the trial:\n${broker.output().slice(-3000)}`);
  return r;
}

/** One driver per broker; the broker's CPU is sampled at every run's begin/end marker line. */
async function trialCommits(broker) {
  const runs = [];
  let mark = null;
  await py(membersPy, ['commits', ...common(broker, TOPIC_COMMITS), '--partitions', String(commitPartitions),
    '--seconds', String(commitSeconds), '--window', String(commitWindow), '--repeat', String(commitRepeat)], {
    onLine(ev) {
      if (ev.event === 'begin') mark = cpuTicks(broker.pid);
      else if (ev.event === 'end') {
        const cpuSeconds = (cpuTicks(broker.pid) - mark) / CLK_TCK;
        runs.push({ ...ev, brokerCpuPct: (cpuSeconds / ev.seconds) * 100, brokerCpuUsPerCommit: (cpuSeconds * 1e6) / ev.commits });
      }
    },
  });
  if (!broker.alive()) throw new Error(`${broker.name} died during the trial:\n${broker.output().slice(-3000)}`);
  return runs;
}

// ---------------------------------------------------------------------------------------------
// Statistics and formatting

function median(xs) {
  const s = xs.filter((x) => x != null && !Number.isNaN(x)).sort((a, b) => a - b);
  if (!s.length) return null;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
const minOf = (xs) => Math.min(...xs.filter((x) => x != null));
const maxOf = (xs) => Math.max(...xs.filter((x) => x != null));
const fmtS = (x) => (x == null ? '–' : x < 0.1 ? x.toFixed(3) : x.toFixed(2));
const fmtMs = (x) => (x == null ? '–' : `${Math.round(x).toLocaleString('en-US')}`);
const fmtInt = (x) => (x == null || Number.isNaN(x) ? '–' : Math.round(x).toLocaleString('en-US'));
const fmt1 = (x) => (x == null || Number.isNaN(x) ? '–' : x.toFixed(1));
/** "median (min–max)" of seconds, or "–". */
const spread = (xs) => {
  const v = xs.filter((x) => x != null);
  if (!v.length) return '–';
  if (v.length === 1) return fmtS(v[0]);
  return `${fmtS(median(v))} (${fmtS(minOf(v))}–${fmtS(maxOf(v))})`;
};
const pct = (a, b) => {
  if (a == null || !b) return '–';
  const r = (a / b) * 100;
  return `${r < 10 ? r.toFixed(1) : Math.round(r)} %`;
};
const roundsText = (xs) => {
  const v = [...new Set(xs.filter((x) => x != null))].sort((a, b) => a - b);
  return v.length ? v.join(', ') : '–';
};

function table(header, rows, leftCols = 1) {
  const out = [`| ${header.join(' | ')} |`, `| ${header.map((_, i) => (i < leftCols ? '---' : '---:')).join(' | ')} |`];
  for (const r of rows) out.push(`| ${r.join(' | ')} |`);
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  const started = Date.now();
  const samsa0 = await startSamsa('samsa-d0', 0);
  const samsa3 = await startSamsa('samsa-d3000', 3000);
  const mock = await startMock();
  log(`samsa-d0 ${samsa0.bootstrap} (pid ${samsa0.pid}); samsa-d3000 ${samsa3.bootstrap} (pid ${samsa3.pid}); mock ${mock.bootstrap} (pid ${mock.pid})`);
  const topics = [[TOPIC_JOIN, joinPartitions], [TOPIC_DEATH, deathPartitions], [TOPIC_COMMITS, commitPartitions]];
  for (const b of [samsa0, samsa3, mock]) await b.createTopics(topics);

  const raw = { join: [], death: [], commits: [] };
  const failures = [];
  async function guarded(what, fn) {
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

  if (tests.has('join')) {
    // Interleaved (repeat, size, broker) so that a slow minute on the shared VM hits every broker.
    for (let rep = 0; rep < repeat; rep++) {
      for (const n of memberCounts) {
        for (const b of [samsa0, samsa3, mock]) {
          const r = await guarded(`join ${n} members on ${b.name} (trial ${rep + 1})`, () => trialJoin(b, n));
          if (!r) continue;
          raw.join.push({ broker: b.name, rep, ...r });
          log(`join ${n} on ${b.name}: initial ${fmtS(r.joinSeconds)} s (${r.joinRounds} round(s)), +1 member ${fmtS(r.extraSeconds)} s (${r.extraRounds} round(s))`);
        }
      }
    }
  }

  if (tests.has('death')) {
    // Samsa's and the mock's trial of a repeat run at the same time: both are waits on timers
    // (session timeout, heartbeats) with 3 idle members each, and this keeps the default run short.
    for (let rep = 0; rep < deathRepeat; rep++) {
      for (const how of ['kill', 'leave']) {
        const rs = await Promise.all([samsa0, mock].map((b) =>
          guarded(`${how} on ${b.name} (trial ${rep + 1})`, () => trialDeath(b, how)).then((r) => (r ? { broker: b.name, rep, ...r } : null))));
        for (const r of rs.filter(Boolean)) {
          raw.death.push(r);
          log(`${how} on ${r.broker}: survivors hold everything after ${fmtS(r.seconds)} s`);
        }
      }
    }
  }

  if (tests.has('commits')) {
    for (const b of [samsa0, mock]) {
      const runs = await guarded(`commits on ${b.name}`, () => trialCommits(b));
      for (const r of runs ?? []) {
        raw.commits.push({ broker: b.name, ...r });
        log(`commits ${r.mode} p=${r.p} on ${b.name}: ${fmtInt(r.commitsPerSec)}/s, broker CPU ${fmtInt(r.brokerCpuPct)} %`);
      }
    }
  }

  await mock.stop();
  await samsa0.stop();
  await samsa3.stop();
  const elapsedS = (Date.now() - started) / 1000;

  // ---- report
  const out = [];
  out.push(`Members: confluent-kafka-python 1.7.0 consumers on librdkafka 2.0.2, eager \`range\` assignor, session.timeout.ms=${sessionTimeoutMs}, ` +
    `heartbeat.interval.ms=${heartbeatMs}. Times are medians of the trials, (min–max) in brackets; Samsa / mock is the ratio of the medians ` +
    '(for times, below 100 % means Samsa is faster).\n');

  if (raw.join.length) {
    const sel = (broker, n) => raw.join.filter((r) => r.broker === broker && r.members === n);
    const med = (broker, n, k) => median(sel(broker, n).map((r) => r[k]));
    out.push(`### Rebalance: N members subscribe to a fresh group at once (topic of ${joinPartitions} partitions)\n`);
    out.push('Time from the first subscribe() (after every consumer has found the coordinator) until every member\'s on_assign has run and the ' +
      'assignments cover every partition exactly once. "rounds": assignments a member received on the way (1 = a single generation).\n');
    out.push(table(['members', 'Samsa, delay 0: s', 'rounds', 'Samsa, delay 3000: s', 'rounds', 'mock (fixed 3000 ms delay): s', 'rounds', 'Samsa d0 / mock', 'Samsa d3000 / mock'],
      memberCounts.map((n) => [n,
        spread(sel('samsa-d0', n).map((r) => r.joinSeconds)), roundsText(sel('samsa-d0', n).map((r) => r.joinRounds)),
        spread(sel('samsa-d3000', n).map((r) => r.joinSeconds)), roundsText(sel('samsa-d3000', n).map((r) => r.joinRounds)),
        spread(sel('mock', n).map((r) => r.joinSeconds)), roundsText(sel('mock', n).map((r) => r.joinRounds)),
        pct(med('samsa-d0', n, 'joinSeconds'), med('mock', n, 'joinSeconds')), pct(med('samsa-d3000', n, 'joinSeconds'), med('mock', n, 'joinSeconds'))])));
    out.push('');
    out.push('### Rebalance: one extra member joins the stable group of N\n');
    out.push('Time from the extra member\'s subscribe() until all N+1 members hold the new assignment (the existing members learn of the ' +
      `rebalance from their next heartbeat, every ${heartbeatMs} ms). The initial delay does not apply (the group is not Empty).\n`);
    out.push(table(['N → N+1', 'Samsa (d0 broker): s', 'rounds', 'Samsa (d3000 broker): s', 'rounds', 'mock: s', 'rounds', 'Samsa d0 / mock', 'Samsa d3000 / mock'],
      memberCounts.map((n) => [`${n} → ${n + 1}`,
        spread(sel('samsa-d0', n).map((r) => r.extraSeconds)), roundsText(sel('samsa-d0', n).map((r) => r.extraRounds)),
        spread(sel('samsa-d3000', n).map((r) => r.extraSeconds)), roundsText(sel('samsa-d3000', n).map((r) => r.extraRounds)),
        spread(sel('mock', n).map((r) => r.extraSeconds)), roundsText(sel('mock', n).map((r) => r.extraRounds)),
        pct(med('samsa-d0', n, 'extraSeconds'), med('mock', n, 'extraSeconds')), pct(med('samsa-d3000', n, 'extraSeconds'), med('mock', n, 'extraSeconds'))])));
    out.push('');
    const big = Math.max(...memberCounts);
    out.push(`Client side, not timed: creating ${big} consumers took ${fmtS(median(raw.join.filter((r) => r.members === big).map((r) => r.createSeconds)))} s and ` +
      `their coordinator warm-up (one OffsetFetch each) ${fmtS(median(raw.join.filter((r) => r.members === big).map((r) => r.warmUpSeconds)))} s (medians).\n`);
  }

  if (raw.death.length) {
    const sel = (broker, how) => raw.death.filter((r) => r.broker === broker && r.how === how);
    const med = (broker, how) => median(sel(broker, how).map((r) => r.seconds));
    out.push(`### Member death and graceful leave (group of ${deathMembers}, topic of ${deathPartitions} partitions)\n`);
    out.push(`Time from SIGKILL of the member's process (no LeaveGroup), or from the start of its close(), until the ${deathMembers - 1} survivors hold ` +
      `all partitions. "− session timeout" subtracts ${sessionTimeoutMs} ms: what is left is the coordinator's reaction plus the survivors' ` +
      `discovery at their next heartbeat (0–${heartbeatMs} ms), minus the time between the victim's last heartbeat and the kill (0–${heartbeatMs} ms).\n`);
    const rows = [];
    for (const how of ['kill', 'leave']) {
      const s = sel('samsa-d0', how);
      const m = sel('mock', how);
      if (!s.length && !m.length) continue;
      const minus = (xs) => (how === 'kill' ? fmtMs(median(xs.map((r) => r.seconds * 1000 - sessionTimeoutMs))) + ' ms' : '');
      rows.push([how === 'kill' ? 'SIGKILL' : 'close()', spread(s.map((r) => r.seconds)), minus(s), spread(m.map((r) => r.seconds)), minus(m), pct(med('samsa-d0', how), med('mock', how))]);
    }
    out.push(table(['event', 'Samsa: s', 'Samsa − session timeout', 'mock: s', 'mock − session timeout', 'Samsa / mock'], rows));
    const closeS = sel('samsa-d0', 'leave').map((r) => r.closeSeconds);
    const closeM = sel('mock', 'leave').map((r) => r.closeSeconds);
    out.push(`\nThe leaving member's close() itself returned after ${spread(closeS)} s on Samsa and ${spread(closeM)} s on the mock.\n`);
  }

  if (raw.commits.length) {
    const sel = (broker, mode, p) => raw.commits.filter((r) => r.broker === broker && r.mode === mode && r.p === p);
    const med = (broker, mode, p, k) => median(sel(broker, mode, p).map((r) => r[k]));
    out.push(`### Offset commits: one member, explicit offsets, ${commitSeconds} s per run, ${commitRepeat} runs each\n`);
    out.push(`sync: \`commit(asynchronous=False)\` in a loop; async: \`commit(asynchronous=True)\` with up to ${commitWindow} in flight, counted when ` +
      'on_commit reports them. Each commit is one OffsetCommit request carrying 1 or N partitions; after every run the committed offsets are ' +
      'read back and must be the last ones sent. CPU is the broker process over the run (Samsa: node; mock: the Python process hosting ' +
      'the mock\'s threads); client % is the whole client process (Python + librdkafka threads).\n');
    const rows = [];
    for (const mode of ['sync', 'async']) {
      for (const p of [1, commitPartitions]) {
        if (!sel('samsa-d0', mode, p).length && !sel('mock', mode, p).length) continue;
        rows.push([mode, p,
          fmtInt(med('samsa-d0', mode, p, 'commitsPerSec')), fmtInt(med('samsa-d0', mode, p, 'commitsPerSec') * p),
          fmtInt(med('samsa-d0', mode, p, 'brokerCpuPct')), fmt1(med('samsa-d0', mode, p, 'brokerCpuUsPerCommit')), fmtInt(med('samsa-d0', mode, p, 'clientProcessPct')),
          fmtInt(med('mock', mode, p, 'commitsPerSec')), fmtInt(med('mock', mode, p, 'brokerCpuPct')), fmtInt(med('mock', mode, p, 'clientProcessPct')),
          pct(med('samsa-d0', mode, p, 'commitsPerSec'), med('mock', mode, p, 'commitsPerSec'))]);
      }
    }
    out.push(table(['mode', 'partitions per commit', 'Samsa commits/s', 'Samsa offsets/s', 'Samsa CPU %', 'Samsa CPU µs/commit', 'client CPU % (Samsa)',
      'mock commits/s', 'mock CPU %', 'client CPU % (mock)', 'Samsa / mock'], rows, 2));
    out.push('');
  }

  for (const b of [samsa0, samsa3]) {
    const n = b.problems.length;
    out.push(`${b.name} logged ${n} warning/error line(s)${n ? ':' : '.'}`);
    for (const line of b.problems.slice(0, 5)) out.push(`    ${line}`);
    if (n > 5) out.push(`    … ${n - 5} more`);
  }
  out.push('');
  if (failures.length) out.push(`### Failures\n\n${failures.map((f) => `- ${f.split('\n')[0]}`).join('\n')}\n`);
  out.push(`Total wall time: ${fmtInt(elapsedS)} s.`);
  console.log(out.join('\n'));
  if (opt.json) {
    writeFileSync(opt.json, JSON.stringify({ date: new Date().toISOString(), options: opt, raw, failures }, null, 2));
  }
  if (failures.length) process.exitCode = 1;
}

main().catch((err) => {
  console.error(`[groups] ${err.stack ?? err}`);
  // The brokers are still running and their pipes keep the event loop alive: stop everything now.
  cleanupSync();
  process.exit(1);
});
