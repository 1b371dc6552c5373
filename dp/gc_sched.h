/* When the deletion GC sweeps (dp/core/gc.c has the procedure, jobs.h the
 * sweep): a thread of the control plane that, while deleted keys or bare
 * promise records wait, starts a sweep at most every --gc-interval, and
 * after a sweep that left keys behind (a replica down, the key busy) waits
 * longer each time, up to DP_GC_BACKOFF_MAX_MS. `gc` on the control socket
 * sweeps at once; `gc hold [SECONDS]` stops new sweeps for a while
 * (parnikctl holds GC on every replica while it changes the membership,
 * renewing the hold as it goes: removals and catch-up must not overlap)
 * and waits for a running one; `gc release` lets them run again. A hold
 * ends by itself, so a parnikctl killed mid-change does not leave the GC
 * stopped for good.
 */
#ifndef DP_GC_SCHED_H
#define DP_GC_SCHED_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define DP_GC_WINDOW 64
#define DP_GC_BACKOFF_MAX_MS 30000

struct dp_replica;

struct dp_gc_sched {
	struct dp_replica *r;
	uint32_t interval_ms;
	pthread_t thread;
	pthread_mutex_t lock;	/* a hold and a sweep's start never cross */
	bool running;		/* the thread was started */
	bool stop;		/* atomic */
	uint64_t held_until_us;	/* atomic: dp_mono_us() the hold ends; 0 none */
	uint64_t sweeps;	/* atomic: started */
	uint64_t sweeps_failed;	/* atomic: ended with keys left */
	uint64_t next_us;	/* scheduler thread only */
	uint32_t backoff_ms;	/* scheduler thread only */
};

/* Starts the scheduler (interval 0: only `gc` sweeps). Returns 0 or -1. */
int dp_gc_sched_start(struct dp_gc_sched *g, struct dp_replica *r, uint32_t interval_ms);

/* Holds sweeps for <hold_s> seconds from now (0 releases them); holding
 * waits (up to <wait_ms>) for a sweep under way to end. Returns false when
 * one is still running.
 */
bool dp_gc_sched_hold(struct dp_gc_sched *g, uint32_t hold_s, uint32_t wait_ms);

/* Milliseconds the hold still lasts; 0 when sweeps may run. */
uint64_t dp_gc_sched_hold_left_ms(const struct dp_gc_sched *g);

/* A sweep now (the `gc` command). Returns 0 started, 1 another job runs,
 * -1 held or refused (<err> filled).
 */
int dp_gc_sched_sweep(struct dp_gc_sched *g, char *err, size_t errlen);

void dp_gc_sched_stop(struct dp_gc_sched *g);

#endif
