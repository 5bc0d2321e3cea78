// Shared plumbing for the bench/ orchestrators: child and temp-dir cleanup, free ports, bounded
// waits, running a Python load script for its JSON result, starting Samsa and the librdkafka
// mock host (bench/e2e/load.py mock), and /proc measurements of a broker process.
//
// bench/txn/run.mjs uses it. bench/e2e/run.mjs and bench/groups/run.mjs predate it and keep
// their own copies of the same helpers (they cannot be imported: both parse argv and run on load).
//
// Import has side effects only when installCleanup() is called: it registers exit and signal
// handlers that SIGKILL every tracked child and remove every tracked temporary directory.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const e2eLoadPy = join(repoRoot, 'bench', 'e2e', 'load.py');
export const samsaBin = join(repoRoot, 'packages', 'cli', 'bin', 'samsa.mjs');
/** Debian's python: the one that can import confluent_kafka (the pyenv python3 on PATH cannot). */
export const PY = '/usr/bin/python3';
export const CLK_TCK = 100;

// ---------------------------------------------------------------------------------------------
// Cleanup: every child and temporary directory is registered the moment it exists.

const children = new Set();
const tempDirs = new Set();
let logTag = 'bench';

export const log = (msg) => process.stderr.write(`[${logTag}] ${msg}\n`);

export function track(proc) {
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
  children.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** Registers the exit/signal handlers; `tag` prefixes progress lines on stderr. */
export function installCleanup(tag) {
  logTag = tag;
  process.on('exit', cleanupSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
      log(`${sig}: killing children and removing temporary directories`);
      cleanupSync();
      process.exit(130);
    });
  }
}

export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

// ---------------------------------------------------------------------------------------------
// Processes

export function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

