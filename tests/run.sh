#!/usr/bin/env bash
# Runs every Parnik test suite from a fresh clone: installs missing Debian
# packages (when root), configures meson into build/ (and build-asan/ with
# AddressSanitizer + UndefinedBehaviorSanitizer), builds, runs the unit and
# sim suites in both, and closes with a summary line "N passed, N failed".
#
#   tests/run.sh            everything (CI runs this)
#   SIM_SEEDS=500 tests/run.sh   more simulator seeds per scenario
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

need_pkgs=(meson ninja-build gcc pkg-config python3)
missing=()
for p in "${need_pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ]; then
        echo "== installing: ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "missing packages (run as root to install): ${missing[*]}" >&2
        exit 2
    fi
fi

export SIM_SEEDS="${SIM_SEEDS:-}"
passed=0
failed=0

# run_suites BUILD_DIR MESON_ARGS...: configure, build, run unit and sim.
run_suites() {
    local dir=$1
    shift
    if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" "$@" >/dev/null
    fi
    ninja -C "$dir" >/dev/null
    local log="$dir/meson-logs/run-summary.txt"
    set +e
    meson test -C "$dir" --suite unit --suite sim --print-errorlogs --num-processes 2 \
        --timeout-multiplier 4 2>&1 | tee "$log"
    set -e
    local ok fail
    ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$log" | tail -1)
    fail=$(awk '/^(Fail|Timeout|Unexpected Pass):/{s+=$2} END{print s+0}' "$log")
    passed=$((passed + ${ok:-0}))
    failed=$((failed + fail))
}

echo "== release build (build/)"
run_suites build
echo "== ASan + UBSan build (build-asan/)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
run_suites build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dsim_quick=true

echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
