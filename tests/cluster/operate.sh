#!/usr/bin/env bash
# What an operator sees and uses, on replicas that stand in for hosts of
# their own (bench/fabric.sh --mgmt: each replica namespace has a kernel
# management address; parnikctl runs in the client namespace, so it
# reaches the replicas only over TCP):
#  - logs: every line with a UTC time and a level; the start line with the
#    configuration; a member paused shows as silent, then heard again;
#    each epoch change on every replica; shutdown with the counters;
#  - metrics: the HTTP endpoint parsed by the reference Prometheus parser
#    (every counter, the latency histogram, peers, epoch), the same
#    families from parnikctl metrics; 404 and 405 for the rest;
#  - parnikctl health over TCP: healthy, then naming a dead replica;
#  - grow and replace through the TCP control ports, under a key; data
#    written before reads back after;
#  - attacks on the TCP control port: no key, a wrong key (logged with the
#    client's address), a plain command,
#    a replayed and a tampered sealed line, a flood of idle connections on
#    the metrics port: each refused, the replica unchanged and serving.
# Skips (77) without root or parnikd.
set -u
. "$(dirname "$0")/common.sh" "${1:-}" co$$
export PARNIKCTL=$build/ctrl/parnikctl
PY=/usr/bin/python3	# Debian's, with python3-prometheus-client
PARNIKD_OPTS="--peer-silent-ms 1500" "$fabric" up "$name" --replicas 3 --spares 2 --mgmt \
    >/dev/null || exit 1
dir=${PARNIK_FABRIC_DIR:-/tmp/parnik-fabric}/$name
S=$("$fabric" servers "$name")
URLS=$("$fabric" ctl-urls "$name")
KEY=$dir/control.key
url() { echo "$URLS" | cut -d, -f$(($1 + 1)); }
metrics_url() { "$fabric" metrics-urls "$name" | tr ' ' '\n' | sed -n "$(($1 + 1))p"; }
remote() { "$fabric" exec "$name" "$PARNIKCTL" --control-key "$KEY" "$@"; }
cli() { "$fabric" exec "$name" "$PARNIK" -s "$S" "$@"; }

# The checks below run pipelines in bash -c: they see these.
export fabric name PY PARNIKCTL PARNIK KEY S
export -f remote cli

for k in $(seq 1 20); do cli put "op-$k" "v-$k" >/dev/null; done

# ---- logs
stamp='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z (ERROR|WARNING|NOTICE|INFO|DEBUG) '
check "every log line has a UTC time and a level" 0 \
    bash -c "! grep -Evq '$stamp' '$dir/r0.log'"
check "the start line gives the configuration" 0 \
    grep -Eq "${stamp}parnikd: parnikd .* starting: node 0 at .*members 0=.*,4=.*control tcp://" "$dir/r0.log"
"$fabric" pause "$name" 2
sleep 3
"$fabric" resume "$name" 2
ok=1
for _ in $(seq 50); do
    grep -q "member 2: heard again after [0-9]* ms of silence" "$dir/r0.log" && { ok=0; break; }
    sleep 0.1
done
check "a paused member is logged silent" 0 grep -q "WARNING parnikd: member 2: silent for [0-9]* ms" "$dir/r0.log"
result "and heard again once it runs" $ok

