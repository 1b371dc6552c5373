#!/usr/bin/env bash
# Downtime on isolation, measured as the CASPaxos author's perseus
# comparison did: three clients, each pinned to a different replica, write
# their own keys one after another; replica 2 is cut off (its link down,
# both directions) for 10 s, then healed. For each client: the longest
# window without a successful write, and for the isolated replica's client
# how long after the heal its writes succeeded again.
#
#   bench/downtime.sh [--seconds S] [--isolate-s S] [--runs N]
#       defaults: 25 s of writes, replica 2 cut off from 5 s to 15 s, 1 run
# Needs root (network namespaces); builds what is missing.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
seconds=25
isolate=10
runs=1
while [ $# -gt 0 ]; do
    case $1 in
        --seconds) seconds=$2; shift 2 ;;
        --isolate-s) isolate=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
    esac
done
[ "$(id -u)" -eq 0 ] || { echo "downtime: needs root" >&2; exit 2; }
tests/deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
name=downtime
trap 'bench/fabric.sh down "$name" >/dev/null 2>&1 || true' EXIT INT TERM
now_ms() { date +%s%3N; }
printf "%4s %-8s %10s %12s %10s %10s\n" run client "replica" "longest gap" "ok" "failed"
for run in $(seq "$runs"); do
    bench/fabric.sh up "$name" --replicas 3 >/dev/null
    servers=$(bench/fabric.sh servers "$name")
    idx=$(echo "$servers" | cut -d. -f3)
    for i in 0 1 2; do
        s=$(echo "$servers" | cut -d, -f$((i + 1)))
        bench/fabric.sh exec "$name" build/bench/parnik-downtime -s "$s" --key "client-$i" \
            --seconds "$seconds" >"/tmp/$name-$i.out" &
    done
    sleep 5
    ip -n "pk$idx-br" link set "pk${idx}r2b" down
    sleep "$isolate"
    healed_at=$(now_ms)
    ip -n "pk$idx-br" link set "pk${idx}r2b" up
    wait
    for i in 0 1 2; do
        read -r _ gap _ end _ ok _ failed <"/tmp/$name-$i.out"
        extra=""
        if [ $i -eq 2 ]; then
            extra="  (cut ${isolate} s; writing again $((end - healed_at)) ms after the heal)"
        fi
        printf "%4s %-8s %10s %9s ms %10s %10s%s\n" "$run" "client $i" "replica $i" "$gap" "$ok" \
            "$failed" "$extra"
    done
    bench/fabric.sh down "$name" >/dev/null
done
