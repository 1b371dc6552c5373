# Shared by the cluster suite's scripts (sourced, not run): the programs
# under test, the skip rules (exit 77 without root or without parnikd), the
# fabric torn down on exit, and helpers that count passes and failures.
#
#   . "$(dirname "$0")/common.sh" BUILD_DIR CLUSTER_NAME
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-$top/build}
name=$2
export PARNIKD=$build/dp/parnikd PARNIK=$build/dp/client/parnik
fabric=$top/bench/fabric.sh
bench=$build/bench/parnik-bench
[ "$(id -u)" -eq 0 ] || { echo "cluster suite: needs root (network namespaces)"; exit 77; }
[ -x "$PARNIKD" ] || { echo "cluster suite: parnikd not built (libdpdk-dev)"; exit 77; }
trap '"$fabric" down "$name" >/dev/null 2>&1' EXIT
failures=0
passes=0

result() {  # result DESCRIPTION STATUS
    if [ "$2" -eq 0 ]; then
        echo "ok   $1"
        passes=$((passes + 1))
    else
        echo "FAIL $1"
        failures=$((failures + 1))
    fi
}

check() {   # check DESCRIPTION EXPECTED-EXIT CMD...
    local what=$1 want=$2 rc=0
    shift 2
    "$@" >/tmp/$name.out 2>&1 || rc=$?
    if [ "$rc" -ne "$want" ]; then
        echo "     exit $rc, wanted $want:"
        sed 's/^/     /' /tmp/$name.out | tail -5
    fi
    result "$what" $([ "$rc" -eq "$want" ] && echo 0 || echo 1)
}

# After a failure, the replicas' own words: the last lines of each log
# (the EAL's start-up chatter left out), so a failure in CI can be read.
show_logs() {
    local log
    for log in "${PARNIK_FABRIC_DIR:-/tmp/parnik-fabric}/$name"/r*.log; do
        [ -f "$log" ] || continue
        echo "---- $(basename "$log"), last lines:"
        grep -Ev '(^| )(EAL|TELEMETRY): |rte_pmd' "$log" | tail -12 | sed 's/^/     /'
    done
}

summary() {
    echo "$passes passed, $failures failed"
    [ $failures -eq 0 ] && return 0
    show_logs
    return 1
}
