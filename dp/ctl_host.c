/* Control-socket host for parnikd (see ctl_host.h). */
#include <arpa/inet.h>
#include <string.h>

#include <urcu/urcu-qsbr.h>

#include "clock.h"
#include "ctl_host.h"
#include "index_lfht.h"
#include "log.h"
#include "membership.h"
#include "watch.h"

#define BARRIER_TIMEOUT_MS 10000

static void (*stop_fn)(void);

static void
ip_str(uint32_t ip, char *buf)
{
	inet_ntop(AF_INET, &ip, buf, INET_ADDRSTRLEN);
}

static void
h_status(void *ctx, struct ctl_json *j)
{
	struct dp_replica *r = ctx;
	char ip[INET_ADDRSTRLEN];
	struct pk_config cfg;

	dp_plane_config(&r->plane, &cfg);
	ip_str(r->opt->ip, ip);
	ctl_json_u64(j, "node", r->opt->node);
	ctl_json_str(j, "addr", ip);
	ctl_json_u64(j, "base_port", r->opt->base_port);
	ctl_json_u64(j, "cluster", r->opt->cluster_id);
	ctl_json_u64(j, "partitions", r->opt->partitions);
	ctl_json_u64(j, "workers", r->nworkers);
	ctl_json_u64(j, "epoch", cfg.epoch);
	ctl_json_bool(j, "voting", dp_plane_admitted(&r->plane));
	ctl_json_str(j, "idle", r->opt->idle == DP_IDLE_POLL ? "poll" : "adaptive");
	ctl_json_u64(j, "uptime_s", dp_watch_uptime_s());
	{
		static struct dp_counters sum;

		/* What `parnikctl health` shows without a second command. */
		dp_plane_counters(&r->plane, &sum);
		ctl_json_u64(j, "keys", sum.dp.keys);
		ctl_json_u64(j, "requests", sum.latency.count);
		ctl_json_u64(j, "p99_ns", pk_hist_quantile(&sum.latency, 0.99));
	}
	dp_watch_peers_json(r, j);
	ctl_json_open_array(j, "ports");
	for (unsigned int i = 0; i < r->nports; i++) {
		ctl_json_open(j, NULL);
		ctl_json_u64(j, "port", r->ports[i].id);
		ctl_json_str(j, "driver", r->ports[i].driver);
		ctl_json_u64(j, "rx_queues", r->ports[i].nrxq);
		ctl_json_u64(j, "tx_queues", r->ports[i].ntxq);
		ctl_json_str(j, "steering", r->ports[i].hw_steering ? "rte_flow" : "software");
		ctl_json_close(j);
	}
	ctl_json_close_array(j);
}

static void
counters_json(struct ctl_json *j, const struct dp_counters *c)
{
#define J(name, desc) ctl_json_u64(j, #name, c->dp.name);
	DP_STAT_LIST(J)
#undef J
#define J(name, desc) ctl_json_u64(j, #name, c->core.name);
	PK_STAT_LIST(J)
#undef J
	ctl_json_open(j, "drops");
	for (unsigned int d = 0; d < DP_DROP_COUNT; d++)
		if (c->dp.drops[d] > 0)
			ctl_json_u64(j, dp_drop_name(d), c->dp.drops[d]);
	ctl_json_close(j);
	/* Every reason, zeros included: what the gate refused (gate.h). */
	ctl_json_open(j, "gate");
	for (unsigned int g = 1; g < DP_GATE_COUNT; g++)
		ctl_json_u64(j, dp_gate_reason_name(g), c->dp.gate[g]);
	ctl_json_close(j);
	ctl_json_open(j, "decode");
	for (unsigned int e = 0; e < 64; e++)
		if (c->dp.decode_by_code[e] > 0)
			ctl_json_u64(j, pk_status_name((int)e), c->dp.decode_by_code[e]);
	ctl_json_close(j);
	ctl_json_open(j, "latency_ns");
	ctl_json_u64(j, "count", c->latency.count);
	ctl_json_u64(j, "p50", pk_hist_quantile(&c->latency, 0.5));
	ctl_json_u64(j, "p99", pk_hist_quantile(&c->latency, 0.99));
	ctl_json_u64(j, "p999", pk_hist_quantile(&c->latency, 0.999));
	ctl_json_u64(j, "max", c->latency.max);
	ctl_json_close(j);
	/* The histogram itself (non-empty buckets as [index, count]), so a
	 * watcher can take differences and quantiles of any interval.
	 */
	ctl_json_open_array(j, "latency_hist");
	for (unsigned int b = 0; b < PK_HIST_BUCKETS; b++) {
		if (c->latency.buckets[b] == 0)
			continue;
		ctl_json_open_array(j, NULL);
		ctl_json_u64(j, NULL, b);
		ctl_json_u64(j, NULL, c->latency.buckets[b]);
		ctl_json_close_array(j);
	}
	ctl_json_close_array(j);
}

