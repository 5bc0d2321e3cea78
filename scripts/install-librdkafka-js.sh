#!/usr/bin/env bash
# Installs @confluentinc/kafka-javascript (librdkafka 2.15, built from source) into
# tests/clients-npm/librdkafka-js/node_modules for the tests that need a librdkafka newer than
# Debian's 2.0.2 (authorized operations: librdkafka >= 2.3). Idempotent: does nothing when the
# addon is built and loads. Called by scripts/install-test-deps.sh (CI runs it as root).
#
# Offline, the package's own install cannot download its prebuilt addon, so it compiles the
# bundled librdkafka; CKJS_LINKING=dynamic links Debian's zlib, OpenSSL, zstd, lz4 and SASL
# (their -dev packages are installed here) instead of downloading their sources. About 80-100 s
# on 2 cores. When the build is impossible on this machine (no root for the -dev packages, no
# compiler), the reason is written to UNAVAILABLE in that directory: the tests that need the
# client skip with it, and every other test runs as usual.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=tests/clients-npm/librdkafka-js
marker="$dir/UNAVAILABLE"

loads() {
  (cd "$dir" && node -e "require('@confluentinc/kafka-javascript')") >/dev/null 2>&1
}

if loads; then
  rm -f "$marker"
  exit 0
fi

unavailable() {
  echo "install-librdkafka-js: $1" >&2
  echo "$1" >"$marker"
  exit 0
}

dev_packages=(libzstd-dev libsasl2-dev liblz4-dev libssl-dev zlib1g-dev)
missing=()
for p in "${dev_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
command -v g++ >/dev/null 2>&1 && command -v make >/dev/null 2>&1 || missing+=(g++ make)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    unavailable "cannot build @confluentinc/kafka-javascript: missing ${missing[*]} (run as root, or: sudo apt-get install -y ${missing[*]})"
  fi
  echo "install-librdkafka-js: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || unavailable "apt-get install ${missing[*]} failed"
fi

echo "install-librdkafka-js: building @confluentinc/kafka-javascript (librdkafka from source, ~1-2 min)"
# The error file is named from the repository root, outside the subshell that changes directory.
if ! (cd "$dir" && CKJS_LINKING=dynamic npm ci --no-audit --no-fund) >/dev/null 2>"$dir/npm-ci.err"; then
  unavailable "npm ci of @confluentinc/kafka-javascript failed: $(tail -c 2000 "$dir/npm-ci.err" | tr '\n' ' ')"
fi
loads || unavailable "@confluentinc/kafka-javascript was built but does not load"
rm -f "$marker" "$dir/npm-ci.err"
echo "install-librdkafka-js: done"
