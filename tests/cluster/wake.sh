#!/usr/bin/env bash
# Wake on arrival: a replica asleep in the adaptive idle mode is woken by
# the frame that arrives for it, not by a timer, on every port type of the
# fabric (memif: doorbells; af_packet: a packet socket; net_tap: its Rx
# interrupt), and so is parnik-bench's DPDK client. Counted, not timed:
# at one request in flight every replica sleeps between requests, so its
# sleeps must end woken (idle_woken) about as often as requests arrive; and
# an idle replica, with nothing to wake it, sleeps until its timers (at most
# ~100 sleeps a second per lcore), not on a short poll timer (thousands).
# Skips (77) without root or parnikd.
set -u
. "$(dirname "$0")/common.sh" "${1:-}" wk$$

total() {  # total REPLICA COUNTER: the replica's counter, over its lcores
    "$fabric" ctl "$name" "$1" stats | grep -o "\"$2\":[0-9]*" | head -1 | cut -d: -f2
}

sum_total() {  # sum_total COUNTER: over the three replicas
    local n=0 i
    for i in 0 1 2; do n=$((n + $(total $i "$1"))); done
    echo $n
}

# woken_per_request LABEL KIND-OF-CLIENT: sequential PUTs; the replicas'
# sleeps ended woken must number at least one per request.
woken_per_request() {
    local label=$1 client=$2 before after ops rc=0 S
    local -a how=(--threads 1)
    S=$("$fabric" servers "$name")
    # shellcheck disable=SC2207 # the fabric prints options to split
    [ "$client" = kernel ] || how=($("$fabric" dpdk-client "$name" "$client"))
    before=$(sum_total idle_woken)
    "$fabric" exec "$name" "$bench" -s "$S" -p 1 "${how[@]}" --depth 1 --mix put=1 \
        --keys 100 --seconds 2 >/tmp/$name.load 2>&1 || rc=1
    after=$(sum_total idle_woken)
    ops=$(awk '/^summary:/ { print $2 }' /tmp/$name.load)
    # A PUT wakes the replica it reaches, which wakes its two peers, which
    # wake it back: three wake-ups per request when all sleep in between;
    # one per request is the floor a working wake-up clears with margin.
    [ "${ops:-0}" -ge 50 ] && [ $((after - before)) -ge "$ops" ] || rc=1
    [ $rc -eq 0 ] || { echo "     $ops requests, $((after - before)) sleeps woken"; tail -3 /tmp/$name.load; }
    result "$label" $rc
}

idle_sleeps_bounded() {  # idle_sleeps_bounded LABEL
    local label=$1 a b rc=0
    sleep 1
    a=$(sum_total idle_sleeps)
    sleep 2
    b=$(sum_total idle_sleeps)
    # Three replicas of one worker each for 2 s: ~600 at 100 a second; a
    # timer of --idle-max-us (200 us) would be thousands.
    [ $((b - a)) -le 1500 ] || rc=1
    [ $rc -eq 0 ] || echo "     $((b - a)) sleeps in 2 s"
    result "$label" $rc
}

"$fabric" up "$name" --replicas 3 --memif --client-memif >/dev/null || exit 1
log=${PARNIK_FABRIC_DIR:-/tmp/parnik-fabric}/$name/r0.log
rc=0
grep -q "net_memif.*wakes on arrival by doorbell" "$log" || rc=1
grep -q "net_af_packet.*wakes on arrival by packet socket" "$log" || rc=1
result "the start lines name each port's wake source (doorbell, packet socket)" $rc
idle_sleeps_bounded "memif fabric, idle: replicas sleep until their timers"
woken_per_request "memif + DPDK client: the replicas are woken by arriving frames" memif
rc=0
bells=$(sum_total bells_rung)
[ "$bells" -gt 0 ] || rc=1
grep -Eq '; [1-9][0-9]* sleeps, [1-9][0-9]* doorbells rung,' /tmp/$name.load || rc=1
[ $rc -eq 0 ] || { echo "     replicas rang $bells"; grep '^DPDK ports' /tmp/$name.load; }
result "memif: replicas and the DPDK client ring doorbells and sleep between replies" $rc
"$fabric" down "$name" >/dev/null

# af_packet alone: every hop (client to replica, replica to replica) wakes
# a sleeper through its packet socket, nothing else.
"$fabric" up "$name" --replicas 3 >/dev/null || exit 1
idle_sleeps_bounded "af_packet fabric, idle: replicas sleep until their timers"
woken_per_request "af_packet fabric, kernel client: woken through the ports' packet sockets" kernel
"$fabric" down "$name" >/dev/null

"$fabric" up "$name" --replicas 3 --tap >/dev/null || exit 1
rc=0
grep -q "net_tap.*wakes on arrival by rx interrupt" "$log" || rc=1
result "net_tap: the start line names its Rx interrupt" $rc
# No idle bound on tap: its PMD reads a queue only after its own signal
# handler ran, so a replica may poll a readable queue for a while (bounded
# by the next frame's signal; CPU stays under 1% of a core, docs/WAKE.md).
woken_per_request "tap fabric: the replicas are woken by their Rx interrupts" kernel
"$fabric" down "$name" >/dev/null
summary
