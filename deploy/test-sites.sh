#!/usr/bin/env bash
# Two sites joined over the bus, for real: a city (docker-compose.yml:
# intake, router, edge) and a county (docker-compose.yml +
# deploy/compose/county.yml: intake alone, fixed producer id), each with its
# own PostgreSQL, network and secrets, joined by a third network standing in
# for the WAN, CURVE on every bus connection with exchanged public
# certificates.  Same engine as deploy/test-compose.sh (podman + runc +
# docker-compose 1.29), same images (built when missing).
#
#   deploy/test-sites.sh            run, then tear everything down
#   deploy/test-sites.sh --ref REF  build the gongyi image from commit REF
#   deploy/test-sites.sh --restart-during-outage
#                                   also kill -9 the county's intake while the
#                                   link is down (catching up takes ~30 s
#                                   then, not seconds; see docs/deploy.md,
#                                   "Open items"; GY_TEST_CATCHUP_S=300)
#
# Checks:
#   1. clues submitted at the county's edge are stored there and routed by
#      the city's router (its position for the county's producer reaches the
#      county's head; every clue in the city's router.clue), and the city's
#      decision comes back to the county (intake.competence);
#   2. the link goes down (the county's intake is disconnected from the WAN):
#      the county keeps acknowledging clues (with --restart-during-outage also
#      after its intake is killed with SIGKILL and restarted meanwhile), and
#      the city does not see them;
#   3. the link comes back: the city's router catches up by replay, each of
#      the county's clues routed exactly once, and the county learns every
#      competence.
# Exits non-zero on failure; every wait has a deadline (whole run:
# GY_TEST_TIMEOUT_S, 1200).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=deploy/lib/podman.sh
. "$ROOT/deploy/lib/podman.sh"

STATE=$GY_PODMAN_STATE/sites
TOTAL_S=${GY_TEST_TIMEOUT_S:-1200}
CITY=gongyicity
COUNTY=gongyicounty
WAN=gongyi-test-wan
WAN_SUBNET=10.89.252.0/24
CITY_ROUTER_WAN_IP=10.89.252.10
COUNTY_INTAKE_WAN_IP=10.89.252.20
COUNTY_PRODUCER=intake-140213-1
CITY_EDGE=http://127.0.0.1:18090
COUNTY_EDGE=http://127.0.0.1:18091
ref=
restart=
while [ $# -gt 0 ]; do
    case "$1" in
    --ref) ref=${2:?--ref needs a commit}; shift ;;
    --restart-during-outage) restart=1 ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "test-sites: unknown argument \"$1\"" >&2; exit 2 ;;
    esac
    shift
done
[ "$(id -u)" = 0 ] || { echo "test-sites: run as root (rootful podman)" >&2; exit 2; }

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
export GY_RATE_LIMIT_PER_MIN=0 GY_RATE_LIMIT_VOLUNTEER_PER_MIN=0

# site PROJECT: the compose command of a site, with its own variables.
city() {
    env GY_SECRETS_DIR="$STATE/city" GY_SITE_SUBNET=10.89.250.0/24 GY_SITE_IP_RANGE=10.89.250.0/25 \
        GY_EDGE_IP=10.89.250.250 GY_EDGE_PORT=18090 \
        GY_ROUTER_FOLLOWS="tcp://intake:7101|tcp://intake:7102|/etc/gongyi/curve-public/intake,tcp://$COUNTY_INTAKE_WAN_IP:7101|tcp://$COUNTY_INTAKE_WAN_IP:7102|/etc/gongyi/curve-public/county-140213" \
        timeout 300 docker-compose --no-ansi -p "$CITY" -f "$ROOT/docker-compose.yml" -f "$STATE/city-wan.yml" "$@"
}
county() {
    env GY_SECRETS_DIR="$STATE/county" GY_SITE_SUBNET=10.89.251.0/24 GY_SITE_IP_RANGE=10.89.251.0/25 \
        GY_EDGE_IP=10.89.251.250 GY_EDGE_PORT=18091 GY_COUNTY_PRODUCER=$COUNTY_PRODUCER \
        GY_BUS_BIND=127.0.0.1 GY_BUS_EVENTS_PORT=27101 GY_BUS_REPLAY_PORT=27102 GY_BUS_SUBMIT_PORT=27103 \
        GY_INTAKE_FOLLOWS="tcp://$CITY_ROUTER_WAN_IP:7201|tcp://$CITY_ROUTER_WAN_IP:7202|/etc/gongyi/curve-public/city-router" \
        timeout 300 docker-compose --no-ansi -p "$COUNTY" -f "$ROOT/docker-compose.yml" \
        -f "$ROOT/deploy/compose/county.yml" -f "$STATE/county-wan.yml" "$@"
}
ctr() { # PROJECT SERVICE: its first running container
    podman ps --filter "label=com.docker.compose.project=$1" \
        --filter "label=com.docker.compose.service=$2" --format '{{.Names}}' | head -n 1
}
sql() { # PROJECT SQL
    podman exec "$(ctr "$1" postgres)" psql -U gongyi -d gongyi -qtAX -c "$2"
}
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

