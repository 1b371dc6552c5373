#!/usr/bin/env bash
# The main job: a 3-replica Parnik cluster (parnikd on DPDK ports, in
# network namespaces) under load spread over all replicas, a per-second
# table of ops/s and p50/p99, the whole history checked for
# linearizability, a summary, and everything torn down after.
#
#   bench/demo.sh [--seconds S] [--threads T] [--partitions P]
#                 [--af-packet | --tap] [--reconfigure]
#       defaults: 30 s, the fastest configuration a plain machine offers:
#       the replicas linked to each other over DPDK memif (shared memory)
#       and parnik-bench's DPDK client on memif ports of its own, T x 8 in
#       flight (T 4); one partition (and worker lcore) per 3 cores, at
#       least one: three replicas with more lcores than the machine has
#       cores only add context switches. --af-packet runs everything over
#       af_packet on veth with T kernel-UDP client threads (what a cluster
#       spread over machines looks like), --tap the same on net_tap.
#       --reconfigure also starts two spare replicas, fills 20,000 more
#       keys, and while the load runs changes the membership live with
#       parnikctl: 3 -> 4 -> 5 -> 4 -> 3 acceptors (grow 3, grow 4,
#       shrink 4, shrink 3)
#
# Needs root (network namespaces); installs what is missing and builds.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
seconds=30
threads=4
partitions=$(( $(nproc) / 3 > 0 ? $(nproc) / 3 : 1 ))
links="--memif --client-memif"
reconfigure=0
while [ $# -gt 0 ]; do
    case $1 in
        --seconds) seconds=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        --partitions) partitions=$2; shift 2 ;;
        --memif) links="--memif --client-memif"; shift ;;	# the default, by name
        --af-packet) links=""; shift ;;
        --tap) links="--tap"; shift ;;
        --reconfigure) reconfigure=1; shift ;;
        *) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
    esac
done
if [ "$(id -u)" -ne 0 ]; then
    echo "demo: needs root (it creates network namespaces)" >&2
    exit 2
fi

# PARNIK_BUILD: a build directory made already (the test suite's); the
# programs come from it and nothing is installed or built.
build=${PARNIK_BUILD:-build}
if [ -z "${PARNIK_BUILD:-}" ]; then
    tests/deps.sh
    [ -f build/build.ninja ] || meson setup build >/dev/null
    ninja -C build >/dev/null
fi
export PARNIKD=${PARNIKD:-$build/dp/parnikd}

name=demo
trap 'bench/fabric.sh down "$name" >/dev/null 2>&1 || true' EXIT INT TERM
edge="af_packet on veth"
case $links in *--tap*) edge="net_tap" ;; esac
case $links in *--memif*) edge="memif between replicas, af_packet on veth for kernel clients" ;; esac
spares=0
[ $reconfigure -eq 0 ] || spares=2
echo "== starting 3 replicas (parnikd: $edge; $partitions partition(s), one worker lcore each)" \
    "$([ $spares -eq 0 ] || echo "and $spares spares")"
# shellcheck disable=SC2086
bench/fabric.sh up "$name" --replicas 3 --spares "$spares" --partitions "$partitions" $links
servers=$(bench/fabric.sh servers "$name")
sockets=$(bench/fabric.sh sockets "$name")
# The load's client: the DPDK one on memif, or kernel UDP threads.
case $links in
    *--client-memif*)
        # shellcheck disable=SC2207 # the fabric prints options to split
        client=(--depth $((threads * 8)) $(bench/fabric.sh dpdk-client "$name" memif))
        client_says="parnik-bench's DPDK client on memif, $((threads * 8)) in flight" ;;
    *)
        client=(--threads "$threads" --depth 8)
        client_says="$threads kernel-UDP threads x 8 in flight" ;;
esac
reconf_status=0
if [ $reconfigure -eq 1 ]; then
    echo
    echo "== filling 20,000 cold keys (what the rescans must carry over)"
    bench/fabric.sh exec "$name" "$build"/bench/parnik-bench -s "$servers" -p "$partitions" \
        --threads 4 --depth 8 --keys 20000 --ops 15000 --mix put=1 --prefix cold \
        | grep -E "^(summary|errors)"
    # The membership changes, in the background while the load runs;
    # their lines start with "ctl".
    (
        sleep 3
        for step in "grow 3" "grow 4" "shrink 4" "shrink 3"; do
            # shellcheck disable=SC2086
            "$build"/ctrl/parnikctl -s "$sockets" $step | sed -u 's/^/    ctl /' || exit 1
            sleep 2
        done
    ) &
    reconf_pid=$!
fi
echo
echo "== load: $client_says, GET/PUT/CAS/ADD over 1000 keys, ${seconds}s"
status=0
bench/fabric.sh exec "$name" "$build"/bench/parnik-bench -s "$servers" -p "$partitions" \
    "${client[@]}" --keys 1000 --seconds "$seconds" --check || status=$?
if [ $reconfigure -eq 1 ]; then
    wait "$reconf_pid" || reconf_status=$?
    echo
    echo "== membership after the changes (replica 0):"
    bench/fabric.sh ctl "$name" 0 lists
    if [ $reconf_status -ne 0 ]; then
        echo "demo: a membership change failed" >&2
        status=1
    fi
fi
echo
echo "== teardown"
bench/fabric.sh down "$name"
trap - EXIT INT TERM
left=$(ip netns list | grep -c "^pk$(printf '%s' "$name" | cksum | awk '{print $1 % 249 + 2}')-" || true)
echo "namespaces left: $left; parnikd processes left: $(pgrep -c -f 'file-prefi[x] pk' || true)"
exit $status
