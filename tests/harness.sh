#!/bin/sh
# The servers the integration tests share: one PostgreSQL and one Redis on
# free loopback ports, made with scripts/lib/cluster.sh.
#
#   tests/harness.sh start STATEDIR   start them; write STATEDIR/env
#   tests/harness.sh stop STATEDIR    stop them
#
# STATEDIR/env holds shell lines (export GY_TEST_PG_PORT=...) for
# tests/run_py.sh.  Each test module makes its own database and services;
# their logs stay in STATEDIR/runs/MODULE until the next start.  One run per
# STATEDIR at a time: a second "start" takes the servers from the first.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cluster="$here/../scripts/lib/cluster.sh"

usage() { sed -n '2,11p' "$0" >&2; exit 2; }

# Private servers a test module started in STATEDIR/runs/MODULE/NAME and
# could not stop (killed by its timeout).
stop_private_servers() {
    for d in "$1"/runs/*/*/; do
        [ -d "$d" ] || continue
        if [ -f "$d/data/postmaster.pid" ]; then sh "$cluster" pg-stop "$d" || true; fi
        if [ -f "$d/redis.pid" ]; then sh "$cluster" redis-stop "$d" || true; fi
    done
}
[ $# -eq 2 ] || usage
cmd=$1 state=$2

case "$cmd" in
start)
    mkdir -p "$state"
    state=$(cd "$state" && pwd)
    # PostgreSQL runs as the postgres user and must reach its folder.
    chmod 755 "$state"
    # Leftovers of a run that never reached "stop".
    sh "$cluster" pg-stop "$state/pg" || true
    sh "$cluster" redis-stop "$state/redis" || true
    stop_private_servers "$state"
    rm -rf "$state/runs"
    rm -f "$state/env"
    pg_port=$(sh "$cluster" free-port)
    redis_port=$(sh "$cluster" free-port)
    while [ "$redis_port" = "$pg_port" ]; do redis_port=$(sh "$cluster" free-port); done
    sh "$cluster" pg-start "$state/pg" "$pg_port"
    sh "$cluster" redis-start "$state/redis" "$redis_port"
    # Databases of earlier runs that were not dropped (a killed test).
    pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    "$pgbin/psql" -h 127.0.0.1 -p "$pg_port" -U gongyi -d postgres -qtA -c \
        "SELECT datname FROM pg_database WHERE datname LIKE 'gy\\_%'" |
        while read -r db; do
            "$pgbin/psql" -h 127.0.0.1 -p "$pg_port" -U gongyi -d postgres -q -c \
                "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" || true
        done
    {
        echo "export GY_TEST_PG_PORT=$pg_port"
        echo "export GY_TEST_REDIS_PORT=$redis_port"
        echo "export GY_TEST_STATE_DIR=$state"
    } >"$state/env.tmp"
    mv "$state/env.tmp" "$state/env"
    echo "harness: PostgreSQL on $pg_port, Redis on $redis_port ($state/env)"
    ;;
stop)
    [ -d "$state" ] || exit 0
    rc=0
    stop_private_servers "$state"
    sh "$cluster" pg-stop "$state/pg" || rc=1
    sh "$cluster" redis-stop "$state/redis" || rc=1
    rm -f "$state/env"
    exit $rc
    ;;
*)
    usage
    ;;
esac
