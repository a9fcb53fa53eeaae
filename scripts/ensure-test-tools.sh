#!/usr/bin/env bash
# `make test` on a fresh machine: the real servers and tools the tests start (etcd, Prometheus and its
# Pushgateway, h2load, wrk, openssl), installed from Debian when missing and we may (root with apt); then the
# member-cluster binaries (kube-apiserver, etcd 3.6), built once from Go modules by scripts/kube-binaries.sh.
set -euo pipefail
declare -A package=([etcd]=etcd-server [prometheus]=prometheus [prometheus-pushgateway]=prometheus-pushgateway
  [h2load]=nghttp2-client [wrk]=wrk [openssl]=openssl)
missing=()
for tool in "${!package[@]}"; do command -v "$tool" >/dev/null 2>&1 || missing+=("${package[$tool]}"); done
# The contract suite (test/compat) makes a virtualenv for Krake's Python client: python3 with venv/ensurepip.
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
if [ ${#missing[@]} -eq 0 ]; then
  :
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing what the tests start: ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "the tests need: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

# Built here, before mocha, so that a cold build (minutes) shows its progress instead of a silent test.
"$(dirname "$0")/kube-binaries.sh" >/dev/null
# Krake's Python client (krake==1.0.1) for the contract suite, installed once and cached (.venv/); fails
# here, loudly, when no CPython 3.8-3.10 is found or the install fails (scripts/krake-python.sh).
"$(dirname "$0")/krake-python.sh" >/dev/null
