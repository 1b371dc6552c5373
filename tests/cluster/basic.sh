#!/usr/bin/env bash
# The cluster suite: 3 parnikd replicas on the netns fabric (af_packet),
# real clients. Every operation through the CLI; load from several threads
# with the history checked; kill -9 of a replica under load; malformed
# datagrams counted and ignored while serving continues; oversized values
# refused. Skips (77) without root or without parnikd.
set -u
. "$(dirname "$0")/common.sh" "${1:-}" ct$$
"$fabric" up "$name" --replicas 3 --partitions 2 || exit 1
S=$("$fabric" servers "$name")
cli() { "$fabric" exec "$name" "$PARNIK" -s "$S" -p 2 "$@"; }

check "get of a missing key is NOT_FOUND" 1 cli get missing
check "put" 0 cli put k hello
check "get returns the value" 0 bash -c "[ \"\$(\"$fabric\" exec $name $PARNIK -s $S -p 2 get k 2>/dev/null)\" = hello ]"
check "cas at a stale version is a mismatch" 3 cli cas k x --if-version 9
check "cas at the version" 0 cli cas k bye --if-version 1
check "add to a number" 0 cli add n 41
check "add to text is refused" 5 cli add k 1
check "del" 0 cli del k
check "get after del is NOT_FOUND" 1 cli get k
check "oversized value is TOO_LARGE" 5 cli put big "$(head -c 1100 /dev/zero | tr '\0' v)"

check "load from 3 threads over all replicas is linearizable" 0 \
    "$fabric" exec "$name" "$bench" -s "$S" -p 2 --threads 3 --depth 4 --keys 200 --seconds 4 --check

# Malformed datagrams at every replica and partition, during load.
junk() {
    "$fabric" exec "$name" python3 - "$S" <<'PY'
import os, random, socket, struct, sys
random.seed(7)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
good = struct.pack('<IBBHIHH', 0x4b4e5250, 1, 0, 1, 1, 2, 0)
for server in sys.argv[1].split(','):
    host, port = server.split(':')
    for part in range(2):
        dest = (host, int(port) + part)
        for i in range(300):
            kind = i % 5
            if kind == 0:
                data = os.urandom(random.randint(1, 200))
            elif kind == 1:
                data = good[:random.randint(1, 15)]          # truncated header
            elif kind == 2:
                data = good + b'\x01\x00\xff\x7f' + b'x' * 10  # lying length
            elif kind == 3:
                data = struct.pack('<IBBHIHH', 0x4b4e5250, 1, 0, 1, 99, 2, part) + b'\x01\x00\x00\x00'
            else:
                data = struct.pack('<IBBHIHH', 0x4b4e5250, 9, 0, 1, 1, 2, part)
            s.sendto(data, dest)
PY
}
"$fabric" exec "$name" "$bench" -s "$S" -p 2 --threads 2 --depth 4 --keys 200 --seconds 4 --check \
    >/tmp/$name.junkload 2>&1 &
loadpid=$!
sleep 1
junk
wait $loadpid && grep -q '^linearizable: yes$' /tmp/$name.junkload
check "malformed datagrams are ignored while serving continues" 0 test $? -eq 0

# kill -9 of one replica under load: the others keep serving, history holds.
"$fabric" exec "$name" "$bench" -s "$S" -p 2 --threads 2 --depth 4 --keys 200 --seconds 6 --check \
    >/tmp/$name.killload 2>&1 &
loadpid=$!
sleep 2
"$fabric" kill "$name" 2
wait $loadpid
check "kill -9 of a replica under load: linearizable" 0 grep -q '^linearizable: yes$' /tmp/$name.killload
check "...and the cluster kept serving after the kill" 0 \
    awk '$1 >= 4 && $1 <= 6 && $2 > 100 { ok = 1 } END { exit !ok }' /tmp/$name.killload
check "writes still succeed with one replica dead" 0 cli put after-kill yes

# Counters: the replicas counted the junk (written on shutdown).
"$fabric" down "$name"
trap - EXIT
dir=${PARNIK_FABRIC_DIR:-/tmp/parnik-fabric}/$name
check "no namespace left behind" 0 bash -c "! ip netns list | grep -q '^pk'$(printf '%s' "$name" | cksum | awk '{print $1 % 249 + 2}')'-'"
check "no parnikd left behind" 0 bash -c "! pgrep -f 'file-prefi[x] pk[0-9]*-r' >/dev/null"
check "replicas counted the malformed datagrams" 0 \
    awk '$1 == "decode_errors" && $2 > 0 { n++ } END { exit n < 2 }' "$dir"/r0.stats "$dir"/r1.stats
rm -rf /tmp/$name.out /tmp/$name.junkload /tmp/$name.killload 
summary && rm -rf "$dir"
