import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trackDir } from './cleanup.js';
import { clientsDir, repoRoot, systemPython } from './paths.js';
import { runProcess } from './run-process.js';

/**
 * The old-protocol client drivers (tests/clients/legacy_kafka_python.py and the Go programs in
 * tests/clients/go/) share one spec and one output: produce `produce` to partition 0, then
 * consume `consume` records in consumer group `group` from the earliest offset and commit.
 */
export interface LegacySpec {
  bootstrap: string;
  topic: string;
  group: string;
  /** kafka-python api_version ("0.9", "0.10.1") or sarama Version ("0.10.2.0"); kafka-go ignores it. */
  version?: string;
  compression?: 'none' | 'gzip' | 'snappy' | 'lz4';
  produce?: Array<{ key: string | null; value: string | null; timestamp?: number }>;
  consume?: number;
  timeout_s?: number;
}

/** What a legacy driver printed. Bytes are base64, null stays null. */
export interface LegacyResult {
  produced: Array<{ partition?: number; offset?: number }>;
  records: Array<{ partition: number; offset: number; key: string | null; value: string | null; timestamp?: number | null }>;
  error: string;
}

/** One old client: how to run its driver. */
export interface LegacyClient {
  readonly name: string;
  run(spec: LegacySpec): Promise<LegacyResult>;
}

async function runDriver(name: string, command: string, args: string[], spec: LegacySpec): Promise<LegacyResult> {
  const timeoutMs = ((spec.timeout_s ?? 45) + 30) * 1000;
  const result = await runProcess(command, args, { timeoutMs, input: JSON.stringify(spec) });
  const stdout = result.stdout.toString();
  let parsed: LegacyResult;
  try {
    parsed = JSON.parse(stdout) as LegacyResult;
  } catch (err) {
    throw new Error(`${name} printed no JSON (exit ${result.code ?? result.signal}): ${stdout.slice(0, 2000)}\n--- stderr ---\n${result.stderr.slice(-4000)}`, { cause: err });
  }
  if (result.code !== 0 || parsed.error !== '') {
    throw new Error(`${name} failed (exit ${result.code ?? result.signal}): ${parsed.error}\n--- stderr ---\n${result.stderr.slice(-4000)}`);
  }
  return parsed;
}

/** kafka-python 2.0.2 with `api_version` pinned (e.g. "0.9" or "0.10.1"). */
export function kafkaPythonLegacy(version: string): LegacyClient {
  return {
    name: `kafka-python api_version=${version}`,
    run: (spec) => runDriver(`kafka-python ${version}`, systemPython, [join(clientsDir, 'legacy_kafka_python.py')], { ...spec, version }),
  };
}

/** Go's build cache lives across runs (the first build of sarama takes ~30 s on this machine). */
const goCache = join(tmpdir(), 'samsa-go-build-cache');

/**
 * Builds tests/clients/go/<program> in GOPATH mode against Debian's /usr/share/gocode
 * (GO111MODULE=off) into a temporary directory and returns a client that runs it.
 */
export async function buildGoClient(program: 'sarama-legacy' | 'kafka-go-legacy', name: string, version?: string): Promise<LegacyClient> {
  mkdirSync(goCache, { recursive: true });
  const outDir = mkdtempSync(join(tmpdir(), 'samsa-go-'));
  trackDir(outDir);
  const binary = join(outDir, program);
  const env = { ...process.env, GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOCACHE: goCache, GOFLAGS: '' };
  const built = await runProcess('go', ['build', '-o', binary, `./tests/clients/go/${program}`], { cwd: repoRoot, env, timeoutMs: 240_000 });
  if (built.code !== 0) throw new Error(`go build ${program} failed (${built.code ?? built.signal}):\n${built.stderr.slice(-4000)}`);
  return { name, run: (spec) => runDriver(name, binary, [], version === undefined ? spec : { ...spec, version }) };
}
