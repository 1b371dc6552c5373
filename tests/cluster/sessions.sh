#!/usr/bin/env bash
# Client sessions on real replicas, driven by pkforge.py (a client written
# from docs/PROTOCOL.md alone): an ADD answered, more than a million other
# requests through the same replica, then the ADD's exact retry, answered
# from the session, not run twice; a request naming a session the replica
# does not hold is answered SESSION_EXPIRED and not run; an acknowledged
# request's copy is dropped; every documented size limit gets its
# documented answer (TOO_LARGE, not silence); a spare answers NOT_MEMBER
# and the client library moves on. Skips (77) without root or parnikd.
set -u
. "$(dirname "$0")/common.sh" "${1:-}" cs$$
forge_py=$top/tests/cluster/pkforge.py
others=${PARNIK_SESSION_OTHERS:-1050000}
# A lease long enough for the million requests on a slow machine.
PARNIKD_OPTS="--session-lease-ms 900000" "$fabric" up "$name" --replicas 3 --spares 1 \
    >/dev/null || exit 1
S=$("$fabric" servers "$name")
r0=${S%%,*}
ip0=${r0%:*}
spare=${ip0%.*}.4
forge() { "$fabric" exec "$name" python3 "$forge_py" --to "$ip0" --client-id 4242 "$@"; }
stat_of() {  # stat_of NODE NAME
    "$fabric" ctl "$name" "$1" stats | grep -o "\"$2\":[0-9]*" | head -1 | cut -d: -f2
}
expect() {  # expect DESCRIPTION PATTERN OUTPUT
    if printf '%s\n' "$3" | grep -q -- "$2"; then
        result "$1" 0
    else
        echo "     got: $3"
        result "$1" 1
    fi
}

out=$(forge open)
sess=$(printf '%s\n' "$out" | sed -n 's/.* session=\([0-9]*\) .*/\1/p')
expect "OPEN answers a session and its lease (ms)" "status=OK .*version=900000" "$out"
out=$(forge add n --session "$sess" --rid 100 --acked 100 --arg 1)
expect "ADD in the session" "status=OK .*value=1\$" "$out"

start=$(date +%s)
per=$(( (others + 3) / 4 ))
check "$((per * 4)) other requests through the same replica" 0 \
    "$fabric" exec "$name" "$bench" -s "$r0" --threads 4 --depth 16 --keys 1000 --ops "$per" \
    --seconds 600
took=$(( $(date +%s) - start ))
handled=$(( $(stat_of 0 req_get) + $(stat_of 0 req_put) + $(stat_of 0 req_cas) + \
            $(stat_of 0 req_add) + $(stat_of 0 req_del) ))
result "replica 0 ran more than a million requests ($handled in ${took}s)" \
    $([ "$handled" -gt 1000000 ] && echo 0 || echo 1)

replied=$(stat_of 0 req_dup_replied)
out=$(forge add n --session "$sess" --rid 100 --acked 100 --arg 1)
expect "the retried ADD is answered with its first answer" "status=OK .*value=1\$" "$out"
result "... from the session (req_dup_replied +1)" \
    $([ "$(stat_of 0 req_dup_replied)" -eq $((replied + 1)) ] && echo 0 || echo 1)
out=$(forge get n --session "$sess" --rid 101 --acked 101)
expect "the key was added to once" "status=OK .*value=1\$" "$out"
stale=$(stat_of 0 req_stale)
out=$(forge add n --session "$sess" --rid 100 --acked 101 --arg 1 --wait 0.5)
expect "a copy after its acknowledgement is dropped" "no reply" "$out"
result "... counted (req_stale +1)" \
    $([ "$(stat_of 0 req_stale)" -eq $((stale + 1)) ] && echo 0 || echo 1)
out=$(forge add n --session $((sess + 7)) --rid 102 --acked 102 --arg 1)
expect "a session the replica never gave: SESSION_EXPIRED" "status=SESSION_EXPIRED" "$out"
out=$(forge get n --session "$sess" --rid 103 --acked 103)
expect "... and nothing ran" "status=OK .*value=1\$" "$out"

# Every documented limit, its documented answer (docs/PROTOCOL.md 5, 8).
out=$(forge put k250 --pad-key 250 --session "$sess" --rid 110 --acked 110)
expect "a 250-byte key is taken" "status=OK" "$out"
out=$(forge put k251 --pad-key 251 --session "$sess" --rid 111 --acked 111)
expect "a 251-byte key: TOO_LARGE" "status=TOO_LARGE" "$out"
out=$(forge put v --pad-value 1024 --session "$sess" --rid 112 --acked 112)
expect "a 1024-byte value is taken" "status=OK" "$out"
out=$(forge put v --pad-value 1025 --session "$sess" --rid 113 --acked 113)
expect "a 1025-byte value: TOO_LARGE" "status=TOO_LARGE" "$out"
out=$(forge add v --pad-value 3 --session "$sess" --rid 114 --acked 114)
expect "a value with ADD: BAD_REQUEST" "status=BAD_REQUEST" "$out"
out=$(forge del n --session "$sess" --rid 115 --acked 115)
expect "DEL answers its tombstone's version" "status=OK kind=0 version=2 " \
    "$(printf '%s\n' "$out" | sed 's/ rid=[0-9]* session=[0-9]*//')"

# A spare is outside the lists: NOT_MEMBER, and the library moves on.
out=$("$fabric" exec "$name" python3 "$forge_py" --to "$spare" --client-id 4242 get n)
expect "a spare answers NOT_MEMBER" "status=NOT_MEMBER" "$out"
out=$("$fabric" exec "$name" python3 "$forge_py" --to "$spare" --client-id 4242 open)
expect "... to OPEN too" "status=NOT_MEMBER" "$out"
refused=$(stat_of 3 req_rejected)
check "a client that lists the spare is served by the others (8 keys)" 0 \
    "$fabric" exec "$name" bash -c "for k in a b c d e f g h; do
        $PARNIK -s $spare:7700,$r0 put moved-\$k here >/dev/null || exit 1; done"
result "... after the spare refused some (NOT_MEMBER)" \
    $([ "$(stat_of 3 req_rejected)" -gt "$refused" ] && echo 0 || echo 1)

summary