static void
h_stats(void *ctx, struct ctl_json *j)
{
	struct dp_replica *r = ctx;
	static struct dp_counters sum;
	static struct dp_report one;
	uint64_t arena_bytes = 0;

	dp_plane_counters(&r->plane, &sum);
	for (uint16_t w = 0; w < r->nworkers; w++) {
		dp_plane_report(&r->plane, w, &one);
		arena_bytes += one.arena_bytes;
	}
	ctl_json_open(j, "total");
	counters_json(j, &sum);
	ctl_json_u64(j, "arena_bytes", arena_bytes);
	ctl_json_close(j);
	ctl_json_open_array(j, "lcores");
	for (uint16_t w = 0; w < r->nworkers; w++) {
		dp_plane_report(&r->plane, w, &one);
		ctl_json_open(j, NULL);
		ctl_json_u64(j, "lcore", one.lcore_id);
		ctl_json_u64(j, "worker", w);
		ctl_json_u64(j, "arena_bytes", one.arena_bytes);
#define J(name, value) ctl_json_u64(j, name, value);
		DP_LCORE_SUMMARY(J, &one.counters)
#undef J
		ctl_json_close(j);
	}
	ctl_json_close_array(j);
}

static void
list_json(struct ctl_json *j, const char *key, uint16_t mask, uint8_t quorum)
{
	ctl_json_open(j, key);
	ctl_json_open_array(j, "members");
	for (uint16_t n = 0; n < 16; n++)
		if (mask & (1u << n))
			ctl_json_u64(j, NULL, n);
	ctl_json_close_array(j);
	ctl_json_u64(j, "quorum", quorum);
	ctl_json_close(j);
}

static void
h_lists(void *ctx, struct ctl_json *j)
{
	struct dp_replica *r = ctx;
	struct pk_config c;

	dp_plane_config(&r->plane, &c);
	ctl_json_u64(j, "epoch", c.epoch);
	list_json(j, "prepare", c.prepare_mask, c.prepare_quorum);
	list_json(j, "accept", c.accept_mask, c.accept_quorum);
}

static void
h_config(void *ctx, struct ctl_json *j)
{
	struct dp_replica *r = ctx;
	char ip[INET_ADDRSTRLEN];
	struct pk_config cfg;

	dp_plane_config(&r->plane, &cfg);
	ctl_json_u64(j, "cluster", r->opt->cluster_id);
	ctl_json_u64(j, "partitions", r->opt->partitions);
	ctl_json_u64(j, "port", r->opt->base_port);
	ctl_json_bool(j, "one_rtt", cfg.one_rtt);
	ctl_json_open_array(j, "members");
	for (unsigned int i = 0; i < r->opt->nmembers; i++) {
		ip_str(r->opt->members[i].ip, ip);
		ctl_json_open(j, NULL);
		ctl_json_u64(j, "id", r->opt->members[i].id);
		ctl_json_str(j, "addr", ip);
		ctl_json_close(j);
	}
	ctl_json_close_array(j);
	h_lists(ctx, j);
}

struct page {
	struct ctl_json *j;
	uint64_t skip;
	uint32_t left;
	bool more;
};

