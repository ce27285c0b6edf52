#!/usr/bin/env bash
# Runs docker-compose.yml for real and checks the site end to end, on a
# Debian 12 machine with no Docker engine and no registry: podman with runc
# drives the containers, `podman system service` answers Debian's
# docker-compose 1.29, and every image is built here from Debian's packages
# (deploy/images/build.sh).  Installs what it needs with apt (root).
#
#   deploy/test-compose.sh            build (cached), run the checks, tear down
#   deploy/test-compose.sh --keep     leave the stack running at the end
#                                     (stop it: deploy/test-compose.sh --down)
#   deploy/test-compose.sh --down     tear down what a --keep run left
#   deploy/test-compose.sh --ref REF  build the gongyi image from commit REF
#                                     (git archive) instead of the work tree
#
# Checks, in order:
#   1. the site comes up: PostgreSQL, Redis, 2 intake replicas (migrations
#      under the advisory lock, started together: exactly one applies them),
#      the router and the workflow when the image has them (their health
#      and API through the edge), the edge on 127.0.0.1:$GY_TEST_PORT (18080)
#      with the console (its page and script, from the image);
#   2. clues submitted through the edge are stored (GET by receipt code) and
#      routed (the router's consumed positions reach intake's heads, every
#      clue is in router.clue, and -- where intake has it -- every clue's
#      competence came back to intake.competence from ClueRouted) -- skipped,
#      saying so, without a router;
#   3. intake scaled to 3: all three answer through the edge (producer ids
#      of /intake/healthz) and each one's own healthcheck passes;
#   4. one intake container is killed (SIGKILL) while clients submit:
#      everything acknowledged is stored, and routed;
#   5. everything is torn down (containers, network, volumes, secrets).
# Exits non-zero on the first failure; every wait has a deadline, and the
# whole run is bounded by GY_TEST_TIMEOUT_S (1500).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=deploy/lib/podman.sh
. "$ROOT/deploy/lib/podman.sh"

PROJECT=${GY_TEST_PROJECT:-gongyitest}
PORT=${GY_TEST_PORT:-18080}
EDGE=http://127.0.0.1:$PORT
STATE=$GY_PODMAN_STATE/test
TOTAL_S=${GY_TEST_TIMEOUT_S:-1500}
keep=
down_only=
ref=
while [ $# -gt 0 ]; do
    case "$1" in
    --keep) keep=1 ;;
    --down) down_only=1 ;;
    --ref) ref=${2:?--ref needs a commit}; shift ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "test-compose: unknown argument \"$1\"" >&2; exit 2 ;;
    esac
    shift
done
[ "$(id -u)" = 0 ] || { echo "test-compose: run as root (rootful podman)" >&2; exit 2; }

T0=$SECONDS
# The script's stderr, kept on fd 9: a trap that runs while a command's
# output is redirected to a log would otherwise say its piece into that log.
exec 9>&2
say() { printf '[%4ds] %s\n' "$((SECONDS - T0))" "$*" >&9; }
fail() { say "FAIL: $*"; exit 1; }

export GY_POSTGRES_IMAGE=localhost/gongyi-postgres:15
export GY_REDIS_IMAGE=localhost/gongyi-redis:7
export GY_NGINX_IMAGE=localhost/gongyi-nginx:1.22
export GY_IMAGE=localhost/gongyi:latest
export GY_SECRETS_DIR=$STATE/secrets
export GY_EDGE_PORT=$PORT GY_EDGE_BIND=127.0.0.1
# One test client sends hundreds of clues from one address.
export GY_RATE_LIMIT_PER_MIN=0 GY_RATE_LIMIT_VOLUNTEER_PER_MIN=0
compose() { docker-compose --no-ansi -p "$PROJECT" -f "$ROOT/docker-compose.yml" "$@"; }
ctrs() { # SERVICE: running containers of the service
    podman ps --filter "label=com.docker.compose.project=$PROJECT" \
        --filter "label=com.docker.compose.service=$1" --format '{{.Names}}'
}
psql_site() { # SQL
    podman exec "$(ctrs postgres | head -n 1)" psql -U gongyi -d gongyi -qtAX -c "$1"
}

