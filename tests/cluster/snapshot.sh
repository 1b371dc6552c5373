#!/usr/bin/env bash
# Backups: parnikctl snapshot / restore round-trip 100,000 keys.
#  - cluster A (3 replicas, 2 partitions) is filled with 100,000 keys and a
#    few awkward ones (quotes, backslashes, spaces, bytes 0x01 and 0xff, a
#    newline in a value), and some keys are deleted;
#  - snapshot A: every live key, none of the deleted;
#  - restore into a new cluster B, snapshot B: the same file, byte for byte;
#    an awkward key reads back through the CLI;
#  - restore into a cluster holding keys is refused, and a truncated or
#    corrupted file is refused before anything is written;
#  - a snapshot is refused when a majority of the replicas cannot list.
# Skips (77) without root or parnikd.
set -u
. "$(dirname "$0")/common.sh" "${1:-}" cs$$
export PARNIKCTL=$build/ctrl/parnikctl
second=cs$$b
trap '"$fabric" down "$name" >/dev/null 2>&1; "$fabric" down "$second" >/dev/null 2>&1' EXIT
dir=$(mktemp -d /tmp/parnik-snapshot.XXXXXX)
"$fabric" up "$name" --replicas 3 --partitions 2 --workers 1 >/dev/null || exit 1
S=$("$fabric" servers "$name")
ctlc() {  # ctlc FABRIC ARGS...: parnikctl over every replica of FABRIC, in its client namespace
    local f=$1
    shift
    "$fabric" exec "$f" "$PARNIKCTL" -s "$("$fabric" sockets "$f")" "$@"
}
cli() { "$fabric" exec "$1" "$PARNIK" -s "$("$fabric" servers "$1")" -p 2 "${@:2}"; }

check "fill 100,000 keys" 0 bash -c "\"$fabric\" exec $name \"$bench\" -s $S -p 2 --threads 2 \
    --depth 16 --timeout 1000 --keys 100000 --sequential --mix put=1 --prefix snap \
    | grep -q '^results: OK 100000\$'"
awkward=('q"uote' 'back\slash' 'two words' $'ctl\x01byte' $'high\xffbyte')
for k in "${awkward[@]}"; do cli "$name" put "$k" "v-$k" >/dev/null; done
cli "$name" put nl-value $'line1\nline2' >/dev/null
for k in $(seq 0 99); do cli "$name" put "gone-$k" x >/dev/null; cli "$name" del "gone-$k" >/dev/null; done

check "snapshot A" 0 ctlc "$name" snapshot "$dir/a.snap"
check "it holds the 100,006 live keys" 0 grep -q '^parnik-snapshot 1 keys 100006$' "$dir/a.snap"
check "and none of the deleted" 1 grep -q 'gone-' "$dir/a.snap"

"$fabric" up "$second" --replicas 3 --partitions 2 --workers 1 >/dev/null || exit 1
check "a truncated file is refused" 1 bash -c "head -c 100000 $dir/a.snap >$dir/cut.snap; \
    \"$fabric\" exec $second \"$PARNIKCTL\" -s \"$("$fabric" sockets "$second")\" restore $dir/cut.snap"
check "a file with a wrong count is refused" 1 bash -c "sed 's/^end 100006/end 100005/' \
    $dir/a.snap >$dir/bad.snap; \"$fabric\" exec $second \"$PARNIKCTL\" \
    -s \"$("$fabric" sockets "$second")\" restore $dir/bad.snap"
check "...and wrote nothing: B is still empty" 0 bash -c \
    "\"$fabric\" exec $second \"$PARNIKCTL\" -s \"$("$fabric" sockets "$second")\" snapshot \
     $dir/empty.snap && grep -q '^parnik-snapshot 1 keys 0$' $dir/empty.snap"
check "restore into B" 0 ctlc "$second" restore "$dir/a.snap"
check "snapshot B" 0 ctlc "$second" snapshot "$dir/b.snap"
check "B's snapshot is A's, byte for byte" 0 cmp "$dir/a.snap" "$dir/b.snap"
check "an awkward key reads back through the CLI" 0 bash -c \
    "[ \"\$(\"$fabric\" exec $second \"$PARNIK\" -s \"$("$fabric" servers "$second")\" -p 2 \
      get 'back\\slash')\" = 'v-back\\slash' ]"
check "restore into a cluster holding keys is refused" 1 ctlc "$second" restore "$dir/a.snap"
"$fabric" kill "$second" 1
"$fabric" kill "$second" 2
check "a snapshot with 2 of 3 replicas down is refused (keys may live only on them)" 1 \
    ctlc "$second" snapshot "$dir/c.snap"
summary && rm -rf "$dir"
