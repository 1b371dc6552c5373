#!/usr/bin/env bash
# parnik-bench end to end against a loopback cluster of real cores:
#  - closed loop from several threads over all replicas, the history
#    recorded and checked: "linearizable: yes" and exit 0;
#  - open loop at a rate the cluster serves, zipfian keys and 200-byte
#    values, checked, with --json: the rate reached, the JSON complete;
#  - an open loop far above what the cluster serves: reported as saturated,
#    not as the target;
#  - a wrong partition count and an unreachable cluster: exit 6 before any
#    load, with a message that says which.
set -eu
loopback=$1
bench=$2
dir=$(mktemp -d)
"$loopback" --nodes 3 --partitions 2 --cluster 5 --seconds 60 >"$dir/servers" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do
    grep -q '^servers ' "$dir/servers" && break
    sleep 0.1
done
servers=$(awk '/^servers /{print $2}' "$dir/servers")
[ -n "$servers" ] || { echo "loopback cluster did not start" >&2; exit 1; }
fail() { echo "bench-check: $*" >&2; exit 1; }

"$bench" -s "$servers" -p 2 -c 5 --threads 3 --depth 8 --keys 50 --seconds 3 --check | tee "$dir/out"
grep -q '^linearizable: yes$' "$dir/out" || fail "closed loop not linearizable"

"$bench" -s "$servers" -p 2 -c 5 --threads 2 --depth 16 --keys 2000 --dist zipf --value-size 200 \
    --rate 2000 --seconds 3 --check --json "$dir/open.json" | tee "$dir/open"
grep -q '^linearizable: yes$' "$dir/open" || fail "open loop not linearizable"
grep -q 'offered 2000 ops/s.*: reached$' "$dir/open" || fail "open loop did not reach 2000 ops/s"
for field in '"setup"' '"summary"' '"open_loop"' '"verdict": "reached"' '"seconds": \[' \
    '"p999"' '"linearizable": "yes"'; do
    grep -q "$field" "$dir/open.json" || fail "JSON lacks $field"
done
[ "$(grep -c '"second":' "$dir/open.json")" -ge 3 ] || fail "JSON lacks per-second rows"

rc=0
"$bench" -s "$servers" -p 2 -c 5 --threads 1 --depth 4 --keys 100 --rate 5000000 \
    --seconds 2 >"$dir/over" || rc=$?
cat "$dir/over"
grep -q 'offered 5000000 ops/s.*not reached: the cluster saturated' "$dir/over" ||
    fail "an unreachable rate was not reported as such"
[ "$rc" -eq 0 ] || fail "saturation exit $rc"

rc=0
"$bench" -s "$servers" -p 3 -c 5 --seconds 2 2>"$dir/err" >/dev/null || rc=$?
[ "$rc" -eq 6 ] && grep -q 'runs 2 partitions, not 3' "$dir/err" ||
    fail "wrong -p: exit $rc, $(cat "$dir/err")"
rc=0
"$bench" -s 127.0.0.1:9 --timeout 50 --seconds 2 2>"$dir/err" >/dev/null || rc=$?
[ "$rc" -eq 6 ] && grep -q 'no reply from replica 127.0.0.1:9' "$dir/err" ||
    fail "unreachable: exit $rc, $(cat "$dir/err")"
echo "bench-check: ok"
