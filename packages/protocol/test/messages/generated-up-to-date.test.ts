// The CI check for generated code: re-running the generator must reproduce the
// committed src/messages and test-support/schema-model.json byte for byte.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

// This file runs from packages/protocol/dist/test/messages/.
const packageDir = fileURLToPath(new URL('../../../', import.meta.url));
const repoRoot = join(packageDir, '..', '..');
// CI checks the schemas out beside the repository, as <repo>/../shared.
const schemaDir = join(repoRoot, '..', 'shared', 'kafka-protocol');

test('committed generated code matches the generator output', (t) => {
  if (!existsSync(join(schemaDir, 'messages'))) {
    t.skip(`Kafka schemas not found at ${schemaDir} (expected <repo>/../shared/kafka-protocol); cannot check generated code`);
    return;
  }
  const outDir = mkdtempSync(join(tmpdir(), 'samsa-generated-'));
  try {
    const modelFile = join(outDir, 'schema-model.json');
    const messagesDir = join(outDir, 'messages');
    const run = spawnSync(
      process.execPath,
      [join(packageDir, 'scripts', 'run-generate.mjs'), '--schemas', schemaDir, '--out', messagesDir, '--model', modelFile],
      { cwd: repoRoot, encoding: 'utf8' },
    );
    assert.equal(run.status, 0, `generator failed:\n${run.stdout}\n${run.stderr}`);
    const committedDir = join(packageDir, 'src', 'messages');
    const generated = readdirSync(messagesDir).sort();
    const committed = readdirSync(committedDir).filter((f) => f.endsWith('.ts')).sort();
    assert.deepEqual(committed, generated, 'src/messages has missing or extra files: run `npm run generate`');
    const stale = generated.filter((f) => readFileSync(join(messagesDir, f), 'utf8') !== readFileSync(join(committedDir, f), 'utf8'));
    assert.deepEqual(stale, [], 'src/messages is out of date: run `npm run generate`');
    assert.equal(
      readFileSync(modelFile, 'utf8'),
      readFileSync(join(packageDir, 'test-support', 'schema-model.json'), 'utf8'),
      'test-support/schema-model.json is out of date: run `npm run generate`',
    );
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});
