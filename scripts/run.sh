#!/usr/bin/env bash
# `make run`: the whole system (krake-run: base roles, krake-api, the garbage collector, the scheduler and
# both Kubernetes controllers) with the embedded store in .data/krake.db — no root, no etcd.
# `make run STORE=etcd`: the same on a local etcd. Ports: GRPC_PORT (9090), HTTP_PORT (8080), and each
# controller's probes and /metrics: GC_HTTP_PORT (9095), SCHEDULER_HTTP_PORT (9096),
# KUBE_CLUSTER_HTTP_PORT (9097), KUBE_APP_HTTP_PORT (9098).
set -euo pipefail
cd "$(dirname "$0")/.."
args=(--grpc-port "${GRPC_PORT:-9090}" --http-port "${HTTP_PORT:-8080}"
  --gc-http-port "${GC_HTTP_PORT:-9095}" --scheduler-http-port "${SCHEDULER_HTTP_PORT:-9096}"
  --kube-cluster-http-port "${KUBE_CLUSTER_HTTP_PORT:-9097}" --kube-app-http-port "${KUBE_APP_HTTP_PORT:-9098}")
case "${STORE:-sqlite}" in
  sqlite) args+=(--store "sqlite://${KRAKE_DB:-.data/krake.db}") ;;
  etcd)
    source scripts/start-etcd.sh
    args+=(--store "etcd://127.0.0.1:${ETCD_PORT}") ;;
  *) echo "STORE must be sqlite or etcd, not ${STORE}" >&2; exit 2 ;;
esac
node bin/krake-run.js "${args[@]}" &
run_pid=$!
trap 'kill -TERM "$run_pid" 2>/dev/null || true; wait "$run_pid" 2>/dev/null || true; [ -n "${etcd_pid:-}" ] && kill "$etcd_pid" 2>/dev/null; wait 2>/dev/null || true' EXIT INT TERM
wait "$run_pid"
