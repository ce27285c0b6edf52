#!/usr/bin/env bash
# Throughput and latency of storing clues: gy-intake against the plain
# PostgreSQL transaction it comes down to, on the same database, in one run.
#
#   bench/intake.sh                 30 s per phase
#   DURATION=10 bench/intake.sh     shorter
#
# Order (the schema must exist before pgbench):
#   1. a private PostgreSQL (stock settings: durable commits, fsync on; only
#      port and max_connections set) and Redis in a temporary folder, via
#      scripts/lib/cluster.sh;
#   2. one gy-intake (rate limits off), which applies its migrations;
#   3. wrk -t2 -c64 with bench/clue.lua: a new ~1 KB Chinese clue per
#      request, each with its own Idempotency-Key; every answer but 201 is
#      counted and reported (there must be none);
#   4. pgbench -c64 -j2 with bench/pgbench_clue.sql: the same clue row plus
#      its outbox row in one transaction, nothing else (the ceiling);
#   5. a table of clues/s, p50 and p99 for both and the ratio, and
#      bench/results/intake-<UTC date and time>.json.
# Everything it started is stopped, and the folder deleted, however it
# ends (KEEP=1 keeps the folder for a look at the logs).
#
# Needs wrk: scripts/deps --bench (run here).  Builds build/ if needed.
# Environment: DURATION (s, 30), CONNECTIONS (64), THREADS (2),
# GY_LOG_LEVEL for the intake (warning).
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/../scripts/lib/common.sh"

DURATION=${DURATION:-30}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
case "$DURATION$CONNECTIONS$THREADS" in *[!0-9]*) gy_die "DURATION, CONNECTIONS and THREADS are whole numbers" ;; esac

CLUSTER=$GY_ROOT/scripts/lib/cluster.sh
BUILD=$GY_ROOT/build
RESULTS=$GY_ROOT/bench/results

