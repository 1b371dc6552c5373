/* Deletion GC scheduling (see gc_sched.h). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "gc_sched.h"
#include "jobs.h"
#include "replica.h"

#define TICK_US 50000

/* Something for a sweep: deleted states, or records with nothing accepted
 * (keys minus accepted keys).
 */
static bool
work_waits(const struct dp_replica *r)
{
	static __thread struct dp_counters sum;

	dp_plane_counters(&r->plane, &sum);
	return sum.dp.tombstones > 0 || sum.dp.keys > sum.dp.keys_accepted;
}

static bool
gc_running(struct dp_replica *r)
{
	struct dp_job_progress p;

	dp_jobs_progress(&r->jobs, &p);
	return p.state == DP_JOB_RUNNING && p.kind == DP_JOB_GC;
}

/* Waits for the sweep just started; true when it left nothing behind. */
static bool
wait_sweep(struct dp_gc_sched *g)
{
	struct dp_job_progress p;

	for (;;) {
		dp_jobs_progress(&g->r->jobs, &p);
		if (p.state != DP_JOB_RUNNING || __atomic_load_n(&g->stop, __ATOMIC_ACQUIRE))
			return p.state == DP_JOB_DONE;
		usleep(TICK_US / 5);
	}
}

static void *
sched_main(void *arg)
{
	struct dp_gc_sched *g = arg;
	char err[160];

	while (!__atomic_load_n(&g->stop, __ATOMIC_ACQUIRE)) {
		uint64_t now = dp_mono_us();

		usleep(TICK_US);
		if (g->interval_ms == 0 || now < g->next_us || dp_gc_sched_hold_left_ms(g) > 0 ||
		    !work_waits(g->r))
			continue;
		/* 1: another job (rescan, catch-up) runs; try next tick. */
		if (dp_gc_sched_sweep(g, err, sizeof(err)) != 0)
			continue;
		if (wait_sweep(g)) {
			g->backoff_ms = g->interval_ms;
		} else {
			__atomic_add_fetch(&g->sweeps_failed, 1, __ATOMIC_RELAXED);
			g->backoff_ms = g->backoff_ms * 2 > DP_GC_BACKOFF_MAX_MS
						? DP_GC_BACKOFF_MAX_MS : g->backoff_ms * 2;
		}
		g->next_us = dp_mono_us() + (uint64_t)g->backoff_ms * 1000;
	}
	return NULL;
}

int
dp_gc_sched_sweep(struct dp_gc_sched *g, char *err, size_t errlen)
{
	int rc;

	pthread_mutex_lock(&g->lock);
	if (dp_gc_sched_hold_left_ms(g) > 0) {
		snprintf(err, errlen, "GC is held for %llu more s (a membership change is under way)",
			 (unsigned long long)(dp_gc_sched_hold_left_ms(g) + 999) / 1000);
		rc = -1;
	} else {
		rc = dp_jobs_gc(&g->r->jobs, DP_GC_WINDOW, err, errlen);
		if (rc == 0)
			__atomic_add_fetch(&g->sweeps, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&g->lock);
	return rc;
}

int
dp_gc_sched_start(struct dp_gc_sched *g, struct dp_replica *r, uint32_t interval_ms)
{
	memset(g, 0, sizeof(*g));
	g->r = r;
	g->interval_ms = interval_ms;
	g->backoff_ms = interval_ms;
	pthread_mutex_init(&g->lock, NULL);
	if (pthread_create(&g->thread, NULL, sched_main, g) != 0)
		return -1;
	g->running = true;
	return 0;
}

uint64_t
dp_gc_sched_hold_left_ms(const struct dp_gc_sched *g)
{
	uint64_t until = __atomic_load_n(&g->held_until_us, __ATOMIC_ACQUIRE), now = dp_mono_us();

	return until > now ? (until - now + 999) / 1000 : 0;
}

bool
dp_gc_sched_hold(struct dp_gc_sched *g, uint32_t hold_s, uint32_t wait_ms)
{
	uint64_t now = dp_mono_us(), until = now + (uint64_t)wait_ms * 1000;

	pthread_mutex_lock(&g->lock);
	__atomic_store_n(&g->held_until_us, hold_s > 0 ? now + (uint64_t)hold_s * 1000000 : 0,
			 __ATOMIC_RELEASE);
	pthread_mutex_unlock(&g->lock);
	if (hold_s == 0)
		return true;
	while (gc_running(g->r)) {
		if (dp_mono_us() > until)
			return false;
		usleep(TICK_US / 5);
	}
	return true;
}

void
dp_gc_sched_stop(struct dp_gc_sched *g)
{
	if (!g->running)
		return;
	__atomic_store_n(&g->stop, true, __ATOMIC_RELEASE);
	pthread_join(g->thread, NULL);
	g->running = false;
}
