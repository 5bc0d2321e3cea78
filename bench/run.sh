#!/usr/bin/env bash
# Throughput/latency benchmark: Samsa vs librdkafka's in-memory mock broker, one invocation.
# Builds the broker (tsc -b, incremental) and runs bench/e2e/run.mjs; options pass through
# (node bench/e2e/run.mjs --help). The Markdown report goes to stdout, progress to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v kcat >/dev/null || { echo "bench: kcat is missing (apt-get install -y kcat)" >&2; exit 2; }
/usr/bin/python3 -c 'import confluent_kafka' 2>/dev/null \
  || { echo "bench: /usr/bin/python3 cannot import confluent_kafka (apt-get install -y python3-confluent-kafka)" >&2; exit 2; }
npx --no-install tsc -b
exec node bench/e2e/run.mjs "$@"
