#!/usr/bin/env bash
# A local Parnik cluster on a network-namespace fabric: a bridge namespace,
# one namespace per replica (parnikd on af_packet over a veth with no IP
# address: the replica answers ARP itself) and one client namespace with a
# kernel address. Addresses come from 198.18.0.0/15, one /24 per cluster, so
# several clusters run side by side under distinct names.
#
#   bench/fabric.sh up NAME [--replicas N] [--spares S] [--partitions P]
#                           [--workers W] [--tap] [--memif] [--client-memif]
#       start N replicas (default 3) of P partitions (default 1) on W worker
#       lcores each (default: one per partition), wait until served. They
#       reach the bridge through net_af_packet on a veth (default) or net_tap
#       (--tap); --memif also links every pair of replicas with DPDK memif
#       (shared memory) for the replicas' own traffic. --spares starts S more
#       replicas (ids N..N+S-1), members outside the prepare and accept lists,
#       for parnikctl grow / replace. --client-memif gives every replica one
#       more memif port, for parnik-bench's DPDK mode. --mgmt gives every
#       replica namespace a kernel management address (.110+I) where the
#       replica serves its control commands over TCP (port 7800, sealed with
#       NAME/control.key) and its metrics over HTTP (port 9700), as on
#       hosts of their own: see ctl-urls and metrics-urls. PARNIKD_OPTS adds
#       parnikd options (for example "--session-lease-ms 300000 --gc-interval 200").
#       Every cluster gets its own peer key (NAME/peer.key, mode 0600);
#       PARNIK_FABRIC_INSECURE=1 runs the replicas with --insecure-peers
#       instead, and PARNIK_CLIENT_KEY=FILE makes them require that client key.
#   bench/fabric.sh down NAME                                 stop and remove everything
#                                     (logs and counters stay in /tmp/parnik-fabric/NAME)
#   bench/fabric.sh servers NAME                              the -s list for clients
#   bench/fabric.sh exec NAME CMD...                          run CMD in the client namespace
#   bench/fabric.sh dpdk-client NAME [af_packet|memif]        parnik-bench's DPDK-mode options:
#                                     its own af_packet port on a veth of the client namespace
#                                     (no IP address), or one memif port per replica (the
#                                     default with --client-memif); run it with exec
#   bench/fabric.sh exec-echo NAME CMD...                     run CMD in the echo namespace: a
#                                     kernel host on the same bridge (.99), for baselines
#   bench/fabric.sh kill NAME I                               kill -9 replica I
#   bench/fabric.sh pause NAME I / resume NAME I              SIGSTOP / SIGCONT replica I
#   bench/fabric.sh restart NAME I                            start replica I again after a
#                                     kill: empty, without --bootstrap (amnesiac: it answers
#                                     UNAVAILABLE and does not vote until parnikctl re-admits it)
#   bench/fabric.sh sockets NAME                              every replica's control socket,
#                                     comma-separated (parnikctl -s)
#   bench/fabric.sh ctl NAME I CMD...                         parnikctl on replica I's control socket
#   bench/fabric.sh ctl-urls NAME                             with --mgmt: every replica's TCP control
#                                     port (tcp://IP:7800, comma-separated; parnikctl -s, from the
#                                     client namespace, with --control-key NAME/control.key)
#   bench/fabric.sh metrics-urls NAME                         with --mgmt: every replica's metrics URL
#   bench/fabric.sh telemetry NAME I CMD                      a DPDK telemetry command on replica I
#                                     (/parnik/stats, /parnik/lcores, /parnik/config, /ethdev/stats,0)
#
# "up" tears down any leftover of the same name first, and tears down what
# it built if it fails; "down" is safe to repeat. Needs root.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
parnikd=${PARNIKD:-$top/build/dp/parnikd}
parnik=${PARNIK:-$top/build/dp/client/parnik}
parnikctl=${PARNIKCTL:-$top/build/ctrl/parnikctl}
state_root=${PARNIK_FABRIC_DIR:-/tmp/parnik-fabric}

usage() {
    sed -n '2,44p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
}

