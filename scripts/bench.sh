#!/usr/bin/env bash
# `make bench`: the fan-out benchmark of issue 2, end to end and on loopback only.
#
# Builds release binaries, starts its own redis-server, auth service and gateway on free loopback
# ports, runs `coindaily-bench` (C plain WebSocket clients subscribed to one channel, R messages per
# second published into Redis for T seconds), prints the JSON result, appends it to
# bench-results/results.jsonl, and stops everything. Nothing else is measured or changed.
#
#   make bench                                  # C=1000 R=100 T=10, the documented configuration
#   make bench BENCH_C=2000 BENCH_R=200 BENCH_T=10
#   make bench GATEWAY_FLAGS="--flush-interval-ms 0"
#   SKIP_BUILD=1 scripts/bench.sh               # reuse the release binaries already built
#   BENCH_RUNS=3                                # several runs, one fresh gateway each
#   make bench BENCH_C=100 BENCH_PAD=8192 BENCH_SLOW=10   # 10 subscribers that stop reading
#   make bench BENCH_SIO=1                      # Socket.IO v5 clients (Engine.IO v4 WebSocket) instead of plain
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

C=${BENCH_C:-1000}
R=${BENCH_R:-100}
T=${BENCH_T:-10}
RUNS=${BENCH_RUNS:-1}
SLOW=${BENCH_SLOW:-0}        # extra subscribers that stop reading (slow consumers)
PAD=${BENCH_PAD:-200}        # payload padding, bytes
SIO=${BENCH_SIO:-0}          # 1: Socket.IO clients
client_flags=()
sio_label=""
if [[ $SIO == 1 ]]; then client_flags+=(--socketio); sio_label=", Socket.IO"; fi
GATEWAY_FLAGS=${GATEWAY_FLAGS:-}

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  bash scripts/install-deps.sh
  swift build -c release --product coindaily-gateway
  swift build -c release --product coindaily-auth
  swift build -c release --product coindaily-bench
fi
bin=${BENCH_BIN_DIR:-$(swift build -c release --show-bin-path)}
mkdir -p bench-results
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_http() {
  for _ in $(seq 1 200); do
    if curl -fsS -o /dev/null "$1" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "bench: $1 never answered" >&2
  return 1
}

# Both the gateway and the clients hold C sockets.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

redis_port=$(free_port)
auth_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
  >"$work/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.05; done
export REDIS_URL="redis://127.0.0.1:$redis_port"
"$bin/coindaily-auth" --dev --host 127.0.0.1 --port "$auth_port" --key-dir "$work/keys" --log-level warning \
  >"$work/auth.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$auth_port/healthz"

for run in $(seq 1 "$RUNS"); do
  gateway_port=$(free_port)
  # shellcheck disable=SC2086  # GATEWAY_FLAGS is a word list on purpose
  # The benchmark opens C connections from one address at once: lift the per-IP limits for it.
  "$bin/coindaily-gateway" --host 127.0.0.1 --port "$gateway_port" --log-level warning \
    --max-connections-per-ip 1000000 --connection-rate-per-ip 1000000 --max-connections-per-user 1000000 $GATEWAY_FLAGS \
    >"$work/gateway.log" 2>&1 &
  gateway_pid=$!
  wait_http "http://127.0.0.1:$gateway_port/readyz"
  echo "bench: run $run/$RUNS, C=$C R=$R T=$T$sio_label, gateway pid $gateway_pid ${GATEWAY_FLAGS:+($GATEWAY_FLAGS)}" >&2
  result=$("$bin/coindaily-bench" --url "ws://127.0.0.1:$gateway_port/ws" --redis-url "$REDIS_URL" \
    --auth-url "http://127.0.0.1:$auth_port" --gateway-pid "$gateway_pid" -c "$C" -r "$R" -t "$T" \
    --slow-clients "$SLOW" --padding "$PAD" "${client_flags[@]}") || status=$?
  kill "$gateway_pid" 2>/dev/null || true
  wait "$gateway_pid" 2>/dev/null || true
  echo "$result"
  printf '{"date":"%s","commit":"%s","gateway_flags":"%s","result":%s}\n' "$(date -u +%FT%TZ)" \
    "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" "$GATEWAY_FLAGS" "${result:-null}" \
    >>bench-results/results.jsonl
  if [[ ${status:-0} -ne 0 ]]; then echo "bench: coindaily-bench exited with ${status}" >&2; exit "$status"; fi
done
