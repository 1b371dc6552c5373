#!/usr/bin/env bash
# Parnik next to what a user would pick instead, and next to the machine's
# own limits, on this machine and in one run:
#   - Parnik, 3 replicas: af_packet fabric with the kernel-UDP client
#     (parnik-bench), and with memif links between the replicas and
#     parnik-bench's DPDK client on memif ports of its own; and the cost of
#     peer authentication (the same memif cluster with and without the
#     peer key, runs interleaved);
#   - etcd 3.4, 3 members on loopback, with fsync and --unsafe-no-fsync,
#     driven by wrk against the v3 JSON gateway of the leader;
#   - Redis, one node, unreplicated, redis-benchmark without and with
#     pipelining (16);
#   - floors and ceilings: the kernel UDP round trip on the same fabric
#     (sockperf), the round trip through a replica's af_packet port and
#     through its memif port (parnikd's UDP echo, from the kernel client and
#     from parnik-bench --echo on the DPDK client), and the raw packet rate
#     of the port types (dpdk-testpmd, io forwarding over an af_packet veth
#     pair and a memif pair);
#   - Gryadka, the CASPaxos reference: its npm package, one Node.js
#     proposer in our driver (bench/gryadka/driver.js) over three Redis
#     acceptors on loopback, at concurrency 1 and 64;
# Each point runs several times; the table shows the median and the spread
# (min-max) of the runs, and each system's throughput as a multiple of
# Parnik's at the same concurrency. Then the issue's targets, met or not.
#
#   bench/compare.sh [--quick | --auth] [--runs N] [--seconds S] [--out DIR]
#       --quick     fewer points, 2 s runs: within 2 minutes
#       --auth      only the cost of peer authentication (two memif clusters,
#                   with and without the peer key, runs interleaved)
#       (default)   every point, the open-loop sweeps and scaling runs, the
#                   plots (gnuplot PNG) and the tables in bench/README.md;
#                   within 10 minutes
#       --runs N    runs per point (default 3)
#       --seconds S seconds per run (default 4; --quick 2)
#       --out DIR   where results go (default bench/results)
#
# Needs root (network namespaces). Installs what it needs (etcd-server, wrk,
# redis, sockperf, gnuplot, nodejs and npm from Debian, gryadka from the npm
# registry) and removes every process and namespace it started, also when
# interrupted.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

quick=0
only_auth=0
runs=3
seconds=""
out=bench/results
while [ $# -gt 0 ]; do
    case $1 in
        --quick) quick=1; shift ;;
        --auth) only_auth=1; shift ;;
        --runs) runs=$2; shift 2 ;;
        --seconds) seconds=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        *) sed -n '2,34p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
    esac
done
[ -n "$seconds" ] || seconds=$([ $quick -eq 1 ] && echo 2 || echo 4)
# The sweeps' many points run shorter, to keep the full run within 10 minutes.
sweep_seconds=$(( seconds > 2 ? 2 : seconds ))
[ "$(id -u)" -eq 0 ] || { echo "compare: needs root (network namespaces)" >&2; exit 2; }

tests/deps.sh etcd-server etcd-client wrk redis-server redis-tools sockperf gnuplot-nox dpdk
# Node.js and npm for Gryadka: Debian's, unless the machine has an npm already.
command -v npm >/dev/null || tests/deps.sh nodejs npm
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null

started=$(date +%s)
mkdir -p "$out"
# Every tool's own output stays in $out/raw for a second look.
work=$(cd "$out" && pwd)/raw	# absolute: memif wants an absolute socket path
rm -rf "$work"
mkdir -p "$work"
points=$out/points.tsv
: >"$points"
: >"$out/sweep.tsv"
: >"$out/openloop.tsv"
loopns=pkcmp-$$
fabrics=""
tsc=0
pids=()