static int
page_key(void *arg, const uint8_t *key, uint16_t len, const void *rec)
{
	struct page *pg = arg;

	(void)rec;
	if (pg->skip > 0) {
		pg->skip--;
		return 0;
	}
	if (pg->left == 0) {
		pg->more = true;
		return 1;
	}
	ctl_json_bytes(pg->j, NULL, key, len);
	pg->left--;
	return 0;
}

static int
h_keys(void *ctx, uint16_t partition, uint64_t from, uint32_t limit, struct ctl_json *j)
{
	struct dp_replica *r = ctx;
	struct page pg = { j, from, limit, false };

	if (partition >= r->opt->partitions)
		return -1;
	ctl_json_open_array(j, "keys");
	(void)dp_plane_walk(&r->plane, partition, page_key, &pg);
	ctl_json_close_array(j);
	ctl_json_i64(j, "next", pg.more ? (int64_t)(from + limit) : -1);
	return 0;
}

/* A membership step's reply: what changed, the barrier, the lists now. */
static void
step_json(void *ctx, const struct dp_step_result *res, struct ctl_json *j)
{
	ctl_json_bool(j, "changed", res->changed);
	ctl_json_u64(j, "barrier_us", res->barrier_us);
	h_lists(ctx, j);
}

static int
h_edit_list(void *ctx, bool prepare, bool add, uint16_t id, uint8_t quorum, struct ctl_json *j,
	    char *err, size_t errlen)
{
	const struct dp_list_edit e = { prepare, add, id, quorum };
	struct dp_step_result res;

	if (dp_membership_edit(ctx, &e, BARRIER_TIMEOUT_MS, &res, err, errlen) != 0)
		return -1;
	step_json(ctx, &res, j);
	return 0;
}

static int
h_set_config(void *ctx, uint32_t epoch, uint16_t prepare, uint8_t prepare_quorum, uint16_t accept,
	     uint8_t accept_quorum, struct ctl_json *j, char *err, size_t errlen)
{
	const struct pk_config want = { .epoch = epoch, .prepare_mask = prepare,
					.accept_mask = accept, .prepare_quorum = prepare_quorum,
					.accept_quorum = accept_quorum };
	struct dp_step_result res;

	if (dp_membership_set(ctx, &want, BARRIER_TIMEOUT_MS, &res, err, errlen) != 0)
		return -1;
	step_json(ctx, &res, j);
	return 0;
}

static int
h_admit(void *ctx, struct ctl_json *j, char *err, size_t errlen)
{
	if (dp_membership_admit(ctx, err, errlen) != 0)
		return -1;
	ctl_json_bool(j, "voting", true);
	return 0;
}

static void
job_json(struct dp_replica *r, struct ctl_json *j)
{
	struct dp_job_progress p;
	uint64_t elapsed, left;
	double rate;

	dp_jobs_progress(&r->jobs, &p);
	elapsed = p.state == DP_JOB_IDLE ? 0 : (p.end_us != 0 ? p.end_us : dp_mono_us()) - p.start_us;
	rate = elapsed > 0 ? (double)(p.done + p.failed) * 1e6 / (double)elapsed : 0;
	left = p.total - (p.done + p.failed);
	ctl_json_open(j, "job");
	ctl_json_str(j, "kind", p.state == DP_JOB_IDLE ? "none" : dp_job_kind_name(p.kind));
	if (p.kind == DP_JOB_CATCHUP)
		ctl_json_u64(j, "target", p.target);
	ctl_json_str(j, "state", dp_job_state_name(p.state));
	ctl_json_u64(j, "epoch", p.epoch);
	ctl_json_u64(j, "window", p.window);
	ctl_json_u64(j, "total", p.total);
	ctl_json_u64(j, "done", p.done);
	ctl_json_u64(j, "failed", p.failed);
	ctl_json_u64(j, "retries", p.retries);
	ctl_json_u64(j, "elapsed_ms", elapsed / 1000u);
	ctl_json_u64(j, "rate", (uint64_t)rate);
	ctl_json_u64(j, "eta_ms", p.state == DP_JOB_RUNNING && rate > 0
					  ? (uint64_t)((double)left * 1000.0 / rate) : 0);
	if (p.error[0] != 0)
		ctl_json_str(j, "error", p.error);
	ctl_json_close(j);
}

