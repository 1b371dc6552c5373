#!/usr/bin/env bash
# parnikd on DPDK's net_null port (no kernel interface): its RX hands out
# frames of junk, which must all be counted as drops, never crash it; a
# SIGTERM must end it with exit 0, its counters written and its EAL
# runtime directory removed. Also: a bad
# option exits 2 before the EAL starts, and --help works. Skips (77)
# without parnikd.
set -u
parnikd=$1
[ -x "$parnikd" ] || { echo "parnikd not built"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0
"$parnikd" --help >/dev/null || { echo "FAIL --help"; fail=1; }
rc=0
"$parnikd" --no-huge -- --node 9 --addr 198.18.0.1 --member 0=198.18.0.1 2>"$dir/err" || rc=$?
if [ $rc -ne 2 ] || ! grep -q "not among the --member list" "$dir/err"; then
    echo "FAIL bad option: exit $rc, $(cat "$dir/err")"
    fail=1
fi
# No peer key and no --insecure-peers: refused before anything starts.
rc=0
"$parnikd" --no-huge -- --node 0 --addr 198.18.0.1 --member 0=198.18.0.1 2>"$dir/err" || rc=$?
if [ $rc -ne 2 ] || ! grep -q "no --peer-key" "$dir/err"; then
    echo "FAIL started without a peer key: exit $rc, $(cat "$dir/err")"
    fail=1
fi
"$parnikd" --no-huge -m 128 --no-shconf --file-prefix pknull$$ --no-pci -l 0 \
    --vdev net_null0,size=64 -- --node 0 --addr 198.18.0.1 --member 0=198.18.0.1 \
    --bootstrap --idle adaptive --stats-file "$dir/stats" --insecure-peers >"$dir/log" 2>&1 &
pid=$!
sleep 2
kill -TERM $pid
rc=0
wait $pid || rc=$?
if [ $rc -ne 0 ]; then
    echo "FAIL parnikd on net_null exited $rc"; cat "$dir/log"; fail=1
fi
grep -Eq "^[0-9T:.-]+Z WARNING parnikd: --insecure-peers: replica-to-replica messages are NOT authenticated" "$dir/log" || { echo "FAIL --insecure-peers not announced"; fail=1; }
# A clean exit leaves no DPDK runtime directory behind.
if [ -e "/var/run/dpdk/pknull$$" ] || [ -e "${XDG_RUNTIME_DIR:-/nonexistent}/dpdk/pknull$$" ]; then
    echo "FAIL the EAL runtime directory of pknull$$ is left behind"; fail=1
fi
rx=$(awk '$1 == "rx_frames" { print $2 }' "$dir/stats" 2>/dev/null)
drops=$(awk '$1 ~ /^drop_/ { s += $2 } END { print s + 0 }' "$dir/stats" 2>/dev/null)
echo "net_null: $rx frames received, $drops counted as drops"
if [ -z "$rx" ] || [ "$rx" -eq 0 ] || [ "$drops" -ne "$rx" ]; then
    echo "FAIL every junk frame should be a counted drop"; cat "$dir/stats" 2>/dev/null; fail=1
fi
if [ $fail -eq 0 ]; then echo "6 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
exit $fail