cleanup() {
    local rc=$?
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    sleep 0.3
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    for f in $fabrics; do bench/fabric.sh down "$f" >/dev/null 2>&1 || true; done
    ip netns pids "$loopns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
    ip netns del "$loopns" 2>/dev/null || true
    rm -f "$work"/*.sock
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '== %s (%ds)\n' "$*" $(( $(date +%s) - started )); }

# record KIND SYSTEM SETUP OP CONC RUN OPS P50 P99 [LIN]: one measured run
# (KIND: point, floor or rate; "-" where a figure does not apply).
record() {
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" \
        "${7:--}" "${8:--}" "${9:--}" "${10:--}" >>"$points"
}

partitions=$(( $(nproc) / 3 > 0 ? $(nproc) / 3 : 1 ))

# ---- Parnik --------------------------------------------------------------

# bench_run FABRIC CLIENT CONC OUT ARGS...: one parnik-bench run, closed
# loop at CONC in flight (or open loop with --rate in ARGS), from the kernel
# UDP client (CLIENT kernel: 4 threads, CONC/4 each) or the DPDK client on
# the fabric's memif or af_packet client ports (one thread, CONC in flight).
bench_run() {
    local fabric=$1 client=$2 conc=$3 f=$4 servers parts threads depth
    local -a how
    shift 4
    servers=$(bench/fabric.sh servers "$fabric")
    parts=$(cat "${PARNIK_FABRIC_DIR:-/tmp/parnik-fabric}/$fabric/partitions")
    if [ "$client" = kernel ]; then
        threads=$(( conc >= 4 ? 4 : 1 ))
        depth=$(( conc / threads ))
        how=(--threads "$threads" --depth "$depth")
    else
        # shellcheck disable=SC2207 # the fabric prints options to split
        how=(--depth "$conc" $(bench/fabric.sh dpdk-client "$fabric" "$client"))
    fi
    bench/fabric.sh exec "$fabric" build/bench/parnik-bench -s "$servers" -p "$parts" \
        "${how[@]}" --keys 1000 --seconds "$seconds" "$@" >"$f" 2>&1 || true
}

# summary_field FILE FIELD: ops (ops/s), p50, p90, p99, p999 (us) or lin
# from a parnik-bench output.
summary_field() {
    case $2 in
        ops) awk '/^summary:/ { print $7 }' "$1" ;;
        p50) awk '/^latency us:/ { print $4 }' "$1" ;;
        p90) awk '/^latency us:/ { print $6 }' "$1" ;;
        p99) awk '/^latency us:/ { print $8 }' "$1" ;;
        p999) awk '/^latency us:/ { print $10 }' "$1" ;;
        lin) awk '/^linearizable:/ { print $2 }' "$1" ;;
    esac
}

# parnik_point FABRIC CLIENT SETUP OP CONC [BENCH ARGS...]: $runs closed-loop
# runs of one op, each recorded.
parnik_point() {
    local fabric=$1 client=$2 setup=$3 op=$4 conc=$5 f
    shift 5
    for r in $(seq "$runs"); do
        f=$work/pb.$fabric.$client.$op.$conc.$r
        bench_run "$fabric" "$client" "$conc" "$f" --mix "$op=1" "$@"
        record point Parnik "$setup" "$op" "$conc" "$r" "$(summary_field "$f" ops)" \
            "$(summary_field "$f" p50)" "$(summary_field "$f" p99)" "$(summary_field "$f" lin)"
    done
}

# rtt_floors FABRIC: the kernel UDP round trip between two kernel hosts on
# the fabric's bridge (sockperf), and the round trip through replica 0's
# DPDK port and worker loop (parnikd's UDP echo, port 7).
rtt_floors() {
    local fabric=$1 servers echo_ip r0 f t=$(( quick ? 1 : 2 ))
    servers=$(bench/fabric.sh servers "$fabric")
    echo_ip=$(echo "$servers" | sed 's/\.1:7700.*/.99/')
    r0=${servers%%:*}
    bench/fabric.sh exec-echo "$fabric" sockperf server -i "$echo_ip" -p 11111 >/dev/null 2>&1 &
    pids+=($!)
    sleep 0.5
    for r in $(seq "$runs"); do
        f=$work/sockperf.$r
        bench/fabric.sh exec "$fabric" sockperf ping-pong -i "$echo_ip" -p 11111 -m 64 \
            -t "$t" --full-rtt >"$f" 2>&1 || true
        record floor "kernel UDP" "ping-pong on the fabric's bridge (sockperf, 64 B)" rtt 1 "$r" - \
            "$(awk '/percentile 50.000/ { print $NF }' "$f")" \
            "$(awk '/percentile 99.000/ { print $NF }' "$f")"
        f=$work/echo.$r
        bench/fabric.sh exec "$fabric" build/bench/parnik-udp-pingpong --client "$r0:7" \
            --count $((t * 4000)) >"$f" 2>&1 || true
        record floor "DPDK port" "round trip through a replica's af_packet port (UDP echo)" rtt 1 "$r" - \
            "$(awk '/^rtt us:/ { print $4 }' "$f")" "$(awk '/^rtt us:/ { print $8 }' "$f")"
    done
    kill -TERM "${pids[-1]}" 2>/dev/null || true
}

