/* parnikd's metrics in the Prometheus text exposition format (version
 * 0.0.4): every counter, the request latency histogram as _bucket series,
 * each member's last-heard age, the epoch and the lists. Served over HTTP
 * by the control thread (--metrics) and printed by `parnikctl metrics`.
 * Pure formatting (the caller gathers the figures), so it is unit tested.
 */
#ifndef DP_METRICS_H
#define DP_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "counters.h"
#include "parnik/types.h"

#define DP_METRICS_MAX (64 * 1024)	/* the text's size limit */

struct dp_metrics_in {
	uint16_t node;
	uint32_t cluster_id;
	uint16_t partitions;
	uint16_t workers;
	uint32_t epoch;
	bool voting;
	uint16_t prepare_mask, accept_mask;
	uint8_t prepare_quorum, accept_quorum;
	uint16_t members;			/* every --member but this replica */
	uint64_t uptime_s;
	uint64_t arena_bytes;
	uint64_t heard_age_ms[PK_MAX_NODES];	/* since last heard (or start, if never) */
	bool heard_ever[PK_MAX_NODES];
	bool silent[PK_MAX_NODES];		/* as the log says (liveness.h) */
	const struct dp_counters *total;	/* every lcore's, summed */
};

/* Writes the exposition into <buf> (<cap> bytes, NUL-terminated). Returns
 * its length, or 0 when it does not fit.
 */
size_t dp_metrics_format(const struct dp_metrics_in *in, char *buf, size_t cap);

#endif
