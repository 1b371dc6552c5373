#!/usr/bin/env bash
# `meson install` into a scratch DESTDIR installs what an operator and a
# developer need, and libparnik works from there:
#  - the four programs, libparnik shared and static, its public headers,
#    libparnik.pc, the man pages (they render with man -l, no warning), the
#    systemd template unit (its ExecStart names the installed parnikd) and
#    its environment-file example;
#  - a tiny program built against the installed libparnik through
#    pkg-config (and nothing of the source tree) writes and reads a key of
#    a test cluster (parnik-loopback: the real core behind kernel UDP).
#
#   tests/install.sh BUILD_DIR LOOPBACK
# Skips (77) for a sanitizer build: a program linked against it would need
# the sanitizer's runtime too.
set -eu
build=$(cd "$1" && pwd)
loopback=$2
opt() {
    meson introspect "$build" --buildoptions |
        python3 -c "import json,sys; print([o['value'] for o in json.load(sys.stdin) if o['name']=='$1'][0])"
}
if [ "$(opt b_sanitize)" != "none" ]; then
    echo "install: a sanitizer build: skipped"
    exit 77
fi
prefix=$(opt prefix)
libdir=$(opt libdir)
case $libdir in /*) ;; *) libdir=$prefix/$libdir ;; esac
dest=$(mktemp -d /tmp/parnik-install.XXXXXX)
pid=
cleanup() { [ -z "$pid" ] || kill "$pid" 2>/dev/null || true; rm -rf "$dest"; }
trap cleanup EXIT
fail() { echo "FAIL $*"; exit 1; }
ok() { echo "ok   $*"; }

meson install -C "$build" --destdir "$dest" --no-rebuild --quiet >/dev/null
root=$dest$prefix
for p in parnikctl parnik parnik-bench; do
    [ -x "$root/bin/$p" ] || fail "bin/$p not installed"
done
if [ -e "$build/dp/parnikd" ]; then
    [ -x "$root/bin/parnikd" ] || fail "bin/parnikd not installed"
fi
"$root/bin/parnik" --version | grep -q '^parnik [0-9]' || fail "parnik --version"
ok "the programs are installed (bin/parnikctl, parnik, parnik-bench, parnikd)"

ls "$dest$libdir"/libparnik.so.0 >/dev/null 2>&1 || fail "libparnik.so.0 not installed"
[ -f "$dest$libdir/libparnik.a" ] || fail "libparnik.a not installed"
nm "$dest$libdir/libparnik.a" | grep -q ' T pk_client_open$' || fail "libparnik.a lacks pk_client_open"
for h in client.h err.h transport.h types.h keyfile.h auth.h; do
    [ -f "$root/include/parnik/$h" ] || fail "include/parnik/$h not installed"
done
pc=$dest$libdir/pkgconfig/libparnik.pc
[ -f "$pc" ] || fail "libparnik.pc not installed"
! grep -q "$build" "$pc" || fail "libparnik.pc names the build directory"
ok "libparnik (shared, static), its headers and libparnik.pc are installed"

for m in man1/parnik.1 man1/parnik-bench.1 man8/parnikctl.8 man8/parnikd.8; do
    f=$root/share/man/$m
    [ -f "$f" ] || fail "share/man/$m not installed"
    warnings=$(MANWIDTH=80 man --warnings -l "$f" 2>&1 >/dev/null || true)
    [ -z "$warnings" ] || fail "man -l $m: $warnings"
    MANWIDTH=80 man -l "$f" 2>/dev/null | grep -q "^NAME" || fail "man -l $m renders nothing"
done
ok "the man pages render with man -l, without a warning"

if [ -e "$build/dp/parnikd" ]; then
    unit=$root/lib/systemd/system/parnikd@.service
    [ -f "$unit" ] || fail "the systemd unit is not installed"
    grep -q "^ExecStart=$prefix/bin/parnikd " "$unit" || fail "the unit's ExecStart: $(grep ExecStart= "$unit")"
    ! grep -q '^ExecStart=.*--bootstrap' "$unit" || fail "the unit passes --bootstrap"
    [ -f "$root/share/doc/parnik/parnikd.env.example" ] || fail "the environment example is missing"
    # The unit refuses --bootstrap from the arguments, the environment or a
    # --config file (its check runs the installed parnikd's --print-config).
    if [ -x "$root/bin/parnikd" ]; then
        pre=$(sed -n "s/^ExecStartPre=\/bin\/sh -c '\(.*\)'$/\1/p" "$unit" |
              sed "s|$prefix/bin/parnikd|$root/bin/parnikd|; s/%i/0/g")
        [ -n "$pre" ] || fail "the unit has no bootstrap check"
        base="--addr 198.18.0.1 --member 0=198.18.0.1 --insecure-peers"
        PARNIKD_ARGS="$base --bootstrap" sh -c "$pre" 2>/dev/null &&
            fail "the unit would start with --bootstrap in PARNIKD_ARGS"
        PARNIKD_ARGS="$base" PARNIKD_BOOTSTRAP=true sh -c "$pre" 2>/dev/null &&
            fail "the unit would start with PARNIKD_BOOTSTRAP=true"
        printf 'force-bootstrap\n' >"$dest/boot.conf"
        PARNIKD_ARGS="$base --config $dest/boot.conf" sh -c "$pre" 2>/dev/null &&
            fail "the unit would start with bootstrap in a --config file"
        PARNIKD_ARGS="$base" sh -c "$pre" || fail "the unit refuses a plain start"
    fi
    ok "the systemd unit names the installed parnikd and refuses --bootstrap from any source"
fi

cat >"$dest/tiny.c" <<'C'
/* Writes and reads one key through the installed libparnik. */
#include <parnik/client.h>
#include <stdio.h>
#include <string.h>

