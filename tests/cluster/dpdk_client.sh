#!/usr/bin/env bash
# parnik-bench's DPDK mode against real replicas: the client on memif ports
# of its own (one per replica) and on its own af_packet port, each under a
# checked load that must be linearizable with no error; the load survives
# a replica killed with -9 mid-run; and the setup errors are what a user
# needs to read (no replica answering ARP: exit 7; a wrong partition count
# over DPDK: exit 6, named); several client threads share the ports. Skips
# (77) without root or parnikd.
set -u
. "$(dirname "$0")/common.sh" "${1:-}" cd$$

dir=${PARNIK_FABRIC_DIR:-/tmp/parnik-fabric}/$name

# checked_load LABEL KIND BENCH-ARGS...: a checked DPDK-mode load over KIND.
checked_load() {
    local label=$1 kind=$2 rc=0 S
    shift 2
    S=$("$fabric" servers "$name")
    # shellcheck disable=SC2046 # the fabric prints options to split
    "$fabric" exec "$name" "$bench" -s "$S" -p 2 $("$fabric" dpdk-client "$name" "$kind") \
        --keys 300 --check "$@" >/tmp/$name.load 2>&1 || rc=$?
    grep -q '^linearizable: yes$' /tmp/$name.load || rc=1
    grep -q "over DPDK, net_$kind x" /tmp/$name.load || rc=1
    [ $rc -eq 0 ] || tail -8 /tmp/$name.load
    result "$label" $rc
}

"$fabric" up "$name" --replicas 3 --partitions 2 --memif --client-memif >/dev/null || exit 1

checked_load "memif client: a checked mixed load (64 in flight) is linearizable" memif \
    --depth 64 --seconds 3
rc=0
grep -q '^errors: 0, busy (shed, not applied): 0, timeouts (no reply at all): 0$' /tmp/$name.load || rc=1
# Every frame sent came back answered: nothing lost on the client's side.
re='^DPDK ports: ([0-9]+) frames sent, ([0-9]+) received, ([0-9]+) dropped on receive, ([0-9]+) lost to a full TX ring or pool, ([0-9]+) for a replica not resolved'
if [[ $(grep '^DPDK ports:' /tmp/$name.load) =~ $re ]]; then
    [ "${BASH_REMATCH[1]}" -ge 1000 ] && [ "${BASH_REMATCH[2]}" -ge 1000 ] &&
        [ "${BASH_REMATCH[3]}" -eq 0 ] && [ "${BASH_REMATCH[4]}" -eq 0 ] &&
        [ "${BASH_REMATCH[5]}" -eq 0 ] || rc=1
else
    rc=1
fi
[ $rc -eq 0 ] || grep -E '^(errors|DPDK)' /tmp/$name.load
result "memif client: no error, no timeout, no frame dropped or lost" $rc

checked_load "af_packet client: a checked mixed load is linearizable" af_packet \
    --depth 32 --seconds 3

# Several client threads (the replicas run 2 workers: 2 memif queues): each
# thread its own UDP port and queue pair, replies that land on the other's
# queue passed on; and a third thread with no queue of its own.
for t in 2 3; do
    checked_load "memif client, $t threads on 2 queues: a checked load is linearizable" memif \
        --threads $t --depth 16 --seconds 3
    rc=0
    grep -q '^errors: 0, busy (shed, not applied): 0, timeouts (no reply at all): 0$' \
        /tmp/$name.load || rc=1
    grep -q "over DPDK, net_memif x3, $t thread(s)" /tmp/$name.load || rc=1
    grep -Eq ', [1-9][0-9]* replies passed between threads$' /tmp/$name.load || rc=1
    [ $rc -eq 0 ] || grep -E '^(summary|errors|DPDK)' /tmp/$name.load
    result "memif client, $t threads: no error, and replies were passed between threads" $rc
done

# --echo: the round trip to the first replica's UDP echo over the client's
# own transport (the floor compare.sh puts beside the latency).
S=$("$fabric" servers "$name")
rc=0
# shellcheck disable=SC2046
"$fabric" exec "$name" "$bench" -s "$S" $("$fabric" dpdk-client "$name" memif) --echo 300 \
    >/tmp/$name.echo 2>&1 || rc=1
grep -Eq '^rtt us: p50 [0-9.]+ .*\(300 round trips over DPDK, net_memif' /tmp/$name.echo || rc=1
"$fabric" exec "$name" "$bench" -s "$S" --echo 300 >/tmp/$name.echo2 2>&1 || rc=1
grep -Eq '^rtt us: p50 [0-9.]+ .*\(300 round trips over kernel UDP\)' /tmp/$name.echo2 || rc=1
[ $rc -eq 0 ] || cat /tmp/$name.echo /tmp/$name.echo2
result "--echo: round trips to a replica's echo port over DPDK and over kernel UDP" $rc

# A replica killed -9 mid-run: writes to it end unknown, the rest go on.
( sleep 1.5; "$fabric" kill "$name" 2 ) &
checked_load "memif client: linearizable across a replica killed -9 mid-run" memif \
    --depth 16 --seconds 4 --timeout 50
wait
rc=0
awk '/^summary:/ { exit ($2 + 0 > 1000) ? 0 : 1 }' /tmp/$name.load || rc=1
result "memif client: the load went on after the kill" $rc

S=$("$fabric" servers "$name")
# shellcheck disable=SC2046
check "a wrong partition count over DPDK exits 6" 6 \
    "$fabric" exec "$name" "$bench" -s "$S" -p 3 $("$fabric" dpdk-client "$name" memif) -S 1
grep -q "runs 2 partitions, not 3" /tmp/$name.out ||
    result "the wrong partition count is named" 1
net=${S%%.1:7700*}
# shellcheck disable=SC2046
check "no replica answering ARP on the client's ports exits 7" 7 \
    "$fabric" exec "$name" "$bench" -s "$net.77:7700" $("$fabric" dpdk-client "$name" af_packet) -S 1
grep -q "no ARP reply on any DPDK port in .* from $net.77" /tmp/$name.out ||
    result "the silent address is named" 1
check "--echo to an address that does not answer exits 6" 6 \
    "$fabric" exec "$name" "$bench" -s "$net.77:7700" --echo 5
grep -q "echo: no reply in 1000 ms" /tmp/$name.out || result "the echo's silence is named" 1
check "--dpdk without --dpdk-ip is a usage error" 2 \
    "$bench" -s "$S" --dpdk net_null0 -S 1

"$fabric" down "$name"
summary
