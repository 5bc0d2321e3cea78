// The live fuzzer: mutated and structure-aware request frames sent over TCP to a running
// `samsa server`, with a watchdog connection, /proc sampling of the broker, and, on a hang or
// exit, a search for the single frame that reproduces it against a fresh broker.
//
// Usage: `runLiveFuzz({ seeds: [1, 2], framesPerSeed: 100_000 })` returns a LiveFuzzResult;
// `formatLiveFuzzReport(result)` prints it. bench/fuzz/run.mjs is the command-line entry.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { SamsaProcess } from '../samsa-process.js';
import { apiVersionsWorks } from '../raw-kafka.js';
import { describeFrame, generateFrame, generatorInputs, type FrameGeneratorInputs, type FrameSource, type FuzzFrame } from './frame-generator.js';
import { FuzzConnections, type SendCounters } from './fuzz-connections.js';
import { FUZZ_VOCABULARY, startFuzzTarget } from './fuzz-target.js';
import { loadGoldenRequests } from './golden-frames.js';
import { sampleProcess } from './proc-stats.js';
import { loadRequestModels } from './request-models.js';
import { replayFrame } from './replay.js';
import { Watchdog, type SlowProbe } from './watchdog.js';

export interface LiveFuzzOptions {
  /** One run of frames per seed, in order. */
  seeds: readonly number[];
  /** Frames per seed (indexes 0 .. framesPerSeed-1, or from `startIndex`). */
  framesPerSeed: number;
  startIndex?: number;
  /** Stop after this much sending time (broker starts and minimisation not counted; the totals say how far it got); unbounded by default. */
  maxDurationMs?: number;
  /** Fuzz connections open at a time; 8 by default. */
  connections?: number;
  /** Frames without an answer per connection; 1 by default, so that each frame reaches the broker's decoder (after a frame that gets the connection closed, the frames behind it are never read). */
  maxOutstanding?: number;
  /** A frame unanswered this long stops counting as outstanding; 250 ms by default. */
  expireMs?: number;
  /** Drop a connection that answers nothing for this long; 500 ms by default. */
  stallMs?: number;
  /** Recycle a connection after this many frames; 2,000 by default. */
  framesPerConnection?: number;
  /** Watchdog probe period; 150 ms by default. */
  watchdogIntervalMs?: number;
  /** A probe unanswered this long is a hang; 5,000 ms by default. */
  watchdogBoundMs?: number;
  /** A probe answered but slower than this is recorded as a stall, with its suspects; 1,000 ms by default. */
  slowProbeMs?: number;
  /** Broker RSS above this is a failure; 1 GiB by default. */
  rssBoundBytes?: number;
  /** On a hang or exit, search the suspects for the single frame that reproduces it; true by default. */
  minimise?: boolean;
  /**
   * Replace the broker by a fresh one after this many frames (long runs): fuzzed CreateTopics and
   * DeleteTopics change the topic set, and a fresh broker has the seeded topics with data again.
   * Unbounded by default.
   */
  framesPerBroker?: number;
  /** After a failure, start a fresh broker and go on with the next frame (long runs); false by default. */
  continueAfterFailure?: boolean;
  /** Extra broker settings. */
  brokerSettings?: Record<string, string | number | boolean>;
  /** Called every `progressEveryMs` (10 s by default) with the running totals. */
  onProgress?: (totals: LiveFuzzTotals) => void;
  progressEveryMs?: number;
}

export type FailureKind = 'HANG' | 'EXIT' | 'RSS';

export interface FrameRef {
  seed: number;
  index: number;
}

export interface LiveFuzzFailure {
  kind: FailureKind;
  reason: string;
  /** The frame being sent when the failure was seen. */
  at: FrameRef;
  /** Frames sent around the failure, oldest first (described, at most 20 of them in the report). */
  suspects: FrameRef[];
  brokerLogTail: string;
  /** The minimisation outcome, when it ran. */
  minimised?: MinimiseOutcome;
}

export interface MinimiseOutcome {
  /** Suspects replayed one by one against a fresh broker. */
  replayed: number;
  /** The first frame after which the broker hung or exited, if any. */
  culprit: FuzzFrame | null;
  culpritEffect?: 'hang' | 'exit';
  /** Whether the culprit alone, sent to another fresh broker, reproduces the failure. */
  reproducesAlone?: boolean;
}

