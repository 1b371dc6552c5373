/* parnikd's DPDK telemetry commands, readable with dpdk-telemetry.py
 * (-f FILE_PREFIX): /parnik/stats (every counter summed over lcores, and
 * latency percentiles), /parnik/lcores (one dict per worker lcore),
 * /parnik/config (lists, quorums, epoch). They run on the telemetry thread
 * and read only the published counter snapshots and the config.
 */
#ifndef DP_TELEMETRY_H
#define DP_TELEMETRY_H

#include "replica.h"

/* Registers the commands for <r>. Returns 0 or -1 (message printed). */
int dp_telemetry_register(struct dp_replica *r);

#endif