static int
h_rescan(void *ctx, uint32_t window, struct ctl_json *j, char *err, size_t errlen)
{
	struct dp_replica *r = ctx;
	int rc = dp_jobs_rescan(&r->jobs, window, err, errlen);

	if (rc < 0)
		return -1;
	ctl_json_bool(j, "started", rc == 0);
	job_json(r, j);
	return 0;
}

static int
h_catchup(void *ctx, uint16_t target, uint32_t window, struct ctl_json *j, char *err,
	  size_t errlen)
{
	struct dp_replica *r = ctx;
	int rc = dp_jobs_catchup(&r->jobs, target, window, err, errlen);

	if (rc < 0)
		return -1;
	ctl_json_bool(j, "started", rc == 0);
	job_json(r, j);
	return 0;
}

#define GC_HOLD_WAIT_MS 10000

static int
h_gc(void *ctx, int action, uint32_t hold_s, struct ctl_json *j, char *err, size_t errlen)
{
	struct dp_replica *r = ctx;
	static struct dp_counters sum;
	int rc = 0;

	if (action == CTL_GC_SWEEP) {
		rc = dp_gc_sched_sweep(&r->gc, err, errlen);
		if (rc < 0)
			return -1;
		ctl_json_bool(j, "started", rc == 0);
	} else if (!dp_gc_sched_hold(&r->gc, action == CTL_GC_HOLD ? hold_s : 0, GC_HOLD_WAIT_MS)) {
		snprintf(err, errlen, "held, but a sweep is still running after %d ms",
			 GC_HOLD_WAIT_MS);
		return -1;
	}
	dp_plane_counters(&r->plane, &sum);
	ctl_json_bool(j, "held", dp_gc_sched_hold_left_ms(&r->gc) > 0);
	ctl_json_u64(j, "hold_left_ms", dp_gc_sched_hold_left_ms(&r->gc));
	ctl_json_u64(j, "interval_ms", r->gc.interval_ms);
	ctl_json_u64(j, "sweeps", __atomic_load_n(&r->gc.sweeps, __ATOMIC_RELAXED));
	ctl_json_u64(j, "sweeps_failed", __atomic_load_n(&r->gc.sweeps_failed, __ATOMIC_RELAXED));
	ctl_json_u64(j, "tombstones", sum.dp.tombstones);
	ctl_json_u64(j, "removed", sum.core.gc_removed);
	ctl_json_u64(j, "keys", sum.dp.keys);
	job_json(r, j);
	return 0;
}

#define FLOOR_WAIT_MS 2000

static void
floor_json(struct ctl_json *j, uint16_t partition, const struct pk_floor *f)
{
	char b[PK_BALLOT_TEXT];

	pk_ballot_format(&f->ballot, b, sizeof(b));
	ctl_json_open(j, NULL);
	ctl_json_u64(j, "partition", partition);
	ctl_json_str(j, "ballot", b);
	ctl_json_u64(j, "version", f->version);
	ctl_json_close(j);
}

static void
h_floors(void *ctx, struct ctl_json *j)
{
	struct dp_replica *r = ctx;

	ctl_json_open_array(j, "floors");
	for (uint16_t p = 0; p < r->opt->partitions; p++) {
		struct pk_floor f;

		dp_floors_get(r, p, &f);
		floor_json(j, p, &f);
	}
	ctl_json_close_array(j);
}

static int
h_raise_floor(void *ctx, uint16_t partition, const struct pk_ballot *ballot, uint64_t version,
	      struct ctl_json *j, char *err, size_t errlen)
{
	struct dp_replica *r = ctx;
	struct pk_floor f = { .ballot = *ballot, .version = version };

