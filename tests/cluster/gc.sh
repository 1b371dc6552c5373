#!/usr/bin/env bash
# Deletion GC on real replicas (3 replicas, 2 partitions on one worker lcore
# each): 10,000 keys written, then deleted while a checked load runs on
# other keys; the GC sweeps remove them from every replica's tables, with no
# failed or non-linearizable operation, and each replica's arena shrinks by
# at least 1 MB (10,000 records hold about 2.5 MB; the replicas hold at
# most 8192 session answers per partition, not the default 65,536, so
# that those, which clients acknowledge as they go, stay small beside
# them). Deleted keys read
# as absent, and a key written again after its GC continues above its old
# version. `gc hold` stops the sweeps until `gc release` or its lease ends;
# a spare grown in by parnikctl first takes the members' GC floors (the highest,
# partition by partition) and then reads the deleted keys as absent.
# Skips (77) without root or parnikd.
set -u
. "$(dirname "$0")/common.sh" "${1:-}" gc$$
export PARNIKCTL=$build/ctrl/parnikctl
PARNIKD_OPTS="--session-records 8192" "$fabric" up "$name" --replicas 3 --spares 1 --partitions 2 --workers 1 >/dev/null || exit 1
S=$("$fabric" servers "$name")
SOCKS=$("$fabric" sockets "$name")
ctl() { "$fabric" ctl "$name" "$@"; }
cli() { "$fabric" exec "$name" "$PARNIK" -s "$S" -p 2 "$@"; }
stat_of() {  # stat_of NODE NAME: a counter of the replica's total
    ctl "$1" stats | grep -o "\"$2\":[0-9]*" | head -1 | cut -d: -f2
}
bench_clean() {  # the bench output in $1 shows no failed operation
    grep -q "^errors: 0, busy (shed, not applied): 0, timeouts (no reply at all): 0$" "$1"
}

"$fabric" exec "$name" "$bench" -s "$S" -p 2 --threads 2 --depth 8 --keys 10000 \
    --mix put=1 --sequential --prefix doomed >/tmp/$name.fill 2>&1
check "10,000 keys written" 0 bench_clean /tmp/$name.fill
cli put doomed-77 before >/dev/null
old_version=$(cli get doomed-77 2>&1 >/dev/null | grep -o '[0-9]*' | tail -1)
declare -a keys_before bytes_before
for n in 0 1 2; do
    keys_before[$n]=$(stat_of $n keys)
    bytes_before[$n]=$(stat_of $n arena_bytes)
done
check "every replica holds them (keys >= 9,900: a quorum suffices)" 0 \
    bash -c "[ ${keys_before[0]} -ge 9900 ] && [ ${keys_before[1]} -ge 9900 ] && [ ${keys_before[2]} -ge 9900 ]"

# A checked load on other keys runs through the deletion and the sweeps.
"$fabric" exec "$name" "$bench" -s "$S" -p 2 --threads 2 --depth 4 --keys 300 \
    --seconds 12 --check >/tmp/$name.load 2>&1 &
loadpid=$!
sleep 1
"$fabric" exec "$name" "$bench" -s "$S" -p 2 --threads 2 --depth 8 --keys 10000 \
    --mix del=1 --sequential --prefix doomed >/tmp/$name.del 2>&1
check "10,000 keys deleted" 0 bench_clean /tmp/$name.del

gone() {  # every replica dropped the 10,000 records and holds no tombstone
    local n
    for n in 0 1 2; do
        [ "$(stat_of $n tombstones)" -eq 0 ] || return 1
        # (the load's 300 keys came meanwhile)
        [ "$(stat_of $n keys)" -le $((keys_before[n] - 9600)) ] || return 1
    done
}
waited=0
until gone || [ $waited -ge 30 ]; do sleep 1; waited=$((waited + 1)); done
for n in 0 1 2; do
    echo "     node $n: keys ${keys_before[$n]} -> $(stat_of $n keys)," \
        "arena ${bytes_before[$n]} -> $(stat_of $n arena_bytes) bytes," \
        "removed $(stat_of $n acc_removed), GC rounds $(stat_of $n gc_rounds)"
done
check "the GC removed them from every replica's tables (${waited}s)" 0 gone
shrank() {  # every replica's arena is at least 1 MB smaller than when full
    local n
    for n in 0 1 2; do
        [ "$(stat_of $n arena_bytes)" -le $((bytes_before[n] - 1000000)) ] || return 1
    done
}
check "every replica's memory (jemalloc arena) shrank by 1 MB or more" 0 shrank
wait "$loadpid"
check "the load ran linearizable, without a failed op" 0 bash -c \
    "grep -q '^linearizable: yes' /tmp/$name.load && grep -q '^errors: 0, busy (shed, not applied): 0, timeouts (no reply at all): 0$' /tmp/$name.load"

check "a deleted key reads as absent (exit 1)" 1 cli get doomed-4242
cli put doomed-77 after >/dev/null
new_version=$(cli get doomed-77 2>&1 >/dev/null | grep -o '[0-9]*' | tail -1)
check "written again, its version continues above the old one ($old_version -> $new_version)" 0 \
    bash -c "[ ${new_version:-0} -gt ${old_version:-0} ]"
check "gc hold" 0 bash -c "\"$fabric\" ctl $name 0 gc hold | grep -q '\"held\":true'"
check "a sweep is refused while held" 0 bash -c \
    "\"$fabric\" ctl $name 0 gc | grep -q 'held'"
check "gc release" 0 bash -c "\"$fabric\" ctl $name 0 gc release | grep -q '\"held\":false'"
lease_ends() {  # a hold of 1 s refuses a sweep, then ends by itself
    ctl 0 gc hold 1 | grep -q '"held":true' && ctl 0 gc | grep -q 'held for' &&
        sleep 1.5 && ctl 0 gc | grep -q '"ok":true,"started":'
}
check "a GC hold ends by itself (gc hold 1)" 0 lease_ends

floors() {  # floors NODE: one line a partition, "COUNTER VERSION"
    ctl "$1" floors | grep -o '"ballot":"[0-9.]*","version":[0-9]*' |
        sed 's/"ballot":"\([0-9]*\)[0-9.]*","version":/\1 /'
}
covers() {  # node 3's floor is at least every member's, partition by partition
    local n
    for n in 0 1 2; do
        paste <(floors 3) <(floors "$n") |
            awk '$1 < $3 || $2 < $4 { bad = 1 } END { exit bad || NR != 2 }' || return 1
    done
}
floors 0 | sed 's/^/     node 0 floor (counter version): /'
no_zero_floor() { ! ctl 0 floors | grep -q '"ballot":"0\.0\.0\.0"'; }
check "the members' floors rose with the removals" 0 no_zero_floor
"$PARNIKCTL" -s "$SOCKS" --timeout 30 grow 3 --catchup >/tmp/$name.grow 2>&1
sed 's/^/     /' /tmp/$name.grow
check "parnikctl grow 3 copies the floors before node 3 votes" 0 \
    grep -q "GC floors of {0,1,2} copied into node 3" /tmp/$name.grow
floors 3 | sed 's/^/     node 3 floor (counter version): /'
check "node 3's floors cover every member's" 0 covers
N3=$(echo "$S" | cut -d, -f1 | sed "s/\.1:/.4:/")
check "a deleted key reads as absent through node 3 (exit 1)" 1 \
    "$fabric" exec "$name" "$PARNIK" -s "$N3" -p 2 get doomed-4243
summary
