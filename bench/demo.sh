#!/usr/bin/env bash
# The main job: a replicated Parnik cluster under load, its history checked
# for linearizability, with throughput and the CPU cost per operation.
#
# Until parnikd (the DPDK replica, issue 3) lands, the cluster runs in the
# deterministic simulator: 3 and 5 replicas running the real protocol core,
# every message an encoded datagram on a simulated network with loss,
# duplication, reordering, partitions and crashes. Same seed, same run.
#
#   bench/demo.sh [SEEDS]      (default 20 seeds per scenario)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
seeds=${1:-20}

tests/deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null

echo "== simulated cluster under load, $seeds seeds per scenario (virtual time)"
echo "   every client history is checked for linearizability; monitors watch"
echo "   one-value-per-ballot, ballot reuse and chosen values never lost"
status=0
for sc in losing/c2p2k2 shuffling/c2p2k1 partitioning/c2p2k2 duplication/c2p2k2 \
          mix/5nodes partition/minority5 restart/amnesia-refused membership/c2p2k2.flux; do
    build/tests/parnik-sim --scenario "$sc" --seeds "$seeds" | grep -v 'passed,' || status=1
done
echo
echo "== CPU cost of the protocol core (3 replicas in one thread, zero-cost network)"
build/bench/parnik-bench-core --ops 500000 --runs 3
echo
if [ $status -eq 0 ]; then
    echo "linearizable: yes (every scenario, every seed)"
else
    echo "linearizable: NO (see the failing seeds above and replay them with --verbose)"
fi
exit $status
