#!/usr/bin/env node
// Topic-scale benchmark (issue 17): the cost of metadata changes as topics grow, for this tree
// and for a baseline commit built in the same invocation (by default 7d8f61e, the last one whose
// metadata store rewrote the whole JSON file on every change), reported side by side.
//
//   store    in-process: N topics created one by one in each tree's FileMetadataStore on a
//            fresh directory; time per thousand (no broker, no partition logs: the metadata
//            store's own cost).
//   broker   each tree's `samsa server` on a fresh data dir: N single-partition topics created
//            through CreateTopics (--batch topics per request, one request at a time), time per
//            thousand; then RSS and open descriptors, a full Metadata request, kill -9 and the
//            time until the restarted broker listens, a clean shutdown (SIGTERM until exit) and
//            the time of the start after it. Topic counts are checked after each restart.
//
// bench/scale/run.sh builds this tree first (npx tsc -b). The baseline is extracted with
// `git archive` into a temporary directory, linked to this tree's node_modules and built with
// tsc. Only 127.0.0.1; ports chosen at run time; every child is killed and every temporary
// directory removed on exit, including on errors and signals.

import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, installCleanup, log, memKb, readLines, repoRoot, tempDir, track, waitFor } from '../lib/harness.mjs';

const usage = `usage: bench/scale/run.sh [options]      (or: node bench/scale/run.mjs [options] after npx tsc -b)
  --topics N          topics to create per phase (default 10000)
  --batch N           topics per request in the broker phase (default 100)
  --via API           how the broker phase creates topics: createtopics (default), or metadata
                      (Metadata requests naming new topics, with auto-create on: num.partitions=1)
  --phases LIST       store,broker (default both)
  --baseline-ref REF  git commit to compare with (default 7d8f61e); --no-baseline skips it
  --json FILE         also write the raw results as JSON`;

