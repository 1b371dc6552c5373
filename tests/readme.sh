#!/usr/bin/env bash
# Runs every command block of README.md that is meant to run, as written,
# from the source root: each ```sh block, line by line, in one shell per
# block (so a variable set on one line serves the next). A block preceded by
# an HTML comment "<!-- not run ... -->" is an example or a template (the
# first screen's two commands run as the demo and the whole suite). A line
# whose comment says "(exit N)" must exit N; every other line must exit 0.
#
#   tests/readme.sh BUILD_DIR [FILE]   runs only for SOURCE/build (the
#                                paths the README names); skips (77)
#                                otherwise. FILE: another markdown file (the
#                                negative test feeds it a failing block)
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build}" 2>/dev/null && pwd)
doc=$(cd "$(dirname "${2:-$src/README.md}")" && pwd)/$(basename "${2:-README.md}")
if [ "$build" != "$src/build" ]; then
    echo "readme: the README names build/; $build is another build: skipped"
    exit 77
fi
[ "$(id -u)" -eq 0 ] || { echo "readme: needs root (the cluster example): skipped"; exit 77; }
cd "$src" || exit 1

passed=0 failed=0
block=() skip=0 inblock=0 start=0 prev=""
run_block() {  # run_block FIRST_LINE_NUMBER: the lines in ${block[@]}
    local script=/tmp/readme-block.$$ line want n=0
    {
        echo 'set -u'
        echo 'check_line() { local rc=$?; [ "$rc" -eq "$1" ] || { echo "readme: line $2 exited $rc, not $1" >&2; exit 1; }; }'
        for line in "${block[@]}"; do
            n=$((n + 1))
            want=0
            [[ "$line" =~ \(exit\ ([0-9]+)\) ]] && want=${BASH_REMATCH[1]}
            printf '%s\ncheck_line %s %s\n' "$line" "$want" "$((start + n))"
        done
    } >"$script"
    if bash "$script" </dev/null >/tmp/readme-out.$$ 2>&1; then
        echo "ok   $(basename "$doc") block at line $start (${#block[@]} command(s))"
        passed=$((passed + 1))
    else
        echo "FAIL $(basename "$doc") block at line $start:"
        sed 's/^/     /' /tmp/readme-out.$$ | tail -15
        failed=$((failed + 1))
    fi
    rm -f "$script" /tmp/readme-out.$$
}

lineno=0
while IFS= read -r text; do
    lineno=$((lineno + 1))
    if [ $inblock -eq 0 ] && [ "$text" = '```sh' ]; then
        inblock=1 start=$lineno block=()
        [[ "$prev" == "<!-- not run"* ]] && skip=1 || skip=0
        continue
    fi
    if [ $inblock -eq 1 ] && [ "$text" = '```' ]; then
        inblock=0
        if [ $skip -eq 1 ]; then
            echo "--   $(basename "$doc") block at line $start: an example, not run"
        else
            run_block
        fi
        continue
    fi
    if [ $inblock -eq 1 ]; then
        [ -n "$text" ] && block+=("$text")
    else
        [ -n "$text" ] && prev=$text
    fi
done <"$doc"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ] || exit 1
[ $passed -gt 0 ] || { echo "readme: no block ran"; exit 1; }
