#!/usr/bin/env bash
# `make test` on a fresh machine: the real servers and tools the tests start (etcd, Prometheus and its
# Pushgateway, h2load, wrk, openssl), installed from Debian when missing and we may (root with apt).
set -euo pipefail
declare -A package=([etcd]=etcd-server [prometheus]=prometheus [prometheus-pushgateway]=prometheus-pushgateway
  [h2load]=nghttp2-client [wrk]=wrk [openssl]=openssl)
missing=()
for tool in "${!package[@]}"; do command -v "$tool" >/dev/null 2>&1 || missing+=("${package[$tool]}"); done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing what the tests start: ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "the tests need: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
