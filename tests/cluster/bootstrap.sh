#!/usr/bin/env bash
# The --bootstrap safety rail on real replicas: a new cluster (every member
# started with --bootstrap at once) asks around, finds everyone empty and
# votes; a member killed with -9 and started again with its original
# --bootstrap command line finds the others holding keys and refuses to
# start (exit 2, saying why and what to do) instead of voting with empty
# memory; --force-bootstrap overrides; with the other members down it cannot
# tell, and refuses too. The cluster keeps serving until then.
# Skips (77) without root or parnikd.
set -u
. "$(dirname "$0")/common.sh" "${1:-}" boot$$
export PARNIKCTL=$build/ctrl/parnikctl
"$fabric" up "$name" --replicas 3 --partitions 2 --workers 1 >/dev/null || exit 1
S=$("$fabric" servers "$name")
dir=${PARNIK_FABRIC_DIR:-/tmp/parnik-fabric}/$name
cli() { "$fabric" exec "$name" "$PARNIK" -s "$S" -p 2 "$@"; }

# The replicas may serve a moment before their census line reaches the log.
voted=0
for try in $(seq 50); do
    voted=0
    for i in 0 1 2; do
        grep -q "bootstrap: .* none holds state: voting" "$dir/r$i.log" && voted=$((voted + 1))
    done
    [ $voted -eq 3 ] && break
    sleep 0.1
done
check "a new cluster: every member found the others empty and votes" 0 test $voted -eq 3
for i in $(seq 1 20); do cli put "k$i" "v$i" >/dev/null; done
check "20 keys written" 0 cli get k20

"$fabric" kill "$name" 1
sleep 0.3
# Replica 1's original command line, --bootstrap included.
start_again() {  # start_again EXTRA...: replica 1 in the foreground, its exit code
    eval "timeout 20 $(cat "$dir/r1.cmd") $*" >"$dir/r1.again.log" 2>&1
}
check "restarted with --bootstrap over a live cluster: refused, exit 2" 2 \
    start_again --bootstrap --lists 0,1,2
check "... saying which member holds state and to readmit instead" 0 \
    grep -q "refusing --bootstrap: member [02] already holds state ([0-9]* key(s).*readmit 1" "$dir/r1.again.log"
check "the cluster still serves what it held" 0 cli get k7

# --force-bootstrap: starts (and would vote); stopped again at once.
eval "exec $(cat "$dir/r1.cmd") --force-bootstrap --lists 0,1,2" >"$dir/r1.force.log" 2>&1 &
forced=$!
served=1
for _ in $(seq 100); do
    grep -q "serving" "$dir/r1.force.log" && { served=0; break; }
    kill -0 $forced 2>/dev/null || break
    sleep 0.1
done
check "--force-bootstrap starts without asking" 0 test $served -eq 0
kill -TERM $forced 2>/dev/null
wait $forced 2>/dev/null

# Nobody to ask (the other members down): it cannot tell, so it refuses.
"$fabric" kill "$name" 0
"$fabric" kill "$name" 2
sleep 0.3
check "with the other members silent: refused too, exit 2" 2 \
    start_again --bootstrap --lists 0,1,2 --bootstrap-wait 500
check "... saying they did not answer" 0 grep -q "did not answer" "$dir/r1.again.log"
summary