# ---- metrics
scrape() {  # scrape URL: the body, or nothing
    "$fabric" exec "$name" "$PY" -c '
import sys, urllib.request, urllib.error
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode(), end="")
except urllib.error.HTTPError as e:
    print("HTTP", e.code)' "$1"
}
parse_metrics() {  # stdin: exposition; checks it with the reference parser
    "$PY" -c '
import sys
from prometheus_client.parser import text_string_to_metric_families
fams = {f.name: f for f in text_string_to_metric_families(sys.stdin.read())}
def one(sample):  # a sample by its own name (a family may hold several)
    for f in fams.values():
        for s in f.samples:
            if s.name == sample:
                return s.value
    raise SystemExit("no sample " + sample)
need = ["parnik_epoch", "parnik_voting", "parnik_rx_frames", "parnik_req_put", "parnik_keys",
        "parnik_request_duration_seconds", "parnik_peer_last_heard_seconds", "parnik_gate_refused",
        "parnik_list_member", "parnik_frames_dropped"]
missing = [n for n in need if n not in fams]
if missing:
    raise SystemExit("missing families: %s" % missing)
assert fams["parnik_request_duration_seconds"].type == "histogram"
assert fams["parnik_rx_frames"].type == "counter" and fams["parnik_keys"].type == "gauge"
b = [s for s in fams["parnik_request_duration_seconds"].samples if s.name.endswith("_bucket")]
assert all(x.value <= y.value for x, y in zip(b, b[1:])), "buckets not cumulative"
count = one("parnik_request_duration_seconds_count")
assert b[-1].labels["le"] == "+Inf" and b[-1].value == count and count > 0
assert one("parnik_req_put_total") >= 1 and one("parnik_epoch") >= 1
ages = [s for s in fams["parnik_peer_last_heard_seconds"].samples]
assert len(ages) == 4 and all(0 <= s.value < 5 for s in ages if s.labels["peer"] != "2"), ages
print(len(fams))'
}
export -f scrape parse_metrics
check "the metrics endpoint parses and holds every family" 0 \
    bash -c "scrape '$(metrics_url 0)' | parse_metrics"
check "parnikctl metrics over TCP gives the same families" 0 \
    bash -c "remote -s '$(url 1)' metrics | parse_metrics"
check "another path is 404" 0 bash -c "scrape '$(metrics_url 0 | sed 's|/metrics|/x|')' | grep -qx 'HTTP 404'"

# ---- health over TCP
check "health over the TCP control ports: healthy" 0 remote -s "$URLS" health
grep -q "cluster: healthy: 5 of 5" /tmp/$name.out || result "health says healthy" 1

# ---- attacks on the TCP control port (the replica must not change)
epoch_of() { "$fabric" ctl "$name" "$1" status | grep -o '"epoch":[0-9]*' | cut -d: -f2; }
e0=$(epoch_of 0)
check "without a key: refused before connecting" 6 \
    "$fabric" exec "$name" "$PARNIKCTL" -s "$(url 0)" status
grep -q "needs --control-key" /tmp/$name.out || result "and says why" 1
"$PARNIKCTL" keygen "$dir/wrong.key"
check "a wrong key: the replica closes" 6 \
    "$fabric" exec "$name" "$PARNIKCTL" -s "$(url 0)" --control-key "$dir/wrong.key" rm-accept 1 1
grep -q "does not hold this control key" /tmp/$name.out || result "and says why" 1
check "the replica logs who was refused" 0 \
    grep -Eq "WARNING parnikd: TCP control client $(echo "$S" | cut -d. -f1-3).100 refused: no line opens under the control key" "$dir/r0.log"
raw_tcp() {  # raw_tcp HOST PORT MODE: speak the protocol wrongly, print what came back
    "$fabric" exec "$name" "$PY" -c '
import socket, sys
host, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.create_connection((host, port), timeout=5)
f = s.makefile("rb")
hello = f.readline()
assert hello.startswith(b"parnik-control 1 "), hello
if mode == "plain":
    s.sendall(b"shutdown\n")           # a command in the clear as the greeting
elif mode == "nonce-then-plain":
    s.sendall(b"00" * 16 + b"\nshutdown\n")
got = f.read()                          # until the replica closes
print(repr(got))' "$1" "$2" "$3"
}
export -f raw_tcp
mhost=$(url 0 | sed 's|tcp://||; s|:.*||')
check "a plain command as the greeting: refused, closed" 0 \
    bash -c "raw_tcp $mhost 7800 plain | grep -q 'expected the client nonce'"
