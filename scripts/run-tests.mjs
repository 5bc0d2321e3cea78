#!/usr/bin/env node
// Runs every compiled test file with node's built-in runner. Node 20 has no glob
// arguments for `node --test`, and without arguments it would also run helper
// files, so the list is collected here.
//   --unit   only package unit tests (packages/*/dist/test)
//   --compat only cross-package suites (tests/dist)
//   any other argument: a substring filter on the file path
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const compatOnly = args.includes('--compat');
const filters = args.filter((a) => !a.startsWith('--'));

function collect(dir, out) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) collect(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

let files = [];
if (!compatOnly) {
  for (const pkg of readdirSync(join(root, 'packages'))) collect(join(root, 'packages', pkg, 'dist', 'test'), files);
}
if (!unitOnly) collect(join(root, 'tests', 'dist'), files);
files = files.map((f) => relative(root, f)).sort();
if (filters.length) files = files.filter((f) => filters.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error('run-tests: no test files found (did `tsc -b` run?)');
  process.exit(1);
}
const concurrency = process.env.SAMSA_TEST_CONCURRENCY ?? '2';
const r = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, ...files], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