	if (partition >= r->opt->partitions) {
		snprintf(err, errlen, "no partition %u (the replica has %u)", partition,
			 r->opt->partitions);
		return -1;
	}
	switch (dp_floors_raise(r, partition, &f, FLOOR_WAIT_MS)) {
	case 0:
		break;
	case -2:
		snprintf(err, errlen, "out of memory");
		return -1;
	default:
		snprintf(err, errlen, "partition %u did not take the floor within %d ms",
			 partition, FLOOR_WAIT_MS);
		return -1;
	}
	dp_floors_get(r, partition, &f);
	ctl_json_open_array(j, "floors");
	floor_json(j, partition, &f);
	ctl_json_close_array(j);
	return 0;
}

static int
h_fault(void *ctx, const struct ctl_fault *f, struct ctl_json *j, char *err, size_t errlen)
{
	struct dp_replica *r = ctx;
	struct dp_fault_rule rule;
	struct ctl_fault shown;
	static struct dp_counters sum;
	char text[160];

	if (!r->opt->fault_injection) {
		snprintf(err, errlen, "fault injection is off (start parnikd with --fault-injection)");
		return -1;
	}
	if (f != NULL) {
		rule = (struct dp_fault_rule){ .loss_ppm = f->loss_ppm, .dup_ppm = f->dup_ppm,
					       .delay_us = f->delay_us, .jitter_us = f->jitter_us,
					       .peers = f->peers, .clients = f->clients,
					       .dir = f->dir };
		if (dp_plane_set_fault(&r->plane, &rule) != 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		dp_plane_reclaim(&r->plane, 0);
	}
	dp_plane_fault(&r->plane, &rule);
	shown = (struct ctl_fault){ .loss_ppm = rule.loss_ppm, .dup_ppm = rule.dup_ppm,
				    .delay_us = rule.delay_us, .jitter_us = rule.jitter_us,
				    .peers = rule.peers, .clients = rule.clients, .dir = rule.dir };
	ctl_fault_format(&shown, text, sizeof(text));
	ctl_json_str(j, "fault", text);
	dp_plane_counters(&r->plane, &sum);
	ctl_json_u64(j, "dropped", sum.dp.fault_dropped);
	ctl_json_u64(j, "duplicated", sum.dp.fault_duplicated);
	ctl_json_u64(j, "delayed", sum.dp.fault_delayed);
	ctl_json_u64(j, "overflow", sum.dp.fault_overflow);
	return 0;
}

static void
h_job(void *ctx, struct ctl_json *j)
{
	job_json(ctx, j);
}

static void
h_shutdown(void *ctx)
{
	(void)ctx;
	stop_fn();
}

static size_t
h_metrics(void *ctx, char *buf, size_t cap)
{
	return dp_watch_metrics(ctx, buf, cap);
}

static void
h_warn(void *ctx, const char *message)
{
	(void)ctx;
	dp_log(DP_LOG_WARNING, "%s", message);
}

static void
h_tick(void *ctx)
{
	dp_watch_tick(ctx);
}

static void
h_thread_begin(void *ctx)
{
	(void)ctx;
	urcu_qsbr_register_thread();
	urcu_qsbr_thread_offline();	/* online only while walking tables */
}

static void
h_thread_end(void *ctx)
{
	(void)ctx;
	urcu_qsbr_unregister_thread();
}

void
dp_ctl_host_init(struct ctl_host *h, struct dp_replica *r, void (*stop)(void))
{
	stop_fn = stop;
	dp_watch_init(r);
	*h = (struct ctl_host){
		.ctx = r,
		.status = h_status,
		.stats = h_stats,
		.config = h_config,
		.lists = h_lists,
		.keys = h_keys,
		.edit_list = h_edit_list,
		.set_config = h_set_config,
		.admit = h_admit,
		.rescan = h_rescan,
		.catchup = h_catchup,
		.gc = h_gc,
		.floors = h_floors,
		.raise_floor = h_raise_floor,
		.fault = h_fault,
		.job = h_job,
		.metrics = h_metrics,
		.tick = h_tick,
		.warn = h_warn,
		.shutdown = h_shutdown,
		.thread_begin = h_thread_begin,
		.thread_end = h_thread_end,
	};
}
