#!/usr/bin/env node
// Entry point of the `samsa` command; the implementation is compiled TypeScript.
import { handleClosedOutput } from '../dist/src/closed-output.js';
import { main } from '../dist/src/main.js';

// `samsa ... | head`: a reader that went away ends the command quietly (see closed-output.ts).
handleClosedOutput();

main(process.argv.slice(2)).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err) => {
    console.error(`samsa: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
