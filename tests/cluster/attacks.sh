#!/usr/bin/env bash
# The forged-replica attacks, replayed from the client namespace with raw
# UDP built from docs/PROTOCOL.md alone (pkforge.py), against a running
# 3-replica cluster (2 partitions, one spare member), first with a peer key
# and then with --insecure-peers. Each attack once worked on main; each
# check asserts what a user relies on (the key keeps its value and version,
# the partition keeps creating keys, the replica keeps its peers) and that
# the drop was counted under its named counter.
#
#   1 rewrite a key with an ACCEPT from the client's own address
#   2 rewrite it posing as a member (its source address, a raw socket)
#   3 delete it: a tombstone ACCEPT and a REMOVE at epoch 1
#   4 lock it for ever: a PREPARE at the largest ballot
#   5 stop a partition creating keys: a maximum tombstone + REMOVE
#   6 cut a replica off: a junk frame from a member's address
#
# With the key, every one is refused (gate_unsealed, gate_bad_tag); and as a
# control, a datagram sealed with the real key from the member's address
# is taken (pkforge follows the spec: the refusals are real) and its replay
# refused (gate_replay). Without the key, the source check (gate_spoofed)
# stops what comes from the client's address, the bounds
# (peer_bounds_refused) stop the maximum ballots, and neighbours are never
# learned from junk; a member-spoofed ACCEPT still rewrites the key: only
# the MAC stops that one, which the test asserts too. Skips (77) without
# root or parnikd.
set -u
. "$(dirname "$0")/common.sh" "${1:-}" atk$$
export PARNIKCTL=$build/ctrl/parnikctl
forge_py=$top/tests/cluster/pkforge.py
U64_MAX=18446744073709551615
U32_MAX=4294967295

stat_of() {  # stat_of NODE NAME: a counter of the replica's total
    "$fabric" ctl "$name" "$1" stats | grep -o "\"$2\":[0-9]*" | head -1 | cut -d: -f2
}
sum_of() {   # sum_of NAME NODE...: a counter summed over replicas
    local what=$1 n s=0
    shift
    for n in "$@"; do s=$((s + $(stat_of "$n" "$what"))); done
    echo $s
}
at_least() { # at_least N NAME NODE...: the counter, summed, reaches N (polled, 5 s at most)
    local want=$1 what=$2 i
    shift 2
    for i in $(seq 50); do
        [ "$(sum_of "$what" "$@")" -ge "$want" ] && return 0
        sleep 0.1
    done
    return 1
}

