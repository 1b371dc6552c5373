#!/usr/bin/env bash
# parnik-lincheck on files: a history recorded by the simulator passes; the
# same history with one read's result changed must be reported (exit 1).
set -eu
sim=$1
check=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$sim" --scenario mix/5nodes --seed 3 --quick --history "$dir/h.txt" >/dev/null
"$check" "$dir/h.txt"
awk '!d && $2 == 1 && $8 == 0 && $10 != "-" && NR > 30 { $10 = "393939"; d = 1 } { print }' \
    "$dir/h.txt" >"$dir/bad.txt"
if cmp -s "$dir/h.txt" "$dir/bad.txt"; then
    echo "no read to tamper with" >&2
    exit 1
fi
set +e
"$check" "$dir/bad.txt" | tail -3
status=${PIPESTATUS[0]}
set -e
echo "tampered history: exit $status"
[ "$status" -eq 1 ]
