#!/usr/bin/env bash
# `make run-secure`: a local etcd (data under .data/etcd) and krake-api alone with $KRAKE_CONFIG
# (TLS, client certificates). Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/start-etcd.sh
GRPC_PORT=${GRPC_PORT:-9090}
CONFIG=${KRAKE_CONFIG:-config/api.yaml}
# The bootstrap roles (system:admin, controllers, hooks), unless they are there already.
node bin/krake-bootstrap.js --config "$CONFIG" --etcd.endpoints "http://127.0.0.1:${ETCD_PORT}" --skip-existing config/base-roles.yaml
HTTP_PORT=${HTTP_PORT:-8080}
echo "krake-api: gRPC on 127.0.0.1:${GRPC_PORT}, REST on http://127.0.0.1:${HTTP_PORT} (config: $CONFIG)"
node bin/krake-api.js --config "$CONFIG" --grpc.port "${GRPC_PORT}" --http.port "${HTTP_PORT}" --etcd.endpoints "http://127.0.0.1:${ETCD_PORT}" &
api_pid=$!
trap 'kill "$api_pid" 2>/dev/null || true; wait "$api_pid" 2>/dev/null || true; [ -n "$etcd_pid" ] && kill "$etcd_pid" 2>/dev/null; wait 2>/dev/null || true' EXIT INT TERM
wait "$api_pid"
