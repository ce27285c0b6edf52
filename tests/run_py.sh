#!/bin/sh
# Runs one integration test module against the servers of harness.sh:
#
#   tests/run_py.sh STATEDIR test_intake_http [Class[.test_method] ...] [-- unittest options]
#
# GY_BUILD_DIR (default: SOURCE/build) and GY_SOURCE_DIR (default: the
# folder above this one) say where the binaries and sources are.
set -eu

[ $# -ge 2 ] || { sed -n '2,7p' "$0" >&2; exit 2; }
state=$1 module=$(basename "$2" .py)
shift 2
here=$(cd "$(dirname "$0")" && pwd)

[ -f "$state/env" ] || { echo "run_py: no $state/env; run tests/harness.sh start $state" >&2; exit 1; }
. "$state/env"
export GY_SOURCE_DIR="${GY_SOURCE_DIR:-$(dirname "$here")}"
export GY_BUILD_DIR="${GY_BUILD_DIR:-$GY_SOURCE_DIR/build}"
export PYTHONDONTWRITEBYTECODE=1
export PYTHONUNBUFFERED=1

# Names after the module select its classes or methods; options pass through.
names="" opts=""
for arg in "$@"; do
    case "$arg" in
    --) ;;
    -*) opts="$opts $arg" ;;
    *) names="$names $module.$arg" ;;
    esac
done
[ -n "$names" ] || names=$module

cd "$here"
# shellcheck disable=SC2086 # the lists are meant to split
exec /usr/bin/python3 -m unittest -v $opts $names
