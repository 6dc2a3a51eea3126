#!/usr/bin/env bash
# shellcheck disable=SC2317  # functions called only through traps look unreachable to shellcheck 0.9
# `make run`: the whole CoinDaily Realtime stack on this machine, in the foreground.
#
# Installs what is missing, builds release, then starts Redis, the auth service (dev mode), the seven
# producers (sentiment, whale, trending, tasks, budget, moderation, health; simulators on) and the gateway. Every line a process logs is shown prefixed with its name and
# kept in run/logs/NAME.log. Prints the URLs and a dev token once all are healthy. Ctrl-C stops everything.
#
# Settings (environment, all optional):
#   GATEWAYS=N          gateways to start (default 1, on GATEWAY_PORT); with N>1 they listen on
#                       GATEWAY_BASE_PORT, +1, ... behind HAProxy on LB_PORT
#   REDIS_URL           use this Redis instead of starting one
#   REDIS_PORT          port of the Redis started here (default 6379; data in run/redis)
#   AUTH_PORT=4001  SENTIMENT_PORT=4101  WHALE_PORT=4102  TRENDING_PORT=4103  TASKS_PORT=4104
#   BUDGET_PORT=4105  MODERATION_PORT=4106  HEALTH_PORT=4107
#   GATEWAY_PORT=4000  GATEWAY_BASE_PORT=4010  LB_PORT=8080
#   COINDAILY_ADMIN_KEY admin key of the auth service (default dev-admin-key)
#   LOG_LEVEL           passed to every process (default info)
#   SKIP_BUILD=1        skip installing and building; use the release binaries already built
#   COINDAILY_BIN_DIR   take the binaries from this directory (implies SKIP_BUILD=1)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
RUN_DIR=$ROOT/run
LOG_DIR=$RUN_DIR/logs

GATEWAYS=${GATEWAYS:-1}
REDIS_PORT=${REDIS_PORT:-6379}
AUTH_PORT=${AUTH_PORT:-4001}
SENTIMENT_PORT=${SENTIMENT_PORT:-4101}
WHALE_PORT=${WHALE_PORT:-4102}
TRENDING_PORT=${TRENDING_PORT:-4103}
TASKS_PORT=${TASKS_PORT:-4104}
BUDGET_PORT=${BUDGET_PORT:-4105}
MODERATION_PORT=${MODERATION_PORT:-4106}
HEALTH_PORT=${HEALTH_PORT:-4107}
GATEWAY_PORT=${GATEWAY_PORT:-4000}
GATEWAY_BASE_PORT=${GATEWAY_BASE_PORT:-4010}
LB_PORT=${LB_PORT:-8080}
export COINDAILY_ADMIN_KEY=${COINDAILY_ADMIN_KEY:-dev-admin-key}
export LOG_LEVEL=${LOG_LEVEL:-info}

# Output may go to a pipe that dies first (`make run | tee log`, then Ctrl-C): never let a failed write
# (SIGPIPE or EPIPE) cut the shutdown short.
trap '' PIPE
say() { printf '[run] %s\n' "$*" 2>/dev/null || true; }
die() { printf '[run] error: %s\n' "$*" >&2 2>/dev/null || true; exit 1; }

[[ $GATEWAYS =~ ^[1-9][0-9]*$ ]] || die "GATEWAYS must be a positive integer (got '$GATEWAYS')"

# ---- install and build ------------------------------------------------------------------------------

if [[ -n ${COINDAILY_BIN_DIR:-} ]]; then
  BIN=$COINDAILY_BIN_DIR
elif [[ ${SKIP_BUILD:-0} == 1 ]]; then
  BIN=$(swift build -c release --show-bin-path)
else
  bash scripts/install-deps.sh
  say "building release binaries (swift build -c release) ..."
  swift build -c release
  BIN=$(swift build -c release --show-bin-path)
