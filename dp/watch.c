/* The control thread's watch over the members and the metrics (see
 * watch.h).
 */
#include <time.h>

#include <rte_cycles.h>

#include "clock.h"
#include "liveness.h"
#include "log.h"
#include "metrics.h"
#include "watch.h"

static struct dp_liveness lv;
static uint64_t started_us;	/* monotonic */

/* The lcores' clock (worker_loop.c stamps arrivals with it). */
static uint64_t
now_us(const struct dp_replica *r)
{
	return dp_replica_tsc_us(r, rte_rdtsc());
}

void
dp_watch_init(struct dp_replica *r)
{
	started_us = dp_mono_us();
	dp_liveness_init(&lv, r->opt->peer_silent_ms, now_us(r));
}

uint64_t
dp_watch_uptime_s(void)
{
	return (dp_mono_us() - started_us) / 1000000;
}

void
dp_watch_tick(struct dp_replica *r)
{
	uint64_t heard[PK_MAX_NODES];
	struct dp_liveness_change ch[PK_MAX_NODES];
	unsigned int n;

	dp_plane_peers_heard(&r->plane, heard);
	n = dp_liveness_check(&lv, heard, dp_replica_others(r), now_us(r), ch);
	for (unsigned int i = 0; i < n; i++) {
		if (ch[i].event == DP_PEER_SILENT && ch[i].never_heard)
			dp_log(DP_LOG_WARNING, "member %u: not heard since this replica started "
			       "%llu ms ago", ch[i].node, (unsigned long long)ch[i].ms);
		else if (ch[i].event == DP_PEER_SILENT)
			dp_log(DP_LOG_WARNING, "member %u: silent for %llu ms", ch[i].node,
			       (unsigned long long)ch[i].ms);
		else
			dp_log(DP_LOG_NOTICE, "member %u: heard again after %llu ms of silence",
			       ch[i].node, (unsigned long long)ch[i].ms);
	}
}

/* Each member's age: since last heard, or since start when never. */
static void
ages(struct dp_replica *r, uint64_t age_ms[PK_MAX_NODES], bool ever[PK_MAX_NODES])
{
	uint64_t heard[PK_MAX_NODES], now = now_us(r);

	dp_plane_peers_heard(&r->plane, heard);
	for (unsigned int n = 0; n < PK_MAX_NODES; n++) {
		uint64_t since = heard[n] != 0 ? heard[n] : lv.start_us;

		ever[n] = heard[n] != 0;
		age_ms[n] = now > since ? (now - since) / 1000 : 0;
	}
}

void
dp_watch_peers_json(struct dp_replica *r, struct ctl_json *j)
{
	uint64_t age[PK_MAX_NODES];
	bool ever[PK_MAX_NODES];
	uint16_t others = dp_replica_others(r);

	ages(r, age, ever);
	ctl_json_open_array(j, "peers");
	for (uint16_t n = 0; n < PK_MAX_NODES; n++) {
		if ((others & (1u << n)) == 0)
			continue;
		ctl_json_open(j, NULL);
		ctl_json_u64(j, "id", n);
		ctl_json_bool(j, "heard", ever[n]);
		ctl_json_u64(j, "heard_ms_ago", age[n]);
		ctl_json_bool(j, "silent", dp_liveness_silent(&lv, n));
		ctl_json_close(j);
	}
	ctl_json_close_array(j);
}

size_t
dp_watch_metrics(struct dp_replica *r, char *buf, size_t cap)
{
	static struct dp_counters sum;
	static struct dp_report one;
	struct dp_metrics_in in = { 0 };
	struct pk_config cfg;

	dp_plane_config(&r->plane, &cfg);
	dp_plane_counters(&r->plane, &sum);
	for (uint16_t w = 0; w < r->nworkers; w++) {
		dp_plane_report(&r->plane, w, &one);
		in.arena_bytes += one.arena_bytes;
	}
	in.node = r->opt->node;
	in.cluster_id = r->opt->cluster_id;
	in.partitions = r->opt->partitions;
	in.workers = r->nworkers;
	in.epoch = cfg.epoch;
	in.voting = dp_plane_admitted(&r->plane);
	in.prepare_mask = cfg.prepare_mask;
	in.accept_mask = cfg.accept_mask;
	in.prepare_quorum = cfg.prepare_quorum;
	in.accept_quorum = cfg.accept_quorum;
	in.members = dp_replica_others(r);
	in.uptime_s = dp_watch_uptime_s();
	ages(r, in.heard_age_ms, in.heard_ever);
	for (uint16_t n = 0; n < PK_MAX_NODES; n++)
		in.silent[n] = dp_liveness_silent(&lv, n);
	in.total = &sum;
	return dp_metrics_format(&in, buf, cap);
}