/** A watchdog probe that was answered, but late: the broker's event loop was blocked or starved. */
export interface LiveFuzzStall {
  what: string;
  latencyMs: number;
  /** Frames sent from 1 s before the probe until its answer, oldest first. */
  suspects: FrameRef[];
}

/** Stalls kept in a result: the slowest ones. */
const MAX_STALLS = 5;

export interface LiveFuzzTotals {
  frames: number;
  /** Wall time of the whole run: broker starts, sending, minimisation, cleanup. */
  elapsedMs: number;
  /** Wall time spent sending frames (from a broker's first frame to its last). */
  sendingMs: number;
  /** frames / sendingMs. */
  framesPerSecond: number;
  bytes: number;
  responses: number;
  brokerCloses: number;
  stalledDrops: number;
  connections: number;
  bySource: Record<FrameSource, number>;
  /** Distinct (apiKey, apiVersion) pairs of the generated table sent as type-valid requests. */
  structuredApiVersions: number;
  watchdogProbes: number;
  watchdogMaxLatencyMs: number;
  hangs: number;
  exits: number;
  rssOverBound: number;
  /** Peak broker RSS (VmHWM) over all brokers of the run, bytes. */
  peakRssBytes: number;
  /** Broker CPU time over the run (all brokers), ms. */
  brokerCpuMs: number;
  brokerStarts: number;
  /** Where the run stopped: the last seed and index sent. */
  last: FrameRef | null;
}

export interface LiveFuzzResult {
  options: LiveFuzzOptions;
  totals: LiveFuzzTotals;
  failures: LiveFuzzFailure[];
  /** The slowest answered probes above `slowProbeMs` (at most 5), not failures. */
  stalls: LiveFuzzStall[];
  /** Every (apiKey, apiVersion) pair the structured generator covers, for coverage checks. */
  structuredPairs: string[];
  /** The pairs actually sent. */
  sentStructuredPairs: string[];
  /** What the frames were generated from (null if no broker started), to rebuild them. */
  inputs: FrameGeneratorInputs | null;
}

/** Frames kept for suspect lists: (seed, index, time sent). */
const RECENT_FRAMES = 65_536;
/** Suspects start this long before the last answered probe. */
const SUSPECT_LEAD_MS = 1_000;
/** Send this many frames between two turns of the event loop (the watchdog and sockets need them). */
const FRAMES_PER_TURN = 32;

