#!/usr/bin/env bash
# Runs the libFuzzer harnesses of fuzz/ (docs/fuzzing.md), each from its
# committed seeds (fuzz/corpus/NAME/) for SECONDS, and prints how many
# inputs each ran and whether it found anything.
#
#   bench/fuzz.sh                 60 s each
#   bench/fuzz.sh 300 fuzz_http   one harness, 5 minutes
#   bench/fuzz.sh --ctest [S]     the fuzz_* CTests, S seconds each (5):
#                                 what scripts/test runs
#
# Builds build-fuzz/ with clang (-DGY_FUZZ=ON: ASan, UBSan, libFuzzer),
# the harnesses only.  Inputs the fuzzer finds go to build-fuzz/fuzz/found/
# NAME/, never into the tree; a crash is written to build-fuzz/fuzz/NAME-crash-*
# and makes the script fail: reproduce it with build-fuzz/fuzz/NAME FILE,
# fix it, and commit the file as a seed (fuzz/corpus/NAME/regress_*).
#
# Needs clang and its fuzzer runtime (Debian: clang, libclang-rt-14-dev;
# scripts/deps installs both).  Without them it says so and exits 0 with
# --ctest (so a machine without them still runs scripts/test), 1 otherwise.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/../scripts/lib/common.sh"

BUILD=$GY_ROOT/build-fuzz
ctest_mode=
if [ "${1:-}" = --ctest ]; then
    ctest_mode=1
    shift
fi
case "${1:-}" in -h | --help) gy_usage "$0"; exit 0 ;; esac
SECONDS_EACH=${1:-$([ -n "$ctest_mode" ] && echo 5 || echo 60)}
case "$SECONDS_EACH" in '' | *[!0-9]*) gy_die "SECONDS is a whole number, not \"$SECONDS_EACH\"" ;; esac
[ $# -gt 0 ] && shift
only=("$@")

# The fuzzer runtime: a one-line harness must link with -fsanitize=fuzzer.
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' >"$probe/p.c"
if ! command -v clang >/dev/null 2>&1 ||
    ! clang -fsanitize=fuzzer,address "$probe/p.c" -o "$probe/p" >"$probe/log" 2>&1; then
    gy_say "fuzz: SKIPPED: clang's libFuzzer runtime is not available (Debian: apt-get install clang libclang-rt-14-dev; scripts/deps installs them)"
    [ -n "$ctest_mode" ] && exit 0
    exit 1
fi

mkdir -p "$BUILD"
cmake -S "$GY_ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
    -DGY_FUZZ=ON -DGY_FUZZ_SECONDS="$SECONDS_EACH" >"$BUILD/configure.log" 2>&1 || {
    cat "$BUILD/configure.log" >&2
    gy_die "cmake could not configure $BUILD (log: $BUILD/configure.log)"
}
cmake --build "$BUILD" -j2 --target fuzz_harnesses >"$BUILD/build.log" 2>&1 || {
    tail -40 "$BUILD/build.log" >&2
    gy_die "build of the fuzz harnesses failed (log: $BUILD/build.log)"
}

if [ -n "$ctest_mode" ]; then
    cd "$BUILD"
    exec ctest -L fuzz --output-on-failure --no-tests=error
fi

harnesses=$(sed -n 's/^    \(fuzz_[a-z_]*\) [a-z_]*$/\1/p;s/^    \(fuzz_[a-z_]*\) [a-z_]*)$/\1/p' \
    "$GY_ROOT/fuzz/CMakeLists.txt")
failed=0
printf '%-20s %8s %12s %10s  %s\n' harness seconds executions 'exec/s' result
for h in $harnesses; do
    if [ ${#only[@]} -gt 0 ] && [[ " ${only[*]} " != *" $h "* ]]; then
        continue
    fi
    found=$BUILD/fuzz/found/$h
    mkdir -p "$found"
    log=$BUILD/fuzz/$h.log
    rc=0
    "$BUILD/fuzz/$h" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
        -close_fd_mask=2 -print_final_stats=1 -artifact_prefix="$BUILD/fuzz/$h-" \
        "$found" "$GY_ROOT/fuzz/corpus/$h" >"$log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    secs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    result=ok
    if [ "$rc" -ne 0 ]; then
        result="FOUND: $(sed -n 's/.*Test unit written to //p' "$log" | tail -1) (log: $log)"
        failed=1
    fi
    printf '%-20s %8s %12s %10s  %s\n' "$h" "$SECONDS_EACH" "${execs:-?}" "${secs:-?}" "$result"
done
exit "$failed"
