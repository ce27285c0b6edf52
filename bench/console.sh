#!/usr/bin/env bash
# The console's first load (issue 10's benchmark: first load of the public
# page <= 1 s, initial JavaScript <= 300 KB gzip), in Debian's Chromium on
# the local edge:
#
#   bench/console.sh            10 cold loads
#   RUNS=30 bench/console.sh
#
# Starts its own PostgreSQL and Redis (tests/harness.sh, in a temporary
# folder), intake and the nginx edge with the built console (as
# tests/test_console.py does), loads the public form RUNS times, each in a
# fresh browser context (nothing cached), and prints the time until the form
# is usable (its fields loaded from the API) and the bytes of JavaScript and
# CSS that came over the wire.  Everything it started is stopped.
# BUILD (default build/) names the build folder; it is built if needed.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/../scripts/lib/common.sh"
RUNS=${RUNS:-10}
case "$RUNS" in '' | *[!0-9]*) gy_die "RUNS is a whole number" ;; esac
BUILD=${BUILD:-$GY_ROOT/build}
case "$BUILD" in /*) ;; *) BUILD=$PWD/$BUILD ;; esac

"$GY_ROOT/scripts/deps"
gy_build "$BUILD" >/dev/null
state=$(mktemp -d /tmp/gy-bench-console.XXXXXX)
trap 'sh "$GY_ROOT/tests/harness.sh" stop "$state" >/dev/null 2>&1 || true; rm -rf "$state"' EXIT
sh "$GY_ROOT/tests/harness.sh" start "$state" >/dev/null
# shellcheck disable=SC1091 # written by harness.sh
. "$state/env"
export GY_SOURCE_DIR=$GY_ROOT GY_BUILD_DIR=$BUILD RUNS
cd "$GY_ROOT/tests"
/usr/bin/python3 "$GY_ROOT/bench/console_load.py"
