#!/usr/bin/env bash
# parnik-bench end to end against a loopback cluster of real cores: load from
# several threads over all replicas for a few seconds, the history recorded
# and checked; the run must say "linearizable: yes" and exit 0.
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
"$bench" -s "$servers" -p 2 -c 5 --threads 3 --depth 8 --keys 50 --seconds 3 --check | tee "$dir/out"
grep -q '^linearizable: yes$' "$dir/out"
