// Network bounds under hostile clients (issue 10 item 1): peak broker RSS in two scenarios.
//
//   slow-readers: a topic of --topic-mib MiB (1 MB records, one batch each); --connections
//     connections each pipeline --fetches Fetch requests for the whole topic and never read.
//     Reports the broker's RSS before, its peak, how long a new client waits for ApiVersions
//     and for kcat -L meanwhile, and RSS 30 s after the slow readers close.
//   flood: --flood connections opened at once against a broker with max.connections set to
//     --max-connections, each asking ApiVersions and staying open, while a kafkajs producer
//     that connected first sends; then the same flood against the default (unlimited) broker.
//     Reports accepted/refused counts, peak RSS and the producer's send latency.
//
// Usage: npx tsc -b && node bench/network/run.mjs [--scenario slow-readers,flood] [--connections 4]
//        [--fetches 100] [--topic-mib 40] [--flood 2000] [--max-connections 500]
// Needs kcat on PATH and the tests built (it reuses tests/dist/support). Prints Markdown.

import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { Partitioners } from 'kafkajs';
import { fetchAndRead, fetchV4Frame, openSlowReader, probeConnection, RssSampler, vmRssMiB } from '../../tests/dist/support/hostile-clients.js';
import { kafkajs } from '../../tests/dist/support/kafkajs-driver.js';
import { apiVersionsWorks } from '../../tests/dist/support/raw-kafka.js';
import { runKcat } from '../../tests/dist/support/run-kcat.js';
import { startSamsa } from '../../tests/dist/support/samsa-process.js';

const { values: opts } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'slow-readers,flood' },
    connections: { type: 'string', default: '4' },
    fetches: { type: 'string', default: '100' },
    'topic-mib': { type: 'string', default: '40' },
    flood: { type: 'string', default: '2000' },
    'max-connections': { type: 'string', default: '500' },
  },
});
const MiB = 1024 * 1024;
const log = (msg) => process.stderr.write(`[network] ${msg}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mib = (n) => `${n.toFixed(0)}`;

async function timed(fn) {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function slowReaders() {
  const connections = Number(opts.connections);
  const fetches = Number(opts.fetches);
  const records = Number(opts['topic-mib']);
  const samsa = await startSamsa();
  try {
    const topic = 'slow-readers';
    const kafka = kafkajs(samsa.bootstrap, 'bench-fill');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: String(2 * MiB) }] }] });
    await admin.disconnect();
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    for (let i = 0; i < records; i++) await producer.send({ topic, acks: -1, messages: [{ value: Buffer.alloc(1_000_000, i), partition: 0 }] });
    await producer.disconnect();
    const pid = samsa.pid();
    const baseline = vmRssMiB(pid);
    const sampler = new RssSampler(pid, 20);
    const readers = [];
    const t0 = performance.now();
    for (let c = 0; c < connections; c++) {
      const frames = Array.from({ length: fetches }, (_, i) => fetchV4Frame(c * 10_000 + i, topic, 0, 0n, 64 * MiB));
      readers.push(await openSlowReader(samsa.bootstrap, frames));
    }
    log(`${connections} slow readers × ${fetches} fetches of ${records} MB sent`);
    await sleep(3000);
    const apiMs = await timed(() => apiVersionsWorks(samsa.bootstrap, 30_000));
    const kcatMs = await timed(() => runKcat(['-L', '-b', samsa.bootstrap, '-m', '30'], { timeoutMs: 60_000 }));
    await sleep(2000);
    const peak = sampler.stop();
    const heldFor = performance.now() - t0;
    for (const r of readers) r.destroy();
    let after = vmRssMiB(pid);
    const closedAt = performance.now();
    // Buffers are freed at a garbage collection, which allocation triggers: a well-behaved
    // reader of the whole topic keeps the broker allocating meanwhile.
    while (performance.now() - closedAt < 30_000 && after > baseline + 64) {
      await fetchAndRead(samsa.bootstrap, topic, 64 * MiB);
      await sleep(250);
      after = vmRssMiB(pid);
    }
    const backMs = performance.now() - closedAt;
    return { connections, fetches, records, baseline, peak, apiMs, kcatMs, heldFor, after, backMs };
  } finally {
    await samsa.stop();
  }
}

async function flood(maxConnections) {
  const n = Number(opts.flood);
  const settings = maxConnections === null ? {} : { 'max.connections': String(maxConnections) };
  const samsa = await startSamsa({ settings });
  const sockets = [];
  try {
    const topic = 'flood';
    const producer = kafkajs(samsa.bootstrap, 'bench-flood').producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ value: 'warm-up' }] });
    const pid = samsa.pid();
    const baseline = vmRssMiB(pid);
    const sampler = new RssSampler(pid, 20);
    const outcomes = await Promise.all(
      Array.from({ length: n }, () =>
        probeConnection(samsa.bootstrap, { timeoutMs: 60_000 }).then(
          (p) => (sockets.push(p.socket), p.outcome),
          () => 'failed',
        ),
      ),
    );
    const sendMs = [];
    for (let i = 0; i < 20; i++) sendMs.push(await timed(() => producer.send({ topic, acks: -1, messages: [{ value: `during-${i}` }] })));
    const peak = sampler.stop();
    await producer.disconnect();
    sendMs.sort((a, b) => a - b);
    const count = (o) => outcomes.filter((x) => x === o).length;
    return {
      maxConnections,
      n,
      accepted: count('answered'),
      refused: count('closed'),
      failed: count('failed'),
      baseline,
      peak,
      sendP50: sendMs[10],
      sendMax: sendMs[19],
    };
  } finally {
    for (const s of sockets) s.destroy();
    await samsa.stop();
  }
}

const scenarios = new Set(opts.scenario.split(','));
const out = [];
if (scenarios.has('slow-readers')) {
  const r = await slowReaders();
  out.push(
    '### Slow readers',
    '',
    '| connections × pipelined fetches | response | RSS before MiB | peak RSS MiB | new client: ApiVersions ms / kcat -L ms | RSS after close MiB (after s) |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    `| ${r.connections} × ${r.fetches} | ${r.records} MB | ${mib(r.baseline)} | ${mib(r.peak)} | ${r.apiMs.toFixed(0)} / ${r.kcatMs.toFixed(0)} | ${mib(r.after)} (${(r.backMs / 1000).toFixed(1)}) |`,
    '',
  );
}
if (scenarios.has('flood')) {
  const rows = [await flood(Number(opts['max-connections'])), await flood(null)];
  out.push(
    '### Connection flood',
    '',
    '| max.connections | flood connections | accepted / refused / failed | RSS before MiB | peak RSS MiB | producer send p50 / max ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.maxConnections ?? 'default (2147483647)'} | ${r.n} | ${r.accepted} / ${r.refused} / ${r.failed} | ${mib(r.baseline)} | ${mib(r.peak)} | ${r.sendP50.toFixed(1)} / ${r.sendMax.toFixed(1)} |`,
    ),
    '',
  );
}
process.stdout.write(out.join('\n') + '\n');
process.exit(0);