const { values: opts } = parseArgs({
  options: {
    topics: { type: 'string', default: '10000' },
    batch: { type: 'string', default: '100' },
    via: { type: 'string', default: 'createtopics' },
    phases: { type: 'string', default: 'store,broker' },
    'baseline-ref': { type: 'string', default: '7d8f61e' },
    'no-baseline': { type: 'boolean', default: false },
    json: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  console.log(usage);
  process.exit(0);
}
const TOPICS = Number(opts.topics);
const BATCH = Number(opts.batch);
const phases = new Set(opts.phases.split(','));
const VIA = opts.via;
if (VIA !== 'createtopics' && VIA !== 'metadata') throw new Error(`--via ${VIA}: createtopics or metadata`);
installCleanup('scale');

/** Extracts `ref` into a temp dir, links node_modules, builds protocol..cli; returns the tree's root. */
function buildBaseline(ref) {
  const dir = tempDir('samsa-baseline-');
  log(`baseline: git archive ${ref} into ${dir}`);
  execFileSync('sh', ['-c', `git -C "${repoRoot}" archive "${ref}" | tar -x -C "${dir}"`], { stdio: 'inherit' });
  const modules = join(dir, 'node_modules');
  mkdirSync(join(modules, '@samsa'), { recursive: true });
  for (const name of readdirSync(join(repoRoot, 'node_modules'))) {
    if (name === '@samsa' || name === '.bin' || name.startsWith('.')) continue;
    symlinkSync(join(repoRoot, 'node_modules', name), join(modules, name));
  }
  for (const pkg of readdirSync(join(dir, 'packages'))) symlinkSync(join('..', '..', 'packages', pkg), join(modules, '@samsa', pkg));
  log('baseline: tsc -b packages/cli (protocol, storage, broker, client, cli)');
  execFileSync(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', join(dir, 'packages', 'cli')], { stdio: 'inherit' });
  return dir;
}

const trees = [];
if (!opts['no-baseline']) trees.push({ name: `baseline ${opts['baseline-ref']}`, root: buildBaseline(opts['baseline-ref']) });
trees.push({ name: `this tree ${execFileSync('git', ['-C', repoRoot, 'rev-parse', '--short', 'HEAD']).toString().trim()}`, root: repoRoot });

const importFrom = (root, rel) => import(pathToFileURL(join(root, rel)).href);
const { Admin, Connection } = await importFrom(repoRoot, 'packages/client/dist/src/index.js');
const { MetadataApi } = await importFrom(repoRoot, 'packages/protocol/dist/src/index.js');

/** Bytes this process has handed to write(2) and friends so far (/proc/self/io wchar). */
function writtenBytes() {
  return Number(/^wchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'))[1]);
}

/**
 * Times `n` sequential calls of `step(i, count)`, grouped per thousand. Also counts the bytes
 * this process wrote per thousand: deterministic where the times are noisy, and meaningful for
 * the in-process store phase only (the broker phase writes in the broker's process).
 */
async function perThousand(n, stepSize, step) {
  const perK = [];
  const bytesPerK = [];
  const t0 = performance.now();
  let mark = t0;
  let bytesMark = writtenBytes();
  for (let i = 0; i < n; i += stepSize) {
    await step(i, Math.min(stepSize, n - i));
    const done = i + Math.min(stepSize, n - i);
    if (done % 1000 === 0 || done === n) {
      const now = performance.now();
      const bytes = writtenBytes();
      perK.push(Math.round(now - mark));
      bytesPerK.push(bytes - bytesMark);
      mark = now;
      bytesMark = bytes;
    }
  }
  return { totalMs: Math.round(performance.now() - t0), perThousandMs: perK, writtenBytesPerThousand: bytesPerK };
}

async function storePhase(tree) {
  const { FileMetadataStore } = await importFrom(tree.root, 'packages/broker/dist/src/metadata/metadata-store.js');
  const dir = tempDir('samsa-scale-store-');
  const store = await FileMetadataStore.open(dir);
  log(`${tree.name}: store, ${TOPICS} creates`);
  const result = await perThousand(TOPICS, 1, (i) => store.createTopic(`topic-${String(i).padStart(6, '0')}`, 1, new Map()));
  await store.close?.();
  return result;
}

function portAccepts(port) {
  return new Promise((res) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });
}

/** A broker of `tree` on a fixed port and data dir that can be killed and started again. */
async function brokerOf(tree) {
  const port = await freePort();
  const dataDir = tempDir('samsa-scale-data-');
  const bin = join(tree.root, 'packages', 'cli', 'bin', 'samsa.mjs');
  let proc = null;
  let output = '';
  return {
    port,
    bootstrap: `127.0.0.1:${port}`,
    get pid() {
      return proc.pid;
    },
    /** Starts the process; resolves with ms until its port accepts connections. */
    async start() {
      const t0 = performance.now();
      proc = track(spawn(process.execPath, [bin, 'server', '--set', `listeners=PLAINTEXT://127.0.0.1:${port}`, '--set', `log.dirs=${dataDir}`], { cwd: tree.root, stdio: ['ignore', 'pipe', 'pipe'] }));
      const p = proc;
      readLines(p.stdout, (l) => (output = (output + l + '\n').slice(-8000)));
      readLines(p.stderr, (l) => (output = (output + l + '\n').slice(-8000)));
      let ok = false;
      while (!ok) {
        if (p.exitCode !== null || p.signalCode !== null) throw new Error(`${tree.name}: broker exited during start\n${output}`);
        if (performance.now() - t0 > 300_000) throw new Error(`${tree.name}: broker not listening after 300 s\n${output}`);
        ok = await portAccepts(port);
        if (!ok) await new Promise((r) => setTimeout(r, 20));
      }
      return Math.round(performance.now() - t0);
    },
    async kill9() {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGKILL');
      await exited;
    },
    /** SIGTERM; resolves with ms until the process exited. */
    async stopClean() {
      const t0 = performance.now();
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const guard = setTimeout(() => proc.kill('SIGKILL'), 300_000);
      const code = await exited;
      clearTimeout(guard);
      return { ms: Math.round(performance.now() - t0), code };
    },
    fds() {
      return readdirSync(`/proc/${proc.pid}/fd`).length;
    },
  };
}

/** All topics through one Metadata request (v12): count and response time. */
async function fullMetadata(port) {
  const conn = await Connection.open('127.0.0.1', port);
  try {
    const t0 = performance.now();
    const res = await conn.send(MetadataApi, 12, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    return { topics: res.topics.length, ms: Math.round(performance.now() - t0) };
  } finally {
    conn.close();
  }
}

async function brokerPhase(tree) {
  const broker = await brokerOf(tree);
  const firstStartMs = await broker.start();
  const admin = await Admin.connect(broker.bootstrap);
  const conn = await Connection.open('127.0.0.1', broker.port);
  const names = (i, n) => Array.from({ length: n }, (_, k) => `topic-${String(i + k).padStart(6, '0')}`);
  log(`${tree.name}: broker, ${TOPICS} topics via ${VIA}, ${BATCH} per request`);
  const create = await perThousand(TOPICS, BATCH, async (i, n) => {
    if (VIA === 'createtopics') {
      await admin.createTopics(names(i, n).map((name) => ({ name, numPartitions: 1 })), { timeoutMs: 120_000 });
      return;
    }
    const res = await conn.send(MetadataApi, 12, {
      topics: names(i, n).map((name) => ({ name, topicId: '00000000000000000000000000000000' })),
      allowAutoTopicCreation: true,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    const failed = res.topics.filter((t) => t.errorCode !== 0);
    if (failed.length > 0) throw new Error(`${tree.name}: auto-create failed for ${failed.length} topics, e.g. ${failed[0].name}: error ${failed[0].errorCode}`);
  });
  admin.close();
  conn.close();
  const mem = memKb(broker.pid);
  const fds = broker.fds();
  const metadata = await fullMetadata(broker.port);
  if (metadata.topics !== TOPICS) throw new Error(`${tree.name}: ${metadata.topics} topics listed, expected ${TOPICS}`);
  log(`${tree.name}: kill -9 and restart`);
  await broker.kill9();
  const restartAfterKillMs = await broker.start();
  const afterKill = await fullMetadata(broker.port);
  if (afterKill.topics !== TOPICS) throw new Error(`${tree.name}: ${afterKill.topics} topics after kill -9, expected ${TOPICS}`);
  log(`${tree.name}: clean shutdown and restart`);
  const shutdown = await broker.stopClean();
  const restartAfterCleanMs = await broker.start();
  const afterClean = await fullMetadata(broker.port);
  if (afterClean.topics !== TOPICS) throw new Error(`${tree.name}: ${afterClean.topics} topics after clean restart, expected ${TOPICS}`);
  await broker.kill9();
  return {
    firstStartMs,
    create,
    rssMb: Math.round(mem.rssKb / 1024),
    fds,
    fullMetadataMs: metadata.ms,
    restartAfterKillMs,
    cleanShutdownMs: shutdown.ms,
    cleanShutdownExit: shutdown.code,
    restartAfterCleanMs,
  };
}

const results = { topics: TOPICS, batch: BATCH, trees: [] };
for (const tree of trees) {
  const r = { name: tree.name };
  if (phases.has('store')) r.store = await storePhase(tree);
  if (phases.has('broker')) r.broker = await brokerPhase(tree);
  results.trees.push(r);
}

// ---------------------------------------------------------------------------------------------
// Report (Markdown on stdout)

const fmt = (n) => n.toLocaleString('en-US');
const rate = (ms, n) => fmt(Math.round((n * 1000) / ms));
const cols = results.trees.map((t) => t.name);
console.log(`\n### Topic scale: ${fmt(TOPICS)} single-partition topics\n`);
for (const phase of ['store', 'broker']) {
  if (!phases.has(phase)) continue;
  const get = (t) => (phase === 'store' ? t.store : t.broker.create);
  const title = phase === 'store' ? 'FileMetadataStore.createTopic, in process, one at a time' : `broker: ${VIA === 'createtopics' ? 'CreateTopics' : 'Metadata auto-create'}, ${BATCH} topics per request, one request at a time`;
  console.log(`#### ${title}\n`);
  const withBytes = phase === 'store';
  const bytesCols = withBytes ? ` ${cols.map((c) => `${c} KiB written`).join(' | ')} |` : '';
  console.log(`| topics | ${cols.map((c) => `${c} ms`).join(' | ')} |${cols.length > 1 ? ' baseline / this |' : ''}${bytesCols}`);
  console.log(`| --- | ${cols.map(() => '---:').join(' | ')} |${cols.length > 1 ? ' ---: |' : ''}${withBytes ? ` ${cols.map(() => '---:').join(' | ')} |` : ''}`);
  const rows = get(results.trees[0]).perThousandMs.length;
  const kib = (b) => fmt(Math.round(b / 1024));
  for (let k = 0; k < rows; k++) {
    const vals = results.trees.map((t) => get(t).perThousandMs[k]);
    const ratio = vals.length > 1 ? ` ${(vals[0] / vals[vals.length - 1]).toFixed(1)}× |` : '';
    const bytes = withBytes ? ` ${results.trees.map((t) => kib(get(t).writtenBytesPerThousand[k])).join(' | ')} |` : '';
    console.log(`| ${fmt(k * 1000 + 1)}–${fmt(Math.min((k + 1) * 1000, TOPICS))} | ${vals.map(fmt).join(' | ')} |${ratio}${bytes}`);
  }
  const totals = results.trees.map((t) => get(t).totalMs);
  const ratio = totals.length > 1 ? ` ${(totals[0] / totals[totals.length - 1]).toFixed(1)}× |` : '';
  const totalBytes = withBytes ? ` ${results.trees.map((t) => `**${kib(get(t).writtenBytesPerThousand.reduce((a, b) => a + b, 0))}**`).join(' | ')} |` : '';
  console.log(`| **total** | ${totals.map((ms) => `**${fmt(ms)}** (${rate(ms, TOPICS)} topics/s)`).join(' | ')} |${ratio}${totalBytes}\n`);
}
if (phases.has('broker')) {
  console.log(`#### broker with ${fmt(TOPICS)} partitions\n`);
  console.log(`| measure | ${cols.join(' | ')} |`);
  console.log(`| --- | ${cols.map(() => '---:').join(' | ')} |`);
  const row = (label, f) => console.log(`| ${label} | ${results.trees.map((t) => f(t.broker)).join(' | ')} |`);
  row('RSS after creating (MB)', (b) => fmt(b.rssMb));
  row('open descriptors after creating', (b) => fmt(b.fds));
  row('full Metadata response (ms)', (b) => fmt(b.fullMetadataMs));
  row('restart after kill -9, until listening (ms)', (b) => fmt(b.restartAfterKillMs));
  row('clean shutdown, SIGTERM to exit (ms)', (b) => `${fmt(b.cleanShutdownMs)}${b.cleanShutdownExit === 0 ? '' : ` (exit ${b.cleanShutdownExit})`}`);
  row('start after clean shutdown, until listening (ms)', (b) => fmt(b.restartAfterCleanMs));
  console.log('');
}
if (opts.json) {
  const { writeFileSync } = await import('node:fs');
  writeFileSync(opts.json, JSON.stringify(results, null, 1));
}
