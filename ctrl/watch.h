/* parnikctl stats --watch: a per-second table per replica (requests/s,
 * p50 / p99 of that second, conflicts and retries per second, 1RTT hit
 * rate), from differences of consecutive `stats` replies, histogram
 * included, so each row's percentiles are that second's own.
 */
#ifndef CTL_WATCH_H
#define CTL_WATCH_H

#include <stdint.h>

#include "parnik/hist.h"

/* What one `stats` reply says, for differences between two. */
struct ctl_stats_sample {
	uint64_t requests, rounds, rounds_1rtt, conflicts, retries;
	uint64_t buckets[PK_HIST_BUCKETS];
};

/* Reads a `stats` reply; 0, or -1 when it is not one. */
int ctl_stats_sample_parse(const char *text, struct ctl_stats_sample *s);

/* The latency quantile <q> (ns) of the requests answered between <was>
 * and <now>, from the histograms' difference; 0 when there were none.
 */
uint64_t ctl_stats_quantile(const struct ctl_stats_sample *now,
			    const struct ctl_stats_sample *was, double q);

/* Watches the <n> sockets for <seconds> (0: until interrupted). Returns
 * 0, or 6 when a replica stops answering.
 */
int ctl_watch(const char *const *paths, unsigned int n, unsigned int seconds);

#endif
