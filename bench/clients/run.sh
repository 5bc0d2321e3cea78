#!/usr/bin/env bash
# Client benchmark (issue 5): @samsa/client vs kafkajs, @platformatic/kafka and
# @confluentinc/kafka-javascript on one Samsa broker, one invocation. Installs the competitors
# into bench/clients/node_modules on first use (bench/clients is its own npm package, not a
# workspace of the root), builds the root (tsc -b, incremental) and runs bench/clients/run.mjs;
# options pass through (bench/clients/run.sh --help). Markdown on stdout, progress on stderr.
set -euo pipefail
cd "$(dirname "$0")/../.."
for arg in "$@"; do
  if [ "$arg" = "--help" ] || [ "$arg" = "-h" ]; then exec node bench/clients/run.mjs --help; fi
done
if [ ! -d bench/clients/node_modules ]; then
  echo "bench/clients: installing the competing clients (npm install in bench/clients)." >&2
  echo "bench/clients: @confluentinc/kafka-javascript may compile librdkafka from source, which takes minutes." >&2
  # Without its prebuilt binary (downloaded from GitHub), @confluentinc/kafka-javascript builds its
  # bundled librdkafka. The default static build downloads zlib, OpenSSL, zstd and curl sources
  # from their own sites; CKJS_LINKING=dynamic links the system's libraries instead. It is an
  # optional dependency: if it cannot be built, the install goes on and run.mjs skips it, saying why.
  (cd bench/clients && CKJS_LINKING=dynamic npm install --no-audit --no-fund 1>&2) \
    || { echo "bench/clients: npm install failed (see above); nothing was measured" >&2; exit 2; }
fi
npx --no-install tsc -b 1>&2 || { echo "bench/clients: npx tsc -b failed (see above); nothing was measured" >&2; exit 2; }
exec node bench/clients/run.mjs "$@"
