#!/usr/bin/env bash
# Topic-scale benchmark (issue 17): this tree against a baseline commit built in the same
# invocation. Builds this tree (tsc -b, incremental) and runs bench/scale/run.mjs; options pass
# through (bench/scale/run.sh --help). The Markdown report goes to stdout, progress to stderr.
set -euo pipefail
cd "$(dirname "$0")/../.."
for arg in "$@"; do
  if [ "$arg" = "--help" ] || [ "$arg" = "-h" ]; then exec node bench/scale/run.mjs --help; fi
done
npx --no-install tsc -b 1>&2 || { echo "bench/scale: npx tsc -b failed (see above); nothing was measured" >&2; exit 2; }
exec node bench/scale/run.mjs "$@"
