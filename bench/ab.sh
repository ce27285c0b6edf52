#!/usr/bin/env bash
# A/B: one benchmark of this tree against another tree, side by side on the
# same machine, runs alternating (before, after, before, after, ...), so a
# noisy minute hurts both sides alike.
#
#   bench/ab.sh router /path/to/older/tree          3 pairs
#   PAIRS=5 BACKLOG=10000 DURATION=5 bench/ab.sh router ../before
#   DURATION=10 bench/ab.sh intake ../before
#
# The older tree is a checkout of the commit to compare against (e.g.
# `git worktree add ../before f9c6853`); each side runs its own
# bench/<name>.sh, building its own build/.  For the router both sides get
# the same clues: this tree's run draws them from the older tree's
# reference folder (LOAD_REFDATA_DIR).  Other environment (BACKLOG,
# DURATION, ...) goes to both sides.  Prints one Markdown row per pair —
# each side's clues/s (and clusters for the router) and after / before —
# and the median ratio; each run's JSON stays in its tree's bench/results.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/../scripts/lib/common.sh"

name=${1:-}
before=${2:-}
PAIRS=${PAIRS:-3}
case "$name" in router | intake) ;; *) gy_die "usage: bench/ab.sh router|intake BEFORE_TREE" ;; esac
if [ -z "$before" ] || [ ! -x "$before/bench/$name.sh" ]; then
    gy_die "$before/bench/$name.sh: no such benchmark in the older tree"
fi
before=$(cd "$before" && pwd)
case "$PAIRS" in '' | *[!0-9]*) gy_die "PAIRS is a whole number" ;; esac
after=$GY_ROOT
[ "$before" != "$after" ] || gy_die "the older tree is this tree"

# run SIDE TREE [ENV...]: runs TREE's benchmark, prints the JSON it wrote.
run() {
    local side=$1 tree=$2 log
    shift 2
    log=$(mktemp /tmp/gy-ab.XXXXXX)
    local seen
    seen=$(find "$tree/bench/results" -maxdepth 1 -name "$name-*.json" | wc -l)
    if ! (cd "$tree" && env "$@" "bench/$name.sh") >"$log" 2>&1; then
        tail -20 "$log" >&2
        gy_die "$side: bench/$name.sh failed (log: $log)"
    fi
    rm -f "$log"
    # The result this run wrote: the newest, and one more than before.
    [ "$(find "$tree/bench/results" -maxdepth 1 -name "$name-*.json" | wc -l)" -gt "$seen" ] ||
        gy_die "$side: no result written"
    find "$tree/bench/results" -maxdepth 1 -name "$name-*.json" -printf '%T@ %p\n' |
        sort -n | tail -1 | cut -d' ' -f2-
}

results=()
for i in $(seq "$PAIRS"); do
    gy_say "pair $i: before ($before)"
    b=$(run before "$before")
    gy_say "pair $i: after ($after)"
    if [ "$name" = router ]; then
        a=$(run after "$after" LOAD_REFDATA_DIR="$before/reference")
    else
        a=$(run after "$after")
    fi
    results+=("$b" "$a")
done

/usr/bin/python3 - "$name" "$(git -C "$before" rev-parse --short HEAD)" \
    "$(git -C "$after" rev-parse --short HEAD)" "${results[@]}" <<'PY'
import json, statistics, sys
name, bcommit, acommit, files = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
def figures(path):
    d = json.load(open(path))
    if name == "router":
        t = d["throughput"]
        return t["clues_per_s"], "%s clues/s, %s clusters" % (format(round(t["clues_per_s"]), ","), format(t["clusters"], ","))
    i = d["intake"]
    return i["clues_per_s"], "%s clues/s (p50 %.2f / p99 %.2f ms)" % (
        format(round(i["clues_per_s"]), ","), i["latency_ms"]["p50"], i["latency_ms"]["p99"])
print("| pair | before (%s) | after (%s) | after / before |" % (bcommit, acommit))
print("|---|---:|---:|---:|")
ratios = []
for n in range(0, len(files), 2):
    (bv, bt), (av, at) = figures(files[n]), figures(files[n + 1])
    ratios.append(av / bv)
    print("| %d | %s | %s | %.2f |" % (n // 2 + 1, bt, at, av / bv))
print("\nmedian after / before: %.2f" % statistics.median(ratios))
PY
