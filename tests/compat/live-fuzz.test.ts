// Issue 16 (acceptance 3) and issue 10 (item 6): fuzzed frames sent over TCP to a live broker
// process. A bounded run of fixed seeds: type-valid requests of every API key and version in
// the generated table (served or not), mutated ones, mutated golden frames from real clients
// and random bytes, on several connections at once, while a watchdog connection asks
// ApiVersions every 150 ms and now and then a real Metadata, Produce and Fetch. The broker must
// answer the watchdog throughout (8 s bound, generous for a noisy 2-core machine), never exit,
// and stay under an RSS bound. Long runs: bench/fuzz/run.mjs, recorded in bench/RESULTS.md.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatLiveFuzzReport, runLiveFuzz } from '../support/live-fuzz/live-fuzz.js';

const SEEDS = [1, 2, 3];
const FRAMES_PER_SEED = 4_000;
/** Sending stops after this much sending time even if the seeds are not done (a slow machine sends fewer frames). */
const MAX_SENDING_MS = 30_000;
const RSS_BOUND_BYTES = 768 * 1024 * 1024;

test('a live broker survives fuzzed frames: no hang, no exit, bounded RSS, watchdog answered throughout', { timeout: 150_000 }, async () => {
  const result = await runLiveFuzz({
    seeds: SEEDS,
    framesPerSeed: FRAMES_PER_SEED,
    maxDurationMs: MAX_SENDING_MS,
    watchdogBoundMs: 8_000,
    rssBoundBytes: RSS_BOUND_BYTES,
    // A failure is reported with its suspect frames; the search for the single culprit frame
    // can take minutes, so it is left to bench/fuzz/run.mjs.
    minimise: false,
  });
  const report = formatLiveFuzzReport(result);
  const t = result.totals;
  assert.equal(result.failures.length, 0, report);
  assert.equal(t.hangs + t.exits + t.rssOverBound, 0, report);
  assert.ok(t.peakRssBytes > 0 && t.peakRssBytes < RSS_BOUND_BYTES, `peak RSS sampled and bounded\n${report}`);
  // The watchdog ran and every probe was answered (an unanswered one is a hang, above).
  assert.ok(t.watchdogProbes >= 20, `watchdog probes: ${t.watchdogProbes}\n${report}`);
  // The fuzz reached the broker: enough frames, and both answers and closed connections.
  assert.ok(t.frames >= 1_000, `frames sent: ${t.frames}\n${report}`);
  assert.ok(t.responses > 0 && t.brokerCloses > 0, `responses ${t.responses}, closes ${t.brokerCloses}\n${report}`);
  assert.ok(t.bySource.structured > 0 && t.bySource.golden > 0 && t.bySource.random > 0, report);
  // How many frames fit in the time bound depends on the machine, so coverage of every API key
  // and version is checked without a broker, on a fixed frame count (live-fuzz-generator.test.ts).
  console.log(report);
});