# Podman runs healthchecks from systemd timers; with no systemd (containers,
# CI sandboxes) nothing would ever run them and `depends_on: service_healthy`
# would wait forever.  This ticker runs them instead, every 2 s.
ticker_pid=
start_ticker() {
    (
        while :; do
            for c in $(podman ps --filter "label=com.docker.compose.project=$PROJECT" \
                --format '{{.Names}}' 2>/dev/null); do
                podman healthcheck run "$c" >/dev/null 2>&1 || true
            done
            sleep 2
        done
    ) &
    ticker_pid=$!
}

teardown() {
    [ -n "$ticker_pid" ] && kill "$ticker_pid" 2>/dev/null || true
    ticker_pid=
    if [ -S "$GY_PODMAN_SOCK" ]; then
        say "tearing down"
        compose logs --no-color >"$STATE/compose.log" 2>&1 || true
        timeout 120 docker-compose --no-ansi -p "$PROJECT" -f "$ROOT/docker-compose.yml" \
            down -v --remove-orphans -t 10 >&2 || true
    fi
    # Anything compose missed (a container it no longer knows).
    podman ps -aq --filter "label=com.docker.compose.project=$PROJECT" | xargs -r podman rm -f >/dev/null 2>&1 || true
    podman volume ls -q --filter "label=com.docker.compose.project=$PROJECT" | xargs -r podman volume rm -f >/dev/null 2>&1 || true
    podman network rm -f "${PROJECT}_site" >/dev/null 2>&1 || true
    rm -rf "$STATE/secrets"
    gy_podman_service_stop
    : >"$STATE/.torn-down"
}

on_exit() {
    local rc=$?
    [ -n "${watchdog_pid:-}" ] && kill "$watchdog_pid" 2>/dev/null || true
    if [ "$rc" != 0 ]; then
        say "failed (exit $rc); logs of the site: $STATE/compose.log"
    fi
    if [ -n "$keep" ] && [ "$rc" = 0 ]; then
        [ -n "$ticker_pid" ] && kill "$ticker_pid" 2>/dev/null || true
        say "left running (--keep): $EDGE; DOCKER_HOST=unix://$GY_PODMAN_SOCK CONTAINERS_CONF=$CONTAINERS_CONF; stop with deploy/test-compose.sh --down"
        return
    fi
    teardown
    say "done in $((SECONDS - T0))s (exit $rc)"
}

mkdir -p "$STATE"
rm -f "$STATE/.torn-down"
gy_podman_install || fail "could not install podman and friends"
gy_podman_env
if [ -n "$down_only" ]; then
    gy_podman_service_start
    teardown
    exit 0
fi
trap on_exit EXIT
trap 'exit 130' INT TERM
# The watchdog: the whole run ends after TOTAL_S whatever it waits for.
(
    trap 'kill "$sp" 2>/dev/null; exit 0' TERM
    sleep "$TOTAL_S" &
    sp=$!
    wait "$sp"
    say "timeout: the run took more than ${TOTAL_S}s"
    # The script's own children first (bash runs its trap only once the
    # command it waits for has ended), then the script, which tears down.
    # Not the engine (the teardown needs it) and not this watchdog itself.
    for c in $(pgrep -P $$); do
        [ "$c" = "$BASHPID" ] || [ "$c" = "$(cat "$GY_PODMAN_PID" 2>/dev/null)" ] ||
            kill -TERM "$c" 2>/dev/null || true
    done
    kill -TERM $$
    # The script tears down on its way out; should it die without doing so
    # (a signal that skips its traps), the watchdog does it.
    for _ in $(seq 60); do
        kill -0 $$ 2>/dev/null || break
        sleep 1
    done
    kill -0 $$ 2>/dev/null && kill -KILL $$
    [ -e "$STATE/.torn-down" ] || { ticker_pid=; teardown; say "torn down by the watchdog"; }
) &
watchdog_pid=$!

