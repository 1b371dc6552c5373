#!/usr/bin/env bash
# The control socket of real replicas: parnikctl status / lists / keys
# answer on each replica; key pages cover every key written; abuse of the
# socket (binary junk, a 100 KB line, more connections than allowed, idle
# ones) during a checked load leaves the data plane linearizable and the
# socket answering; "shutdown" stops a replica cleanly. The same counters
# and config through DPDK telemetry (dpdk-telemetry.py). Skips (77) without
# root or parnikd.
set -u
. "$(dirname "$0")/common.sh" "${1:-}" cc$$
export PARNIKCTL=$build/ctrl/parnikctl
"$fabric" up "$name" --replicas 3 --partitions 2 >/dev/null || exit 1
S=$("$fabric" servers "$name")
ctl() { "$fabric" ctl "$name" "$@"; }
dir=${PARNIK_FABRIC_DIR:-/tmp/parnik-fabric}/$name

for i in 0 1 2; do
    check "status on replica $i names it" 0 bash -c "\"$fabric\" ctl $name $i status | grep -q '\"node\":$i,'"
done
check "lists: 3 members, quorums of 2" 0 bash -c \
    "\"$fabric\" ctl $name 0 lists | grep -q '\"prepare\":{\"members\":\\[0,1,2\\],\"quorum\":2}'"
check "an unknown command is refused (exit 1)" 1 ctl 0 frobnicate
check "fault injection is refused without --fault-injection" 0 bash -c \
    "\"$fabric\" ctl $name 0 fault loss=100 | grep -q 'fault injection is off'"
check "telemetry /parnik/config lists the members" 0 bash -c \
    "\"$fabric\" telemetry $name 1 /parnik/config | grep -q '\"accept\": \[0, 1, 2\]'"

# Every key written shows up in the key pages of some partition.
for k in $(seq 1 40); do "$fabric" exec "$name" "$PARNIK" -s "$S" -p 2 put "ck-$k" v >/dev/null; done
rc=0
for p in 0 1; do
    from=0
    while [ "$from" -ge 0 ]; do
        page=$(ctl 0 keys $p $from 7) || { rc=1; break; }
        echo "$page" | grep -o '"ck-[0-9]*"' >>/tmp/$name.keys
        from=$(echo "$page" | sed 's/.*"next":\(-\{0,1\}[0-9]*\)}/\1/')
    done
done
[ "$(sort -u /tmp/$name.keys | wc -l)" -eq 40 ] || rc=1
result "key pages of both partitions list all 40 keys written" $rc

# Abuse during a checked load.
"$fabric" exec "$name" "$bench" -s "$S" -p 2 --threads 2 --depth 4 --keys 200 --seconds 4 --check \
    >/tmp/$name.load 2>&1 &
loadpid=$!
python3 - "$dir/r0.sock" <<'PY' >/tmp/$name.abuse 2>&1
import os, random, socket, sys, time
random.seed(5)
path = sys.argv[1]
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s
idle = [conn() for _ in range(40)]          # more than the server keeps
s = conn()
for _ in range(300):
    line = bytes(random.randrange(256) for _ in range(random.randrange(1, 80))).replace(b'\n', b'x')
    s.sendall(line + b'\n')
s.sendall(b'y' * 100000 + b'\n')
time.sleep(0.5)
for c in idle:
    c.close()
print('abuse sent')
PY
"$PARNIKCTL" -s "$dir/r0.sock,$dir/r1.sock,$dir/r2.sock" stats --watch --seconds 2 >/tmp/$name.watch 2>&1
wait $loadpid
check "stats --watch: a row per replica per second, with traffic" 0 \
    awk '$1 ~ /^[0-9]+$/ { rows++; if ($3 > 0) busy[$2] = 1 } END { exit !(rows == 6 && length(busy) == 3) }' /tmp/$name.watch
check "checked load during control-socket abuse is linearizable" 0 grep -q '^linearizable: yes$' /tmp/$name.load
check "the control socket still answers after the abuse" 0 ctl 0 ping
check "telemetry /parnik/stats counts the requests" 0 bash -c \
    "\"$fabric\" telemetry $name 0 /parnik/stats | python3 -c 'import json,sys; d=json.load(sys.stdin)[\"/parnik/stats\"]; sys.exit(0 if d[\"res_ok\"] > 100 else 1)'"
check "telemetry /parnik/lcores has one entry per worker" 0 bash -c \
    "\"$fabric\" telemetry $name 0 /parnik/lcores | python3 -c 'import json,sys; d=json.load(sys.stdin)[\"/parnik/lcores\"]; sys.exit(0 if len(d) == 2 else 1)'"

# Membership steps on live replicas, under a checked load: raise the accept
# quorum to 3 on every replica, then back to 2; each step passes its
# barrier and bumps the epoch; re-running one changes nothing; an edit
# whose quorums would not intersect is refused.
"$fabric" exec "$name" "$bench" -s "$S" -p 2 --threads 2 --depth 4 --keys 200 --seconds 4 --check \
    >/tmp/$name.mload 2>&1 &
loadpid=$!
sleep 0.5
rc=0
for q in 3 2; do
    for i in 0 1 2; do
        ctl $i add-accept 2 $q >/tmp/$name.step || rc=1
        grep -q "\"changed\":true" /tmp/$name.step || rc=1
        grep -q "\"accept\":{\"members\":\[0,1,2\],\"quorum\":$q}" /tmp/$name.step || rc=1
    done
    sleep 1
done
wait $loadpid
result "accept quorum 2 -> 3 -> 2 on every replica, barriers passed" $rc
check "...under load, linearizable" 0 grep -q '^linearizable: yes$' /tmp/$name.mload
check "the epoch moved twice per replica" 0 bash -c "\"$fabric\" ctl $name 1 lists | grep -q '\"epoch\":3,'"
check "re-running a step changes nothing" 0 bash -c "\"$fabric\" ctl $name 1 add-accept 2 2 | grep -q '\"changed\":false'"
check "a step whose quorums would not intersect is refused" 1 ctl 1 rm-prepare 2 1
check "a step on a non-member is refused" 1 ctl 1 add-accept 7 2

# shutdown through the socket: the replica exits 0 and writes its counters.
pid=$(cat "$dir/r2.pid")
ctl 2 shutdown >/dev/null
rc=1
for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || { rc=0; break; }
    sleep 0.1
done
[ -s "$dir/r2.stats" ] && [ ! -e "$dir/r2.sock" ] || rc=1
result "shutdown stops the replica cleanly (counters written, socket removed)" $rc
rm -f /tmp/$name.keys /tmp/$name.load /tmp/$name.abuse /tmp/$name.out /tmp/$name.watch /tmp/$name.mload /tmp/$name.step
summary
