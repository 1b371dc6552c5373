#!/usr/bin/env bash
# The nemesis suite: real replicas (3 + 2 spares, 2 partitions, started with
# --fault-injection) under a checked mixed load (GET/PUT/CAS/ADD/DEL over
# 50 keys, so keys conflict) while one kind of fault runs, then all kinds
# mixed:
#  - loss (30%), duplication, reordering, delay with jitter, on one
#    replica's link and on the client's link (parnikd's fault injection at
#    its ports, the same for af_packet and memif);
#  - partitions: one replica isolated, a one-way partition, the client cut
#    from a majority; each healed and applied again several times;
#  - SIGSTOP / SIGCONT of a replica (0.1 s to 2 s; 5 s with --long);
#  - kill -9, amnesiac restart and parnikctl readmit under load;
#  - grow 3 -> 4 -> 5, shrink back and replace while a replica's link loses
#    10% of its frames.
# Each run heals its fault, lets the load go on a few seconds, then reads
# every key through each replica (parnik-bench --final-reads). It passes
# when the whole history, final reads included, is linearizable, no
# acknowledged write is missing from a final read, every final read is
# answered (the cluster serves again), and every operator command worked.
# Prints a table: fault, ops, ok, failed, unknown, linearizable, lost, and
# the keys whose final value the lost-write count judged (the checker
# judges the rest).
#
#   tests/cluster/faults.sh [BUILD_DIR] [--long] [--memif]
#     --long   runs of 40 s instead of 15, pauses up to 5 s, more rounds
#     --memif  replicas linked by memif (faults still injected at the ports)
#     --only NEMESIS   one kind alone (link_loss, isolate, pause_resume, ...)
# Skips (77) without root or parnikd.
set -u
build_arg=
long=0
memif=
only=
while [ $# -gt 0 ]; do
    case $1 in
        --long) long=1 ;;
        --memif) memif=--memif ;;
        --only) only=$2; shift ;;
        *) build_arg=$1 ;;
    esac
    shift
done
. "$(dirname "$0")/common.sh" "$build_arg" cf$$
export PARNIKCTL=$build/ctrl/parnikctl
PARNIKD_OPTS="--fault-injection" "$fabric" up "$name" --replicas 3 --spares 2 --partitions 2 \
    --workers 1 $memif >/dev/null || exit 1
S=$("$fabric" servers "$name")
SOCKS=$("$fabric" sockets "$name")
ctl() { "$fabric" ctl "$name" "$@"; }
cluster() { "$PARNIKCTL" -s "$SOCKS" --timeout 60 "$@"; }

# 50 keys: the 8 requests in flight still meet on keys, and each key's
# history stays short enough for the checker to decide (with 20, one key
# of 15,000 ops with unknown outcomes ran out of its search budget).
keys=50
# horizon: how long after it was sent a write of unknown outcome may still
# land (for the lost-write count): a second of client sends, the longest
# pause (a copy waits in the paused replica's ring), a second of op
# deadline, and a margin.
if [ $long -eq 1 ]; then
    seconds=40 calm=12 rounds=6 pauses="0.1 0.5 1 2 5" horizon=8
else
    seconds=15 calm=8 rounds=3 pauses="0.1 0.5 1 2" horizon=5
fi
nemesis_ok=1     # cleared by a fault step that failed (a command refused)
table=/tmp/$name.table
: >"$table"

fault() {  # fault NODE SPEC...: set (or "clear") the rule of replica NODE
    ctl "$1" fault "${@:2}" >/dev/null || { echo "     fault $* refused"; nemesis_ok=0; }
}
heal() {
    local i
    for i in 0 1 2 3 4; do ctl "$i" fault clear >/dev/null 2>&1; done
}
# cycles ON OFF SETUP...: apply a fault, hold it ON s, heal, wait OFF s, as
# many times as fit in the fault window (the load's first seconds).
cycles() {
    local on=$1 off=$2 end=$((SECONDS + seconds - calm - 1))
    shift 2
    while [ $SECONDS -lt "$end" ]; do
        "$@"
        sleep "$on"
        heal
        sleep "$off"
    done
}

