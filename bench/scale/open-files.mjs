#!/usr/bin/env node
// Issue 17 items 2 and 4: a broker with many partitions — open descriptors, RSS, clean shutdown
// time and start time (after a clean shutdown and after kill -9).
//
// Starts `samsa server` (packages/cli) on a fresh data dir with the machine's default open-file
// limit (or --ulimit N), creates --topics topics of --partitions partitions with kafkajs's admin,
// produces one record to every partition with kafkajs, then measures:
//   fds, rss        /proc/<pid>/fd and VmRSS of the broker after producing
//   shutdown        SIGTERM until the process exits (every log sealed, markers written)
//   start clean     spawn until "listening" after that clean shutdown
//   start kill -9   spawn until "listening" after SIGKILL (recovery of every active segment)
// The reference, in the same run, is the same broker with one topic of one partition: the
// fixed cost of starting and stopping the process. After each start a sample of partitions is
// read back with kafkajs (one record each), so a fast start that lost data cannot pass.
//
//   node bench/scale/open-files.mjs [--topics 100] [--partitions 100] [--ulimit N] [--sample 200]
//   (after npx tsc -b)
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: args } = parseArgs({
  options: {
    topics: { type: 'string', default: '100' },
    partitions: { type: 'string', default: '100' },
    ulimit: { type: 'string' },
    sample: { type: 'string', default: '200' },
  },
});

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Brokers still running, killed if the bench fails. */
const live = new Set();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** Spawns the broker; resolves { child, ms } once it logs that it listens. */
function startBroker(port, dataDir) {
  const cli = [join(root, 'packages', 'cli', 'bin', 'samsa.mjs'), 'server', '--set', `listeners=PLAINTEXT://127.0.0.1:${port}`, '--set', `log.dirs=${dataDir}`];
  const t0 = performance.now();
  const child = args.ulimit === undefined
    ? spawn(process.execPath, cli, { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn('bash', ['-c', `ulimit -n ${args.ulimit} && exec "$0" "$@"`, process.execPath, ...cli], { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  child.once('exit', () => live.delete(child));
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (c) => {
      out += c.toString();
      if (out.includes(`listening on 127.0.0.1:${port}`)) {
        child.stdout.off('data', onData);
        child.stderr.off('data', onData);
        child.stdout.resume();
        child.stderr.resume();
        resolve({ child, ms: performance.now() - t0 });
      } else if (out.length > 1 << 20) out = out.slice(-(1 << 16));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code, signal) => reject(new Error(`broker exited during start (${code ?? signal}): ${out.slice(-2000)}`)));
  });
}

/** Sends `signal` and resolves with the ms until the process exits. */
function stopBroker(child, signal) {
  const t0 = performance.now();
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', () => {
      live.delete(child);
      resolve(performance.now() - t0);
    });
    child.kill(signal);
  });
}

function usage(pid) {
  const fds = readdirSync(`/proc/${pid}/fd`).length;
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))?.[1] ?? 0) / 1024;
  return { fds, rssMiB: Math.round(rss) };
}

async function readSample(kafka, topics, partitions, sample) {
  const consumerAdmin = kafka.admin();
  await consumerAdmin.connect();
  try {
    let checked = 0;
    for (let i = 0; i < sample; i++) {
      const topic = topics[(i * 7919) % topics.length];
      const p = (i * 104729) % partitions;
      const offsets = await consumerAdmin.fetchTopicOffsets(topic);
      const hw = offsets.find((o) => o.partition === p)?.high;
      if (hw !== '1') throw new Error(`${topic}-${p}: high watermark ${hw}, expected 1`);
      checked++;
    }
    return checked;
  } finally {
    await consumerAdmin.disconnect();
  }
}

async function scenario(topicCount, partitions) {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-scale-files-'));
  const port = await freePort();
  try {
    let b = await startBroker(port, dataDir);
    const kafka = new Kafka({ clientId: 'bench-open-files', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, requestTimeout: 120_000, retry: { retries: 3 } });
    const admin = kafka.admin();
    await admin.connect();
    const topics = Array.from({ length: topicCount }, (_, i) => `scale-${i}`);
    const tc = performance.now();
    for (let i = 0; i < topics.length; i += 10) {
      await admin.createTopics({ topics: topics.slice(i, i + 10).map((topic) => ({ topic, numPartitions: partitions })), timeout: 600_000 });
    }
    const createMs = performance.now() - tc;
    await admin.disconnect();
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    for (let i = 0; i < topics.length; i += 10) {
      await producer.sendBatch({
        acks: -1,
        topicMessages: topics.slice(i, i + 10).map((topic) => ({ topic, messages: Array.from({ length: partitions }, (_, p) => ({ partition: p, value: `v ${topic} ${p}` })) })),
      });
    }
    await producer.disconnect();
    const loaded = usage(b.child.pid);
    const sample = Math.min(Number(args.sample), topicCount * partitions);
    const shutdownMs = await stopBroker(b.child, 'SIGTERM');
    b = await startBroker(port, dataDir);
    const startCleanMs = b.ms;
    await readSample(kafka, topics, partitions, sample);
    const killMs = await stopBroker(b.child, 'SIGKILL');
    void killMs;
    b = await startBroker(port, dataDir);
    const startAfterKillMs = b.ms;
    await readSample(kafka, topics, partitions, sample);
    const after = usage(b.child.pid);
    await stopBroker(b.child, 'SIGTERM');
    return { partitions: topicCount * partitions, createMs, ...loaded, fdsAfterRestart: after.fds, shutdownMs, startCleanMs, startAfterKillMs };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`;
const reference = await scenario(1, 1);
const big = await scenario(Number(args.topics), Number(args.partitions));
console.log(`ulimit -n: ${args.ulimit ?? readFileSync('/proc/self/limits', 'latin1').match(/Max open files\s+(\S+)/)?.[1]}`);
console.log('| partitions | create all | fds after produce | RSS | clean shutdown | start after clean shutdown | start after kill -9 | fds after restart |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of [reference, big]) {
  console.log(`| ${r.partitions} | ${fmt(r.createMs)} | ${r.fds} | ${r.rssMiB} MiB | ${fmt(r.shutdownMs)} | ${fmt(r.startCleanMs)} | ${fmt(r.startAfterKillMs)} | ${r.fdsAfterRestart} |`);
}
console.log(`ratios to the 1-partition reference: shutdown ${(big.shutdownMs / reference.shutdownMs).toFixed(1)}x, start clean ${(big.startCleanMs / reference.startCleanMs).toFixed(1)}x, start after kill -9 ${(big.startAfterKillMs / reference.startAfterKillMs).toFixed(1)}x`);