run_attacks() {  # run_attacks keyed|insecure
    local mode=$1 S R0 R1 R2 R3 i
    if [ "$mode" = insecure ]; then
        PARNIK_FABRIC_INSECURE=1 "$fabric" up "$name" --replicas 3 --spares 1 --partitions 2 --workers 1 >/dev/null || exit 1
    else
        "$fabric" up "$name" --replicas 3 --spares 1 --partitions 2 --workers 1 >/dev/null || exit 1
    fi
    S=$("$fabric" servers "$name")
    R0=$(echo "$S" | cut -d, -f1 | cut -d: -f1)
    R1=$(echo "$S" | cut -d, -f2 | cut -d: -f1)
    R2=$(echo "$S" | cut -d, -f3 | cut -d: -f1)
    R3=${R0%.*}.4
    cli() { "$fabric" exec "$name" "$PARNIK" -s "$S" -p 2 -t 2000 "$@"; }
    forge() { "$fabric" exec "$name" python3 "$forge_py" --partitions 2 "$@"; }
    value_is() {  # value_is KEY VALUE VERSION: what a client reads
        local out ver
        out=$(cli get "$1" 2>/tmp/$name.ver) || return 1
        ver=$(grep -o '[0-9]*' /tmp/$name.ver | tail -1)
        [ "$out" = "$2" ] && [ "$ver" = "$3" ]
    }
    echo "== $mode peers"
    cli put victim honest >/dev/null
    cli put victim honest >/dev/null
    check "$mode: the victim key holds 'honest' at version 2" 0 value_is victim honest 2

    # 1. An ACCEPT from the client's own address to every replica.
    local before after
    for R in $R0 $R1 $R2; do
        forge accept victim --to "$R" --counter $((1 << 40)) --version 999 --value forged
    done
    sleep 0.3
    check "$mode 1: an ACCEPT from the client network does not rewrite the key" 0 \
        value_is victim honest 2
    if [ "$mode" = keyed ]; then
        check "$mode 1: counted as gate_unsealed on all 3" 0 \
            at_least 3 gate_unsealed 0 1 2
    else
        check "$mode 1: counted as gate_spoofed on all 3" 0 \
            at_least 3 gate_spoofed 0 1 2
    fi

    # 2. The same, posing as member 1 (its address and port, its node id).
    before=$(sum_of gate_unsealed 0 2)
    for R in $R0 $R2; do
        forge accept victim --to "$R" --spoof "$R1" --node 1 --counter $((1 << 40)) \
            --version 999 --value forged
    done
    sleep 0.3
    if [ "$mode" = keyed ]; then
        check "$mode 2: an ACCEPT posing as member 1 does not rewrite the key" 0 \
            value_is victim honest 2
        check "$mode 2: counted as gate_unsealed on 0 and 2" 0 \
            at_least $((before + 2)) gate_unsealed 0 2
        before=$(sum_of gate_bad_tag 0 2)
        for R in $R0 $R2; do
            forge sealed-junk victim --to "$R" --spoof "$R1" --node 1 --counter $((1 << 40))
        done
        sleep 0.3
        check "$mode 2: one flagged as sealed with a made-up tag: refused" 0 \
            value_is victim honest 2
        check "$mode 2: counted as gate_bad_tag" 0 \
            at_least $((before + 2)) gate_bad_tag 0 2
    else
        check "$mode 2: without a key a member-spoofed ACCEPT still rewrites (only the MAC stops it)" 0 \
            value_is victim forged 999
        cli put victim honest >/dev/null
    fi
    local v_now=2
    [ "$mode" = keyed ] || v_now=1000

    # 3. Delete: a forged tombstone and a REMOVE at epoch 1, from the
    # client's address.
    for R in $R0 $R1 $R2; do
        forge accept victim --to "$R" --tombstone --counter $((1 << 41)) --version 3
        forge remove victim --to "$R" --counter $((1 << 41)) --epoch 1
    done
    sleep 0.3
    check "$mode 3: a forged tombstone and REMOVE do not delete the key" 0 \
        value_is victim honest $v_now

    # 4. Lock: a PREPARE at the largest ballot, posing as member 1.
    before=$(sum_of peer_bounds_refused 0 2)
    for R in $R0 $R2; do
        forge prepare victim --to "$R" --spoof "$R1" --node 1 --counter $U64_MAX \
            --incarnation $U32_MAX
    done
    sleep 0.3
    check "$mode 4: after a maximum PREPARE the key still takes writes" 0 \
        cli put victim after-lock
    check "$mode 4: ... and reads them" 0 value_is victim after-lock $((v_now + 1))
    if [ "$mode" = insecure ]; then
        check "$mode 4: counted as peer_bounds_refused" 0 \
            at_least $((before + 2)) peer_bounds_refused 0 2
    fi

    # 5. Poison the floor: a maximum tombstone and REMOVE on a throw-away key.
    before=$(sum_of peer_bounds_refused 0 2)
    for R in $R0 $R2; do
        forge accept throwaway --to "$R" --spoof "$R1" --node 1 --tombstone \
            --counter $U64_MAX --incarnation $U32_MAX --version 5
        forge remove throwaway --to "$R" --spoof "$R1" --node 1 --counter $U64_MAX \
            --incarnation $U32_MAX --epoch 1
    done
    sleep 0.3
    local created=0
    for i in $(seq 1 12); do
        cli put "fresh-$i" v >/dev/null 2>&1 && created=$((created + 1))
    done
    check "$mode 5: after a maximum tombstone + REMOVE both partitions create keys (12 of 12)" 0 \
        test $created -eq 12
    if [ "$mode" = insecure ]; then
        check "$mode 5: counted as peer_bounds_refused" 0 \
            at_least $((before + 4)) peer_bounds_refused 0 2
    fi

    # 6. Cut replica 0 off from member 1: a junk frame from 1's address
    # (before, its neighbour entry moved to the client's MAC).
    for i in 1 2 3; do
        forge junk somekey --to "$R0" --spoof "$R1" --node 1
    done
    sleep 0.3
    local ok=0
    for i in $(seq 1 10); do
        "$fabric" exec "$name" "$PARNIK" -s "$R0:7700" -p 2 -t 1000 put "via-r0-$i" v \
            >/dev/null 2>&1 && ok=$((ok + 1))
    done
    check "$mode 6: after junk from member 1's address, writes through replica 0 succeed (10 of 10)" 0 \
        test $ok -eq 10

    if [ "$mode" = keyed ]; then
        # Control: sealed with the real key, from the spare member 3's
        # address (a member no round uses), the ACCEPT is taken...
        local key=/tmp/parnik-fabric/$name/peer.key dg=/tmp/$name.dgram boot
        [ -n "${PARNIK_FABRIC_DIR:-}" ] && key=$PARNIK_FABRIC_DIR/$name/peer.key
        boot=$(($(date +%s) * 1000000))
        forge accept victim --to "$R0" --spoof "$R3" --node 3 --key-file "$key" --to-node 0 \
            --boot "$boot" --seq 1 --counter $((1 << 42)) --version 77 --value sealed --save "$dg.$R0"
        forge accept victim --to "$R2" --spoof "$R3" --node 3 --key-file "$key" --to-node 2 \
            --boot "$boot" --seq 1 --counter $((1 << 42)) --version 77 --value sealed --save "$dg.$R2"
        sleep 0.3
        check "$mode control: sealed with the real key the same ACCEPT is taken (the forgery tool is right)" 0 \
            value_is victim sealed 77
        # ...exactly once: the same bytes again are a replay.
        before=$(sum_of gate_replay 0 2)
        for R in $R0 $R2; do
            forge accept victim --to "$R" --spoof "$R3" --replay "$dg.$R"
        done
        sleep 0.3
        check "$mode control: its replay is counted as gate_replay" 0 \
            at_least $((before + 2)) gate_replay 0 2
        # ...and only from member 3's address, and only at the replica it
        # was sealed for (the one for replica 2 delivered to replica 0).
        before=$(sum_of gate_spoofed 0)
        forge accept victim --to "$R0" --replay "$dg.$R0"
        sleep 0.3
        check "$mode control: a sealed datagram from the wrong address is gate_spoofed" 0 \
            at_least $((before + 1)) gate_spoofed 0
        before=$(sum_of gate_spoofed 0)
        forge accept victim --to "$R0" --spoof "$R3" --node 3 --key-file "$key" --to-node 2 \
            --boot "$boot" --seq 2 --counter $((1 << 43)) --version 78 --value misdirected
        check "$mode control: one sealed for replica 2, sent to replica 0, is gate_spoofed" 0 \
            at_least $((before + 1)) gate_spoofed 0
    fi
    "$fabric" down "$name" >/dev/null 2>&1
}

