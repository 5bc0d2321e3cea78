#!/usr/bin/env node
// Runs the protocol generator (generate.ts) without a build step or extra packages:
// transpiles generate.ts and overrides.ts with the repository's TypeScript into a
// temporary folder and runs them there.
//   node packages/protocol/scripts/run-generate.mjs [--schemas <dir>] [--out <dir>] [--model <file>]
// Defaults: schemas from <repo>/../shared/kafka-protocol, output into
// packages/protocol/src/messages and packages/protocol/test-support/schema-model.json.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const scriptsDir = dirname(fileURLToPath(import.meta.url));
const packageDir = dirname(scriptsDir);
const workDir = mkdtempSync(join(tmpdir(), 'samsa-generate-'));
try {
  writeFileSync(join(workDir, 'package.json'), '{"type":"module"}\n');
  for (const name of ['generate', 'overrides']) {
    const source = readFileSync(join(scriptsDir, `${name}.ts`), 'utf8');
    const { outputText, diagnostics } = ts.transpileModule(source, {
      fileName: `${name}.ts`,
      reportDiagnostics: true,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    if (diagnostics && diagnostics.length > 0) {
      throw new Error(ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => scriptsDir, getNewLine: () => '\n' }));
    }
    writeFileSync(join(workDir, `${name}.js`), outputText);
  }
  const generator = await import(pathToFileURL(join(workDir, 'generate.js')).href);
  generator.main(process.argv.slice(2), packageDir);
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
