#!/usr/bin/env bash
# Live membership change on real replicas (3 + 2 spares, 2 partitions on
# one worker lcore each), every step under a checked load:
#  - grow 3 -> 4 -> 5, shrink 5 -> 4 -> 3 with parnikctl: no failed
#    operation, the history linearizable, the new acceptors hold every key
#    after their rescan, cold keys written before read back unchanged;
#  - a removed replica still holding keys is refused until wiped (restart);
#  - replace a replica killed with kill -9 by a wiped spare, the spare
#    filled by catch-up (accepted states copied) instead of a rescan;
#  - readmit a restarted (amnesiac) replica still in the lists: it answers
#    UNAVAILABLE and does not vote until parnikctl brings it back;
#  - re-running a finished change is a no-op; --dry-run prints the plan
#    and changes nothing; a refusal says why.
# Skips (77) without root or parnikd.
set -u
. "$(dirname "$0")/common.sh" "${1:-}" cm$$
export PARNIKCTL=$build/ctrl/parnikctl
"$fabric" up "$name" --replicas 3 --spares 2 --partitions 2 --workers 1 >/dev/null || exit 1
S=$("$fabric" servers "$name")
SOCKS=$("$fabric" sockets "$name")
ctl() { "$fabric" ctl "$name" "$@"; }
cluster() { "$PARNIKCTL" -s "$SOCKS" --timeout 30 "$@"; }
cli() { "$fabric" exec "$name" "$PARNIK" -s "$1" -p 2 "${@:2}"; }
accepted_keys() { ctl "$1" stats | grep -o '"keys_accepted":[0-9]*' | head -1 | cut -d: -f2; }
lists_are() {  # lists_are PREPARE ACCEPT (comma lists)
    ctl 0 lists | grep -q "\"prepare\":{\"members\":\[$1\],.*\"accept\":{\"members\":\[$2\],"
}
addr() { echo "$S" | cut -d, -f1 | sed "s/\.1:/.$(($1 + 1)):/"; }

# Cold keys with known values, written once before any change, plus bulk.
for k in $(seq 1 30); do cli "$S" put "mk-$k" "val-$k" >/dev/null; done
"$fabric" exec "$name" "$bench" -s "$S" -p 2 --threads 2 --depth 8 --keys 5000 --ops 6000 \
    --mix put=1 --prefix bulk >/dev/null
cold_intact() {  # every cold key reads back its value through replica $1
    local k
    for k in $(seq 1 30); do
        [ "$(cli "$(addr "$1")" get "mk-$k" 2>/dev/null)" = "val-$k" ] || return 1
    done
}

load() {  # load SERVERS SECONDS: a checked load in the background
    "$fabric" exec "$name" "$bench" -s "$1" -p 2 --threads 2 --depth 4 --keys 300 \
        --seconds "$2" --check >/tmp/$name.load 2>&1 &
    loadpid=$!
}
load_clean() {  # the load finished linearizable, without a failed op
    wait "$loadpid" && grep -q "^linearizable: yes" /tmp/$name.load &&
        grep -q "^errors: 0, busy (shed, not applied): 0, timeouts (no reply at all): 0$" /tmp/$name.load
}

# 3 -> 4 -> 5 -> 4 -> 3 under load.
load "$S" 25
sleep 1
# The rescan rewrote every key node 0 held before the grow to the new
# accept list, node 3 included. Each rewrite needs only an accept quorum of
# the four, so an ACCEPT to node 3 lost on the busy veths is no fault: 99%.
dry_run() {  # the plan is printed, step by step, and nothing changes
    cluster grow 3 --dry-run >/tmp/$name.plan 2>&1 &&
        grep -q "install prepare {0,1,2}/2 accept {0,1,2,3}/3" /tmp/$name.plan &&
        grep -q "rescan 0" /tmp/$name.plan && lists_are 0,1,2 0,1,2
}
check "grow 3 --dry-run prints the plan and changes nothing" 0 dry_run
before=$(accepted_keys 0)
check "grow 3 (accept list, rescan, prepare list)" 0 cluster grow 3
check "after its rescan node 3 holds the keys node 0 held before it (99% of $before)" 0 \
    bash -c "[ $(accepted_keys 3) -ge $((before * 99 / 100)) ]"
check "grow 4 (both lists at once)" 0 cluster grow 4
check "lists are {0..4}" 0 lists_are 0,1,2,3,4 0,1,2,3,4
check "shrink 4 (both lists, then the rescan 5 -> 4 needs)" 0 cluster shrink 4
check "shrink 3 (prepare list, rescan, accept list)" 0 cluster shrink 3
check "lists are {0,1,2} again" 0 lists_are 0,1,2 0,1,2
check "re-running shrink 3 changes nothing" 0 cluster shrink 3
check "grow/shrink under load: linearizable, no failed operation" 0 load_clean
check "cold keys read back unchanged through replica 2" 0 cold_intact 2
check "node 3 kept its keys: growing it back is refused until it is wiped" 1 cluster grow 3
check "... and parnikctl says why" 0 bash -c \
    "'$PARNIKCTL' -s '$SOCKS' grow 3 | grep -q 'refused: node 3 holds [0-9]* keys from an earlier membership'"

# kill -9 a member; replace it with spare 3, wiped by a restart.
load "$(addr 0),$(addr 1)" 20
sleep 1
"$fabric" kill "$name" 2
"$fabric" kill "$name" 3
sleep 0.5
"$fabric" restart "$name" 3
sleep 2
check "a restarted replica answers UNAVAILABLE (exit 6)" 6 cli "$(addr 3)" get mk-1
check "and does not vote" 0 bash -c "\"$fabric\" ctl $name 3 status | grep -q '\"voting\":false'"
check "replace 2 3 --catchup (2 killed; 3 wiped, re-admitted, caught up)" 0 \
    cluster replace 2 3 --catchup
check "the catch-up copied states into node 3" 0 bash -c \
    "\"$fabric\" ctl $name 3 stats | grep -q '\"acc_installed\":[1-9]'"
check "lists are {0,1,3}" 0 lists_are 0,1,3 0,1,3
check "replace under load: linearizable, no failed operation" 0 load_clean
check "cold keys read back unchanged through replica 3" 0 cold_intact 3

# A member restarts in place: amnesiac while still listed; readmit.
load "$(addr 0),$(addr 3)" 20
sleep 1
"$fabric" kill "$name" 1
sleep 0.5
"$fabric" restart "$name" 1
sleep 2
check "readmit 1 (shrink it out, admit, grow it back)" 0 cluster readmit 1
check "lists are {0,1,3} again" 0 lists_are 0,1,3 0,1,3
check "node 1 votes again" 0 bash -c "\"$fabric\" ctl $name 1 status | grep -q '\"voting\":true'"
check "readmit under load: linearizable, no failed operation" 0 load_clean
check "cold keys read back unchanged through replica 1" 0 cold_intact 1
# Through every change, no honest message was refused by the gate (bad
# tag, unsealed, spoofed, mixed), the ballot bounds or the epoch window.
honest_refusals() {
    local n c total=0
    for n in 0 1 3 4; do
        for c in gate_bad_tag gate_unsealed gate_spoofed gate_mixed gate_no_key \
                 peer_bounds_refused acc_epoch_refused; do
            total=$((total + $(ctl "$n" stats | grep -o "\"$c\":[0-9]*" | head -1 | cut -d: -f2)))
        done
    done
    echo "$total"
}
check "no honest message refused by the gate, the bounds or the epoch window" 0 \
    test "$(honest_refusals)" -eq 0
summary
