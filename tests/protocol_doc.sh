#!/usr/bin/env bash
# docs/PROTOCOL.md against the code: the protocol version it names is the
# one the codec speaks; every status code in include/parnik/err.h has its
# row in the status table, with the same number; and every status the
# replica's code can send (each PK_<STATUS> named under dp/) is among them.
#   tests/protocol_doc.sh SOURCE_ROOT
set -u
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
doc=$root/docs/PROTOCOL.md
failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

version=$(sed -n 's/^#define PK_WIRE_VERSION \([0-9]*\)$/\1/p' "$root/include/parnik/wire.h")
head -1 "$doc" | grep -q "version $version\$" || fail "title does not name version $version"
grep -q "| \`version\`    | \`$version\`" "$doc" || fail "header table does not say version $version"

# X(NAME, VALUE, "message") lines of the status table.
codes=$(sed -n 's/^[[:space:]]*X(\([A-Z_]*\), \([0-9]*\),.*/\1 \2/p' "$root/include/parnik/err.h")
[ -n "$codes" ] || fail "no status codes read from err.h"
while read -r name value; do
    grep -Eq "^\| +$value +\| +$name +\|" "$doc" || fail "status $name ($value) has no row in section 8"
done <<<"$codes"

# Statuses the replica's code names (the core, the data path).
sent=$(grep -rhoE '\bPK_[A-Z_]+\b' "$root"/dp/core/*.c "$root"/dp/*.c | sort -u)
for sym in $sent; do
    name=${sym#PK_}
    if printf '%s\n' "$codes" | grep -q "^$name "; then
        grep -Eq "^\| +[0-9]+ +\| +$name +\|" "$doc" || fail "$name is sent but not documented"
    fi
done
# A table row the code does not know would be a documented lie.
for row in $(sed -n '/^## 8\./,/^## 9\./p' "$doc" | grep -oE '^\| +[0-9]+ +\| +[A-Z_]+' | tr -d '| ' | sed 's/\([0-9]*\)\([A-Z_]*\)/\1:\2/'); do
    printf '%s\n' "$codes" | grep -q "^${row#*:} ${row%%:*}\$" || fail "section 8 row $row is not in err.h"
done
[ $failures -eq 0 ] && echo "ok   PROTOCOL.md names version $version and all $(printf '%s\n' "$codes" | wc -l) status codes"
[ $failures -eq 0 ]
