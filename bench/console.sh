#!/usr/bin/env bash
# The console's first loads (issue 10's benchmark: first load of the public
# page <= 1 s, initial JavaScript <= 300 KB gzip, a dashboard with the
# demo's data drawn <= 1 s), in Debian's Chromium on the local edge:
#
#   bench/console.sh              both, 10 cold loads each
#   bench/console.sh public       the public form only
#   bench/console.sh dashboard    the dashboard only
#   RUNS=30 bench/console.sh
#   SITE=http://127.0.0.1:8080 LOGINS=.gongyi/demo/logins.json bench/console.sh dashboard
#
# Starts its own PostgreSQL and Redis (tests/harness.sh, in a temporary
# folder).  public: intake and the nginx edge with the built console (as
# tests/test_console.py does), the public form loaded RUNS times, each in a
# fresh browser context (nothing cached): the time until the form is usable
# (its fields loaded from the API) and the bytes of JavaScript and CSS that
# came over the wire.  dashboard: a whole site with the living demo loaded
# (tests/test_demo.py's, on free ports), or the running site SITE with the
# demo's logins file LOGINS (then nothing is started); 大同市's chief signs
# in and /work/dashboard is loaded RUNS times, each cold: the time from
# navigation until every chart is drawn.  Everything it started is stopped.
# BUILD (default build/) names the build folder; it is built if needed.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/../scripts/lib/common.sh"
WHAT=${1:-all}
case "$WHAT" in all | public | dashboard) ;; *) gy_die "usage: bench/console.sh [public|dashboard]" ;; esac
RUNS=${RUNS:-10}
case "$RUNS" in '' | *[!0-9]*) gy_die "RUNS is a whole number" ;; esac
BUILD=${BUILD:-$GY_ROOT/build}
case "$BUILD" in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
export GY_SOURCE_DIR=$GY_ROOT GY_BUILD_DIR=$BUILD RUNS GY_BENCH_WHAT=$WHAT
if [ -n "${SITE:-}" ]; then
    [ "$WHAT" = dashboard ] || gy_die "SITE is for the dashboard: bench/console.sh dashboard"
    [ -r "${LOGINS:-}" ] || gy_die "SITE needs LOGINS, the demo's logins.json"
    export GY_BENCH_SITE=$SITE GY_BENCH_LOGINS=$LOGINS
    cd "$GY_ROOT/tests"
    exec /usr/bin/python3 "$GY_ROOT/bench/console_load.py"
fi

"$GY_ROOT/scripts/deps"
gy_build "$BUILD" >/dev/null
state=$(mktemp -d /tmp/gy-bench-console.XXXXXX)
trap 'sh "$GY_ROOT/tests/harness.sh" stop "$state" >/dev/null 2>&1 || true; rm -rf "$state"' EXIT
sh "$GY_ROOT/tests/harness.sh" start "$state" >/dev/null
# shellcheck disable=SC1091 # written by harness.sh
. "$state/env"
cd "$GY_ROOT/tests"
/usr/bin/python3 "$GY_ROOT/bench/console_load.py"