fi
PRODUCERS=(sentiment whale trending tasks budget moderation health)
for exe in coindaily-gateway coindaily-auth coindaily "${PRODUCERS[@]/#/coindaily-}"; do
  [[ -x $BIN/$exe ]] || die "$BIN/$exe not found; build first (make build)"
done
for tool in curl redis-cli; do
  command -v "$tool" >/dev/null || die "$tool not found; run: make deps"
done
if ((GATEWAYS > 1)); then
  command -v haproxy >/dev/null || die "haproxy not found; run: make deps"
fi

mkdir -p "$LOG_DIR" "$RUN_DIR/redis" "$RUN_DIR/auth-keys"

# ---- process bookkeeping ----------------------------------------------------------------------------

PIDS=()    # every process started, in start order
NAMES=()   # their names, same order
TIERS=()   # stop order: the highest tier stops first (load balancer, gateways, producers, auth, Redis)

# Prefix each line with [NAME] on the terminal and keep it in run/logs/NAME.log. Ignores Ctrl-C so a
# process's last log lines during shutdown still get through; ends when the process closes its output.
prefix() {
  local name=$1 log=$2 line
  trap '' INT TERM HUP
  exec 3>>"$log"
  while IFS= read -r line || [[ -n $line ]]; do
    printf '%-12s %s\n' "[$name]" "$line" 2>/dev/null || true
    printf '%s\n' "$line" >&3 2>/dev/null || true
  done
}

# start TIER NAME COMMAND... : run COMMAND in the background, in its own session (so Ctrl-C reaches only
# this script, which then stops everything in order), its stdout and stderr through prefix.
start() {
  local tier=$1 name=$2
  shift 2
  say "starting $name: $*"
  : >"$LOG_DIR/$name.log"
  setsid stdbuf -oL -eL "$@" > >(prefix "$name" "$LOG_DIR/$name.log") 2>&1 &
  PIDS+=("$!")
  NAMES+=("$name")
  TIERS+=("$tier")
}

