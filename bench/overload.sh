#!/usr/bin/env bash
# Overload: what a 3-replica cluster does when offered more than it can
# serve, against its own capacity measured in the same run.
#
#  1. capacity: a closed loop (PUTs) at the depth where throughput peaks;
#     its ops/s and p99;
#  2. open loop at 2x and 10x that capacity (Poisson arrivals, latency from
#     each request's due time, BUSY answers reported apart from errors).
#     "p99 sent" is the p99 of the admitted requests from their send: the
#     cluster's part, without the wait of a due request for a free slot in
#     the client's window (when one client thread cannot offer 10x, that
#     wait grows with the run and dominates "p99 us"); "/cap" compares it
#     with the p99 at capacity;
#  3. recovery: a closed loop right after the 10x run; its first second
#     against the capacity, and against the capacity run's own first
#     second (a new client's start: ARP, sessions);
#  4. the replicas' resident memory before and after.
# Prints one table per fabric (offered, OK/s, BUSY/s, unknown/s, p50/p99 of
# admitted requests; the CPU the replicas and the load generator used, in
# cores, and the replicas' CPU per OK op: on a small host the generator's
# share grows with what it offers and is taken from the replicas) and writes bench/results/overload.tsv and
# bench/plots/overload.png (goodput against offered load, beside the ideal
# min(offered, capacity)).
#
#   bench/overload.sh [--fabric af_packet|memif|both] [--seconds S] [--runs N]
#       af_packet: replicas on af_packet, the kernel-UDP client (4 threads)
#       memif:     replicas linked by memif, parnik-bench's DPDK client on
#                  memif ports (one thread)
#       defaults: both fabrics, 10 s per load, 1 run
# Needs root (network namespaces); builds what is missing.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
fabrics="af_packet memif"
seconds=10
runs=1
while [ $# -gt 0 ]; do
    case $1 in
        --fabric) fabrics=$2; [ "$2" = both ] && fabrics="af_packet memif"; shift 2 ;;
        --seconds) seconds=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        *) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
    esac
done
[ "$(id -u)" -eq 0 ] || { echo "overload: needs root" >&2; exit 2; }
tests/deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
name=overload
bench=build/bench/parnik-bench
out=/tmp/parnik-overload
mkdir -p "$out" bench/results bench/plots
trap 'bench/fabric.sh down "$name" >/dev/null 2>&1 || true' EXIT INT TERM

# json FILE EXPR: one figure from a parnik-bench --json file.
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
# replicas_sum FILE AWK: a figure of each replica's /proc/PID/FILE, summed.
replicas_sum() {
    local f t=0
    for f in /tmp/parnik-fabric/$name/r[0-2].pid; do
        t=$((t + $(awk "$2" "/proc/$(cat "$f")/$1")))
    done
    echo "$t"
}
rss_mb() {  # the replicas' resident memory, MB
    echo $(($(replicas_sum status '/^VmRSS/ { print $2 }') / 1024))
}