# ---- images ------------------------------------------------------------
t=$SECONDS
if [ -n "$ref" ]; then
    rm -rf "$STATE/context"
    mkdir -p "$STATE/context"
    git -C "$ROOT" archive "$ref" | tar -x -C "$STATE/context" || fail "git archive $ref"
    export GY_BUILD_CONTEXT=$STATE/context
    say "building the gongyi image from $ref ($(git -C "$ROOT" rev-parse --short "$ref"))"
fi
"$ROOT/deploy/images/build.sh" --only-missing || fail "image build"
say "images ready in $((SECONDS - t))s"
podman run --rm "$GY_IMAGE" help | sed -n '/^programs/,$p' >&2
has_router=
podman run --rm --entrypoint test "$GY_IMAGE" -x /usr/local/bin/gy-router && has_router=1
has_workflow=
podman run --rm --entrypoint test "$GY_IMAGE" -x /usr/local/bin/gy-workflow && has_workflow=1

gy_podman_service_start || fail "podman system service"
# A previous run that died half-way.
compose down -v --remove-orphans -t 5 >/dev/null 2>&1 || true

rm -rf "$GY_SECRETS_DIR"
GY_SECRETS_USE_IMAGE=1 GY_ENGINE=podman "$ROOT/deploy/gen-secrets.sh" "$GY_SECRETS_DIR" ||
    fail "gen-secrets"

# ---- 1. up ------------------------------------------------------------
services=(postgres redis intake edge)
[ -n "$has_router" ] && services+=(router)
[ -n "$has_workflow" ] && services+=(workflow)
t=$SECONDS
start_ticker
say "starting ${services[*]}"
timeout 300 docker-compose --no-ansi -p "$PROJECT" -f "$ROOT/docker-compose.yml" \
    up -d --no-build "${services[@]}" >&2 || fail "compose up"

wait_for() { # SECONDS DESCRIPTION COMMAND...
    local secs=$1 what=$2
    local deadline=$((SECONDS + secs))
    shift 2
    until "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$deadline" ] || fail "$what: not within ${secs}s"
        sleep 1
    done
}
http_ok() { [ "$(curl -s -o /dev/null -m 3 -w '%{http_code}' "$1")" = 200 ]; }
healthy_count() { # SERVICE: number of its containers that are healthy
    local n=0 c
    for c in $(ctrs "$1"); do
        [ "$(podman inspect -f '{{.State.Health.Status}}' "$c" 2>/dev/null)" = healthy ] && n=$((n + 1))
    done
    echo "$n"
}
n_healthy() { [ "$(healthy_count "$1")" -ge "$2" ]; }

wait_for 120 "edge answers $EDGE/healthz" http_ok "$EDGE/healthz"
wait_for 120 "2 intake replicas healthy" n_healthy intake 2
wait_for 60 "intake through the edge" http_ok "$EDGE/intake/healthz"
if [ -n "$has_router" ]; then
    wait_for 120 "router healthy" n_healthy router 1
    wait_for 30 "the router through the edge" http_ok "$EDGE/router/healthz"
    # Its API is routed too (the answer is the router's own 401 JSON).
    code=$(curl -s -o "$STATE/routed-clues.json" -m 5 -w '%{http_code}' "$EDGE/api/v1/routed-clues")
    grep -q '"unauthenticated"' "$STATE/routed-clues.json" && [ "$code" = 401 ] ||
        fail "GET /api/v1/routed-clues through the edge: $code $(cat "$STATE/routed-clues.json")"
fi
if [ -n "$has_workflow" ]; then
    wait_for 120 "workflow healthy" n_healthy workflow 1
    wait_for 30 "the workflow through the edge" http_ok "$EDGE/workflow/healthz"
    code=$(curl -s -o "$STATE/reviews.json" -m 5 -w '%{http_code}' "$EDGE/api/v1/workflow/reviews")
    grep -q '"unauthenticated"' "$STATE/reviews.json" && [ "$code" = 401 ] ||
        fail "GET /api/v1/workflow/reviews through the edge: $code $(cat "$STATE/reviews.json")"
