#!/usr/bin/env bash
# The main job: a 3-replica Parnik cluster (parnikd on DPDK af_packet, in
# network namespaces) under load from several client threads spread over
# all replicas, a per-second table of ops/s and p50/p99, the whole history
# checked for linearizability, a summary, and everything torn down after.
#
#   bench/demo.sh [--seconds S] [--threads T] [--partitions P] [--memif] [--tap]
#       defaults: 30 s, 4 client threads, replicas on af_packet with one
#       partition (and worker lcore) per 3 cores, at least one: three
#       replicas with more lcores than the machine has cores only add
#       context switches. --memif links the replicas to each other over
#       DPDK memif, --tap puts them on net_tap instead
#
# Needs root (network namespaces); installs what is missing and builds.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
seconds=30
threads=4
partitions=$(( $(nproc) / 3 > 0 ? $(nproc) / 3 : 1 ))
links=""
while [ $# -gt 0 ]; do
    case $1 in
        --seconds) seconds=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        --partitions) partitions=$2; shift 2 ;;
        --memif) links="$links --memif"; shift ;;
        --tap) links="$links --tap"; shift ;;
        *) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
    esac
done
if [ "$(id -u)" -ne 0 ]; then
    echo "demo: needs root (it creates network namespaces)" >&2
    exit 2
fi

tests/deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null

name=demo
trap 'bench/fabric.sh down "$name" >/dev/null 2>&1 || true' EXIT INT TERM
edge="af_packet on veth"
case $links in *--tap*) edge="net_tap" ;; esac
case $links in *--memif*) edge="$edge, memif between replicas" ;; esac
echo "== starting 3 replicas (parnikd: $edge; $partitions partition(s), one worker lcore each)"
# shellcheck disable=SC2086
bench/fabric.sh up "$name" --replicas 3 --partitions "$partitions" $links
servers=$(bench/fabric.sh servers "$name")
echo
echo "== load: $threads threads x 8 in flight, GET/PUT/CAS/ADD over 1000 keys, ${seconds}s"
status=0
bench/fabric.sh exec "$name" build/bench/parnik-bench -s "$servers" -p "$partitions" \
    --threads "$threads" --depth 8 --keys 1000 --seconds "$seconds" --check || status=$?
echo
echo "== teardown"
bench/fabric.sh down "$name"
trap - EXIT INT TERM
left=$(ip netns list | grep -c "^pk$(printf '%s' "$name" | cksum | awk '{print $1 % 249 + 2}')-" || true)
echo "namespaces left: $left; parnikd processes left: $(pgrep -c -f 'file-prefi[x] pk' || true)"
exit $status
