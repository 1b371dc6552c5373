/* Long control-plane jobs of one replica, run on their own thread so the
 * control socket keeps answering (and reports their progress): the
 * membership rescan and catch-up. One job at a time.
 *
 * Rescan (CASPaxos paper 2.3; docs/CASPAXOS.md section 4): every key this replica's
 * acceptors hold a record for — values, tombstones, bare promises — is
 * collected from the partitions' tables under RCU while the workers run,
 * then each gets an identity change (a GET: the proposer writes back what
 * it read, unless a full prepare quorum proves it chosen on an accept
 * quorum of the running config) through this replica's own proposers,
 * with a window of requests in flight. A key that fails is retried up to
 * DP_RESCAN_TRIES times; if any key still fails the job ends FAILED, and
 * running it again is safe (identity changes are idempotent).
 *
 * Catch-up (CASPaxos 2.3.3, the cheaper alternative when growing): the same
 * keys, but each one's accepted (ballot, state) is copied to one target
 * acceptor (INSTALL, installs.h), which keeps the newer of its own and the
 * copy and never lowers its promise. Idempotent too.
 *
 * GC sweep (deletion GC, dp/core/gc.c): the records GC may reclaim — a
 * deleted state, or nothing accepted — are collected the same way and each
 * is handed to its worker, which runs the GC round if this node
 * coordinates the key. A key that fails is left to the next sweep (one
 * try each); the sweep ends FAILED when any did, and gc_sched.c backs off.
 */
#ifndef DP_JOBS_H
#define DP_JOBS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define DP_RESCAN_TRIES 30
#define DP_JOB_WINDOW_MAX 1024

enum dp_job_state { DP_JOB_IDLE, DP_JOB_RUNNING, DP_JOB_DONE, DP_JOB_FAILED };
enum dp_job_kind { DP_JOB_RESCAN, DP_JOB_CATCHUP, DP_JOB_GC };

struct dp_job_progress {
	uint8_t state;		/* enum dp_job_state */
	uint8_t kind;		/* enum dp_job_kind */
	uint16_t target;	/* catch-up: the node copied to */
	uint32_t epoch;		/* config epoch when it started */
	uint32_t window;
	uint64_t total;		/* keys to do (known once collected) */
	uint64_t done;		/* keys finished */
	uint64_t failed;	/* keys given up */
	uint64_t retries;	/* attempts after a key's first */
	uint64_t start_us;	/* monotonic */
	uint64_t end_us;	/* 0 while running */
	char error[160];	/* FAILED: the first reason */
};

struct dp_replica;

struct dp_jobs {
	struct dp_replica *r;
	pthread_mutex_t lock;	/* guards <p> and the thread handle */
	struct dp_job_progress p;
	pthread_t thread;
	bool joinable;
	void *slots;		/* requests of the last job; workers may still
				 * answer them until they stop */
	bool cancel;		/* atomic: stop now (shutdown) */
};

void dp_jobs_init(struct dp_jobs *j, struct dp_replica *r);

/* Starts a rescan with <window> requests in flight (1..DP_JOB_WINDOW_MAX).
 * Returns 0 when started, 1 when a job is already running (nothing
 * started), -1 with <err> filled.
 */
int dp_jobs_rescan(struct dp_jobs *j, uint32_t window, char *err, size_t errlen);

/* Starts a catch-up of every key into node <target>; as dp_jobs_rescan. */
int dp_jobs_catchup(struct dp_jobs *j, uint16_t target, uint32_t window, char *err,
		    size_t errlen);

/* Starts a GC sweep; as dp_jobs_rescan. */
int dp_jobs_gc(struct dp_jobs *j, uint32_t window, char *err, size_t errlen);

/* A consistent copy of the current (or last) job's progress. */
void dp_jobs_progress(struct dp_jobs *j, struct dp_job_progress *out);

const char *dp_job_state_name(uint8_t state);
const char *dp_job_kind_name(uint8_t kind);

/* Stops a running job and joins its thread. Call after the workers have
 * stopped (requests in flight are abandoned) and before dp_replica_fini.
 */
void dp_jobs_fini(struct dp_jobs *j);

#endif