int
main(int argc, char **argv)
{
	struct pk_client_config cfg;
	struct pk_client *c;
	struct pk_result r;
	char err[256];

	if (argc != 2)
		return 2;
	pk_client_config_default(&cfg);
	cfg.servers = argv[1];
	cfg.partitions = 2;
	cfg.cluster_id = 7;
	c = pk_client_open(&cfg, err, sizeof(err));
	if (c == NULL) {
		fprintf(stderr, "tiny: %s\n", err);
		return 1;
	}
	pk_put(c, "greeting", 8, "hello", 5, &r);
	if (r.status != PK_OK) {
		fprintf(stderr, "tiny: put: %s\n", pk_strstatus(r.status));
		return 1;
	}
	pk_get(c, "greeting", 8, &r);
	printf("%s %.*s\n", pk_status_name(r.status), (int)r.len, (const char *)r.value);
	pk_client_close(c);
	return r.status == PK_OK ? 0 : 1;
}
C
export PKG_CONFIG_PATH=$dest$libdir/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest
cc -Wall -Werror -o "$dest/tiny" "$dest/tiny.c" $(pkg-config --cflags --libs libparnik) ||
    fail "the tiny program does not build against the installed libparnik"
ok "a program builds against the installed libparnik with pkg-config"

"$loopback" --nodes 3 --partitions 2 --cluster 7 --seconds 30 >"$dest/servers" &
pid=$!
for _ in $(seq 50); do
    grep -q '^servers ' "$dest/servers" && break
    sleep 0.1
done
servers=$(awk '/^servers /{print $2}' "$dest/servers")
[ -n "$servers" ] || fail "the loopback cluster did not start"
out=$(LD_LIBRARY_PATH=$dest$libdir "$dest/tiny" "$servers") || fail "tiny: $out"
[ "$out" = "OK hello" ] || fail "tiny printed '$out'"
LD_LIBRARY_PATH=$dest$libdir ldd "$dest/tiny" | grep -q "$dest$libdir/libparnik.so" || fail "tiny did not use the installed libparnik.so"
ok "it writes and reads a key of a test cluster through the installed libparnik.so"
echo "6 passed, 0 failed"