export async function runLiveFuzz(options: LiveFuzzOptions): Promise<LiveFuzzResult> {
  const models = loadRequestModels();
  const golden = loadGoldenRequests();
  let inputs: FrameGeneratorInputs | undefined;
  const opts = {
    connections: 8,
    maxOutstanding: 1,
    expireMs: 250,
    stallMs: 500,
    framesPerConnection: 2_000,
    watchdogIntervalMs: 150,
    watchdogBoundMs: 5_000,
    slowProbeMs: 1_000,
    rssBoundBytes: 1024 * 1024 * 1024,
    minimise: true,
    framesPerBroker: Infinity,
    continueAfterFailure: false,
    progressEveryMs: 10_000,
    ...options,
  };
  const structuredPairs = models.flatMap((m) => m.versions.map((v) => `${m.apiKey}:${v}`));
  const sentPairs = new Set<string>();
  const bySource: Record<FrameSource, number> = { random: 0, structured: 0, golden: 0 };
  const failures: LiveFuzzFailure[] = [];
  const stalls: LiveFuzzStall[] = [];
  const recentSeed = new Float64Array(RECENT_FRAMES);
  const recentIndex = new Float64Array(RECENT_FRAMES);
  const recentAt = new Float64Array(RECENT_FRAMES);
  let recentCount = 0;
  const counters: SendCounters = { frames: 0, bytes: 0, responses: 0, brokerCloses: 0, stalledDrops: 0, connections: 0 };
  let peakRssBytes = 0;
  let brokerCpuMs = 0;
  let brokerStarts = 0;
  let watchdogProbes = 0;
  let watchdogMaxLatencyMs = 0;
  let last: FrameRef | null = null;
  let sendingMs = 0;
  let sendingSince: number | null = null;
  const runStartedAt = Date.now();
  const maxSendingMs = opts.maxDurationMs ?? Infinity;
  const sendingTimeLeft = (): boolean => sendingMs + (sendingSince === null ? 0 : Date.now() - sendingSince) < maxSendingMs;

  function totals(live?: { conns: FuzzConnections; dog: Watchdog }): LiveFuzzTotals {
    const c = { ...counters };
    if (live) for (const k of Object.keys(c) as Array<keyof SendCounters>) c[k] += live.conns.counters[k];
    const now = Date.now();
    const elapsedMs = now - runStartedAt;
    const sending = sendingMs + (sendingSince === null ? 0 : now - sendingSince);
    return {
      ...c,
      elapsedMs,
      sendingMs: sending,
      framesPerSecond: Math.round((c.frames * 1000) / Math.max(1, sending)),
      bySource: { ...bySource },
      structuredApiVersions: structuredPairs.filter((p) => sentPairs.has(p)).length,
      watchdogProbes: watchdogProbes + (live?.dog.stats.probes ?? 0),
      watchdogMaxLatencyMs: Math.max(watchdogMaxLatencyMs, live?.dog.stats.maxLatencyMs ?? 0),
      hangs: failures.filter((f) => f.kind === 'HANG').length,
      exits: failures.filter((f) => f.kind === 'EXIT').length,
      rssOverBound: failures.filter((f) => f.kind === 'RSS').length,
      peakRssBytes,
      brokerCpuMs,
      brokerStarts,
      last,
    };
  }

  function suspectsBetween(from: number, to: number): FrameRef[] {
    const out: FrameRef[] = [];
    const n = Math.min(recentCount, RECENT_FRAMES);
    for (let k = n; k > 0; k--) {
      const slot = (recentCount - k) % RECENT_FRAMES;
      if (recentAt[slot] >= from && recentAt[slot] <= to) out.push({ seed: recentSeed[slot], index: recentIndex[slot] });
    }
    return out;
  }

  let seedPos = 0;
  let index = opts.startIndex ?? 0;
  let lastProgress = runStartedAt;
  while (seedPos < opts.seeds.length && sendingTimeLeft()) {
    const started = await startFuzzTarget(opts.brokerSettings);
    const target: SamsaProcess = started.samsa;
    inputs ??= generatorInputs(models, started.served, golden, FUZZ_VOCABULARY);
    brokerStarts++;
    const pid = target.pid() ?? -1;
    let failure: { kind: FailureKind; reason: string } | null = null;
    const onSlowProbe = (probe: SlowProbe): void => {
      if (stalls.length >= MAX_STALLS && stalls[stalls.length - 1].latencyMs >= probe.latencyMs) return;
      stalls.push({ what: probe.what, latencyMs: probe.latencyMs, suspects: suspectsBetween(probe.startedAt - SUSPECT_LEAD_MS, probe.answeredAt) });
      stalls.sort((a, b) => b.latencyMs - a.latencyMs);
      stalls.length = Math.min(stalls.length, MAX_STALLS);
    };
    const dog = await Watchdog.start(
      target.bootstrap,
      { intervalMs: opts.watchdogIntervalMs, boundMs: opts.watchdogBoundMs, slowProbeMs: opts.slowProbeMs, onSlowProbe },
      (reason) => {
        failure ??= { kind: 'HANG', reason };
      },
    );
    const [host, port] = target.bootstrap.split(':');
    const conns = new FuzzConnections(opts.connections, {
      host,
      port: Number(port),
      maxOutstanding: opts.maxOutstanding,
      expireMs: opts.expireMs,
      stallMs: opts.stallMs,
      framesPerConnection: opts.framesPerConnection,
    });
    let cpuAtStart = sampleProcess(pid)?.cpuMs ?? 0;
    let cpuNow = cpuAtStart;
    const sample = (): void => {
      const s = sampleProcess(pid);
      if (s === null) return;
      cpuNow = s.cpuMs;
      peakRssBytes = Math.max(peakRssBytes, s.peakRssBytes, s.rssBytes);
      if (s.rssBytes > opts.rssBoundBytes) failure ??= { kind: 'RSS', reason: `broker RSS ${mib(s.rssBytes)} over the bound of ${mib(opts.rssBoundBytes)}` };
    };
    const sampler = setInterval(sample, 500);
    const stopSending = (): boolean => {
      if (!target.alive()) failure ??= { kind: 'EXIT', reason: 'the broker process exited' };
      return failure !== null;
    };
    sendingSince = Date.now();
    const framesAtStart = conns.counters.frames;
    try {
      while (failure === null && seedPos < opts.seeds.length && sendingTimeLeft() && conns.counters.frames - framesAtStart < opts.framesPerBroker) {
        const seed = opts.seeds[seedPos];
        for (let turn = 0; turn < FRAMES_PER_TURN && index < opts.framesPerSeed; turn++, index++) {
          const frame = generateFrame(seed, index, inputs);
          bySource[frame.source]++;
          if (frame.source === 'structured') sentPairs.add(`${frame.intendedApiKey}:${frame.intendedApiVersion}`);
          if (!(await conns.send(frame, stopSending))) break;
          const slot = recentCount++ % RECENT_FRAMES;
          recentSeed[slot] = seed;
          recentIndex[slot] = index;
          recentAt[slot] = Date.now();
          last = { seed, index };
          if (failure !== null) break;
        }
        if (index >= opts.framesPerSeed) {
          seedPos++;
          index = opts.startIndex ?? 0;
        }
        if (!target.alive()) failure ??= { kind: 'EXIT', reason: 'the broker process exited' };
        if (opts.onProgress && Date.now() - lastProgress >= opts.progressEveryMs) {
          lastProgress = Date.now();
          opts.onProgress(totals({ conns, dog }));
        }
        await nextTurn();
      }
      sendingMs += Date.now() - sendingSince;
      sendingSince = null;
      // Let the last frames be processed, then one final liveness check.
      if (failure === null) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        if (!target.alive()) failure = { kind: 'EXIT', reason: 'the broker process exited' };
        else {
          try {
            await apiVersionsWorks(target.bootstrap, opts.watchdogBoundMs);
          } catch (err) {
            failure = { kind: 'HANG', reason: `final ApiVersions on a new connection: ${err instanceof Error ? err.message : String(err)}` };
          }
        }
      }
      sample();
    } finally {
      if (sendingSince !== null) sendingMs += Date.now() - sendingSince;
      sendingSince = null;
      clearInterval(sampler);
      conns.close();
      await dog.stop();
      for (const k of Object.keys(counters) as Array<keyof SendCounters>) counters[k] += conns.counters[k];
      watchdogProbes += dog.stats.probes;
      watchdogMaxLatencyMs = Math.max(watchdogMaxLatencyMs, dog.stats.maxLatencyMs);
      brokerCpuMs += cpuNow - cpuAtStart;
      cpuAtStart = cpuNow;
    }
    let found = failure as { kind: FailureKind; reason: string } | null;
    if (found?.kind === 'HANG') {
      // A dying broker first closes the watchdog's connection; its exit is seen a moment later.
      for (let waited = 0; waited < 1_000 && target.alive(); waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      if (!target.alive()) found = { kind: 'EXIT', reason: `the broker process exited (${found.reason})` };
    }
    if (found !== null) {
      const now = Date.now();
      const suspects =
        found.kind === 'HANG'
          ? suspectsBetween(dog.lastAnsweredAt - SUSPECT_LEAD_MS, dog.probeStartedAt + 200)
          : suspectsBetween(now - 3_000 - opts.watchdogBoundMs, now);
      const entry: LiveFuzzFailure = { kind: found.kind, reason: found.reason, at: last ?? { seed: -1, index: -1 }, suspects, brokerLogTail: target.logTail(4000) };
      await target.kill9();
      await target.stop();
      failures.push(entry);
      if (opts.minimise && found.kind !== 'RSS') entry.minimised = await minimise(suspects, inputs, opts.watchdogBoundMs, opts.brokerSettings);

      if (!opts.continueAfterFailure) break;
    } else {
      await target.stop();
    }
  }
  return { options, totals: totals(), failures, stalls, structuredPairs, sentStructuredPairs: [...sentPairs].sort(), inputs: inputs ?? null };
}

