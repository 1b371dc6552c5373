#!/usr/bin/env bash
# Latency at concurrency 1, next to the kernel's own round trip on the same
# fabric and in the same run: one client thread with one request in flight
# runs PUTs, then GETs of the keys it wrote, against 3 replicas; a kernel
# UDP ping-pong (64 B) runs between two kernel hosts on the same bridge.
# Prints p50 / p99 of each and the ratio of each p50 to the ping-pong's.
#
#   bench/latency.sh [--seconds S] [--memif] [--tap] [--partitions P]
#       defaults: 10 s per operation kind, af_packet, one partition per 3
#       cores (at least one), as bench/demo.sh
#
# Needs root (network namespaces) and a build (bench/demo.sh makes one).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
seconds=10
partitions=$(( $(nproc) / 3 > 0 ? $(nproc) / 3 : 1 ))
links=""
while [ $# -gt 0 ]; do
    case $1 in
        --seconds) seconds=$2; shift 2 ;;
        --partitions) partitions=$2; shift 2 ;;
        --memif) links="$links --memif"; shift ;;
        --tap) links="$links --tap"; shift ;;
        *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
    esac
done
[ "$(id -u)" -eq 0 ] || { echo "latency: needs root (network namespaces)" >&2; exit 2; }
tests/deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null

name=lat
out=$(mktemp -d)
trap 'bench/fabric.sh down "$name" >/dev/null 2>&1 || true; rm -rf "$out"' EXIT INT TERM
# shellcheck disable=SC2086
bench/fabric.sh up "$name" --replicas 3 --partitions "$partitions" $links >/dev/null
servers=$(bench/fabric.sh servers "$name")
echo_ip=$(echo "$servers" | sed 's/\.1:7700.*/.99/')

# Kernel UDP ping-pong across the same bridge.
bench/fabric.sh exec-echo "$name" build/bench/parnik-udp-pingpong --server "$echo_ip:7999" \
    --seconds $((seconds + 5)) >/dev/null 2>&1 &
sleep 0.3
bench/fabric.sh exec "$name" build/bench/parnik-udp-pingpong --client "$echo_ip:7999" \
    --count $((seconds * 2000)) >"$out/pingpong"
wait || true

prefix=lat$$
run() {   # run OP: concurrency-1 load of one operation kind
    bench/fabric.sh exec "$name" build/bench/parnik-bench -s "$servers" -p "$partitions" \
        --threads 1 --depth 1 --keys 1000 --seconds "$seconds" --mix "$1=1" \
        --prefix "$prefix" >"$out/$1"
}
run put
run get

pp50=$(awk '/^rtt us:/ { print $4 }' "$out/pingpong")
pp99=$(awk '/^rtt us:/ { print $8 }' "$out/pingpong")
printf '\n%-34s %10s %10s %14s\n' "path (concurrency 1)" "p50 us" "p99 us" "p50 / ping-pong"
printf '%-34s %10s %10s %14s\n' "kernel UDP ping-pong, 64 B" "$pp50" "$pp99" "1.0"
for op in put get; do
    p50=$(awk '/^latency us:/ { print $4 }' "$out/$op")
    p99=$(awk '/^latency us:/ { print $8 }' "$out/$op")
    ops=$(awk '/^summary:/ { print $7 }' "$out/$op")
    printf '%-34s %10s %10s %14s\n' "Parnik $(echo $op | tr a-z A-Z), 3 replicas ($ops ops/s)" \
        "$p50" "$p99" "$(awk -v a="$p50" -v b="$pp50" 'BEGIN { printf "%.1f", a / b }')"
done
