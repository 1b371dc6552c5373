#!/usr/bin/env bash
# Negative test of the whole checker stack: with accept quorum 1 of 3 the
# simulator must report violations and exit 1. A pass needs both; a crash
# (any other status) or a clean run fails this test.
set -u
sim=$1
out=$("$sim" --unsafe-quorum --seeds "${2:-3}" 2>&1)
status=$?
# Scenario lines only: the inner "N passed, N failed" counts the failures
# this test wants, and must not be read as the suite's own.
echo "$out" | grep -vE ': FAIL: |^[0-9]+ passed, [0-9]+ failed$'
total=$(echo "$out" | awk '$1 ~ /\// { for (i = 1; i < NF; i++) if ($i == "violations") s += $(i + 1) } END { print s + 0 }')
echo "unsafe quorum: exit status $status, violations reported $total"
[ "$status" -eq 1 ] && [ "$total" -gt 0 ]