ticker_pid=
teardown() {
    [ -n "$ticker_pid" ] && kill "$ticker_pid" 2>/dev/null || true
    if [ -S "$GY_PODMAN_SOCK" ]; then
        say "tearing down"
        { city logs --no-color; county logs --no-color; } >"$STATE/sites.log" 2>&1 || true
        city down -v --remove-orphans -t 10 >/dev/null 2>&1 || true
        county down -v --remove-orphans -t 10 >/dev/null 2>&1 || true
    fi
    for p in "$CITY" "$COUNTY"; do
        podman ps -aq --filter "label=com.docker.compose.project=$p" | xargs -r podman rm -f >/dev/null 2>&1 || true
        podman volume ls -q --filter "label=com.docker.compose.project=$p" | xargs -r podman volume rm -f >/dev/null 2>&1 || true
        podman network rm -f "${p}_site" >/dev/null 2>&1 || true
    done
    podman network rm -f "$WAN" >/dev/null 2>&1 || true
    rm -rf "$STATE/city" "$STATE/county"
    gy_podman_service_stop
    : >"$STATE/.torn-down"
}
on_exit() {
    local rc=$?
    [ -n "${watchdog_pid:-}" ] && kill "$watchdog_pid" 2>/dev/null || true
    [ "$rc" = 0 ] || say "failed (exit $rc); logs of both sites: $STATE/sites.log"
    teardown
    say "done in $((SECONDS - T0))s (exit $rc)"
}

mkdir -p "$STATE"
rm -f "$STATE/.torn-down"
gy_podman_install || fail "could not install podman and friends"
gy_podman_env
trap on_exit EXIT
trap 'exit 130' INT TERM
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
if [ -n "$ref" ]; then
    rm -rf "$STATE/context"
    mkdir -p "$STATE/context"
    git -C "$ROOT" archive "$ref" | tar -x -C "$STATE/context" || fail "git archive $ref"
    export GY_BUILD_CONTEXT=$STATE/context
    "$ROOT/deploy/images/build.sh" --only-missing || fail "image build"
elif ! podman image exists "$GY_IMAGE"; then
    "$ROOT/deploy/images/build.sh" --only-missing || fail "image build"
fi
podman run --rm --entrypoint test "$GY_IMAGE" -x /usr/local/bin/gy-router ||
    fail "the gongyi image has no gy-router"

gy_podman_service_start || fail "podman system service"
city down -v --remove-orphans -t 5 >/dev/null 2>&1 || true
county down -v --remove-orphans -t 5 >/dev/null 2>&1 || true
podman network rm -f "$WAN" >/dev/null 2>&1 || true

# ---- secrets, and the exchange of public certificates --------------------
rm -rf "$STATE/city" "$STATE/county"
GY_SECRETS_USE_IMAGE=1 GY_ENGINE=podman "$ROOT/deploy/gen-secrets.sh" "$STATE/city" || fail "city secrets"
GY_SECRETS_USE_IMAGE=1 GY_ENGINE=podman GY_CERTS=intake GY_CURVE_CLIENTS=intake \
    "$ROOT/deploy/gen-secrets.sh" "$STATE/county" || fail "county secrets"
# The city's router follows the county's intake: the county lets the city's
# router in and the city knows the county's server key; and the county's
# intake follows the city's router: the other way round.
install -m 444 "$STATE/city/curve/router" "$STATE/county/curve-clients/city-router"
install -m 444 "$STATE/city/curve/router" "$STATE/county/curve-public/city-router"
install -m 444 "$STATE/county/curve/intake" "$STATE/city/curve-public/county-140213"
install -m 444 "$STATE/county/curve/intake" "$STATE/city/curve-clients/county-140213"
say "secrets made; public certificates exchanged (secret ones stay on their site)"

# ---- the WAN -------------------------------------------------------------
# No DNS on the WAN: both sites have a service called "intake", and a name
# answered on the WAN would send the city's router to the county's intake
# for its own site's source.  Sites know each other by address (or by
# names in their own DNS).
podman network create --disable-dns --subnet "$WAN_SUBNET" "$WAN" >/dev/null || fail "network $WAN"
cat >"$STATE/city-wan.yml" <<EOT
services:
  router:
    networks:
      site: {}
      wan: {ipv4_address: $CITY_ROUTER_WAN_IP}
networks:
  wan:
    external: true
    name: $WAN
EOT
cat >"$STATE/county-wan.yml" <<EOT
services:
  intake:
    networks:
      site: {}
      wan: {ipv4_address: $COUNTY_INTAKE_WAN_IP}
networks:
  wan:
    external: true
    name: $WAN
EOT

