#!/usr/bin/env bash
# `make run`: a single-node etcd on loopback with its data under .data/etcd,
# then krake-api in the foreground. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-etcd.sh
ETCD_PORT=${ETCD_PORT:-2379}
ETCD_PEER_PORT=${ETCD_PEER_PORT:-2380}
GRPC_PORT=${GRPC_PORT:-9090}
mkdir -p .data
etcd_pid=""
if curl -fsS "http://127.0.0.1:${ETCD_PORT}/health" >/dev/null 2>&1; then
  echo "Using the etcd already answering on 127.0.0.1:${ETCD_PORT}"
else
  etcd --name krake --data-dir .data/etcd \
    --listen-client-urls "http://127.0.0.1:${ETCD_PORT}" --advertise-client-urls "http://127.0.0.1:${ETCD_PORT}" \
    --listen-peer-urls "http://127.0.0.1:${ETCD_PEER_PORT}" --initial-advertise-peer-urls "http://127.0.0.1:${ETCD_PEER_PORT}" \
    --initial-cluster "krake=http://127.0.0.1:${ETCD_PEER_PORT}" \
    --auto-compaction-mode=revision --auto-compaction-retention=100000 \
    --experimental-watch-progress-notify-interval=1s \
    --logger=zap --log-outputs=.data/etcd.log &
  etcd_pid=$!
  trap 'kill "$etcd_pid" 2>/dev/null || true; wait "$etcd_pid" 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:${ETCD_PORT}/health" >/dev/null 2>&1 && break
    sleep 0.1
  done
  echo "etcd listening on 127.0.0.1:${ETCD_PORT} (data: .data/etcd, log: .data/etcd.log)"
fi
CONFIG=${KRAKE_CONFIG:-config/api.yaml}
# The bootstrap roles (system:admin, controllers, hooks), unless they are there already.
node bin/krake-bootstrap.js --config "$CONFIG" --etcd.endpoints "http://127.0.0.1:${ETCD_PORT}" --skip-existing config/base-roles.yaml
HTTP_PORT=${HTTP_PORT:-8080}
echo "krake-api: gRPC on 127.0.0.1:${GRPC_PORT}, REST on http://127.0.0.1:${HTTP_PORT} (config: $CONFIG)"
echo "  try: npx tsx examples/watch-and-create.ts   or   npx krakectl kube app list -a   (see README)"
node bin/krake-api.js --config "$CONFIG" --grpc.port "${GRPC_PORT}" --http.port "${HTTP_PORT}" --etcd.endpoints "http://127.0.0.1:${ETCD_PORT}" &
api_pid=$!
trap 'kill "$api_pid" 2>/dev/null || true; wait "$api_pid" 2>/dev/null || true; [ -n "$etcd_pid" ] && kill "$etcd_pid" 2>/dev/null; wait 2>/dev/null || true' EXIT INT TERM
wait "$api_pid"
