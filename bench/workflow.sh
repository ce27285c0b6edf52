#!/usr/bin/env bash
# The workflow's deadlines and transitions at scale (issue 9's benchmark),
# on one machine:
#
#   bench/workflow.sh                        defaults below
#   DEADLINES=100000 DURATION=10 bench/workflow.sh
#
# Phases (bench/workflow_load.py does 2-6):
#   1. a private PostgreSQL (stock durable settings) in a temporary folder;
#      gy-intake, gy-router and gy-workflow following each other, the
#      workflow's API on (a token key made here), its configuration the
#      defaults unless SCAN_MS sets GY_WORKFLOW_DEADLINE_SCAN_MS;
#   2. CASES clues submitted to intake, routed, reviewed, opened by a chief
#      and their opening decision served (investigating): the real path;
#   3. the due scan's cost (the workflow's own deadlines_due statement, 300
#      calls, nothing due) with the cases' deadlines only; then DEADLINES
#      more open deadlines (copies of a real one, due 1 to 24 months ahead,
#      ten per case on DEADLINES/10 filler cases, inserted with SQL) and the
#      scan's cost again: it must not grow with the table;
#   4. PROBES deadlines due over SPREAD seconds among them: how late each
#      DeadlineDue and DeadlineMissed fires (the instant the workflow marked
#      it fired, by its clock, minus its due instant); target: within 1 s;
#   5. transitions through the API for DURATION seconds: wrk, CONNECTIONS
#      connections, suspend (中止) / resume alternating on each case
#      (bench/workflow_steps.lua); target: >= 2,000/s with p99 <= 50 ms;
#   6. a table and bench/results/workflow-<UTC date and time>.json.
# Everything it started is stopped and the folder deleted (KEEP=1 keeps it).
#
# Needs wrk (scripts/deps --bench) and python3-psycopg2.  BUILD (default
# build/) names the build folder; it is built if needed.
# Environment: CASES (4000), DEADLINES (1000000), PROBES (2000), SPREAD
# (10 s), DURATION (20 s), CONNECTIONS (32), SCAN_MS (the service's default).
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/../scripts/lib/common.sh"

CASES=${CASES:-4000}
DEADLINES=${DEADLINES:-1000000}
PROBES=${PROBES:-2000}
SPREAD=${SPREAD:-10}
DURATION=${DURATION:-20}
CONNECTIONS=${CONNECTIONS:-32}
SCAN_MS=${SCAN_MS:-}
case "$CASES$DEADLINES$PROBES$SPREAD$DURATION$CONNECTIONS$SCAN_MS" in
*[!0-9]*) gy_die "CASES, DEADLINES, PROBES, SPREAD, DURATION, CONNECTIONS and SCAN_MS are whole numbers" ;;
esac

CLUSTER=$GY_ROOT/scripts/lib/cluster.sh
BUILD=${BUILD:-$GY_ROOT/build}
case "$BUILD" in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
RESULTS=$GY_ROOT/bench/results

"$GY_ROOT/scripts/deps" --bench
gy_build "$BUILD" >/dev/null
INTAKE_BIN=$BUILD/services/intake/gy-intake
ROUTER_BIN=$BUILD/services/router/gy-router
WORKFLOW_BIN=$BUILD/services/workflow/gy-workflow
TOKEN_BIN=$BUILD/common/gy-token
for b in "$INTAKE_BIN" "$ROUTER_BIN" "$WORKFLOW_BIN" "$TOKEN_BIN"; do
    [ -x "$b" ] || gy_die "$b missing in $BUILD"
done

TMP=$(mktemp -d /tmp/gy-bench-workflow.XXXXXX)
chmod 755 "$TMP"
pids=()
stop_pid() { # PID
    kill -TERM "$1" 2>/dev/null || return 0
    for _ in $(seq 100); do gy_pid_running "$1" || return 0; sleep 0.1; done
    kill -KILL "$1" 2>/dev/null || true
}
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    for pid in "${pids[@]}"; do stop_pid "$pid"; done
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
intake_http=$(port) intake_events=$(port) intake_replay=$(port) intake_submit=$(port)
router_http=$(port) router_events=$(port) router_replay=$(port)
workflow_http=$(port) workflow_events=$(port) workflow_replay=$(port)
DSN="host=127.0.0.1 port=$pg_port dbname=gongyi user=gongyi"

