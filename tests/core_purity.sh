#!/usr/bin/env bash
# dp/core must stay pure so the simulator can drive it: no DPDK, liburcu,
# jemalloc, sockets, clock, randomness or libc allocation. Fails, naming the
# line, on any include or call of those.
set -u
here=$(cd "$(dirname "$0")" && pwd)
core=${1:-$here/../dp/core}
pattern='#include[[:space:]]*[<"](rte_|urcu|jemalloc|sys/socket|netinet|arpa/|time\.h|sys/time|stdlib\.h|pthread)'
# bare calls only: the allocator vtable's env.free() is the sanctioned way
pattern+='|(^|[^.>_a-z0-9])(rand|random|srand|drand48|time|clock_gettime|gettimeofday|malloc|calloc|realloc|free|rte_[a-z_]+)[[:space:]]*\('
hits=$(grep -nE "$pattern" "$core"/*.c "$core"/*.h $here/../include/parnik/*.h 2>/dev/null |
       grep -vE ':[[:space:]]*(/\*|\*)' || true)
if [ -n "$hits" ]; then
    echo "dp/core is not pure:"
    echo "$hits"
    exit 1
fi
echo "dp/core is pure: $(ls "$core"/*.c | wc -l) sources checked"