check "a plain command after the greeting: closed, no answer" 0 \
    bash -c "raw_tcp $mhost 7800 nonce-then-plain | grep -qx \"b''\""
# A proxy records a genuine session's sealed command, then replays it in a
# new connection, and flips one character of it in another.
proxy() {  # proxy UPSTREAM_HOST MODE: one connection on 127.0.0.1:7899
    "$fabric" exec "$name" "$PY" -c '
import socket, sys, threading
up_host, mode = sys.argv[1], sys.argv[2]
rec = "/tmp/'$name'.sealed"
if mode == "replay":                     # no client: the recorded lines, again
    u = socket.create_connection((up_host, 7800), timeout=8)
    f = u.makefile("rb")
    f.readline()                         # a fresh greeting, ignored
    u.sendall(open(rec, "rb").read())    # the old nonce and sealed line
    try:
        got = f.read()                   # the replica must close, not answer
    except socket.timeout:
        got = b"TIMEOUT: still open"
    open(rec + ".answer", "wb").write(got)
    sys.exit(0)
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 7899)); ls.listen(1)
print("ready", flush=True)
c, _ = ls.accept()
ls.close()
u = socket.create_connection((up_host, 7800), timeout=10)
def down():
    while True:
        d = u.recv(65536)
        if not d: break
        c.sendall(d)
    c.close()
t = threading.Thread(target=down)
t.start()
cf = c.makefile("rb")
nonce, line = cf.readline(), cf.readline()
if mode == "record":
    open(rec, "wb").write(nonce + line)
elif mode == "tamper":
    line = line[:5] + (b"B" if line[5:6] != b"B" else b"C") + line[6:]
u.sendall(nonce + line)
u.shutdown(socket.SHUT_WR)               # its answer must still come back
t.join(10)' "$@"
}
run_via_proxy() {  # run_via_proxy MODE CMD...: parnikctl through the proxy
    local mode=$1 pid rc=0
    shift
    proxy "$mhost" "$mode" >/tmp/$name.proxy 2>&1 &
    pid=$!
    for _ in $(seq 50); do grep -q ready /tmp/$name.proxy && break; sleep 0.1; done
    grep -q ready /tmp/$name.proxy || { echo "the proxy did not start"; wait $pid; return 99; }
    remote -s tcp://127.0.0.1:7899 "$@" || rc=$?
    wait $pid || { echo "the proxy failed"; return 98; }
    return $rc
}
control_counter() {  # control_counter NAME: a parnik_control_*_total of replica 0
    "$fabric" ctl "$name" 0 metrics | sed -n "s/^parnik_control_$1_total //p"
}
export -f proxy
check "through a recording proxy, a command works" 0 run_via_proxy record gc hold 30
refused_before=$(control_counter auth_failures)
check "the recorded sealed line replayed in a new connection: closed unanswered" 0 \
    bash -c "proxy $mhost replay && [ -f /tmp/$name.sealed.answer ] && [ ! -s /tmp/$name.sealed.answer ]"
sleep 0.3	# the exposition is rendered at most every 250 ms
check "... and counted as an authentication failure" 0 \
    test "$(control_counter auth_failures)" -gt "$refused_before"
check "a tampered sealed line: the replica closes" 6 run_via_proxy tamper status
grep -q "does not hold this control key" /tmp/$name.out || result "and parnikctl says so" 1
"$fabric" ctl "$name" 0 gc release >/dev/null
check "after every attack the replica runs the same epoch and serves" 0 \
    bash -c "[ '$(epoch_of 0)' = '$e0' ] && cli get op-1 | grep -qx v-1"

# A flood of idle connections on the metrics port from one host: it gets
# CTL_MAX_PER_SOURCE (4) of the slots, the others are refused; another host
# still scrapes, the control socket still answers; the server itself closes
# the idle ones after 10 s, while the flood still holds them open.
"$fabric" exec "$name" "$PY" -c '
import socket, sys, time
socks = [socket.create_connection((sys.argv[1], 9700)) for _ in range(24)]
time.sleep(13)
for s in socks: s.settimeout(0.5)
def closed(s):
    try:
        return s.recv(1) == b""
    except OSError:
        return True