fi
say "site up in $((SECONDS - t))s: $(ctrs intake | wc -l) intake, router: ${has_router:-none}, workflow: ${has_workflow:-none}"

# The console, from the image through console-files into the edge's volume:
# its page, and the script that page loads.
curl -s -m 5 -o "$STATE/console.html" "$EDGE/" || fail "the console's page did not load"
grep -q '<div id="app">' "$STATE/console.html" || fail "$EDGE/ is not the console's page"
asset=$(grep -o '/assets/index-[A-Za-z0-9_-]*\.js' "$STATE/console.html" | head -n 1)
[ -n "$asset" ] && http_ok "$EDGE$asset" || fail "the console's script $asset did not load"
say "the console is served: / and $asset"
# Both replicas ran the migrations at the same moment: one did them, the
# other waited on the advisory lock.  Show what each logged about it.
for c in $(ctrs intake); do
    podman logs "$c" 2>&1 | grep -i -m 3 -E 'migrat|producer' | sed "s/^/  $c: /" >&2 || true
done
restarts=$(for c in $(ctrs intake); do podman inspect -f '{{.RestartCount}}' "$c"; done | awk '{ n += $1 } END { print n + 0 }')
[ "${restarts:-0}" = 0 ] || fail "intake replicas restarted $restarts time(s) during start"
applied=$(for c in $(ctrs intake); do podman logs "$c" 2>&1; done | grep -c 'migration(s) applied' || true)
[ "$applied" = 1 ] || fail "$applied intake replicas applied the migrations (expected exactly 1)"

# ---- 2. stored and routed ------------------------------------------------
acks=$STATE/acked.jsonl
: >"$acks"
t=$SECONDS
python3 "$ROOT/deploy/lib/submit.py" "$EDGE" "$acks" --count 200 --concurrency 4 >&2 ||
    fail "submitting 200 clues through the edge"
python3 "$ROOT/deploy/lib/submit.py" "$EDGE" "$acks" --check >&2 || fail "stored clues"
stored=$(psql_site "SELECT count(*) FROM intake.clue")
[ "$stored" -ge 200 ] || fail "intake.clue has $stored rows, expected 200"
producers=$(psql_site "SELECT count(DISTINCT producer) FROM intake.clue")
say "200 clues acknowledged and read back in $((SECONDS - t))s; stored by $producers producer(s)"
[ "$producers" -ge 2 ] || fail "the edge sent every clue to one replica"