# memif_floor FABRIC: the round trip through replica 0's memif client port
# and worker loop (its UDP echo) from parnik-bench's DPDK client, sleeping
# and woken the way the load's client is (parnik-bench --echo).
memif_floor() {
    local fabric=$1 servers f
    servers=$(bench/fabric.sh servers "$fabric")
    for r in $(seq "$runs"); do
        f=$work/echo-memif.$r
        # shellcheck disable=SC2046 # the fabric prints options to split
        bench/fabric.sh exec "$fabric" build/bench/parnik-bench -s "$servers" \
            $(bench/fabric.sh dpdk-client "$fabric" memif) --echo $(( quick ? 3000 : 10000 )) \
            >"$f" 2>&1 || true
        record floor "memif port" "round trip through a replica's memif port (UDP echo, DPDK client)" \
            rtt 1 "$r" - "$(awk '/^rtt us:/ { print $4 }' "$f")" "$(awk '/^rtt us:/ { print $8 }' "$f")"
    done
}

# ---- sweeps (full run only): open loop, scaling and cost ---------------------

# busy_cycles FABRIC: the replicas' worker lcores' busy TSC cycles, summed
# (parnikctl stats: busy_cycles counts the loop passes that did work).
busy_cycles() {
    local i sum=0 c
    for i in 0 1 2; do
        c=$(bench/fabric.sh ctl "$1" "$i" stats 2>/dev/null |
            python3 -c 'import json,sys; print(json.load(sys.stdin)["total"]["busy_cycles"])' \
            2>/dev/null || echo 0)
        sum=$((sum + c))
    done
    echo "$sum"
}