# The state directory holds command lines that "restart" runs: it must be
# ours and closed to others, never one another local user made first.
state_root_check() {
    if [ ! -e "$state_root" ]; then
        mkdir -m 700 -p "$state_root"
    fi
    if [ -L "$state_root" ] || [ ! -d "$state_root" ] ||
       [ "$(stat -c %u "$state_root")" != "$(id -u)" ] ||
       [ $(( 0$(stat -c %a "$state_root") & 022 )) -ne 0 ]; then
        echo "fabric: $state_root is not a private directory of this user (owner $(stat -c %U "$state_root" 2>/dev/null), mode $(stat -c %a "$state_root" 2>/dev/null)); remove it or set PARNIK_FABRIC_DIR" >&2
        exit 2
    fi
    chmod 700 "$state_root"
}

# net_index NAME: the cluster's /24 inside 198.18.0.0/15 (2..250), from its name.
net_index() {
    echo $(( $(printf '%s' "$1" | cksum | cut -d' ' -f1) % 249 + 2 ))
}

# memif_mac IDX I J: the MAC of replica I's memif port towards replica J.
memif_mac() {
    printf '02:50:4b:%02x:%02x:%02x' "$1" "$2" "$3"
}

down() {
    local name=$1 dir=$state_root/$1 idx ns
    idx=$(net_index "$name")
    if [ -d "$dir" ]; then
        for pidf in "$dir"/r*.pid; do
            [ -f "$pidf" ] || continue
            kill -TERM "$(cat "$pidf")" 2>/dev/null || true
        done
        # A replica writes its counters as it shuts down: give it up to 5 s
        # (a loaded host is slow), then SIGKILL whatever is left.
        local signal
        for signal in TERM KILL; do
            for _ in $(seq 50); do
                local alive=0
                for pidf in "$dir"/r*.pid; do
                    [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null && alive=1
                done
                [ $alive -eq 0 ] && break
                sleep 0.1
            done
            [ $alive -eq 0 ] && break
            [ $signal = KILL ] && break
            for pidf in "$dir"/r*.pid; do
                [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null || continue
                echo "fabric: replica $(basename "$pidf" .pid) ignored SIGTERM for 5 s: SIGKILL; its threads (name, state, CPU ticks):" >&2
                for task in /proc/"$(cat "$pidf")"/task/*; do
                    [ -r "$task/stat" ] || continue
                    awk '{ print "fabric:   ", $2, $3, $14 + $15 }' "$task/stat" >&2 2>/dev/null || true
                done
                kill -KILL "$(cat "$pidf")" 2>/dev/null || true
            done
        done
    fi
    for ns in $(ip netns list | awk '{print $1}' | grep -E "^pk$idx-" || true); do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
        ip netns del "$ns" 2>/dev/null || true
    done
    # Logs and counters (written on shutdown) stay for a look; up clears them.
    rm -f "$dir"/*.pid "$dir"/servers "$dir"/partitions "$dir"/dpdk-client-* "$dir"/ctl-urls "$dir"/metrics-urls
    # The EAL's runtime directories (--file-prefix), one per replica.
    rm -rf /var/run/dpdk/pk"$idx"-r* 2>/dev/null || true
}

up() {
    local name=$1 replicas=3 spares=0 partitions=1 workers="" memif=0 tap=0 client_memif=0 mgmt=0
    shift
    while [ $# -gt 0 ]; do
        case $1 in
            --replicas) replicas=$2; shift 2 ;;
            --spares) spares=$2; shift 2 ;;
            --partitions) partitions=$2; shift 2 ;;
            --memif) memif=1; shift ;;
            --client-memif) client_memif=1; shift ;;
            --mgmt) mgmt=1; shift ;;
            --tap) tap=1; shift ;;
            --workers) workers=$2; shift 2 ;;
            *) usage ;;
        esac
    done
    [ "$replicas" -ge 1 ] && [ $((replicas + spares)) -le 9 ] || { echo "fabric: 1..9 replicas (spares included)" >&2; exit 2; }
    local initial=$replicas lists
    lists=$(seq -s, 0 $((replicas - 1)))
    replicas=$((replicas + spares))
    workers=${workers:-$partitions}
    [ -x "$parnikd" ] || { echo "fabric: $parnikd not built (needs libdpdk-dev)" >&2; exit 2; }
    down "$name"
    rm -rf "${state_root:?}/$name"
    local idx dir net members="" servers="" sockets="" ctl_urls="" metrics_urls="" i
    idx=$(net_index "$name")
    dir=$state_root/$name
    net=198.18.$idx
    mkdir -m 700 "$dir"
    local auth="--insecure-peers"
    if [ "${PARNIK_FABRIC_INSECURE:-0}" != 1 ]; then
        "$parnikctl" keygen "$dir/peer.key"
        auth="--peer-key $dir/peer.key"
    fi
    [ -z "${PARNIK_CLIENT_KEY:-}" ] || auth="$auth --client-key $PARNIK_CLIENT_KEY"
    [ $mgmt -eq 0 ] || "$parnikctl" keygen "$dir/control.key"
    trap 'echo "fabric: up failed, tearing down $name" >&2; down "$name"' ERR
    ip netns add "pk$idx-br"
    ip -n "pk$idx-br" link add br0 type bridge
    ip -n "pk$idx-br" link set br0 up
    # attach NS IFNAME: a veth from namespace NS to the bridge.
    attach() {
        ip link add "$2" type veth peer name "$2b"
        ip link set "$2" netns "$1"
        ip link set "$2b" netns "pk$idx-br"
        ip -n "pk$idx-br" link set "$2b" master br0 up
        ip -n "$1" link set lo up
        ip -n "$1" link set "$2" up
    }
    ip netns add "pk$idx-cl"
    attach "pk$idx-cl" "pk${idx}c"
    ip -n "pk$idx-cl" addr add "$net.100/24" dev "pk${idx}c"
    # Kernel TX checksum offload leaves UDP checksums unfinished on veths;
    # parnikd checks every checksum, so the kernel side computes them.
    ip netns exec "pk$idx-cl" ethtool -K "pk${idx}c" tx off >/dev/null
    # parnik-bench's own af_packet port in DPDK mode: no kernel address.
    ip netns exec "pk$idx-cl" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    attach "pk$idx-cl" "pk${idx}d"
    local dpdk_client="--dpdk net_af_packet0,iface=pk${idx}d,qdisc_bypass=1,framecnt=4096"
    local dpdk_client_memif=""
    # A plain kernel host on the bridge: the kernel-to-kernel baseline
    # (UDP ping-pong) crosses the same bridge as client-to-replica traffic.
    ip netns add "pk$idx-ec"
    attach "pk$idx-ec" "pk${idx}e"
    ip -n "pk$idx-ec" addr add "$net.99/24" dev "pk${idx}e"
    for i in $(seq 0 $((replicas - 1))); do
        members="$members --member $i=$net.$((i + 1))"
        [ "$i" -ge "$initial" ] || servers="$servers${servers:+,}$net.$((i + 1)):7700"
        sockets="$sockets${sockets:+,}$dir/r$i.sock"
    done
    for i in $(seq 0 $((replicas - 1))); do
        # memif: replica i serves the link to every j > i and is the client
        # of every j < i; the socket file is shared through the file system
        # (not abstract: those are per network namespace). The peer is a
        # static neighbour on that port, so replica traffic never takes the
        # veth. DPDK numbers ports in --vdev order: af_packet is port 0.
        local links="" neigh="" port=1 j
        if [ $memif -eq 1 ]; then
            for j in $(seq 0 $((replicas - 1))); do
                [ "$j" -ne "$i" ] || continue
                local lo=$((i < j ? i : j)) hi=$((i < j ? j : i)) role=client
                [ "$i" -lt "$j" ] && role=server
                links="$links --vdev net_memif$j,role=$role,id=0,socket=$dir/memif-$lo-$hi.sock,socket-abstract=no,mac=$(memif_mac "$idx" "$i" "$j")"
                neigh="$neigh --neighbour $net.$((j + 1))=$(memif_mac "$idx" "$j" "$i")@$port"
                port=$((port + 1))
            done
        fi
        if [ $client_memif -eq 1 ]; then
            # The last port: parnik-bench connects to it (it replies on the
            # port a request came in on, so no neighbour entry is needed).
            links="$links --vdev net_memifcl,role=server,id=0,socket=$dir/memif-client-$i.sock,socket-abstract=no,mac=$(memif_mac "$idx" "$i" 192)"
            dpdk_client_memif="$dpdk_client_memif --dpdk net_memif$i,role=client,id=0,socket=$dir/memif-client-$i.sock,socket-abstract=no,mac=$(memif_mac "$idx" 193 "$i")"
        fi
        ip netns add "pk$idx-r$i"
        ip netns exec "pk$idx-r$i" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
        attach "pk$idx-r$i" "pk${idx}r$i"
        local windows=""
        if [ $mgmt -eq 1 ]; then
            # A management interface with a kernel address, beside the DPDK
            # port (which has none); the kernel answers ARP for it there only.
            attach "pk$idx-r$i" "pk${idx}m$i"
            ip netns exec "pk$idx-r$i" sysctl -qw net.ipv4.conf.all.arp_ignore=1
            ip -n "pk$idx-r$i" addr add "$net.$((110 + i))/24" dev "pk${idx}m$i"
            windows="--control-listen $net.$((110 + i)):7800 --control-key $dir/control.key --metrics $net.$((110 + i)):9700"
            ctl_urls="$ctl_urls${ctl_urls:+,}tcp://$net.$((110 + i)):7800"
            metrics_urls="$metrics_urls${metrics_urls:+ }http://$net.$((110 + i)):9700/metrics"
        fi
        local edge="net_af_packet0,iface=pk${idx}r$i,qdisc_bypass=1,framecnt=4096,qpairs=$workers"
        if [ $tap -eq 1 ]; then
            # net_tap creates its kernel interface in the replica's
            # namespace; a bridge there joins it to the veth.
            edge="net_tap0,iface=pk${idx}t$i"
            ip -n "pk$idx-r$i" link add brt type bridge
            ip -n "pk$idx-r$i" link set "pk${idx}r$i" master brt
            ip -n "pk$idx-r$i" link set brt up
        fi
        # Memory (-m, no hugepages) grows with the queues: every port has
        # one queue pair per worker, each with its mbufs.
        # The worker lcores plus the main lcore, all free to
        # run on any CPU: pinning three replicas' lcores to two CPUs one
        # by one would stack them unevenly.
        # The command line is kept for "restart" (which drops --bootstrap).
        printf '%q ' ip netns exec "pk$idx-r$i" "$parnikd" --no-huge -m $((128 + 128 * workers)) --no-shconf \
            --file-prefix "pk$idx-r$i" --no-pci --lcores "(0-$workers)@(0-$(($(nproc) - 1)))" \
            --vdev "$edge" \
            $links -- \
            --node "$i" --addr "$net.$((i + 1))" $members $neigh --partitions "$partitions" \
            --idle adaptive --idle-max-us "${PARNIK_IDLE_MAX_US:-200}" \
            --stats-file "$dir/r$i.stats" --ctl "$dir/r$i.sock" $auth $windows ${PARNIKD_OPTS:-} >"$dir/r$i.cmd"
        # The census (--bootstrap) waits for every member of the lists:
        # they start one after the other, on a machine that may be busy.
        start_replica "$dir" "$i" --bootstrap --lists "$lists" --bootstrap-wait 30000

        if [ $tap -eq 1 ] || [ $memif -eq 1 ] || [ $client_memif -eq 1 ]; then
            # Up before the next one starts: a memif client port does not
            # start (and its replica exits) unless its server's socket is
            # there, and replica i serves the links to every later one.
            local k
            for k in $(seq 100); do
                grep -q "serving" "$dir/r$i.log" 2>/dev/null && break
                kill -0 "$(cat "$dir/r$i.pid")" 2>/dev/null || break
                sleep 0.1
            done
        fi
        if [ $tap -eq 1 ]; then
            # net_tap gives its kernel side the port's own MAC: on a bridge
            # that makes the replica's MAC a local address, and unicast to
            # it would never leave the bridge. The kernel side gets its own.
            ip -n "pk$idx-r$i" link set "pk${idx}t$i" address "$(printf '02:50:54:%02x:00:%02x' "$idx" "$i")"
            ip -n "pk$idx-r$i" link set "pk${idx}t$i" master brt up
        fi
    done
    echo "$servers" >"$dir/servers"
    echo "$dpdk_client --dpdk-ip $net.101" >"$dir/dpdk-client-af_packet"
    # A replica answers on the memif queue of the worker that served: the
    # client polls as many.
    [ -z "$dpdk_client_memif" ] || echo "$dpdk_client_memif --dpdk-ip $net.101 --dpdk-queues $workers" >"$dir/dpdk-client-memif"
    echo "$sockets" >"$dir/sockets"
    if [ $mgmt -eq 1 ]; then
        echo "$ctl_urls" >"$dir/ctl-urls"
        echo "$metrics_urls" >"$dir/metrics-urls"
    fi
    echo "$partitions" >"$dir/partitions"
    # Served when every replica answers a read (NOT_FOUND is an answer; a
    # spare, outside the lists, refuses it: NOT_MEMBER, exit 5).
    for i in $(seq 0 $((replicas - 1))); do
        local ok=0
        for _ in $(seq 100); do
            local rc=0
            kill -0 "$(cat "$dir/r$i.pid")" 2>/dev/null || break	# it exited: say why
            ip netns exec "pk$idx-cl" env PARNIK_KEY="${PARNIK_CLIENT_KEY:-}" "$parnik" \
                -s "$net.$((i + 1)):7700" -p "$partitions" \
                -t 100 get "fabric-probe-$i" >/dev/null 2>&1 || rc=$?
            if [ $rc -eq 0 ] || [ $rc -eq 1 ] || { [ $rc -eq 5 ] && [ "$i" -ge "$initial" ]; }; then
                ok=1
                break
            fi
            sleep 0.2
        done
        if [ $ok -ne 1 ]; then
            echo "fabric: replica $i does not answer; its log:" >&2
            cat "$dir/r$i.log" >&2
            local k
            for k in $(seq 0 $((replicas - 1))); do
                [ "$k" -ne "$i" ] || continue
                echo "fabric: replica $k's log, last lines:" >&2
                grep -Ev '(^| )(EAL|TELEMETRY): |rte_pmd' "$dir/r$k.log" 2>/dev/null | tail -4 >&2
            done
            false
        fi
    done
    trap - ERR
    echo "fabric $name: $initial replicas at $servers$([ "$spares" -eq 0 ] || echo " + $spares spare(s)") (client namespace pk$idx-cl)"
}

# start_replica DIR I [PARNIKD OPTIONS...]: replica I from its saved command line.
start_replica() {
    local dir=$1 i=$2 extra=""
    shift 2
    [ $# -eq 0 ] || extra=$(printf '%q ' "$@")
    # exec: the pid recorded is parnikd's own (ip netns exec execs too).
    eval "exec $(cat "$dir/r$i.cmd") $extra" >>"$dir/r$i.log" 2>&1 &
    echo $! >"$dir/r$i.pid"
}

[ $# -ge 2 ] || usage
state_root_check
cmd=$1
name=$2
shift 2
case $cmd in
    up) up "$name" "$@" ;;
    down) down "$name" ;;
    servers) cat "$state_root/$name/servers" ;;
    exec) ip netns exec "pk$(net_index "$name")-cl" "$@" ;;
    dpdk-client)
        kind=${1:-}
        if [ -z "$kind" ]; then
            kind=af_packet
            [ -f "$state_root/$name/dpdk-client-memif" ] && kind=memif
        fi
        [ -f "$state_root/$name/dpdk-client-$kind" ] || { echo "fabric: no $kind client port (memif needs up --client-memif)" >&2; exit 2; }
        cat "$state_root/$name/dpdk-client-$kind" ;;
    exec-echo) ip netns exec "pk$(net_index "$name")-ec" "$@" ;;
    kill) kill -KILL "$(cat "$state_root/$name/r$1.pid")" ;;
    pause) kill -STOP "$(cat "$state_root/$name/r$1.pid")" ;;
    resume) kill -CONT "$(cat "$state_root/$name/r$1.pid")" ;;
    restart) start_replica "$state_root/$name" "$1" ;;
    sockets) cat "$state_root/$name/sockets" ;;
    ctl-urls|metrics-urls)
        [ -s "$state_root/$name/$cmd" ] || { echo "fabric: $name was not started with --mgmt" >&2; exit 2; }
        cat "$state_root/$name/$cmd" ;;
    ctl) i=$1; shift; "$parnikctl" -s "$state_root/$name/r$i.sock" "$@" ;;
    telemetry) echo "$2" | dpdk-telemetry.py -f "pk$(net_index "$name")-r$1" ;;
    *) usage ;;
esac