"$GY_ROOT/scripts/deps" --bench
gy_build "$BUILD" >/dev/null
INTAKE_BIN=$BUILD/services/intake/gy-intake
[ -x "$INTAKE_BIN" ] || gy_die "$INTAKE_BIN is missing after the build"
if [ -z "${PGBIN:-}" ]; then
    pgbins=(/usr/lib/postgresql/*/bin)
    PGBIN=$(printf '%s\n' "${pgbins[@]}" | sort -V | tail -1)
fi
[ -x "$PGBIN/pgbench" ] || gy_die "pgbench not found in $PGBIN"

TMP=$(mktemp -d /tmp/gy-bench.XXXXXX)
# PostgreSQL (as the postgres user when we are root) keeps its files here.
chmod 755 "$TMP"
intake_pid=
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -n "$intake_pid" ] && kill -0 "$intake_pid" 2>/dev/null; then
        kill -TERM "$intake_pid" 2>/dev/null || true
        for _ in $(seq 100); do gy_pid_running "$intake_pid" || break; sleep 0.1; done
        kill -KILL "$intake_pid" 2>/dev/null || true
    fi
    sh "$CLUSTER" redis-stop "$TMP/redis" || true
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

fail_with_log() { # MESSAGE
    gy_say "bench: error: $1"
    if [ -f "$TMP/intake.log" ]; then
        gy_say "---- last lines of the intake log ----"
        tail -n 30 "$TMP/intake.log" >&2
    fi
    exit 1
}

port() { sh "$CLUSTER" free-port; }
pg_port=$(port)
redis_port=$(port)
http_port=$(port)
events_port=$(port)
replay_port=$(port)
submit_port=$(port)

gy_say "bench: PostgreSQL on $pg_port, Redis on $redis_port, intake on $http_port"
sh "$CLUSTER" pg-start "$TMP/pg" "$pg_port"
sh "$CLUSTER" redis-start "$TMP/redis" "$redis_port"
gy_hex_key "$TMP/seal.key"

PRODUCER=bench-intake
env GY_LOG_LEVEL="${GY_LOG_LEVEL:-warning}" \
    GY_PRODUCER=$PRODUCER \
    GY_HTTP_HOST=127.0.0.1 GY_HTTP_PORT="$http_port" \
    GY_BUS_EVENTS="tcp://127.0.0.1:$events_port" \
    GY_BUS_REPLAY="tcp://127.0.0.1:$replay_port" \
    GY_BUS_SUBMIT="tcp://127.0.0.1:$submit_port" \
    GY_PG_DSN="host=127.0.0.1 port=$pg_port dbname=gongyi user=gongyi" \
    GY_REDIS_HOST=127.0.0.1 GY_REDIS_PORT="$redis_port" \
    GY_SEAL_KEY_FILE="$TMP/seal.key" \
    GY_REFDATA_DIR="$GY_ROOT/reference" \
    GY_RATE_LIMIT_PER_MIN=0 GY_RATE_LIMIT_VOLUNTEER_PER_MIN=0 \
    "$INTAKE_BIN" </dev/null >"$TMP/intake.log" 2>&1 &
intake_pid=$!
gy_wait_http "http://127.0.0.1:$http_port/healthz" 60 ||
    fail_with_log "gy-intake did not become healthy within 60 s"

psql_q() {
    "$PGBIN/psql" -h 127.0.0.1 -p "$pg_port" -U gongyi -d gongyi -qtAX -v ON_ERROR_STOP=1 -c "$1"
}
pg_settings=$(psql_q "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM pg_settings
                      WHERE name IN ('fsync','synchronous_commit','wal_sync_method','shared_buffers',
                                     'max_connections','full_page_writes','commit_delay')")

# --- 1. intake over HTTP ------------------------------------------------
# The load average before each phase goes into the results: other work on
# the machine takes CPU from the servers and the load generators alike.
load_before_intake=$(cut -d' ' -f1-3 /proc/loadavg)
gy_say "bench: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s against POST /api/v1/clues"
(cd "$TMP" && GY_REFDATA_DIR="$GY_ROOT/reference" wrk -t"$THREADS" -c"$CONNECTIONS" \
    -d"${DURATION}s" --timeout 10s --latency -s "$GY_ROOT/bench/clue.lua" \
    "http://127.0.0.1:$http_port/api/v1/clues") >"$TMP/wrk.out" 2>&1 ||
    { cat "$TMP/wrk.out" >&2; fail_with_log "wrk failed"; }
grep -v '^WRK_RESULT ' "$TMP/wrk.out" >&2
wrk_json=$(sed -n 's/^WRK_RESULT //p' "$TMP/wrk.out")
[ -n "$wrk_json" ] || fail_with_log "wrk printed no WRK_RESULT line (see above)"
check_intake_alive() { gy_pid_running "$intake_pid" || fail_with_log "gy-intake died during the run"; }
check_intake_alive
curl -s -m 5 "http://127.0.0.1:$http_port/metrics" >"$TMP/metrics.txt" || true
# Every 201 was answered after its commit, so rows >= created; a request cut
# off by the end of the run may have committed without its answer counted.
intake_rows=$(psql_q "SELECT count(*) FROM intake.clue WHERE producer = '$PRODUCER'")
intake_outbox=$(psql_q "SELECT count(*) FROM intake.outbox WHERE producer = '$PRODUCER'")

# --- 2. the plain transaction -------------------------------------------
load_before_pgbench=$(cut -d' ' -f1-3 /proc/loadavg)
gy_say "bench: pgbench -c$CONNECTIONS -j$THREADS -T$DURATION -M prepared -f bench/pgbench_clue.sql"
(cd "$TMP" && "$PGBIN/pgbench" -h 127.0.0.1 -p "$pg_port" -U gongyi -n -M prepared \
    -c "$CONNECTIONS" -j "$THREADS" -T "$DURATION" -f "$GY_ROOT/bench/pgbench_clue.sql" \
    -l --log-prefix="$TMP/pgbench_log" gongyi) >"$TMP/pgbench.out" 2>&1 ||
    { cat "$TMP/pgbench.out" >&2; fail_with_log "pgbench failed"; }
cat "$TMP/pgbench.out" >&2
check_intake_alive

# --- 3. report ------------------------------------------------------------
mkdir -p "$RESULTS"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=$RESULTS/intake-$stamp.json
WRK_JSON=$wrk_json TMP=$TMP OUT=$out DURATION=$DURATION CONNECTIONS=$CONNECTIONS \
THREADS=$THREADS PG_SETTINGS=$pg_settings INTAKE_ROWS=$intake_rows \
INTAKE_OUTBOX=$intake_outbox STAMP=$stamp GY_ROOT=$GY_ROOT \
LOAD_INTAKE=$load_before_intake LOAD_PGBENCH=$load_before_pgbench \
python3 - <<'PY'
import glob, json, math, os, platform, re, subprocess

env = os.environ
tmp = env["TMP"]
wrk = json.loads(env["WRK_JSON"])
duration_s = wrk["duration_us"] / 1e6

# pgbench -l lines: client_id transaction_no time_us script_no epoch_s epoch_us
lat = []
failed = 0
for path in glob.glob(os.path.join(tmp, "pgbench_log*")):
    with open(path) as f:
        for line in f:
            cols = line.split()
            if len(cols) >= 3 and cols[2].isdigit():
                lat.append(int(cols[2]))
            elif len(cols) >= 3:
                failed += 1
lat.sort()

def pct(values, p):
    """Nearest-rank percentile of sorted values."""
    if not values:
        return None
    k = max(0, min(len(values) - 1, math.ceil(p / 100.0 * len(values)) - 1))
    return values[k]

pgb_out = open(os.path.join(tmp, "pgbench.out")).read()
m = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", pgb_out)
pgb_tps = float(m.group(1)) if m else None
m = re.search(r"number of failed transactions: (\d+)", pgb_out)
pgb_failed = int(m.group(1)) if m else failed

metrics = {}
server_count = server_within_50ms = 0
try:
    for line in open(os.path.join(tmp, "metrics.txt")):
        m = re.match(r"^(gy_clues_committed_total|gy_commit_batches_total|gy_outbox_lag)(\{\})?\s+([0-9.e+]+)", line)
        if m:
            metrics[m.group(1)] = float(m.group(3))
        # intake's own clock: the share of submissions answered within 50 ms
        # (histogram bucket), beside what wrk saw from the client side.
        m = re.match(r'^gy_http_request_duration_seconds_(bucket|count)\{route="clues_submit"(,le="([^"]+)")?\}\s+([0-9.e+]+)', line)
        if m and m.group(1) == "count":
            server_count = float(m.group(4))
        elif m and m.group(3) == "0.05":
            server_within_50ms = float(m.group(4))
except OSError:
    pass
if server_count:
    metrics["server_share_within_50ms"] = round(server_within_50ms / server_count, 5)

intake_rate = wrk["created"] / duration_s if duration_s else 0
def git_rev():
    try:
        return subprocess.run(["git", "-C", env["GY_ROOT"], "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
    except Exception:
        return None

result = {
    "date": env["STAMP"],
    "commit": git_rev(),
    "machine": {"cpus": os.cpu_count(), "kernel": platform.release(),
                "loadavg_before_intake": env["LOAD_INTAKE"],
                "loadavg_before_pgbench": env["LOAD_PGBENCH"]},
    "postgres_settings": env["PG_SETTINGS"],
    "parameters": {"duration_s": int(env["DURATION"]), "connections": int(env["CONNECTIONS"]),
                   "threads": int(env["THREADS"])},
    "intake": {
        "tool": "wrk + bench/clue.lua, POST /api/v1/clues",
        "requests": wrk["requests"], "created_201": wrk["created"], "non_201": wrk["non_201"],
        "statuses": wrk["statuses"], "socket_errors": wrk["errors"],
        "clues_per_s": round(intake_rate, 1),
        "latency_ms": {k: round(v / 1000.0, 3) for k, v in wrk["latency_us"].items()},
        "rows_in_db": int(env["INTAKE_ROWS"]), "outbox_rows": int(env["INTAKE_OUTBOX"]),
        "metrics": metrics,
    },
    "pgbench": {
        "tool": "pgbench -M prepared + bench/pgbench_clue.sql (clue INSERT + outbox INSERT)",
        "transactions": len(lat), "failed": pgb_failed,
        "tps": pgb_tps,
        "latency_ms": {"mean": round(sum(lat) / len(lat) / 1000.0, 3) if lat else None,
                       **{k: (round(pct(lat, p) / 1000.0, 3) if lat else None)
                          for k, p in (("p50", 50), ("p90", 90), ("p99", 99), ("p999", 99.9))},
                       "max": round(lat[-1] / 1000.0, 3) if lat else None},
    },
}
result["ratio_intake_over_pgbench"] = (round(intake_rate / pgb_tps, 3) if pgb_tps else None)
with open(env["OUT"], "w") as f:
    json.dump(result, f, indent=2, ensure_ascii=False)
    f.write("\n")

i, p = result["intake"], result["pgbench"]
def ms(v):
    return "%.2f ms" % v if v is not None else "-"
print()
print("%-34s %10s %10s %10s" % ("", "clues/s", "p50", "p99"))
print("%-34s %10.1f %10s %10s" % ("gy-intake (HTTP, wrk)", i["clues_per_s"],
                                  ms(i["latency_ms"]["p50"]), ms(i["latency_ms"]["p99"])))
print("%-34s %10.1f %10s %10s" % ("plain 2-INSERT txn (pgbench)", p["tps"] or 0,
                                  ms(p["latency_ms"]["p50"]), ms(p["latency_ms"]["p99"])))
ratio = result["ratio_intake_over_pgbench"]
print("%-34s %10s" % ("intake / pgbench", "%.2f" % ratio if ratio is not None else "-"))
print()
print("intake: %d requests, %d created (201), %d other answers %s, socket errors %s"
      % (i["requests"], i["created_201"], i["non_201"], i["statuses"], i["socket_errors"]))
print("intake: %d clue rows and %d outbox rows in PostgreSQL" % (i["rows_in_db"], i["outbox_rows"]))
if metrics.get("gy_commit_batches_total"):
    print("intake: %.1f clues per commit on average"
          % (metrics.get("gy_clues_committed_total", 0) / metrics["gy_commit_batches_total"]))
if "server_share_within_50ms" in metrics:
    print("intake: %.2f%% of submissions answered within 50 ms by intake's own clock"
          % (100 * metrics["server_share_within_50ms"]))
print("machine: load average %s before intake, %s before pgbench"
      % (env["LOAD_INTAKE"], env["LOAD_PGBENCH"]))
print("pgbench: %d transactions, %d failed" % (p["transactions"], p["failed"]))
print("results: %s" % os.path.relpath(env["OUT"], env["GY_ROOT"]))
ok = i["non_201"] == 0 and i["rows_in_db"] >= i["created_201"] and p["failed"] == 0
if not ok:
    print("FAILED: intake answered something other than 201, lost a row, or pgbench failed")
raise SystemExit(0 if ok else 1)
PY