# CPU time in 1/100 s: the replicas' (from /proc), and this shell's
# finished children's (parnik-bench, through bash's times).
replica_cs() {
    echo $(($(replicas_sum stat '{ print $14 + $15 }') * 100 / $(getconf CLK_TCK)))
}
children_cs() {  # into $_cs; times must run in this shell, not in a subshell
    times >"$out/times"
    _cs=$(tail -1 "$out/times" | python3 -c "
import re, sys
print(round(sum(float(m) * 6000 + float(s) * 100
                for m, s in re.findall(r'(\d+)m([\d.]+)s', sys.stdin.read()))))")
}
# measure CMD...: runs CMD; sets cpu_rep and cpu_cli, the centiseconds of
# CPU the replicas and the command used meanwhile, and wall_cs.
measure() {
    local r0 c0 t0 rc=0
    r0=$(replica_cs)
    children_cs
    c0=$_cs
    t0=$(date +%s%N)
    "$@" || rc=$?
    wall_cs=$((($(date +%s%N) - t0) / 10000000))
    cpu_rep=$(($(replica_cs) - r0))
    children_cs
    cpu_cli=$((_cs - c0))
    return $rc
}

tsv=bench/results/overload.tsv
printf "fabric\trun\tload\toffered\tok_per_s\tbusy_per_s\tunknown_per_s\tp50_us\tp99_us\tp99_from_send_us\treplica_cores\tclient_cores\treplica_us_per_ok\n" >"$tsv"
for fabric in $fabrics; do
    for run in $(seq "$runs"); do
        if [ "$fabric" = memif ]; then
            bench/fabric.sh up "$name" --replicas 3 --memif --client-memif >/dev/null
            read -r -a how <<<"$(bench/fabric.sh dpdk-client "$name" memif)"
            closed=(--depth 512 "${how[@]}")
            open=(--depth 4096 "${how[@]}")
        else
            bench/fabric.sh up "$name" --replicas 3 >/dev/null
            closed=(--threads 4 --depth 64)
            open=(--threads 8 --depth 4096)
        fi
        S=$(bench/fabric.sh servers "$name")
        # One key set for every phase of a run: parnik-bench takes a new
        # prefix per run by default, and each phase would then add 100,000
        # keys to the replicas and pass for memory growth.
        pb() { bench/fabric.sh exec "$name" "$bench" -s "$S" --mix put=1 --keys 100000 \
            --prefix "overload-$run" "$@"; }
        pb "${closed[@]}" --seconds 3 >/dev/null	# warm-up: sessions, ARP, allocator
        mem0=$(rss_mb)
        measure pb "${closed[@]}" --seconds "$seconds" --json "$out/cap.json" >"$out/cap.txt"
        cap=$(json "$out/cap.json" "round(d['summary']['ops_per_s'])")
        cap_p99=$(json "$out/cap.json" "d['summary']['latency_us']['p99']")
        printf "\n== %s, run %s: capacity %s ops/s closed loop (p99 %s us), replicas %s MB\n" \
            "$fabric" "$run" "$cap" "$cap_p99" "$mem0"
        printf "%-9s %9s %8s %8s %8s %9s %10s %9s %7s %5s %6s %6s\n" load offered "OK/s" "BUSY/s" \
            "unkn./s" "p50 us" "p99 us" "p99 sent" "/cap" "srv" "client" "us/OK"
        row() {  # row LABEL JSON OFFERED (after a measure)
            local f=$2 ok busy unk p50 p99 svc oks srv cli per
            # One read of the file: the rates over the load's own span.
            read -r ok busy unk p50 p99 svc oks < <(python3 - "$f" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
w = min(d['summary']['elapsed_s'], d['setup']['seconds'])
r, s = d['results'], d['summary']
print(round(r.get('OK', 0) / w), round(r.get('BUSY', 0) / w),
      round(s['unknown_outcomes'] / w), s['latency_us']['p50'], s['latency_us']['p99'],
      d.get('open_loop', {}).get('service_latency_us', s['latency_us'])['p99'], r.get('OK', 0))
PY
)
            # Cores over the command's whole run (start-up included), and
            # the replicas' CPU per OK op.
            read -r srv cli per < <(python3 -c "
e = max(1, $wall_cs)
print('%.2f %.2f %.1f' % ($cpu_rep / e, $cpu_cli / e,
                          $cpu_rep * 1e4 / max(1, $oks)))")
            printf "%-9s %9s %8s %8s %8s %9s %10s %9s %6.1fx %5s %6s %6s\n" "$1" "$3" "$ok" "$busy" \
                "$unk" "$p50" "$p99" "$svc" "$(python3 -c "print($svc / $cap_p99)")" "$srv" "$cli" \
                "$per"
            printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n" "$fabric" "$run" "$1" \
                "$3" "$ok" "$busy" "$unk" "$p50" "$p99" "$svc" "$srv" "$cli" "$per" >>"$tsv"
        }
        row capacity "$out/cap.json" "$cap"
        for x in 2 10; do
            rc=0
            measure pb "${open[@]}" --rate $((cap * x)) --seconds "$seconds" \
                --json "$out/x$x.json" >"$out/x$x.txt" || rc=$?
            [ $rc -eq 0 ] || [ $rc -eq 3 ] || { echo "overload: parnik-bench exit $rc"; tail -3 "$out/x$x.txt"; }
            row "${x}x" "$out/x$x.json" $((cap * x))
            grep -q "could not offer" "$out/x$x.txt" && echo "           (the client could not offer ${x}x: $(grep -o 'sent [0-9.]*[^;]*' "$out/x$x.txt" | head -1))"
        done
        pb "${closed[@]}" --seconds 3 --json "$out/after.json" >/dev/null
        # Service is what succeeded: BUSY, errors and timeouts are not.
        ok1="(lambda r: r['ops'] - r['busy'] - r['errors'] - r['timeouts'])(d['seconds'][0])"
        first=$(json "$out/after.json" "$ok1")
        cap_first=$(json "$out/cap.json" "$ok1")
        printf "after 10x: first second %s OK (%s%% of capacity, %s%% of the capacity run's first second); replicas %s MB (before %s MB)\n" \
            "$first" "$((first * 100 / cap))" "$((first * 100 / (cap_first > 0 ? cap_first : 1)))" \
            "$(rss_mb)" "$mem0"
        bench/fabric.sh down "$name" >/dev/null
    done
done

# Goodput against offered load, per fabric, with the ideal line.
if command -v gnuplot >/dev/null; then
    plot=""
    for fabric in $fabrics; do
        awk -F'\t' -v f="$fabric" '$1 == f { print $4, $5 }' "$tsv" | sort -n >"$out/$fabric.dat"
        cap=$(awk -F'\t' -v f="$fabric" '$1 == f && $3 == "capacity" { print $5; exit }' "$tsv")
        plot="$plot '$out/$fabric.dat' with linespoints title 'Parnik $fabric (OK ops/s)', \
              (x < $cap ? x : $cap) with lines dashtype 2 title 'ideal $fabric',"
    done
    gnuplot <<EOF || echo "overload: gnuplot failed"
set terminal pngcairo size 900,550 noenhanced
set output 'bench/plots/overload.png'
set xlabel 'offered load (ops/s)'
set ylabel 'goodput (OK ops/s)'
set logscale x
set key top left
set grid
plot ${plot%,}
EOF
    echo "plot: bench/plots/overload.png; figures: $tsv"
fi
