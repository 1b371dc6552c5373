#!/usr/bin/env bash
# The README's main job, as a new user runs it (shortened to a few
# seconds): bench/demo.sh on its default configuration (memif between the
# replicas, the DPDK client) must say which configuration it ran, finish
# with a linearizable history and no error, and leave nothing behind; and
# --af-packet must do the same on the kernel client. Skips (77) without
# root or parnikd.
set -u
. "$(dirname "$0")/common.sh" "${1:-}" demo
out=/tmp/pk-demo-test.$$

run_demo() {  # run_demo LABEL CONFIG-PATTERN ARGS...
    local label=$1 want=$2 rc=0
    shift 2
    (cd "$top" && PARNIK_BUILD=$build bench/demo.sh --seconds 3 "$@") >"$out" 2>&1 || rc=1
    grep -q "^linearizable: yes$" "$out" || rc=1
    grep -q "^errors: 0," "$out" || rc=1
    grep -q "^== load: $want" "$out" || rc=1
    grep -q "^namespaces left: 0; parnikd processes left: 0$" "$out" || rc=1
    [ $rc -eq 0 ] || tail -15 "$out"
    result "$label" $rc
}

run_demo "bench/demo.sh: memif and the DPDK client by default, linearizable, clean" \
    "parnik-bench's DPDK client on memif"
run_demo "bench/demo.sh --af-packet: kernel client threads, linearizable, clean" \
    "4 kernel-UDP threads" --af-packet
rm -f "$out"
summary
