#!/usr/bin/env bash
# Installs the Debian packages Parnik builds and tests with, if missing,
# and any more named as arguments (bench/compare.sh adds its baselines).
# Needs root to install; otherwise it only names what is missing.
set -euo pipefail

# libdpdk-dev, liburcu-dev, libjemalloc-dev: parnikd; libsodium-dev: the peer and client MACs (SipHash); libjansson-dev: parnikctl reads the control socket's JSON replies; dpdk-dev: dpdk-telemetry.py; iproute2 + ethtool: the netns fabric of the cluster suite; clang-14 + libclang-rt-14-dev: libFuzzer (tests/fuzz/run.sh); man-db: the install test renders the man pages; python3-prometheus-client: the cluster test parses the metrics with the reference parser.
need_pkgs=(meson ninja-build gcc pkg-config python3 libdpdk-dev dpdk-dev liburcu-dev libjemalloc-dev libsodium-dev libjansson-dev
           iproute2 ethtool clang-14 libclang-rt-14-dev man-db python3-prometheus-client "$@")
missing=()
for p in "${need_pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "missing packages (run as root to install them): ${missing[*]}" >&2
    exit 2
fi
echo "== installing: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
