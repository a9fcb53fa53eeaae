#!/usr/bin/env bash
# Installs etcd from Debian when it is missing and we may (root with apt).
set -euo pipefail
if command -v etcd >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "etcd not found: installing Debian's etcd-server" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server >/dev/null
else
  echo "etcd is not installed: run 'sudo apt-get install -y etcd-server' (Debian) and try again" >&2
  exit 1
fi
