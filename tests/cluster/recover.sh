#!/usr/bin/env bash
# Losing a majority, and the way back when the operator accepts the loss:
#  - with 2 of 3 replicas killed (-9) the survivor answers nothing (no
#    quorum), and `parnikctl recover-from` is refused without
#    --i-accept-data-loss and while a majority still votes;
#  - recover-from 0 --i-accept-data-loss makes replica 0 the only acceptor:
#    every key written through it before the loss reads back;
#  - the lost replicas, restarted empty, are grown back in (grow 1, grow 2)
#    under a checked load; then replica 0 is killed and the keys still read
#    back through the others, and a checked load passes.
# Skips (77) without root or parnikd.
set -u
. "$(dirname "$0")/common.sh" "${1:-}" cr$$
export PARNIKCTL=$build/ctrl/parnikctl
"$fabric" up "$name" --replicas 3 --partitions 2 --workers 1 >/dev/null || exit 1
S=$("$fabric" servers "$name")
SOCKS=$("$fabric" sockets "$name")
cluster() { "$PARNIKCTL" -s "$SOCKS" --timeout 60 "$@"; }
addr() { echo "$S" | cut -d, -f1 | sed "s/\.1:/.$(($1 + 1)):/"; }
cli() { "$fabric" exec "$name" "$PARNIK" -s "$1" -p 2 --timeout 300 "${@:2}"; }
# Known keys, written through replica 0 (its own acceptor takes every
# accept it proposes, so it holds them all), and bulk through all three.
for k in $(seq 1 40); do cli "$(addr 0)" put "rk-$k" "val-$k" >/dev/null; done
"$fabric" exec "$name" "$bench" -s "$S" -p 2 --threads 2 --depth 8 --keys 3000 --ops 1500 \
    --mix put=1 --prefix bulk >/dev/null
known_intact() {  # every known key reads back through replica $1
    local k
    for k in $(seq 1 40); do
        [ "$(cli "$(addr "$1")" get "rk-$k" 2>/dev/null)" = "val-$k" ] || return 1
    done
}

check "recover-from is refused while a majority votes" 1 cluster recover-from 0 --i-accept-data-loss
"$fabric" kill "$name" 1
"$fabric" kill "$name" 2
sleep 0.5
check "with 2 of 3 replicas gone the survivor answers no write" 0 \
    bash -c "! \"$fabric\" exec $name \"$PARNIK\" -s \"$(addr 0)\" -p 2 --timeout 300 put lost-1 x"
check "recover-from without --i-accept-data-loss is a usage error" 2 cluster recover-from 0
check "recover-from 0 --i-accept-data-loss" 0 cluster recover-from 0 --i-accept-data-loss
cp /tmp/$name.out /tmp/$name.recover
check "it said what is lost, loudly" 0 grep -q "RECOVERY WITH DATA LOSS" /tmp/$name.recover
check "replica 0 alone serves: every key written through it reads back" 0 known_intact 0
check "and takes writes" 0 cli "$(addr 0)" put after-recovery yes

# The lost replicas come back empty and are grown in, under a checked load.
"$fabric" restart "$name" 1
"$fabric" restart "$name" 2
sleep 2
"$fabric" exec "$name" "$bench" -s "$(addr 0)" -p 2 --threads 2 --depth 4 --keys 200 \
    --seconds 15 --check >/tmp/$name.load 2>&1 &
load=$!
sleep 1
check "grow 1 (restarted empty)" 0 cluster grow 1
check "grow 2 (restarted empty)" 0 cluster grow 2
check "the lists are {0,1,2} again" 0 bash -c \
    "\"$fabric\" ctl $name 1 lists | grep -q '\"accept\":{\"members\":\[0,1,2\]'"
wait "$load"
check "the growth under load is linearizable" 0 grep -q '^linearizable: yes' /tmp/$name.load
"$fabric" kill "$name" 0
sleep 0.5
check "with replica 0 gone the known keys read back through replica 1" 0 known_intact 1
check "a checked load through replicas 1 and 2 passes" 0 bash -c \
    "\"$fabric\" exec $name \"$bench\" -s \"$(addr 1),$(addr 2)\" -p 2 --threads 2 --depth 4 \
     --keys 200 --seconds 5 --check | grep -q '^linearizable: yes'"
summary