# True while PID runs (an exited child stays a zombie until reaped, so kill -0 alone would not do).
running() {
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  state=${state//[[:space:]]/}
  [[ -n $state && $state != Z* ]]
}

# Send TERM to the given processes, KILL whatever still runs after 10 s, and reap them.
stop_pids() {
  (($#)) || return 0
  kill -TERM "$@" 2>/dev/null || true
  local pid deadline=$((SECONDS + 10))
  for pid in "$@"; do
    while running "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
  done
  kill -KILL "$@" 2>/dev/null || true
  wait "$@" 2>/dev/null || true
}

# shellcheck disable=SC2317  # called through the traps
cleanup() {
  local status=$?
  trap - EXIT
  trap '' INT TERM HUP   # a second Ctrl-C does not cut the shutdown short (it is bounded anyway)
  if ((${#PIDS[@]})); then
    say "stopping ..."
    local tier i group
    for tier in 4 3 2 1 0; do
      group=()
      for i in "${!PIDS[@]}"; do
        [[ ${TIERS[i]} == "$tier" ]] && group+=("${PIDS[i]}")
      done
      stop_pids "${group[@]}"
    done
    say "stopped"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

last_pid() { echo "${PIDS[${#PIDS[@]} - 1]}"; }

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

require_free_port() {
  if port_in_use "$1"; then
    die "port $1 ($2) is already in use; is another 'make run' going? (override with $3=...)"
  fi
}

# wait_http NAME URL PID : until URL answers 2xx, failing if PID exits or 90 s pass.
wait_http() {
  local name=$1 url=$2 pid=$3 deadline=$((SECONDS + 90))
  until curl -fs -o /dev/null --max-time 2 "$url"; do
    kill -0 "$pid" 2>/dev/null || die "$name exited during startup; see run/logs/$name.log"
    ((SECONDS < deadline)) || die "$name not ready at $url after 90 s; see run/logs/$name.log"
    sleep 0.2
  done
  say "$name ready ($url)"
}

# ---- Redis ------------------------------------------------------------------------------------------

if [[ -n ${REDIS_URL:-} ]]; then
  say "using Redis at $REDIS_URL"
elif port_in_use "$REDIS_PORT"; then
  [[ $(redis-cli -p "$REDIS_PORT" ping 2>/dev/null || true) == PONG ]] \
    || die "port $REDIS_PORT is in use by something that is not Redis (set REDIS_PORT or REDIS_URL)"
  REDIS_URL=redis://127.0.0.1:$REDIS_PORT
  say "a Redis already answers on port $REDIS_PORT; using it (set REDIS_PORT=... to start a private one)"
else
  REDIS_URL=redis://127.0.0.1:$REDIS_PORT
  # The append-only file, synced on every write, keeps every event across a restart, so resumes stay exact
  # (docs/delivery.md); from a snapshot alone the history's epoch changes on restart.
  start 0 redis redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$RUN_DIR/redis" --appendonly yes --appendfsync always
  deadline=$((SECONDS + 30))
  until [[ $(redis-cli -p "$REDIS_PORT" ping 2>/dev/null || true) == PONG ]]; do
    kill -0 "$(last_pid)" 2>/dev/null || die "redis-server exited during startup; see run/logs/redis.log"
    ((SECONDS < deadline)) || die "redis-server not answering on port $REDIS_PORT"
    sleep 0.1
  done
  say "redis ready ($REDIS_URL)"
fi
export REDIS_URL

# ---- auth, producers, gateways ----------------------------------------------------------------------

require_free_port "$AUTH_PORT" auth AUTH_PORT
start 1 auth "$BIN/coindaily-auth" --port "$AUTH_PORT" --dev \
  --key-dir "$RUN_DIR/auth-keys" --redis-url "$REDIS_URL"
wait_http auth "http://127.0.0.1:$AUTH_PORT/healthz" "$(last_pid)"

for producer in "${PRODUCERS[@]}"; do
  port_var="${producer^^}_PORT"
  port=${!port_var}
  require_free_port "$port" "$producer" "$port_var"
  start 2 "$producer" "$BIN/coindaily-$producer" --port "$port" --simulate --redis-url "$REDIS_URL"
  wait_http "$producer" "http://127.0.0.1:$port/healthz" "$(last_pid)"
done

gateway_ports=()
if ((GATEWAYS == 1)); then
  gateway_ports=("$GATEWAY_PORT")
else
  for ((i = 0; i < GATEWAYS; i++)); do gateway_ports+=($((GATEWAY_BASE_PORT + i))); done
fi
for i in "${!gateway_ports[@]}"; do
  port=${gateway_ports[i]}
  if ((GATEWAYS == 1)); then
    name=gateway port_var=GATEWAY_PORT
  else
    name=gateway-$((i + 1)) port_var=GATEWAY_BASE_PORT
  fi
  require_free_port "$port" "$name" "$port_var"
  # Browsers on this machine only; behind the local HAProxy, its X-Forwarded-For is believed.
  start 3 "$name" "$BIN/coindaily-gateway" --port "$port" --redis-url "$REDIS_URL" \
    --allowed-origins "${GATEWAY_ALLOWED_ORIGINS:-http://localhost:*,http://127.0.0.1:*,https://localhost:*}" \
    --trusted-proxies "${GATEWAY_TRUSTED_PROXIES:-127.0.0.1,::1}"
  wait_http "$name" "http://127.0.0.1:$port/readyz" "$(last_pid)"
done

public_port=${gateway_ports[0]}
if ((GATEWAYS > 1)); then
  require_free_port "$LB_PORT" haproxy LB_PORT
  servers=""
  for i in "${!gateway_ports[@]}"; do
    servers+="    server gw$((i + 1)) 127.0.0.1:${gateway_ports[i]} check cookie gw$((i + 1))"$'\n'
  done
  awk -v servers="$servers" -v port="$LB_PORT" '
    /^[ \t]*@SERVERS@[ \t]*$/ { printf "%s", servers; next }
    { gsub(/@LB_PORT@/, port); print }' deploy/haproxy.local.cfg.in >"$RUN_DIR/haproxy.cfg"
  haproxy -c -q -f "$RUN_DIR/haproxy.cfg" || die "generated run/haproxy.cfg is invalid"
  start 4 haproxy haproxy -db -f "$RUN_DIR/haproxy.cfg"
  wait_http haproxy "http://127.0.0.1:$LB_PORT/readyz" "$(last_pid)"
  public_port=$LB_PORT
fi

# ---- dev token and banner ---------------------------------------------------------------------------

token=$("$BIN/coindaily" token --sub dev --roles user,admin --ttl 86400 \
          --auth-url "http://127.0.0.1:$AUTH_PORT" 2>/dev/null) \
  || token=$(curl -fsS -X POST "http://127.0.0.1:$AUTH_PORT/v1/tokens" \
               -H "Authorization: Bearer $COINDAILY_ADMIN_KEY" -H 'Content-Type: application/json' \
               -d '{"sub":"dev","roles":["user","admin"],"ttl":86400}' \
             | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])') \
  || die "could not mint a dev token from the auth service"
printf '%s\n' "$token" >"$RUN_DIR/dev-token"

ws_url="ws://127.0.0.1:$public_port/ws"
http_url="http://127.0.0.1:$public_port"
python=python3
[[ -x $ROOT/.venv/bin/python ]] && python=.venv/bin/python
rel_bin=${BIN#"$ROOT"/}
lb_note=""
if ((GATEWAYS > 1)); then lb_note="   (HAProxy over $GATEWAYS gateways on ports ${gateway_ports[*]})"; fi

cat <<EOF

================================================================================================
 CoinDaily Realtime is running.

   WebSocket   $ws_url$lb_note
   Dashboard   $http_url/
   Health      $http_url/healthz   $http_url/readyz   $http_url/metrics
   Auth        http://127.0.0.1:$AUTH_PORT   POST /v1/tokens with 'Authorization: Bearer $COINDAILY_ADMIN_KEY'
   Producers   sentiment :$SENTIMENT_PORT  whale :$WHALE_PORT  trending :$TRENDING_PORT  tasks :$TASKS_PORT
               budget :$BUDGET_PORT  moderation :$MODERATION_PORT  health :$HEALTH_PORT   (simulators on; POST /v1/ingest)
   Socket.IO   io("$http_url", { path: "/ws", auth: { token } })   (Engine.IO v4, websocket and polling)
   Redis       $REDIS_URL
   Logs        run/logs/

 Dev token (sub=dev, roles=user,admin, 24 h), also in run/dev-token:

$token

 Listen to market sentiment:

   $rel_bin/coindaily listen --url $ws_url --token "\$(cat run/dev-token)" --channel market_sentiment --tokens BTC,ETH

 or with Python (pip install websockets):

   $python -c 'import json, sys; from websockets.sync.client import connect; ws = connect(sys.argv[1]); ws.send(json.dumps({"type": "auth", "token": sys.argv[2]})); ws.send(json.dumps({"type": "subscribe_market_sentiment", "data": {"tokens": ["BTC", "ETH"]}})); [print(m, flush=True) for m in ws]' $ws_url "\$(cat run/dev-token)"

 Ctrl-C stops everything.
================================================================================================

EOF

# ---- run until Ctrl-C or until a process dies ---------------------------------------------------------

died_pid=""
wait -n -p died_pid "${PIDS[@]}" || true
for i in "${!PIDS[@]}"; do
  if [[ ${PIDS[i]} == "$died_pid" ]]; then
    die "${NAMES[i]} exited unexpectedly; stopping the rest (see run/logs/${NAMES[i]}.log)"
  fi
done
die "a process exited unexpectedly; stopping the rest"