/**
 * Replays `suspects` one at a time (each on its own connection, followed by an ApiVersions
 * probe) against a fresh broker; the first frame after which the probe fails is then sent
 * alone to another fresh broker to tell a single-frame bug from an accumulated one.
 */
async function minimise(
  suspects: readonly FrameRef[],
  inputs: FrameGeneratorInputs,
  boundMs: number,
  brokerSettings: Record<string, string | number | boolean> | undefined,
): Promise<MinimiseOutcome> {
  let target = (await startFuzzTarget(brokerSettings)).samsa;
  let replayed = 0;
  try {
    for (const ref of suspects) {
      const frame = generateFrame(ref.seed, ref.index, inputs);
      replayed++;
      const effect = await replayFrame(target, frame, boundMs);
      if (effect === 'ok') continue;
      await target.kill9();
      await target.stop();
      target = (await startFuzzTarget(brokerSettings)).samsa;
      const alone = await replayFrame(target, frame, boundMs);
      return { replayed, culprit: frame, culpritEffect: effect, reproducesAlone: alone !== 'ok' };
    }
    return { replayed, culprit: null };
  } finally {
    if (target.alive()) await target.kill9();
    await target.stop();
  }
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** The run as text: totals, then each failure with its suspects and minimised frame. */
export function formatLiveFuzzReport(result: LiveFuzzResult): string {
  const t = result.totals;
  const lines = [
    `live fuzz: seeds ${result.options.seeds.join(',')}, ${result.options.framesPerSeed} frames per seed${result.options.startIndex ? ` from index ${result.options.startIndex}` : ''}`,
    `  frames ${t.frames} (structured ${t.bySource.structured}, golden ${t.bySource.golden}, random ${t.bySource.random}) sent in ${(t.sendingMs / 1000).toFixed(1)} s = ${t.framesPerSecond} frames/s (whole run ${(t.elapsedMs / 1000).toFixed(1)} s), ${mib(t.bytes)}`,
    `  responses ${t.responses}, connections ${t.connections} (closed by the broker ${t.brokerCloses}, dropped as stalled ${t.stalledDrops})`,
    `  type-valid (apiKey, version) pairs sent: ${t.structuredApiVersions} of ${result.structuredPairs.length}`,
    `  watchdog probes ${t.watchdogProbes}, slowest ${t.watchdogMaxLatencyMs} ms`,
    `  hangs ${t.hangs}, exits ${t.exits}, RSS over bound ${t.rssOverBound}; peak broker RSS ${mib(t.peakRssBytes)}, broker CPU ${(t.brokerCpuMs / 1000).toFixed(1)} s, broker starts ${t.brokerStarts}`,
    `  last frame: ${t.last === null ? 'none' : `seed ${t.last.seed} index ${t.last.index}`}`,
  ];
  const inputs = result.inputs;
  for (const s of result.stalls) {
    const first = s.suspects[0];
    const lastRef = s.suspects[s.suspects.length - 1];
    lines.push(
      '',
      `STALL (not a failure): watchdog ${s.what} answered after ${s.latencyMs} ms; ${s.suspects.length} frames sent from 1 s before it` +
        (first === undefined ? '' : ` (seed ${first.seed} index ${first.index} to seed ${lastRef.seed} index ${lastRef.index}; replay with --stall-replay)`),
    );
  }
  for (const f of result.failures) {
    lines.push('', `${f.kind}: ${f.reason} (at seed ${f.at.seed} index ${f.at.index}; ${f.suspects.length} suspect frames)`);
    if (f.minimised) {
      const m = f.minimised;
      if (m.culprit === null) lines.push(`  minimise: none of the ${m.replayed} suspects, replayed one at a time against a fresh broker, reproduces it`);
      else {
        lines.push(
          `  minimise: ${m.culpritEffect} after suspect ${m.replayed} of ${f.suspects.length}; the frame alone on a fresh broker ${m.reproducesAlone ? 'REPRODUCES it' : 'does not reproduce it'}:`,
          `  ${describeFrame(m.culprit, 4096)}`,
        );
      }
    }
    lines.push('  last suspects:');
    if (inputs !== null) for (const ref of f.suspects.slice(-20)) lines.push(`  ${describeFrame(generateFrame(ref.seed, ref.index, inputs), 256)}`);
    lines.push('  broker log tail:', ...f.brokerLogTail.split('\n').slice(-30).map((l) => `    ${l}`));
  }
  return lines.join('\n');
}
