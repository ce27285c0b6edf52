# Helpers shared by scripts/up, scripts/down, scripts/test and bench/.
# Source it from bash; it defines functions and GY_ROOT, nothing else runs.
# shellcheck shell=bash

GY_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

gy_say() { printf '%s\n' "$*" >&2; }
# gy_usage SCRIPT: prints the comment block at the top of SCRIPT.
gy_usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$1"; }
gy_die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }

# gy_build DIR [CMAKE_ARG...]: configures DIR (RelWithDebInfo, assertions
# kept by the top-level CMakeLists) and builds it with two jobs.
gy_build() {
    local dir=$1
    shift
    mkdir -p "$dir"
    cmake -S "$GY_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" \
        >"$dir/configure.log" 2>&1 || {
        cat "$dir/configure.log" >&2
        gy_die "cmake could not configure $dir (log: $dir/configure.log)"
    }
    cmake --build "$dir" -j2 || gy_die "build of $dir failed"
}

# gy_port_busy PORT: true when something accepts connections on 127.0.0.1:PORT.
gy_port_busy() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# gy_pid_running PID: true while PID exists and is not a zombie (a daemon's
# parent may be a PID 1 that never reaps).
gy_pid_running() {
    local state
    kill -0 "$1" 2>/dev/null || return 1
    state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1) || return 1
    [ -n "$state" ] && [ "$state" != Z ]
}

# gy_pid_alive PIDFILE NAME: true when PIDFILE names a live process whose
# executable's name is NAME (so a recycled PID is never taken for ours).
gy_pid_alive() {
    local pidfile=$1 name=$2 pid exe
    [ -f "$pidfile" ] || return 1
    pid=$(cat "$pidfile" 2>/dev/null) || return 1
    case "$pid" in '' | *[!0-9]*) return 1 ;; esac
    gy_pid_running "$pid" || return 1
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
    exe=${exe% (deleted)}
    [ "${exe##*/}" = "$name" ]
}

# gy_stop_pid PIDFILE NAME [SECONDS]: SIGTERM the process, wait for it (10 s
# by default), SIGKILL it if it is still there, and remove PIDFILE.
gy_stop_pid() {
    local pidfile=$1 name=$2 wait=${3:-10} pid i=0
    if gy_pid_alive "$pidfile" "$name"; then
        pid=$(cat "$pidfile")
        kill -TERM "$pid" 2>/dev/null || true
        while gy_pid_running "$pid" && [ "$i" -lt $((wait * 10)) ]; do
            sleep 0.1
            i=$((i + 1))
        done
        if gy_pid_running "$pid"; then
            gy_say "$name (pid $pid) did not stop within ${wait}s; killing it"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$pidfile"
}

# gy_stop_named PIDFILE NAME LABEL: gy_stop_pid (15 s), saying what it stops.
gy_stop_named() {
    if gy_pid_alive "$1" "$2"; then
        gy_say "stopping $3 (pid $(cat "$1"))"
    fi
    gy_stop_pid "$1" "$2" 15
}

# gy_stop_services RUN: stops the services scripts/up started from RUN's PID
# files, consumers before the producers they follow: the workflow, the
# router, the intake instances.
gy_stop_services() {
    local run=$1 pidfile
    gy_stop_named "$run/pids/workflow-1.pid" gy-workflow workflow-1
    gy_stop_named "$run/pids/router-1.pid" gy-router router-1
    for pidfile in "$run"/pids/intake-*.pid; do
        [ -e "$pidfile" ] || continue
        gy_stop_named "$pidfile" gy-intake "$(basename "$pidfile" .pid)"
    done
}

# gy_wait_http URL SECONDS: waits until URL answers 200; false on timeout.
gy_wait_http() {
    local url=$1 deadline=$((SECONDS + $2))
    while [ "$SECONDS" -lt "$deadline" ]; do
        if [ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$url" 2>/dev/null)" = 200 ]; then
            return 0
        fi
        sleep 0.2
    done
    return 1
}

# gy_hex_key FILE: writes 64 hex characters from /dev/urandom to FILE (mode
# 0600) unless FILE already exists.
gy_hex_key() {
    [ -s "$1" ] && return 0
    (
        umask 077
        od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$1.tmp"
        echo >>"$1.tmp"
        mv "$1.tmp" "$1"
    )
}
