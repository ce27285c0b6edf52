#!/usr/bin/env bash
# Routing throughput and end-to-end latency: gy-intake -> ClueReceived ->
# gy-router -> ClueRouted, assessment off, on one machine.
#
#   bench/router.sh                       defaults below
#   BACKLOG=5000 DURATION=10 bench/router.sh
#
# Phases (bench/router_load.py does 2-4):
#   1. a private PostgreSQL (stock durable settings) in a temporary folder,
#      one gy-intake (rate limits off) and wrk filling it with varied ~1 KB
#      Chinese clues (bench/clue.lua) while the router is NOT running;
#   2. throughput: gy-router starts with BACKLOG clues waiting and consumes
#      them (replay from intake, group commits); clues/s = clues routed /
#      (last routed_at - first routed_at), from router.clue, plus the wall
#      time from the router's start;
#   3. latency at a fixed load: an open-loop Python driver sends
#      POST /api/v1/clues at RATE = half the phase-2 figure (unless RATE is
#      given) for DURATION seconds on keep-alive connections; a SUB on the
#      router's PUB notes when each ClueRouted arrives; latency = arrival -
#      the request's *scheduled* send time (a late send counts against us:
#      no coordinated omission);
#   4. a table and bench/results/router-<UTC date and time>.json.
# Everything it started is stopped and the folder deleted (KEEP=1 keeps it).
#
# Needs wrk (scripts/deps --bench) and python3-zmq.  BUILD (default build/)
# names the build folder; it is built if needed.
# Environment: BACKLOG (20000), DURATION (20 s), RATE (clues/s), SENDERS (16),
# LOAD_REFDATA_DIR (the reference folder the backlog's clues are drawn from; default this
# tree's: point it at an older tree's to send both sides of an A/B the same clues).
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/../scripts/lib/common.sh"

BACKLOG=${BACKLOG:-20000}
DURATION=${DURATION:-20}
SENDERS=${SENDERS:-16}
RATE=${RATE:-}
case "$BACKLOG$DURATION$SENDERS$RATE" in *[!0-9]*) gy_die "BACKLOG, DURATION, SENDERS and RATE are whole numbers" ;; esac

CLUSTER=$GY_ROOT/scripts/lib/cluster.sh
BUILD=${BUILD:-$GY_ROOT/build}
case "$BUILD" in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
RESULTS=$GY_ROOT/bench/results

"$GY_ROOT/scripts/deps" --bench
gy_build "$BUILD" >/dev/null
INTAKE_BIN=$BUILD/services/intake/gy-intake
ROUTER_BIN=$BUILD/services/router/gy-router
[ -x "$INTAKE_BIN" ] && [ -x "$ROUTER_BIN" ] || gy_die "gy-intake or gy-router missing in $BUILD"

TMP=$(mktemp -d /tmp/gy-bench-router.XXXXXX)
chmod 755 "$TMP"
intake_pid=
stop_pid() { # PID
    kill -TERM "$1" 2>/dev/null || return 0
    for _ in $(seq 100); do gy_pid_running "$1" || return 0; sleep 0.1; done
    kill -KILL "$1" 2>/dev/null || true
}
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -n "$intake_pid" ]; then stop_pid "$intake_pid"; fi
    if [ -f "$TMP/router.pid" ]; then stop_pid "$(cat "$TMP/router.pid")"; fi
    if [ -n "${KEEP:-}" ]; then
        sh "$CLUSTER" pg-stop "$TMP/pg" || true
        gy_say "bench: kept $TMP"
    else
        sh "$CLUSTER" pg-destroy "$TMP/pg" || true
        rm -rf "$TMP"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port() { sh "$CLUSTER" free-port; }
pg_port=$(port)
http_port=$(port)
events_port=$(port)
replay_port=$(port)
submit_port=$(port)
router_http=$(port)
router_events=$(port)
router_replay=$(port)
DSN="host=127.0.0.1 port=$pg_port dbname=gongyi user=gongyi"

gy_say "bench: PostgreSQL on $pg_port, intake on $http_port, router on $router_http"
sh "$CLUSTER" pg-start "$TMP/pg" "$pg_port"
gy_hex_key "$TMP/seal.key"

# Redis is not started: intake works without it (rate limits are off).
env GY_LOG_LEVEL="${GY_LOG_LEVEL:-warning}" GY_PRODUCER=bench-intake \
    GY_HTTP_HOST=127.0.0.1 GY_HTTP_PORT="$http_port" \
    GY_BUS_EVENTS="tcp://127.0.0.1:$events_port" GY_BUS_REPLAY="tcp://127.0.0.1:$replay_port" \
    GY_BUS_SUBMIT="tcp://127.0.0.1:$submit_port" GY_PG_DSN="$DSN" \
    GY_REDIS_HOST=127.0.0.1 GY_REDIS_PORT=1 GY_SEAL_KEY_FILE="$TMP/seal.key" \
    GY_REFDATA_DIR="$GY_ROOT/reference" GY_RATE_LIMIT_PER_MIN=0 GY_RATE_LIMIT_VOLUNTEER_PER_MIN=0 \
    "$INTAKE_BIN" </dev/null >"$TMP/intake.log" 2>&1 &
intake_pid=$!
gy_wait_http "http://127.0.0.1:$http_port/healthz" 60 || {
    tail -n 30 "$TMP/intake.log" >&2
    gy_die "gy-intake did not become healthy within 60 s"
}

PGBIN=${PGBIN:-$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -1)}
psql_q() { "$PGBIN/psql" -h 127.0.0.1 -p "$pg_port" -U gongyi -d gongyi -qtAX -c "$1"; }
gy_say "bench: filling intake with at least $BACKLOG clues (wrk, router not running)"
while [ "$(psql_q "SELECT count(*) FROM intake.clue")" -lt "$BACKLOG" ]; do
    (cd "$TMP" && GY_REFDATA_DIR="${LOAD_REFDATA_DIR:-$GY_ROOT/reference}" wrk -t2 -c32 -d3s --timeout 10s \
        -s "$GY_ROOT/bench/clue.lua" "http://127.0.0.1:$http_port/api/v1/clues") \
        >"$TMP/wrk.out" 2>&1 || { cat "$TMP/wrk.out" >&2; gy_die "wrk failed"; }
done

mkdir -p "$RESULTS"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
cd "$TMP"
GY_ROOT=$GY_ROOT TMP=$TMP DSN=$DSN BACKLOG=$BACKLOG DURATION=$DURATION SENDERS=$SENDERS \
RATE=$RATE INTAKE_HTTP=$http_port INTAKE_EVENTS="tcp://127.0.0.1:$events_port" \
INTAKE_REPLAY="tcp://127.0.0.1:$replay_port" ROUTER_BIN=$ROUTER_BIN ROUTER_HTTP=$router_http \
ROUTER_EVENTS="tcp://127.0.0.1:$router_events" ROUTER_REPLAY="tcp://127.0.0.1:$router_replay" \
OUT="$RESULTS/router-$stamp.json" STAMP=$stamp PYTHONPATH="$BUILD/python" \
    /usr/bin/python3 "$GY_ROOT/bench/router_load.py"