# Clients: with a client key, only its holders read and write; the others
# are told why (exit 7, UNAUTHENTICATED), and a wrong key gets nothing.
client_key() {
    local keys=/tmp/$name.keys S
    rm -rf "$keys"
    mkdir -m 700 "$keys"
    "$PARNIKCTL" keygen "$keys/client.key"
    "$PARNIKCTL" keygen "$keys/wrong.key"
    PARNIK_CLIENT_KEY=$keys/client.key "$fabric" up "$name" --replicas 3 --partitions 2 --workers 1 >/dev/null || exit 1
    S=$("$fabric" servers "$name")
    echo "== client key"
    check "client key: a holder writes" 0 \
        "$fabric" exec "$name" "$PARNIK" -s "$S" -p 2 -k "$keys/client.key" put ck v1
    check "client key: a holder reads (PARNIK_KEY)" 0 \
        "$fabric" exec "$name" env PARNIK_KEY="$keys/client.key" "$PARNIK" -s "$S" -p 2 get ck
    check "client key: without it, exit 7" 7 \
        "$fabric" exec "$name" "$PARNIK" -s "$S" -p 2 get ck
    cp /tmp/$name.out /tmp/$name.said
    check "client key: ... saying UNAUTHENTICATED and how to fix it" 0 \
        grep -q "UNAUTHENTICATED.*-k FILE" /tmp/$name.said
    check "client key: counted as gate_client_refused" 0 \
        at_least 1 gate_client_refused 0 1 2
    check "client key: a wrong key gets no answer: cannot reach the cluster (exit 6)" 6 \
        "$fabric" exec "$name" "$PARNIK" -s "$S" -p 2 -t 100 -k "$keys/wrong.key" get ck
    cp /tmp/$name.out /tmp/$name.said
    check "client key: ... the pre-flight names a key the replicas do not hold" 0 \
        grep -q "does not hold this client key" /tmp/$name.said
    check "client key: counted as gate_bad_tag" 0 at_least 1 gate_bad_tag 0 1 2
    check "client key: parnik-bench without it names the reason (exit 6)" 6 \
        "$fabric" exec "$name" "$bench" -s "$S" -p 2 --seconds 1 --threads 1
    cp /tmp/$name.out /tmp/$name.said
    check "client key: ... 'requires the cluster's client key'" 0 \
        grep -q "requires the cluster's client key" /tmp/$name.said
    check "client key: a checked parnik-bench run with --key is linearizable" 0 \
        "$fabric" exec "$name" "$bench" -s "$S" -p 2 --key "$keys/client.key" --seconds 2 \
        --threads 2 --depth 4 --keys 50 --check
    "$fabric" down "$name" >/dev/null 2>&1
    rm -rf "$keys" /tmp/$name.said
}

run_attacks keyed
run_attacks insecure
client_key
summary