routed_ok() {
    # Every intake producer's newest event applied by the router, and every
    # clue in the router's table.
    local behind missing
    behind=$(psql_site "SELECT count(*) FROM intake.producer p
        LEFT JOIN router.consumed c ON c.producer = p.producer
        WHERE p.last_sequence > coalesce(c.last_sequence, 0)") || return 1
    missing=$(psql_site "SELECT count(*) FROM intake.clue i
        WHERE NOT EXISTS (SELECT 1 FROM router.clue r WHERE r.id = i.id)") || return 1
    [ "$behind" = 0 ] && [ "$missing" = 0 ] || return 1
    # And back: intake follows the router's ClueRouted (GY_ROUTER_SOURCES)
    # into intake.competence, where this intake version has it.
    if [ "$(psql_site "SELECT to_regclass('intake.competence') IS NOT NULL")" = t ]; then
        missing=$(psql_site "SELECT count(*) FROM intake.clue i
            WHERE NOT EXISTS (SELECT 1 FROM intake.competence c WHERE c.clue_id = i.id)") || return 1
        [ "$missing" = 0 ] || return 1
    fi
}
check_routed() { # SECONDS
    if [ -z "$has_router" ]; then
        say "SKIPPED: routed check: the image has no gy-router yet (services/router is not built into it)"
        return 0
    fi
    local t=$SECONDS
    wait_for "$1" "router applied every ClueReceived" routed_ok
    say "routed: router.consumed matches intake.producer, $(psql_site 'SELECT count(*) FROM router.clue') clues in router.clue, $(psql_site "SELECT CASE WHEN to_regclass('intake.competence') IS NULL THEN 'no' ELSE (SELECT count(*) FROM intake.competence)::text END") in intake.competence ($((SECONDS - t))s)"
}
check_routed 60

# ---- 3. scale to 3 ---------------------------------------------------------
t=$SECONDS
# `docker-compose scale`, not `up --scale`: a second `up` compares the
# network with what the engine reports, and podman's answer (IPAM options
# {"driver": "host-local"}, no IPRange) never matches a network with an
# ip_range, so compose 1.29 refuses.  With Docker, `up -d --scale intake=3`
# is the command (docs/deploy.md).
timeout 300 docker-compose --no-ansi -p "$PROJECT" -f "$ROOT/docker-compose.yml" \
    scale intake=3 >&2 || fail "compose scale intake=3"
wait_for 120 "3 intake replicas healthy" n_healthy intake 3
for c in $(ctrs intake); do
    podman exec "$c" gongyi healthcheck || fail "$c: its own /healthz"
done
expected=$(for c in $(ctrs intake); do
    podman logs "$c" 2>&1 | sed -n 's/.*as producer \([^ ]*\).*/\1/p' | tail -n 1
done | sort -u)
three_serve() {
    local seen
    seen=$(for _ in $(seq 30); do
        curl -s -m 3 "$EDGE/intake/healthz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["producer"])'
    done | sort -u)
    [ "$(echo "$seen" | grep -c .)" -ge 3 ]
}
wait_for 60 "all 3 replicas answering through the edge" three_serve
say "scaled to 3 in $((SECONDS - t))s; producers: $(echo "$expected" | paste -sd' ')"

# ---- 4. kill one while clients submit --------------------------------------
victim=$(ctrs intake | head -n 1)
acks2=$STATE/acked-kill.jsonl
: >"$acks2"
t=$SECONDS
python3 "$ROOT/deploy/lib/submit.py" "$EDGE" "$acks2" --seconds 20 --concurrency 6 \
    >"$STATE/kill-client.json" 2>&1 &
client=$!
sleep 6
# SIGKILL to the service's process itself, as a crash or the OOM killer
# would (`podman kill` counts as stopped by the user: no restart follows).
victim_pid=$(podman inspect -f '{{.State.Pid}}' "$victim")
say "kill -9 of $victim (pid $victim_pid on the host) while clients submit"
kill -KILL "$victim_pid"
wait "$client" || { cat "$STATE/kill-client.json" >&2; fail "clients saw refusals or unanswered requests"; }
say "clients: $(tail -n 1 "$STATE/kill-client.json")"
python3 "$ROOT/deploy/lib/submit.py" "$EDGE" "$acks2" --check >&2 || fail "a clue acknowledged around the kill is missing"
# The acknowledged ids, straight from the database too.
in_db=$({
    echo 'CREATE TEMP TABLE acked (id uuid PRIMARY KEY);'
    echo 'COPY acked FROM STDIN;'
    python3 -c 'import json,sys; [print(json.loads(l)["id"]) for l in open(sys.argv[1])]' "$acks2"
    echo '\.'
    echo 'SELECT count(*) FROM acked a JOIN intake.clue c ON c.id = a.id;'
} | podman exec -i "$(ctrs postgres | head -n 1)" psql -U gongyi -d gongyi -qtAX -v ON_ERROR_STOP=1)
n_acked=$(wc -l <"$acks2")
[ "$in_db" = "$n_acked" ] || fail "$n_acked acknowledged, $in_db in intake.clue"
say "kill: $n_acked acknowledged, all $in_db stored ($((SECONDS - t))s)"
# The restart policy brings the same container back (same producer): its
# unpublished tail then reaches the router.
wait_for 90 "the killed replica restarted and healthy" n_healthy intake 3
say "$victim is back (restart count $(podman inspect -f '{{.RestartCount}}' "$victim"))"
check_routed 90

say "all checks passed"
