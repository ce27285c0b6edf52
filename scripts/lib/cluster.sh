#!/bin/sh
# Private PostgreSQL and Redis servers for the local run and the tests.
# Nothing here touches system services: every server lives in a folder the
# caller names, listens on loopback only, and is stopped by the PID it wrote.
#
#   cluster.sh free-port                 print a free loopback TCP port
#   cluster.sh pg-start DIR PORT         initdb DIR if new, start, create db "gongyi"
#   cluster.sh pg-stop DIR               fast shutdown
#   cluster.sh pg-destroy DIR            stop and delete the cluster's files
#   cluster.sh redis-start DIR PORT      start redis-server with its files in DIR
#   cluster.sh redis-stop DIR            stop it
#
# PostgreSQL refuses to run as root, so as root the cluster runs as the
# "postgres" system user (created by Debian's postgresql package).  When that
# user cannot reach DIR (a checkout under /root, say), the cluster's files go
# to /var/tmp/gongyi-pg/<hash of DIR> and DIR/pgdata names that place.
set -eu

PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}

as_pg() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# Prints the folder that holds the cluster for the caller's DIR, creating
# it owned by the server's user.
pg_home() {
    d=$(cd "$1" && pwd)
    if [ "$(id -u)" != 0 ]; then
        echo "$d"; return
    fi
    if [ -f "$d/pgdata" ]; then
        cat "$d/pgdata"; return
    fi
    if runuser -u postgres -- test -x "$d" 2>/dev/null; then
        chown postgres: "$d"; chmod 700 "$d"; echo "$d"; return
    fi
    h=/var/tmp/gongyi-pg/$(printf '%s' "$d" | sha1sum | cut -c1-16)
    mkdir -p /var/tmp/gongyi-pg "$h"
    chmod 711 /var/tmp/gongyi-pg
    chown postgres: "$h"; chmod 700 "$h"
    echo "$h" >"$d/pgdata"
    echo "$h"
}

cmd=${1:-}
case "$cmd" in
free-port)
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
    ;;
pg-start)
    dir=$2 port=$3
    mkdir -p "$dir"
    dir=$(pg_home "$dir")
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_pg "$PGBIN/initdb" -D "$dir/data" -U gongyi --auth=trust -E UTF8 \
            --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
            cat "$dir/initdb.log" >&2; exit 1; }
    fi
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" \
        start >/dev/null || { tail -20 "$dir/postgres.log" >&2; exit 1; }
    as_pg "$PGBIN/psql" -h 127.0.0.1 -p "$port" -U gongyi -d postgres -qtA \
        -c "SELECT 1 FROM pg_database WHERE datname='gongyi'" | grep -q 1 ||
        as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$port" -U gongyi gongyi
    ;;
pg-stop)
    [ -d "$2" ] || exit 0
    dir=$(pg_home "$2")
    [ -f "$dir/data/postmaster.pid" ] || exit 0
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null || true
    ;;
pg-destroy)
    [ -d "$2" ] || exit 0
    dir=$(pg_home "$2")
    here=$(cd "$2" && pwd)
    "$0" pg-stop "$2"
    rm -rf "$dir"
    # When the cluster lived in DIR itself, DIR is gone now.
    [ "$dir" = "$here" ] || rm -f "$2/pgdata"
    ;;
redis-start)
    dir=$2 port=$3
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" \
        --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" \
        --save "" --appendonly no
    i=0
    until redis-cli -p "$port" ping >/dev/null 2>&1; do
        i=$((i + 1)); [ $i -lt 100 ] || { echo "redis did not start" >&2; exit 1; }
        sleep 0.1
    done
    ;;
redis-stop)
    dir=$2
    [ -f "$dir/redis.pid" ] || exit 0
    pid=$(cat "$dir/redis.pid")
    kill "$pid" 2>/dev/null || true
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    rm -f "$dir/redis.pid"
    ;;
*)
    sed -n '2,13p' "$0" >&2
    exit 2
    ;;
esac
