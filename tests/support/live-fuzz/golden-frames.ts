// Request frames captured from real clients (kafkajs, librdkafka, kafka-python) by the
// protocol package's recording proxy: the payloads the mutators start from.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../paths.js';

/** One captured request payload (no length prefix). */
export interface GoldenFrame {
  /** `<api>/<client>-v<N>-request.hex` under packages/protocol/test/fixtures. */
  file: string;
  payload: Buffer;
}

const fixturesDir = join(repoRoot, 'packages', 'protocol', 'test', 'fixtures');

/** Every `*-request.hex` fixture, sorted by path so indexes are stable. */
export function loadGoldenRequests(): GoldenFrame[] {
  const out: GoldenFrame[] = [];
  for (const api of readdirSync(fixturesDir).sort()) {
    for (const file of readdirSync(join(fixturesDir, api)).sort()) {
      if (!file.endsWith('-request.hex')) continue;
      out.push({ file: `${api}/${file}`, payload: Buffer.from(readFileSync(join(fixturesDir, api, file), 'utf8').trim(), 'hex') });
    }
  }
  if (out.length === 0) throw new Error(`no golden request frames under ${fixturesDir}`);
  return out;
}
