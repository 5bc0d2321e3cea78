#!/usr/bin/env bash
# Idempotence and transactions benchmark: Samsa vs librdkafka's in-memory mock cluster, one
# invocation. Builds the broker (tsc -b, incremental) and runs bench/txn/run.mjs; options pass
# through (bench/txn/run.sh --help). The Markdown report goes to stdout, progress to stderr.
set -euo pipefail
cd "$(dirname "$0")/../.."
for arg in "$@"; do
  if [ "$arg" = "--help" ] || [ "$arg" = "-h" ]; then exec node bench/txn/run.mjs --help; fi
done
/usr/bin/python3 -c 'import confluent_kafka' 2>/dev/null \
  || { echo "bench/txn: /usr/bin/python3 cannot import confluent_kafka (apt-get install -y python3-confluent-kafka)" >&2; exit 2; }
/usr/bin/python3 -c 'import ctypes; ctypes.CDLL("librdkafka.so.1").rd_kafka_mock_cluster_new' 2>/dev/null \
  || { echo "bench/txn: librdkafka.so.1 with the mock cluster API is missing (apt-get install -y librdkafka1)" >&2; exit 2; }
npx --no-install tsc -b 1>&2 || { echo "bench/txn: npx tsc -b failed (see above); nothing was measured" >&2; exit 2; }
exec node bench/txn/run.mjs "$@"
