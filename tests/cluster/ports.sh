#!/usr/bin/env bash
# The cluster on the other port types: replicas linked pairwise by DPDK
# memif (their own traffic must take the memif ports, clients stay on
# af_packet), and replicas on net_tap with one worker lcore for two
# partitions. Each: every operation kind through the CLI, then a checked
# load that must be linearizable. Skips (77) without root or parnikd.
set -u
. "$(dirname "$0")/common.sh" "${1:-}" cp$$

# exercise LABEL: the CLI round and a checked load on the running fabric.
exercise() {
    local S rc=0
    S=$("$fabric" servers "$name")
    "$fabric" exec "$name" "$PARNIK" -s "$S" -p 2 put k v1 >/dev/null 2>&1 &&
        "$fabric" exec "$name" "$PARNIK" -s "$S" -p 2 cas k v2 --if-version 1 >/dev/null 2>&1 &&
        "$fabric" exec "$name" "$PARNIK" -s "$S" -p 2 add n 5 >/dev/null 2>&1 &&
        [ "$("$fabric" exec "$name" "$PARNIK" -s "$S" -p 2 get k 2>/dev/null)" = v2 ] &&
        "$fabric" exec "$name" "$PARNIK" -s "$S" -p 2 del k >/dev/null 2>&1 || rc=1
    result "$1: put, cas, add, get, del through the CLI" $rc
    rc=0
    "$fabric" exec "$name" "$bench" -s "$S" -p 2 --threads 3 --depth 4 --keys 200 \
        --seconds 3 --check >/tmp/$name.load 2>&1 || rc=1
    grep -q '^linearizable: yes$' /tmp/$name.load || rc=1
    [ $rc -eq 0 ] || tail -5 /tmp/$name.load
    result "$1: checked load is linearizable" $rc
}

dir=${PARNIK_FABRIC_DIR:-/tmp/parnik-fabric}/$name

"$fabric" up "$name" --replicas 3 --partitions 2 --memif >/dev/null || exit 1
exercise memif
"$fabric" down "$name"
# Replica-to-replica traffic went over memif: each replica's two memif
# ports carried frames both ways.
rc=0
for i in 0 1 2; do
    awk '/port [0-9]+ \(net_memif\)/ { if ($5 + 0 < 1000 || $7 + 0 < 1000) bad = 1; n++ }
         END { exit (n == 2 && !bad) ? 0 : 1 }' "$dir/r$i.stats" || rc=1
done
[ $rc -eq 0 ] || grep "port " "$dir"/r*.stats
result "memif: every replica's two memif links carried its peer traffic" $rc

"$fabric" up "$name" --replicas 3 --partitions 2 --workers 1 --tap >/dev/null || exit 1
exercise "tap, 1 worker lcore for 2 partitions"
"$fabric" down "$name"
rc=0
grep -q "port 0 (net_tap)" "$dir/r0.stats" || rc=1
result "tap: replicas served on net_tap" $rc

summary
