// Summarizes a V8 .cpuprofile (from `node --cpu-prof`) as a Markdown table of the functions with
// the most self time. Usable alone: node bench/e2e/cpuprofile-top.mjs FILE.cpuprofile [N]

import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Self time per function (name + script + line), from the profile's samples and timeDeltas.
 * Returns a Markdown table of the top `n`, with the share of all sampled time (idle included,
 * reported in its own row as V8's `(idle)` node).
 */
export function summarizeCpuProfile(profile, n = 25, root = process.cwd()) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map();
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    // timeDeltas[i] is the time before sample i; attribute the following delta to sample i.
    const dt = timeDeltas[i + 1] ?? 0;
    selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + Math.max(0, dt));
  }
  const agg = new Map();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const { callFrame } = byId.get(id);
    total += us;
    if (callFrame.functionName === '(idle)') idle += us;
    let url = callFrame.url || '';
    if (url.startsWith('file://')) url = relative(root, fileURLToPath(url));
    const key = `${callFrame.functionName || '(anonymous)'}\t${url}${url ? `:${callFrame.lineNumber + 1}` : ''}`;
    agg.set(key, (agg.get(key) ?? 0) + us);
  }
  const busy = total - idle;
  const rows = [...agg].sort((a, b) => b[1] - a[1]).slice(0, n);
  const lines = [
    `Sampled ${(total / 1e6).toFixed(1)} s, of which ${(busy / 1e6).toFixed(1)} s not idle. Shares are of the non-idle time.`,
    '',
    '| function | where | self ms | % of busy |',
    '| --- | --- | ---: | ---: |',
  ];
  for (const [key, us] of rows) {
    const [fn, where] = key.split('\t');
    const share = fn === '(idle)' ? '–' : `${((us / busy) * 100).toFixed(1)} %`;
    lines.push(`| \`${fn}\` | ${where ? `\`${where}\`` : ''} | ${Math.round(us / 1000)} | ${share} |`);
  }
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [file, n] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node bench/e2e/cpuprofile-top.mjs FILE.cpuprofile [N]');
    process.exit(2);
  }
  console.log(summarizeCpuProfile(JSON.parse(readFileSync(file, 'utf8')), Number(n ?? 25)));
}