# tsc_hz FABRIC: the rate of the TSC the cycle counters count (rte_rdtsc),
# from replica 0's first lcore's total_cycles over a second of wall time.
tsc_hz() {
    local q='import json,sys; print(json.load(sys.stdin)["lcores"][0]["total_cycles"])' c0 c1 t0 t1
    t0=$(date +%s%N); c0=$(bench/fabric.sh ctl "$1" 0 stats | python3 -c "$q")
    sleep 1
    t1=$(date +%s%N); c1=$(bench/fabric.sh ctl "$1" 0 stats | python3 -c "$q")
    awk -v c=$((c1 - c0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.0f", c / t * 1e9 }'
}

# cycles_per_op CYCLES FILE: CYCLES divided by the operations a
# parnik-bench output counts ("-" when it counts none).
cycles_per_op() {
    awk -v b="$1" -v n="$(awk '/^summary:/ { print $2 }' "$2")" \
        'BEGIN { if (n > 0) printf "%.0f", b / n; else print "-" }'
}

# sweep_point FABRIC TABLE VALUE CONC [BENCH ARGS...]: $runs closed-loop
# DPDK-client runs, each recorded with the replicas' busy cycles per op.
sweep_point() {
    local fabric=$1 table=$2 value=$3 conc=$4 f b0 b1
    local seconds=$sweep_seconds	# (bench_run reads it)
    shift 4
    for r in $(seq "$runs"); do
        f=$work/sweep.$table.$value.$r
        b0=$(busy_cycles "$fabric")
        bench_run "$fabric" memif "$conc" "$f" "$@"
        b1=$(busy_cycles "$fabric")
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$table" "$value" "$r" \
            "$(summary_field "$f" ops)" "$(summary_field "$f" p50)" "$(summary_field "$f" p99)" \
            "$(cycles_per_op $((b1 - b0)) "$f")" >>"$out/sweep.tsv"
    done
}

# openloop_record SYSTEM OFFERED OPS P50 P90 P99 P999: one open-loop run.
openloop_record() {
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7" >>"$out/openloop.tsv"
}

# sweeps_parnik FABRIC: on the memif fabric with the DPDK client: latency
# against offered load (open loop), throughput against value size and read
# ratio, and 1RTT (this fabric) for the 1RTT-against-2RTT table.
sweeps_parnik() {
    local fabric=$1 rate f v
    tsc=$(tsc_hz "$fabric")
    say "Parnik: open-loop sweep (DPDK client on memif)"
    for rate in 1000 10000 50000 100000 200000 300000 400000 500000; do
        f=$work/open.parnik.$rate
        bench_run "$fabric" memif 2048 "$f" --mix put=1 --rate "$rate" --timeout 1000
        openloop_record Parnik "$rate" "$(summary_field "$f" ops)" "$(summary_field "$f" p50)" \
            "$(summary_field "$f" p90)" "$(summary_field "$f" p99)" "$(summary_field "$f" p999)"
    done
    say "Parnik: value size, read ratio, 1RTT"
    for v in 16 64 256 1024; do
        sweep_point "$fabric" value_size "$v" 256 --mix put=1 --value-size "$v"
    done
    for v in 0 50 90 100; do
        sweep_point "$fabric" reads "$v" 256 --mix put=1 --reads "$v"
    done
    sweep_point "$fabric" rounds "1RTT, 1 in flight" 1 --mix put=1
    sweep_point "$fabric" rounds "1RTT, 256 in flight" 256 --mix put=1
}

# sweeps_scaling: throughput against worker lcores per replica (1, 2, 4;
# one partition each), and 2RTT (--no-1rtt), each on a fabric of its own.
sweeps_scaling() {
    local w name
    for w in 1 2 4; do
        name=cmpw$w
        say "Parnik: $w worker lcore(s) per replica"
        fabrics="$fabrics $name"
        bench/fabric.sh up "$name" --replicas 3 --partitions "$w" --memif --client-memif >/dev/null
        sweep_point "$name" workers "$w" 256 --mix put=1
        bench/fabric.sh down "$name" >/dev/null
    done
    say "Parnik: 2RTT (--no-1rtt: a prepare before every accept)"
    fabrics="$fabrics cmp2r"
    PARNIKD_OPTS="${PARNIKD_OPTS:-} --no-1rtt" bench/fabric.sh up cmp2r --replicas 3 \
        --partitions "$partitions" --memif --client-memif >/dev/null
    sweep_point cmp2r rounds "2RTT, 1 in flight" 1 --mix put=1
    sweep_point cmp2r rounds "2RTT, 256 in flight" 256 --mix put=1
    bench/fabric.sh down cmp2r >/dev/null
}

# auth_cost: what authentication costs. Two memif fabrics, one with the
# peer key (the default) and one with --insecure-peers, both up, their runs
# interleaved so that the machine's drift hits both alike; ops/s and latency
# into the table, the replicas' busy cycles per op into auth.tsv.
auth_cost() {
    say "Parnik: peer key against --insecure-peers (memif, interleaved runs)"
    fabrics="$fabrics cmpak cmpai"
    bench/fabric.sh up cmpak --replicas 3 --partitions "$partitions" --memif --client-memif >/dev/null
    PARNIK_FABRIC_INSECURE=1 bench/fabric.sh up cmpai --replicas 3 --partitions "$partitions" \
        --memif --client-memif >/dev/null
    auth_keyed="memif, DPDK client on memif, peer key (interleaved)"
    auth_open="memif, DPDK client on memif, no key: --insecure-peers"
    auth_runs=$(( runs < 5 && quick == 0 ? 5 : runs ))
    : >"$out/auth.tsv"
    for r in $(seq "$auth_runs"); do
        for conc in 1 256; do
            for fab in cmpak cmpai; do
                f=$work/pb.auth.$fab.$conc.$r
                b0=$(busy_cycles "$fab")
                bench_run "$fab" memif "$conc" "$f" --mix put=1
                b1=$(busy_cycles "$fab")
                record point Parnik "$([ $fab = cmpak ] && echo "$auth_keyed" || echo "$auth_open")" \
                    put "$conc" "$r" "$(summary_field "$f" ops)" "$(summary_field "$f" p50)" \
                    "$(summary_field "$f" p99)" -
                # The three replicas' busy TSC cycles per operation: the CPU
                # cost, steadier than ops/s on a shared machine.
                printf '%s\t%s\t%s\n' "$fab" "$conc" "$(cycles_per_op $((b1 - b0)) "$f")" \
                    >>"$out/auth.tsv"
            done
        done
    done
    bench/fabric.sh down cmpak >/dev/null
    bench/fabric.sh down cmpai >/dev/null
}

# report: the table of every point measured, and the targets.
report() {
    say "report"
    machine="$(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(. /etc/os-release; echo "$PRETTY_NAME")"
    python3 bench/compare_report.py "$points" --machine "$machine" \
        --runs "$runs" --seconds "$seconds" --auth-cycles "$out/auth.tsv" | tee "$out/table.txt"
}

if [ $only_auth -eq 1 ]; then
    auth_cost
    report
    say "done"
    exit 0
fi

say "Parnik: 3 replicas on the af_packet fabric"
fabrics="$fabrics cmpaf"
bench/fabric.sh up cmpaf --replicas 3 --partitions "$partitions" >/dev/null
rtt_floors cmpaf
setup="3 replicas, af_packet, kernel UDP client"
parnik_point cmpaf kernel "$setup" put 1
parnik_point cmpaf kernel "$setup" get 1
parnik_point cmpaf kernel "$setup" put 64 --check
parnik_point cmpaf kernel "$setup" put 256 --check
[ $quick -eq 1 ] || parnik_point cmpaf kernel "$setup" get 256
[ $quick -eq 1 ] || parnik_point cmpaf af_packet "3 replicas, af_packet, DPDK client on af_packet" put 256 --check
bench/fabric.sh down cmpaf >/dev/null

say "Parnik: 3 replicas, memif between them, the DPDK client on memif"
fabrics="$fabrics cmpmf"
bench/fabric.sh up cmpmf --replicas 3 --partitions "$partitions" --memif --client-memif >/dev/null
memif_floor cmpmf
setup="3 replicas, memif between replicas, DPDK client on memif"
parnik_point cmpmf memif "$setup" put 1
parnik_point cmpmf memif "$setup" get 1
parnik_point cmpmf memif "$setup" put 64 --check
parnik_point cmpmf memif "$setup" put 256 --check
[ $quick -eq 1 ] || parnik_point cmpmf memif "$setup" put 512 --check
[ $quick -eq 1 ] || parnik_point cmpmf memif "$setup" get 256
[ $quick -eq 1 ] || sweeps_parnik cmpmf
bench/fabric.sh down cmpmf >/dev/null
[ $quick -eq 1 ] || sweeps_scaling
auth_cost


# ---- etcd and Redis, on loopback in a namespace of their own ---------------

ip netns add "$loopns"
ip -n "$loopns" link set lo up
inns() { ip netns exec "$loopns" "$@"; }

# etcd_start FSYNC(yes|no): 3 members on 127.0.0.1; sets $leader to the
# leader's client URL.
etcd_start() {
    local cluster="" i extra=""
    [ "$1" = no ] && extra=--unsafe-no-fsync
    for i in 0 1 2; do cluster="$cluster${cluster:+,}e$i=http://127.0.0.1:$((2380 + 10 * i))"; done
    for i in 0 1 2; do
        rm -rf "$work/etcd$i"
        inns etcd --name "e$i" --data-dir "$work/etcd$i" \
            --listen-client-urls "http://127.0.0.1:$((2379 + 10 * i))" \
            --advertise-client-urls "http://127.0.0.1:$((2379 + 10 * i))" \
            --listen-peer-urls "http://127.0.0.1:$((2380 + 10 * i))" \
            --initial-advertise-peer-urls "http://127.0.0.1:$((2380 + 10 * i))" \
            --initial-cluster "$cluster" --initial-cluster-state new $extra \
            --log-level error >"$work/etcd$i.log" 2>&1 &
        pids+=($!)
    done
    for _ in $(seq 100); do
        for i in 0 1 2; do
            # The member whose own id is the leader's id.
            if inns env ETCDCTL_API=3 etcdctl --endpoints="127.0.0.1:$((2379 + 10 * i))" \
                endpoint status -w fields 2>/dev/null |
                awk -F' : ' '/"MemberID"/ { m = $2 } /"Leader"/ { l = $2 }
                             END { exit !(m != "" && m == l) }'; then
                leader="http://127.0.0.1:$((2379 + 10 * i))"
                return 0
            fi
        done
        sleep 0.1
    done
    echo "compare: etcd elected no leader" >&2
    return 1
}

# stop_started: ends every process in the loopback namespace (etcd, Redis)
# and waits until they are gone, so the next servers can bind their ports.
# By namespace, not by $!: a "inns CMD &" pid is the subshell's, not CMD's.
stop_started() {
    local p
    ip netns pids "$loopns" 2>/dev/null | xargs -r kill -TERM 2>/dev/null || true
    for _ in $(seq 100); do
        [ -z "$(ip netns pids "$loopns" 2>/dev/null)" ] && break
        sleep 0.1
    done
    ip netns pids "$loopns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    pids=()
}

# us VALUE: wrk's 40.46ms / 557.00us / 1.2s in microseconds.
to_us() {
    awk -v v="$1" 'BEGIN { if (v == "") { print "-"; exit } n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        print (u == "ms") ? n * 1000 : (u == "s") ? n * 1000000 : n }'
}

# etcd_point FSYNC OP CONNECTIONS URL
etcd_point() {
    local fsync=$1 op=$2 conns=$3 url=$4 threads f setup
    threads=$(( conns < 2 ? 1 : 2 ))
    setup="3 members on loopback, $([ "$fsync" = yes ] && echo fsync || echo --unsafe-no-fsync), wrk + JSON gateway"
    for r in $(seq "$runs"); do
        f=$work/wrk.$fsync.$op.$conns.$r
        inns env ETCD_OP="$op" wrk -t "$threads" -c "$conns" -d "${seconds}s" --latency \
            -s bench/etcd_wrk.lua "$url" >"$f" 2>&1 || true
        if grep -q 'Non-2xx' "$f"; then
            echo "compare: etcd answered errors: $(grep Non-2xx "$f")" >&2
        fi
        record point etcd "$setup" "$op" "$conns" "$r" \
            "$(awk '/^Requests\/sec:/ { print $2 }' "$f")" \
            "$(to_us "$(awk '$1 == "50%" { print $2 }' "$f")")" \
            "$(to_us "$(awk '$1 == "99%" { print $2 }' "$f")")"
    done
}

# etcd_openloop URL: latency against offered load, 256 connections paced
# by an exponential think time after every answer (bench/etcd_wrk.lua).
etcd_openloop() {
    local url=$1 rate f conns=256
    say "etcd: paced sweep (wrk, $conns connections)"
    for rate in 1000 2000 4000 6000 8000; do
        f=$work/open.etcd.$rate
        inns env ETCD_OP=put ETCD_DELAY_MS="$(awk -v c=$conns -v r="$rate" 'BEGIN { print 1000 * c / r }')" \
            wrk -t 2 -c "$conns" -d "${seconds}s" --latency -s bench/etcd_wrk.lua "$url" >"$f" 2>&1 || true
        openloop_record etcd "$rate" "$(awk '/^Requests\/sec:/ { print $2 }' "$f")" \
            "$(to_us "$(awk '$1 == "50%" { print $2 }' "$f")")" \
            "$(to_us "$(awk '$1 == "90%" { print $2 }' "$f")")" \
            "$(to_us "$(awk '$1 == "99%" { print $2 }' "$f")")" -
    done
}

say "etcd: 3 members, fsync"
etcd_start yes
etcd_point yes put 64 "$leader"
[ $quick -eq 1 ] || etcd_point yes put 1 "$leader"
stop_started

say "etcd: 3 members, --unsafe-no-fsync"
etcd_start no
etcd_point no put 1 "$leader"
etcd_point no put 64 "$leader"
[ $quick -eq 1 ] || etcd_point no get 64 "$leader"
[ $quick -eq 1 ] || etcd_openloop "$leader"
stop_started

say "Redis: one node, unreplicated"
inns redis-server --port 6390 --bind 127.0.0.1 --save '' --appendonly no >"$work/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do inns redis-cli -p 6390 ping >/dev/null 2>&1 && break; sleep 0.1; done
redis_point() {   # redis_point PIPELINE REQUESTS [CLIENTS]
    local pipe=$1 n=$2 clients=${3:-64} f
    for r in $(seq "$runs"); do
        f=$work/redis.$pipe.$clients.$r
        inns redis-benchmark -p 6390 -t set -c "$clients" -n "$n" -r 1000 -P "$pipe" --csv >"$f" 2>&1 || true
        record point Redis "1 node, unreplicated, redis-benchmark -P $pipe" put $((clients * pipe)) "$r" \
            "$(awk -F'"' '$2 == "SET" { print $4 }' "$f")" \
            "$(awk -F'"' '$2 == "SET" { print $10 * 1000 }' "$f")" \
            "$(awk -F'"' '$2 == "SET" { print $14 * 1000 }' "$f")"
    done
}
redis_point 1 $((3000 * seconds)) 1	# one client, one request: its latency
redis_point 1 $((30000 * seconds))
redis_point 16 $((250000 * seconds))
stop_started

# Gryadka: the npm package (pinned in bench/gryadka/package.json) with our
# driver, one Node.js proposer over three Redis acceptors on loopback.
say "Gryadka: 1 Node.js proposer, 3 Redis acceptors"
cp bench/gryadka/package.json bench/gryadka/driver.js "$work/"
if (cd "$work" && npm install --no-audit --no-fund >"$work/npm.log" 2>&1); then
    for port in 6391 6392 6393; do
        inns redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
            >"$work/redis-gryadka.$port.log" 2>&1 &
        pids+=($!)
    done
    for port in 6391 6392 6393; do
        for _ in $(seq 50); do inns redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    done
    for conc in 1 64; do
        for r in $(seq "$runs"); do
            f=$work/gryadka.$conc.$r
            inns node "$work/driver.js" --ports 6391,6392,6393 --conc "$conc" \
                --seconds "$seconds" >"$f" 2>&1 || true
            record point Gryadka "1 Node.js proposer, 3 Redis acceptors (npm gryadka 1.61.8)" \
                put "$conc" "$r" "$(summary_field "$f" ops)" "$(summary_field "$f" p50)" \
                "$(summary_field "$f" p99)"
        done
    done
    stop_started
else
    echo "compare: npm install gryadka failed (no registry?), no Gryadka rows; see $work/npm.log" >&2
fi

# ---- the ports' raw packet rates -----------------------------------------

# testpmd_rate TYPE VDEV0 VDEV1: io forwarding between two ports of one
# type, a burst sent first and then forwarded back and forth; the median of
# testpmd's per-second Rx-pps, both ports.
testpmd_rate() {
    local type=$1 f=$work/testpmd.$1 r pps
    for r in $(seq "$runs"); do
        inns timeout -s INT $((seconds + 1)) dpdk-testpmd --no-huge -m 512 --no-shconf \
            --file-prefix "pkcmp$$" --no-pci -l 0-1 --vdev "$2" --vdev "$3" -- \
            --forward-mode=io --auto-start --tx-first --stats-period 1 --txpkts=64 \
            --total-num-mbufs=16384 >"$f.$r" 2>&1 || true
        # Skip the first period of both ports: the start-up.
        pps=$(tr -d '\033' <"$f.$r" | awk '/Rx-pps:/ { n++; if (n > 2) print $2 }' |
              sort -n | awk '{ v[NR] = $1 } END { if (NR) print 2 * v[int((NR + 1) / 2)] }')
        record rate "$type" "dpdk-testpmd io forwarding, 64 B, one lcore" pps 0 "$r" "${pps:-0}" - -
    done
}
say "ports: raw packet rates (dpdk-testpmd)"
inns ip link add pkcmpA type veth peer name pkcmpB
inns ip link set pkcmpA up
inns ip link set pkcmpB up
testpmd_rate af_packet "net_af_packet0,iface=pkcmpA,qdisc_bypass=1,framecnt=4096" \
    "net_af_packet1,iface=pkcmpB,qdisc_bypass=1,framecnt=4096"
testpmd_rate memif "net_memif0,role=server,socket=$work/tp.sock,socket-abstract=no" \
    "net_memif1,role=client,socket=$work/tp.sock,socket-abstract=no"

report
if [ $quick -eq 0 ]; then
    say "scaling and cost tables (bench/README.md), plots (bench/plots)"
    python3 bench/sweep_report.py "$out" --readme bench/README.md --plots bench/plots \
        --machine "$machine, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" \
        --tsc-hz "$tsc"
fi
say "done"