# --- the faults (each runs in the background while the load runs) ---
# client_link NODES SPEC...: the rule on the client side of each replica
# of NODES (a comma list).
client_link() {
    local nodes=$1 i
    shift
    for i in ${nodes//,/ }; do fault "$i" to=clients "$@"; done
}
link_loss() { cycles 3 1 fault 1 loss=30; }
client_loss() { cycles 3 1 client_link 0,1,2 loss=30; }
link_dup() { cycles 3 1 fault 1 dup=30; }
client_dup() { cycles 3 1 client_link 0,1,2 dup=30; }
link_reorder() { cycles 3 1 fault 1 jitter=3; }
link_delay() { cycles 3 1 fault 1 delay=5 jitter=5; }
client_delay() { cycles 3 1 client_link 0,1,2 delay=5 jitter=5; }
isolate() { cycles 2 1 fault 2 loss=100; }
one_way() { cycles 2 1 fault 2 dir=in to=peers loss=100; }
client_minority() { cycles 2 1 client_link 1,2 loss=100; }
pause_resume() {
    local p
    for p in $pauses; do
        "$fabric" pause "$name" 1
        sleep "$p"
        "$fabric" resume "$name" 1
        sleep 0.5
    done
}
kill_readmit() {
    sleep 1
    "$fabric" kill "$name" 2
    sleep 1
    "$fabric" restart "$name" 2
    sleep 2
    cluster readmit 2 >/tmp/$name.readmit 2>&1 || { echo "     readmit 2 failed:";
        tail -3 /tmp/$name.readmit; nemesis_ok=0; }
}
membership() {
    local step
    fault 1 loss=10
    # Node 3 leaves with keys; it is wiped (restarted) before it replaces 2.
    for step in "grow 3" "grow 4" "shrink 4" "shrink 3" "wipe 3" "replace 2 3"; do
        if [ "$step" = "wipe 3" ]; then
            "$fabric" kill "$name" 3
            sleep 0.5
            "$fabric" restart "$name" 3
            sleep 2
            continue
        fi
        # shellcheck disable=SC2086
        cluster $step >/tmp/$name.member 2>&1 || { echo "     $step failed:";
            tail -3 /tmp/$name.member; nemesis_ok=0; break; }
    done
    heal
}
mixed() {
    local kinds=(link_loss_once client_dup_once link_reorder_once isolate_once pause_once
                 client_minority_once link_delay_once)
    local end=$((SECONDS + seconds - calm - 1)) k
    while [ $SECONDS -lt "$end" ]; do
        k=${kinds[RANDOM % ${#kinds[@]}]}
        echo "$k" >>/tmp/$name.mixed
        "$k"
    done
}
link_loss_once() { fault 1 loss=30; sleep 1; heal; }
client_dup_once() { client_link 0,2 dup=30; sleep 1; heal; }
link_reorder_once() { fault 0 jitter=3; sleep 1; heal; }
isolate_once() { fault $((RANDOM % 3)) loss=100; sleep 1; heal; }
pause_once() { local i=$((RANDOM % 3)); "$fabric" pause "$name" $i; sleep 0.7;
               "$fabric" resume "$name" $i; }
client_minority_once() { client_link 0,1 loss=100; sleep 1; heal; }
link_delay_once() { fault 2 delay=5 jitter=5; sleep 1; heal; }

# The nemesis runs in a background subshell, which cannot clear the
# caller's nemesis_ok: it exits 1 instead, read through wait.
guard() { nemesis_ok=1; "$@"; [ "$nemesis_ok" -eq 1 ]; }

# run LABEL NEMESIS [LOAD_SECONDS]: the checked load with the nemesis
# beside it; one row of the table and one check.
run() {
    local label=$1 nemesis=$2 secs=${3:-$seconds} out=/tmp/$name.run rc=0 nem
    [ -z "$only" ] || [ "$only" = "$nemesis" ] || return 0
    nemesis_ok=1
    "$fabric" exec "$name" "$bench" -s "$S" -p 2 --threads 2 --depth 4 --keys "$keys" \
        --seconds "$secs" --mix get=30,put=20,cas=20,add=20,del=10 --final-reads \
        --unknown-horizon "$horizon" \
        --prefix "$nemesis-$$" >"$out" 2>&1 &
    local load=$!
    sleep 1
    guard "$nemesis" &
    nem=$!
    wait "$nem" || nemesis_ok=0
    heal
    wait "$load" || rc=$?
    local ops ok failed unknown lin lost unread decided
    ops=$(sed -n 's/^summary: \([0-9]*\) ops.*/\1/p' "$out")
    ok=$(sed -n 's/^results: OK \([0-9]*\).*/\1/p' "$out")
    # Failed: refused for certain (not applied), outcomes known or unknown apart.
    failed=$(sed -n 's/^results: //p' "$out" | awk '{ for (i = 1; i < NF; i += 2)
        if ($i !~ /^(OK|NOT_FOUND|CAS_MISMATCH|NOT_INTEGER|OVERFLOW|UNKNOWN_OUTCOME|SESSION_EXPIRED)$/)
            n += $(i + 1) } END { print n + 0 }')
    unknown=$(sed -n 's/^unknown outcome: \([0-9]*\) of.*/\1/p' "$out")
    lin=$(sed -n 's/^linearizable: \(.*\)/\1/p' "$out")
    lost=$(sed -n 's/^lost writes: \([0-9]*\).*/\1/p' "$out")
    unread=$(sed -n 's/^final reads: .* answered, \([0-9]*\) unanswered.*/\1/p' "$out")
    # The lost-write count judged some keys (not all left to the checker).
    decided=$(sed -n 's/^final reads: .*, \([0-9]*\) with a certain last write$/\1/p' "$out")
    printf '%-40s %7s %7s %7s %7s %9s %5s %6s\n' "$label" "${ops:-?}" "${ok:-?}" \
        "${failed:-?}" "${unknown:-?}" "${lin:-?}" "${lost:-?}" "${decided:-?}/$keys" >>"$table"
    if [ "$rc" -ne 0 ] || [ "$lin" != yes ] || [ "${lost:-x}" != 0 ] || [ "${unread:-x}" != 0 ] ||
       [ "${ok:-0}" -eq 0 ] || [ "${decided:-0}" -eq 0 ] || [ "$nemesis_ok" -ne 1 ]; then
        echo "     bench exit $rc; last lines:"
        tail -6 "$out" | sed 's/^/     /'
        result "$label: linearizable, no lost write, served after the heal" 1
    else
        result "$label: linearizable, no lost write, served after the heal" 0
    fi
}


run "replica 1 link: 30% loss" "link_loss"
run "client link: 30% loss" "client_loss"
run "replica 1 link: 30% duplication" "link_dup"
run "client link: 30% duplication" "client_dup"
run "replica 1 link: reorder (0-3 ms)" "link_reorder"
run "replica 1 link: delay 5-10 ms" "link_delay"
run "client link: delay 5-10 ms" "client_delay"
run "replica 2 isolated (both ways)" "isolate"
run "replica 2 hears no peer (one way)" "one_way"
run "client cut from replicas 1, 2" "client_minority"
run "replica 1 paused ($(echo $pauses | tr ' ' ','); s)" "pause_resume"
run "replica 2 kill -9, restart, readmit" "kill_readmit"
[ $long -eq 1 ] && for r in $(seq 2 "$rounds"); do
    run "mixed faults (round $r)" "mixed"
done
run "mixed faults" "mixed"
run "grow 3->4->5, shrink, replace; 10% loss" "membership" $((seconds + 20))

echo
printf '%-40s %7s %7s %7s %7s %9s %5s %6s\n' fault ops ok failed unknown linear. lost judged
cat "$table"
[ -s /tmp/$name.mixed ] && echo "mixed faults ran: $(sort /tmp/$name.mixed | uniq -c | tr -s ' ' | tr '\n' ',')"
rm -f /tmp/$name.mixed
summary
