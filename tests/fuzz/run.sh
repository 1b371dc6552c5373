#!/usr/bin/env bash
# Builds the fuzz harnesses with clang's libFuzzer (and ASan + UBSan) and
# runs each for a bounded time over a copy of its corpus in the tree.
# Prints, per harness, the inputs run and the coverage reached; fails on any
# crash, leak or sanitizer report (its input is kept under the work dir).
#
#   tests/fuzz/run.sh [--seconds N | --minutes N] [--jobs J] [--only NAME,...]
#                     [--keep DIR]
#       default 20 seconds per harness (tests/run.sh); --minutes 30 is the
#       long mode. --jobs runs J fuzzers per harness over one corpus (one
#       per core). --only runs the named harnesses (fuzz_worker, fuzz_wire,
#       fuzz_text, fuzz_cluster). Skips (exit 77) without clang-14.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
seconds=20
work=""
only=""
jobs=1
while [ $# -gt 0 ]; do
    case $1 in
        --seconds) seconds=$2; shift 2 ;;
        --minutes) seconds=$(($2 * 60)); shift 2 ;;
        --keep) work=$2; shift 2 ;;
        --only) only=,$2,; shift 2 ;;
        --jobs) jobs=$2; shift 2 ;;
        *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
    esac
done
cc=$(command -v clang-14 || command -v clang || true)
if [ -z "$cc" ]; then
    echo "fuzz: no clang (apt-get install clang-14): skipped"
    exit 77
fi
case $jobs in
    '' | *[!0-9]* | 0) echo "fuzz: --jobs must be a positive number" >&2; exit 2 ;;
esac
# A new seed per run (libFuzzer's own default), printed so a run can be
# repeated with FUZZ_SEED; job j takes base + j.
seed_base=${FUZZ_SEED:-$(od -An -N3 -tu4 /dev/urandom | tr -d ' ')}
echo "fuzz: seed base $seed_base (FUZZ_SEED=$seed_base repeats it)"
[ -n "$work" ] || work=$(mktemp -d /tmp/parnik-fuzz.XXXXXX)
mkdir -p "$work"
flags=(-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -g -O1 -DPARNIK_VERSION='"fuzz"'
       -I"$src/include" -I"$src/dp/core" -I"$src/dp/util" -I"$src/tests/lib" -I"$src/bench/lincheck")

# harness SOURCES...: its name, then what it links
build() {
    local name=$1
    shift
    "$cc" "${flags[@]}" -o "$work/$name" "$@" -lsodium
}
build fuzz_worker "$src/tests/fuzz/fuzz_worker.c" "$src"/dp/core/*.c "$src/dp/util/heap.c" \
    "$src/tests/lib/core_fx.c"
build fuzz_wire "$src/tests/fuzz/fuzz_wire.c" "$src"/dp/core/*.c
build fuzz_text "$src/tests/fuzz/fuzz_text.c" -I"$src/ctrl" -I"$src/dp" -I"$src/dp/client" \
    "$src"/ctrl/{commands,fault_spec,json}.c "$src"/dp/{options,packet}.c \
    "$src"/dp/client/{servers,keyfile}.c "$src"/dp/core/*.c

failures=0
ran=0
build fuzz_cluster "$src/tests/fuzz/fuzz_cluster.c" -I"$src/tests/sim" -I"$src/ctrl" \
    "$src"/tests/sim/{run,sim,monitor,scenarios,membership,plans,steps,forged,workload}.c \
    "$src/ctrl/plan.c" "$src/dp/util/heap.c" \
    "$src/bench/lincheck/lincheck.c" "$src"/dp/core/*.c

harnesses="fuzz_worker:corpus fuzz_wire:corpus-wire fuzz_text:corpus-text fuzz_cluster:corpus-cluster"
for h in $harnesses; do
    name=${h%%:*}
    if [ -n "$only" ] && [ "${only#*,"$name",}" = "$only" ]; then
        continue
    fi
    corpus=$work/$name-corpus
    rm -rf "$corpus" "$work/$name-artifacts"
    mkdir -p "$corpus" "$work/$name-artifacts"
    cp "$src/tests/fuzz/${h#*:}"/* "$corpus/"
    ran=$((ran + 1))
    rc=0
    # J fuzzers share the corpus directory (each rereads what the others
    # added, -reload); their inputs add up.
    pids=""
    rm -f "$work/$name".[0-9]*.log
    for j in $(seq "$jobs"); do
        ASAN_OPTIONS=detect_leaks=1 "$work/$name" -max_total_time="$seconds" \
            -print_final_stats=1 -seed=$((seed_base + j)) -reload=1 \
            -artifact_prefix="$work/$name-artifacts/" "$corpus" >"$work/$name.$j.log" 2>&1 &
        pids="$pids $!"
    done
    for p in $pids; do
        wait "$p" || rc=$?
    done
    cat "$work/$name".[0-9]*.log >"$work/$name.log"
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$name.log" |
        awk '{ t += $1 } END { print t + 0 }')
    cov=$(grep -oE 'cov: [0-9]+' "$work/$name.log" | cut -d' ' -f2 | sort -n | tail -1)
    if [ $rc -ne 0 ] || [ -n "$(ls -A "$work/$name-artifacts")" ]; then
        echo "FAIL $name: a finding after ${runs:-?} inputs (log and input in $work)"
        grep -E "ERROR|SUMMARY|fuzz_" "$work/$name.log" | head -5 | sed 's/^/     /'
        failures=$((failures + 1))
    else
        echo "ok   $name: ${runs:-0} inputs in ${seconds}s, ${cov:-?} edges covered, no finding"
    fi
done
if [ $ran -eq 0 ]; then
    echo "fuzz: no harness named in --only$(echo "$only" | tr , ' ')"
    exit 2
fi
echo "$((ran - failures)) passed, $failures failed"
[ $failures -eq 0 ]
