#!/usr/bin/env bash
# Installs the third-party programs the test suite drives (real Kafka clients
# from Debian). Idempotent: does nothing when everything is present.
set -euo pipefail

need=()
command -v kcat >/dev/null 2>&1 || need+=(kcat)
/usr/bin/python3 -c 'import confluent_kafka' >/dev/null 2>&1 || need+=(python3-confluent-kafka)
/usr/bin/python3 -c 'import kafka' >/dev/null 2>&1 || need+=(python3-kafka)
/usr/bin/python3 -c 'import snappy' >/dev/null 2>&1 || need+=(python3-snappy)
/usr/bin/python3 -c 'import lz4' >/dev/null 2>&1 || need+=(python3-lz4)
/usr/bin/python3 -c 'import zstandard' >/dev/null 2>&1 || need+=(python3-zstandard)
# kafka-python writes magic-0 LZ4 (api_version=(0, 9)) only with xxhash.
/usr/bin/python3 -c 'import xxhash' >/dev/null 2>&1 || need+=(python3-xxhash)
[ -x /usr/bin/Burrow ] || need+=(burrow)
# Old-protocol Go clients (tests/compat/legacy-*.test.ts), built in GOPATH mode
# against Debian's /usr/share/gocode.
command -v go >/dev/null 2>&1 || need+=(golang-go)
[ -d /usr/share/gocode/src/github.com/Shopify/sarama ] || need+=(golang-github-shopify-sarama-dev)
[ -d /usr/share/gocode/src/github.com/segmentio/kafka-go ] || need+=(golang-github-segmentio-kafka-go-dev)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-test-deps: missing ${need[*]}; run as root or: sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
  echo "install-test-deps: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# librdkafka 2.15 in Node (@confluentinc/kafka-javascript), built from source for the tests that
# need a librdkafka newer than Debian's 2.0.2; idempotent, and records why when it cannot build.
bash "$(dirname "$0")/install-librdkafka-js.sh"