gy_say "bench: PostgreSQL on $pg_port; intake $intake_http, router $router_http, workflow $workflow_http"
sh "$CLUSTER" pg-start "$TMP/pg" "$pg_port"
gy_hex_key "$TMP/seal.key"
"$TOKEN_BIN" keygen "$TMP/token.secret" "$TMP/token.public" >/dev/null
TOKEN=$("$TOKEN_BIN" issue "$TMP/token.secret" --sub bench-chief --role chief_prosecutor \
    --proc 140213 --ttl 7200)

# start NAME HTTP_PORT BIN VAR=VALUE...: one service, logged to $TMP/NAME.log.
start() {
    local name=$1 http=$2 bin=$3
    shift 3
    env GY_LOG_LEVEL="${GY_LOG_LEVEL:-warning}" GY_PG_DSN="$DSN" GY_HTTP_HOST=127.0.0.1 \
        GY_HTTP_PORT="$http" GY_REFDATA_DIR="$GY_ROOT/reference" GY_PRODUCER="bench-$name" \
        GY_REDIS_HOST=127.0.0.1 GY_REDIS_PORT=1 "$@" "$bin" </dev/null >"$TMP/$name.log" 2>&1 &
    pids+=($!)
    gy_wait_http "http://127.0.0.1:$http/healthz" 60 || {
        tail -n 30 "$TMP/$name.log" >&2
        gy_die "gy-$name did not become healthy within 60 s"
    }
}
# Redis is not started: nothing here needs it (rate limits off).
start intake "$intake_http" "$INTAKE_BIN" \
    GY_BUS_EVENTS="tcp://127.0.0.1:$intake_events" GY_BUS_REPLAY="tcp://127.0.0.1:$intake_replay" \
    GY_BUS_SUBMIT="tcp://127.0.0.1:$intake_submit" GY_SEAL_KEY_FILE="$TMP/seal.key" \
    GY_RATE_LIMIT_PER_MIN=0 GY_RATE_LIMIT_VOLUNTEER_PER_MIN=0
start router "$router_http" "$ROUTER_BIN" \
    GY_BUS_EVENTS="tcp://127.0.0.1:$router_events" GY_BUS_REPLAY="tcp://127.0.0.1:$router_replay" \
    GY_SOURCES="tcp://127.0.0.1:$intake_events|tcp://127.0.0.1:$intake_replay"
workflow_env=(GY_BUS_EVENTS="tcp://127.0.0.1:$workflow_events"
    GY_BUS_REPLAY="tcp://127.0.0.1:$workflow_replay"
    GY_SOURCES="tcp://127.0.0.1:$router_events|tcp://127.0.0.1:$router_replay"
    GY_TOKEN_PUBLIC_KEY_FILE="$TMP/token.public")
[ -z "$SCAN_MS" ] || workflow_env+=(GY_WORKFLOW_DEADLINE_SCAN_MS="$SCAN_MS")
start workflow "$workflow_http" "$WORKFLOW_BIN" "${workflow_env[@]}"

mkdir -p "$RESULTS"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
cd "$TMP"
export GY_ROOT
TMP=$TMP DSN=$DSN TOKEN=$TOKEN CASES=$CASES DEADLINES=$DEADLINES \
PROBES=$PROBES SPREAD=$SPREAD DURATION=$DURATION CONNECTIONS=$CONNECTIONS SCAN_MS=$SCAN_MS \
INTAKE_HTTP=$intake_http WORKFLOW_HTTP=$workflow_http OUT="$RESULTS/workflow-$stamp.json" \
STAMP=$stamp /usr/bin/python3 "$GY_ROOT/bench/workflow_load.py"
