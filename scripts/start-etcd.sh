# Sourced by the run scripts: a single-node etcd on loopback with its data under .data/etcd, unless one
# answers on ETCD_PORT already; stopped when the calling script exits. Sets ETCD_PORT.
scripts/ensure-etcd.sh
ETCD_PORT=${ETCD_PORT:-2379}
ETCD_PEER_PORT=${ETCD_PEER_PORT:-2380}
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