(
    while :; do
        for c in $(podman ps --filter "label=com.docker.compose.project=$CITY" --format '{{.Names}}' 2>/dev/null) \
            $(podman ps --filter "label=com.docker.compose.project=$COUNTY" --format '{{.Names}}' 2>/dev/null); do
            podman healthcheck run "$c" >/dev/null 2>&1 || true
        done
        sleep 2
    done
) &
ticker_pid=$!

t=$SECONDS
city up -d --no-build postgres redis intake router edge >"$STATE/city-up.log" 2>&1 || { cat "$STATE/city-up.log" >&2; fail "city up"; }
county up -d --no-build postgres redis intake edge >"$STATE/county-up.log" 2>&1 || { cat "$STATE/county-up.log" >&2; fail "county up"; }
wait_for 120 "the city's router" http_ok "$CITY_EDGE/router/healthz"
wait_for 120 "the county's intake" http_ok "$COUNTY_EDGE/intake/healthz"
say "both sites up in $((SECONDS - t))s"

county_acks=$STATE/county-acked.jsonl
: >"$county_acks"
submit() { # N
    python3 "$ROOT/deploy/lib/submit.py" "$COUNTY_EDGE" "$county_acks" --count "$1" --concurrency 4 >&2
}
county_head() { sql "$COUNTY" "SELECT coalesce(max(last_sequence), 0) FROM intake.producer WHERE producer = '$COUNTY_PRODUCER'"; }
city_position() { sql "$CITY" "SELECT coalesce(max(last_sequence), 0) FROM router.consumed WHERE producer = '$COUNTY_PRODUCER'"; }
city_routed() { sql "$CITY" "SELECT count(*) FROM router.clue WHERE source_producer = '$COUNTY_PRODUCER'"; }
county_competence() { sql "$COUNTY" "SELECT count(*) FROM intake.competence"; }
caught_up() { # N: the city routed N county clues, the county knows N competences
    [ "$(city_position)" = "$(county_head)" ] && [ "$(city_routed)" = "$1" ] &&
        [ "$(county_competence)" = "$1" ]
}

# ---- 1. linked -----------------------------------------------------------
submit 100 || fail "submitting at the county"
python3 "$ROOT/deploy/lib/submit.py" "$COUNTY_EDGE" "$county_acks" --check >&2 || fail "stored at the county"
t=$SECONDS
wait_for 60 "the city routed the county's 100 clues" caught_up 100
say "linked: 100 county clues routed at the city and their competence back at the county in $((SECONDS - t))s"

# ---- 2. link down ----------------------------------------------------------
intake_ctr=$(ctr "$COUNTY" intake)
podman network disconnect "$WAN" "$intake_ctr" || fail "cutting the link"
say "link down ($intake_ctr left the WAN)"
before=$(city_routed)
submit 150 || fail "the county stopped acknowledging while the link is down"
python3 "$ROOT/deploy/lib/submit.py" "$COUNTY_EDGE" "$county_acks" --check >&2 || fail "stored at the county while the link is down"
expected=250
if [ -n "$restart" ]; then
    # The county's intake crashes during the outage and comes back (restart
    # policy, same container, fixed producer id), still cut off.
    pid=$(podman inspect -f '{{.State.Pid}}' "$intake_ctr")
    kill -KILL "$pid"
    wait_for 60 "the county's intake back after kill -9" http_ok "$COUNTY_EDGE/intake/healthz"
    submit 50 || fail "the county stopped acknowledging after its intake restarted"
    python3 "$ROOT/deploy/lib/submit.py" "$COUNTY_EDGE" "$county_acks" --check >&2 || fail "stored at the county after the restart"
    say "while down: the county's intake was killed (-9), came back (restart count $(podman inspect -f '{{.RestartCount}}' "$intake_ctr")) and took 50 more"
    expected=300
fi
sleep 3
after=$(city_routed)
[ "$after" = "$before" ] || fail "the city routed clues while the link was down ($before -> $after)"
say "while down: the county acknowledged and stored $((expected - 100)) more (head $(county_head)); the city still has $after"

# ---- 3. link back ------------------------------------------------------------
podman network connect --ip "$COUNTY_INTAKE_WAN_IP" "$WAN" "$intake_ctr" || fail "restoring the link"
t=$SECONDS
wait_for "${GY_TEST_CATCHUP_S:-120}" "the city caught up after the link came back" caught_up "$expected"
# Exactly once: one ClueRouted per routed clue in the city router's outbox.
events=$(sql "$CITY" "SELECT count(*) FROM router.outbox WHERE type = 'ClueRouted'")
clues=$(sql "$CITY" "SELECT count(*) FROM router.clue")
[ "$events" = "$clues" ] || fail "the city's router announced $events ClueRouted for $clues clues"
say "link back: caught up in $((SECONDS - t))s: position $(city_position) = county head $(county_head), $(city_routed) county clues routed once each, $(county_competence) competences back at the county"
say "all checks passed"