export function readLines(stream, onLine) {
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

/** Polls cond() every 20 ms until it returns a truthy value (resolved) or throws (rejected). */
export function waitFor(cond, timeoutMs, what) {
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
 * Runs `PY script args...` to completion. Every stdout line is parsed as JSON and handed to
 * onLine as it arrives (so the caller can sample a broker at marker lines); the last line is the
 * result. Rejects with the script's {"error"} line, or a timeout, and the tail of its stderr.
 */
export function runPy(script, args, { onLine, timeoutMs = 120_000 } = {}) {
  return new Promise((res, rej) => {
    const proc = track(spawn(PY, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
    let last = null;
    let stderr = '';
    let killed = false;
    proc.stderr.on('data', (c) => (stderr = (stderr + c).slice(-6000)));
    readLines(proc.stdout, (line) => {
      if (!line.trim()) return;
      try {
        last = JSON.parse(line);
      } catch {
        last = { error: `unparsable output line: ${line.slice(0, 200)}` };
        return;
      }
      try {
        onLine?.(last);
      } catch (err) {
        last = { error: `while handling ${line.slice(0, 100)}: ${err.message}` };
      }
    });
    const timer = setTimeout(() => {
      killed = true;
      proc.kill('SIGKILL');
    }, timeoutMs);
    proc.once('error', (err) => {
      clearTimeout(timer);
      rej(err);
    });
    proc.once('close', (code, signal) => {
      clearTimeout(timer);
      const what = `${script.split('/').slice(-2).join('/')} ${args[0]}`;
      // librdkafka's connection-refused noise about the mock host's dummy bootstrap is not useful.
      const tail = stderr.trim().split('\n').filter((l) => !/127\.0\.0\.1:1\/bootstrap|brokers are down/.test(l)).slice(-15).join('\n');
      if (killed) rej(new Error(`${what}: no result within ${timeoutMs / 1000} s, killed\n${tail}`));
      else if (code !== 0 || last === null || last.error) {
        rej(new Error(`${what} failed (exit ${code ?? signal}): ${last?.error ?? '(no result line)'}\n${tail}`));
      } else res(last);
    });
  });
}

/**
 * Starts `samsa server` on 127.0.0.1:<free port> with a temporary log dir. `set` adds
 * `--set k=v` overrides; `profileDir` runs it under `node --cpu-prof`. Broker log lines at warn
 * level or above (and stderr lines) are collected in `problems`.
 */
export async function startSamsa({ name = 'samsa', set = {}, profileDir } = {}) {
  const port = await freePort();
  const dataDir = tempDir('samsa-bench-data-');
  const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const sets = Object.entries(set).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
  const args = [...nodeArgs, samsaBin, 'server', '--set', `listeners=PLAINTEXT://127.0.0.1:${port}`, '--set', `log.dirs=${dataDir}`, ...sets];
  const proc = track(spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] }));
  let output = '';
  const problems = [];
  const onChunk = (c) => (output = (output + c).slice(-20000));
  proc.stdout.on('data', onChunk);
  proc.stderr.on('data', onChunk);
  readLines(proc.stdout, (line) => {
    if (Number(/"level":(\d+)/.exec(line)?.[1] ?? 0) >= 40) problems.push(line.slice(0, 400));
  });
  readLines(proc.stderr, (line) => {
    if (line.trim()) problems.push(`stderr: ${line.slice(0, 400)}`);
  });
  const alive = () => proc.exitCode === null && proc.signalCode === null;
  await waitFor(
    () => {
      if (!alive()) throw new Error(`samsa exited during startup:\n${output}`);
      return output.includes(`listening on 127.0.0.1:${port}`);
    },
    30_000,
    'samsa to listen',
  );
  return {
    name,
    pid: proc.pid,
    bootstrap: `127.0.0.1:${port}`,
    dataDir,
    alive,
    output: () => output,
    problems,
    async createTopics(specs) {
      if (!specs.length) return;
      await runPy(e2eLoadPy, ['create', '--bootstrap', this.bootstrap, ...specs.flatMap(([t, p]) => ['--topic', `${t}:${p}`])], { timeoutMs: 60_000 });
    },
    async stop() {
      if (!alive()) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Starts librdkafka's in-memory mock cluster (one broker) hosted by bench/e2e/load.py. */
export async function startMock() {
  const proc = track(spawn(PY, [e2eLoadPy, 'mock', '--brokers', '1'], { stdio: ['pipe', 'pipe', 'pipe'] }));
  const replies = [];
  let stderr = '';
  proc.stderr.on('data', (c) => (stderr = (stderr + c).slice(-20000)));
  readLines(proc.stdout, (line) => replies.push(JSON.parse(line)));
  const alive = () => proc.exitCode === null && proc.signalCode === null;
  const hello = await waitFor(
    () => {
      if (!alive()) throw new Error(`mock host exited:\n${stderr}`);
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
    alive,
    output: () => stderr,
    problems: [],
    async createTopics(specs) {
      for (const [t, p] of specs) {
        proc.stdin.write(`topic ${t} ${p}\n`);
        const r = await waitFor(() => replies.shift(), 10_000, `mock topic ${t}`);
        if (r.created !== t || r.err !== 0) throw new Error(`mock topic ${t}: ${JSON.stringify(r)}`);
      }
    },
    async stop() {
      if (!alive()) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.stdin.end(); // the host exits on stdin EOF
      const t = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Sum of the low and high watermarks of a topic's partitions (bench/e2e/load.py offsets). */
export function topicOffsets(broker, topic) {
  return runPy(e2eLoadPy, ['offsets', '--bootstrap', broker.bootstrap, '--topic', topic], { timeoutMs: 60_000 });
}

// ---------------------------------------------------------------------------------------------
// /proc measurements

/** utime + stime of every thread of `pid`, in clock ticks (1/CLK_TCK s). */
export function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces: split after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
}

export function memKb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const get = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssKb: get('VmRSS'), hwmKb: get('VmHWM') };
}

/** Resets VmHWM to the current RSS. */
export function resetPeak(pid) {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

// ---------------------------------------------------------------------------------------------
// Statistics

/** Median of the numbers in xs (nulls and NaN ignored); the mean of the middle two for even counts. */
export function median(xs) {
  const s = xs.filter((x) => x != null && !Number.isNaN(x)).sort((a, b) => a - b);
  if (!s.length) return null;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
