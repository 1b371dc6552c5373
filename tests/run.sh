#!/usr/bin/env bash
# Runs every Parnik test suite from a fresh clone: installs missing Debian
# packages (when root), configures meson into build/ (and build-asan/ with
# AddressSanitizer + UndefinedBehaviorSanitizer), builds, runs the unit and
# sim suites in both and the cluster suite (real parnikd replicas on a netns
# fabric; needs root) in build/, then each libFuzzer harness for 15 s
# (tests/fuzz/run.sh), and closes with "N passed, N failed".
#
#   tests/run.sh            everything (CI runs this)
# More simulator seeds: build/tests/parnik-sim --scenario all --seeds 500
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

tests/deps.sh

passed=0
failed=0
cases_passed=0
cases_failed=0

# run_suites BUILD_DIR SUITES MESON_ARGS...: configure, build, run the suites
# ("unit sim" or "unit sim cluster").
run_suites() {
    local dir=$1 suites=$2 s
    local -a suite_args=()
    shift 2
    for s in $suites; do
        suite_args+=(--suite "$s")
    done
    if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" "$@" >/dev/null
    fi
    ninja -C "$dir" >/dev/null
    local log="$dir/meson-logs/run-summary.txt"
    set +e
    meson test -C "$dir" "${suite_args[@]}" --print-errorlogs --num-processes 2 \
        --timeout-multiplier 4 2>&1 | tee "$log"
    set -e
    local ok fail
    ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$log" | tail -1)
    fail=$(awk '/^(Fail|Timeout|Unexpected Pass):/{s+=$2} END{print s+0}' "$log")
    passed=$((passed + ${ok:-0}))
    failed=$((failed + fail))
    # Each test program closes with "N passed, N failed": sum the cases.
    local cp cf
    read -r cp cf < <(awk '/^[0-9]+ passed, [0-9]+ failed$/ { p += $1; f += $3 }
                          END { print p + 0, f + 0 }' "$dir/meson-logs/testlog.txt")
    cases_passed=$((cases_passed + cp))
    cases_failed=$((cases_failed + cf))
}

echo "== release build (build/)"
run_suites build "unit sim cluster"
echo "== ASan + UBSan build (build-asan/)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
run_suites build-asan "unit sim" -Db_sanitize=address,undefined -Db_lundef=false -Dsim_quick=true

echo "== fuzzers (libFuzzer, ASan + UBSan; 15 s each: tests/fuzz/run.sh --minutes N is the long mode)"
rc=0
tests/fuzz/run.sh --seconds 15 | tee build/meson-logs/fuzz-summary.txt || rc=$?
if [ $rc -eq 0 ]; then
    passed=$((passed + 1))
elif [ $rc -ne 77 ]; then
    failed=$((failed + 1))
fi
read -r cp cf < <(awk '/^[0-9]+ passed, [0-9]+ failed$/ { p += $1; f += $3 } END { print p + 0, f + 0 }' \
                  build/meson-logs/fuzz-summary.txt)
cases_passed=$((cases_passed + cp))
cases_failed=$((cases_failed + cf))

echo "cases (unit test cases, simulator scenarios and fuzzers, both builds): $cases_passed passed, $cases_failed failed"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