n = sum(closed(s) for s in socks)
print("closed by the replica:", n)
sys.exit(0 if n == 24 else 1)' "$mhost" >/tmp/$name.flood 2>&1 &
flood=$!
sleep 1
check "metrics flood: the control socket still answers" 0 "$fabric" ctl "$name" 0 ping
check "metrics flood: another host still scrapes" 0 \
    bash -c "\"\$fabric\" exec-echo \"\$name\" \"\$PY\" -c 'import urllib.request,sys; sys.exit(0 if b\"parnik_epoch \" in urllib.request.urlopen(sys.argv[1], timeout=5).read() else 1)' '$(metrics_url 0)'"
sleep 10.5
check "metrics flood: after 10 s the endpoint serves the flooding host again" 0 \
    bash -c "scrape '$(metrics_url 0)' | grep -q '^parnik_epoch '"
check "metrics flood: the replica closed every idle connection itself" 0 wait $flood
check "a POST to the metrics port is 405" 0 "$fabric" exec "$name" "$PY" -c '
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=b"x"), timeout=5)
except urllib.error.HTTPError as e:
    sys.exit(0 if e.code == 405 and e.headers.get("Allow") == "GET" else 1)
sys.exit(1)' "$(metrics_url 0)"

# ---- membership through the TCP control ports
check "grow 3 over TCP" 0 remote -s "$URLS" --timeout 30 grow 3
check "the lists hold 0-3 everywhere" 0 bash -c "remote -s '$(url 4)' lists | grep -q '\"accept\":{\"members\":\[0,1,2,3\]'"
# Host 1 dies for good: its replica killed, its management link down (no
# connection refused: silence). Health names it within its connect timeout;
# the operator leaves it out of -s and replaces it.
"$fabric" kill "$name" 1
ip -n "pk$(echo "$S" | cut -d. -f3)-r1" link set "pk$(echo "$S" | cut -d. -f3)m1" down
check "health names the dead host" 1 remote -s "$URLS" health
grep -q "$(url 1) does not answer" /tmp/$name.out || result "health: the dead one named" 1
check "a command to the dead host says so within seconds" 6 timeout 10 \
    "$fabric" exec "$name" "$PARNIKCTL" --control-key "$KEY" -s "$(url 1)" status
grep -q "leave it out of -s" /tmp/$name.out || result "and what to do" 1
live=$(echo "$URLS" | tr , '\n' | grep -v "$(url 1)" | paste -sd,)
check "replace 1 by 4 over TCP, the dead host left out" 0 remote -s "$live" --timeout 30 replace 1 4
check "the lists hold 0,2,3,4" 0 bash -c "remote -s '$(url 0)' lists | grep -q '\"accept\":{\"members\":\[0,2,3,4\]'"
ok=0
for k in $(seq 1 20); do [ "$(cli get "op-$k" 2>/dev/null)" = "v-$k" ] || ok=1; done
result "the keys written before read back after" $ok
for i in 0 2 3 4; do
    grep -Eq "NOTICE parnikd: epoch [0-9]+: prepare list 0x001d \(quorum 3\), accept list 0x001d" "$dir/r$i.log" ||
        { result "replica $i logs the last epoch" 1; }
done
grep -Eq "INFO parnikd: (rescan|catchup).* done" "$dir/r0.log" "$dir/r4.log" || result "the rescan or catch-up is logged" 1

# ---- shutdown
"$fabric" down "$name" >/dev/null 2>&1
check "shutdown logs the counters" 0 grep -Eq "NOTICE parnikd: stopping: [0-9]+ request\(s\) answered" "$dir/r0.log"
summary
