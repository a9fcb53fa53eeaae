#!/usr/bin/env bash
# `make bench`: every bench/*.ts script (see bench/README.md); prints a table
# and writes bench/results.json. Arguments pick scripts by name: `scripts/bench.sh api`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-etcd.sh
missing=()
command -v h2load >/dev/null 2>&1 || missing+=(nghttp2-client)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing the C load generators: ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "the benchmark needs h2load and wrk: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi
exec node --import tsx bench/run.ts "$@"
