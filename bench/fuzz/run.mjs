#!/usr/bin/env node
// Live fuzz of a running `samsa server`: mutated and structure-aware request frames over TCP,
// a watchdog connection, broker RSS/CPU from /proc, and on a hang or exit the single frame
// that reproduces it. The library is tests/support/live-fuzz/ (compiled by `npx tsc -b`).
//
//   node bench/fuzz/run.mjs --seeds 1,2 --frames 500000
//   node bench/fuzz/run.mjs --seeds 7 --frames 1 --start 123456     # replay one frame's neighbourhood
//   node bench/fuzz/run.mjs --show 7:123456                          # print one frame (no broker)
//
// Exit code 0 when there was no hang, exit or RSS overrun; 1 otherwise.
import { parseArgs } from 'node:util';
import { formatLiveFuzzReport, runLiveFuzz } from '../../tests/dist/support/live-fuzz/live-fuzz.js';
import { measureFrame } from '../../tests/dist/support/live-fuzz/replay.js';
import { describeFrame, generateFrame, generatorInputs } from '../../tests/dist/support/live-fuzz/frame-generator.js';
import { FUZZ_VOCABULARY, startFuzzTarget } from '../../tests/dist/support/live-fuzz/fuzz-target.js';
import { loadGoldenRequests } from '../../tests/dist/support/live-fuzz/golden-frames.js';
import { loadRequestModels } from '../../tests/dist/support/live-fuzz/request-models.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1' },
    frames: { type: 'string', default: '100000' },
    start: { type: 'string', default: '0' },
    'max-seconds': { type: 'string' },
    connections: { type: 'string', default: '8' },
    outstanding: { type: 'string', default: '1' },
    'expire-ms': { type: 'string', default: '250' },
    'stall-ms': { type: 'string', default: '500' },
    'watchdog-ms': { type: 'string', default: '5000' },
    'rss-mib': { type: 'string', default: '1024' },
    'no-minimise': { type: 'boolean', default: false },
    continue: { type: 'boolean', default: false },
    'frames-per-broker': { type: 'string', default: '100000' },
    show: { type: 'string' },
    'stall-replay': { type: 'string' },
    json: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(`node bench/fuzz/run.mjs [options]   (build first: npx tsc -b)
  --seeds 1,2,3      seeds, one run of --frames frames each (default 1)
  --frames N         frames per seed (default 100000)
  --start I          first frame index of every seed (default 0)
  --max-seconds S    stop sending after S seconds overall
  --connections N    fuzz connections (default 8)
  --outstanding N    unanswered frames per connection (default 1)
  --expire-ms MS     an unanswered frame stops counting as outstanding after MS (default 250)
  --stall-ms MS      drop a connection that answers nothing for MS (default 500)
  --watchdog-ms MS   a watchdog probe unanswered for MS is a HANG (default 5000)
  --rss-mib MIB      broker RSS above MIB is a failure (default 1024)
  --no-minimise      do not search for the single reproducing frame
  --continue         after a failure, restart a fresh broker and go on
  --frames-per-broker N  replace the broker by a fresh one (seeded topics again) every N frames (default 100000)
  --stall-replay SEED:FROM-TO  replay frames FROM..TO of SEED one at a time against a fresh broker, each followed
                     at once by an ApiVersions on another connection; prints the 10 frames that delayed it most
  --show SEED:INDEX  print that frame (hex and decoded header) and exit; starts a broker
                     only to read the API versions it serves, which the generator uses
  --json FILE        also write the result as JSON`);
  process.exit(0);
}

if (values.show !== undefined) {
  const target = await startFuzzTarget();
  await target.samsa.stop();
  const inputs = generatorInputs(loadRequestModels(), target.served, loadGoldenRequests(), FUZZ_VOCABULARY);
  for (const ref of values.show.split(',')) {
    const [seed, index] = ref.split(':').map(Number);
    console.log(describeFrame(generateFrame(seed, index, inputs), 1 << 20));
  }
  process.exit(0);
}

if (values['stall-replay'] !== undefined) {
  const m = /^(\d+):(\d+)-(\d+)$/.exec(values['stall-replay']);
  if (m === null) throw new Error('--stall-replay SEED:FROM-TO');
  const [seed, from, to] = [Number(m[1]), Number(m[2]), Number(m[3])];
  let target = await startFuzzTarget();
  const inputs = generatorInputs(loadRequestModels(), target.served, loadGoldenRequests(), FUZZ_VOCABULARY);
  const costs = [];
  for (let index = from; index <= to; index++) {
    const cost = await measureFrame(target.samsa, generateFrame(seed, index, inputs), Number(values['watchdog-ms']));
    costs.push(cost);
    if (cost.effect !== 'ok') {
      console.log(`${cost.effect.toUpperCase()} after:\n${describeFrame(cost.frame, 1 << 20)}\n--- broker log tail ---\n${target.samsa.logTail(3000)}`);
      await target.samsa.kill9();
      await target.samsa.stop();
      target = await startFuzzTarget();
    }
    if ((index - from) % 1000 === 999) console.error(`replayed ${index - from + 1} of ${to - from + 1}`);
  }
  await target.samsa.stop();
  costs.sort((a, b) => b.probeMs - a.probeMs);
  for (const c of costs.slice(0, 10)) console.log(`probe ${c.probeMs.toFixed(0)} ms: ${describeFrame(c.frame, 300)}`);
  process.exit(0);
}

const seeds = values.seeds.split(',').map((s) => Number(s) >>> 0);
const result = await runLiveFuzz({
  seeds,
  framesPerSeed: Number(values.frames),
  startIndex: Number(values.start),
  maxDurationMs: values['max-seconds'] === undefined ? undefined : Number(values['max-seconds']) * 1000,
  connections: Number(values.connections),
  maxOutstanding: Number(values.outstanding),
  expireMs: Number(values['expire-ms']),
  stallMs: Number(values['stall-ms']),
  watchdogBoundMs: Number(values['watchdog-ms']),
  rssBoundBytes: Number(values['rss-mib']) * 1024 * 1024,
  minimise: !values['no-minimise'],
  continueAfterFailure: values.continue,
  framesPerBroker: Number(values['frames-per-broker']),
  onProgress: (t) =>
    console.error(
      `[${(t.elapsedMs / 1000).toFixed(0)} s] frames ${t.frames} (${t.framesPerSecond}/s), responses ${t.responses}, closes ${t.brokerCloses}, ` +
        `hangs ${t.hangs}, exits ${t.exits}, peak RSS ${(t.peakRssBytes / 1048576).toFixed(0)} MiB, watchdog max ${t.watchdogMaxLatencyMs} ms`,
    ),
});
console.log(formatLiveFuzzReport(result));
if (values.json !== undefined) {
  const { writeFileSync } = await import('node:fs');
  writeFileSync(values.json, JSON.stringify({ ...result, inputs: undefined }, (k, v) => (typeof v === 'bigint' ? v.toString() : Buffer.isBuffer(v) ? v.toString('hex') : v), 2));
}
const t = result.totals;
process.exitCode = t.hangs + t.exits + t.rssOverBound === 0 ? 0 : 1;
