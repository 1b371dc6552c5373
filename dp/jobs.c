/* Control-plane jobs (see jobs.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <urcu/urcu-qsbr.h>

#include "clock.h"
#include "index_lfht.h"
#include "inject.h"
#include "jobs.h"
#include "log.h"
#include "replica.h"

/* The keys to rescan, packed: partition u16, length u16, bytes. */
struct keylist {
	uint8_t *buf;
	size_t len;
	size_t cap;
	uint64_t count;
	uint16_t partition;	/* being collected */
	bool gc_only;		/* only records GC may reclaim */
	bool nomem;
};

struct slot {
	struct dp_ireq q;
	bool busy;		/* submitted, not answered yet */
	bool queued;		/* filled, waiting for room in the ring */
	uint32_t tries;
};

const char *
dp_job_kind_name(uint8_t kind)
{
	static const char *const names[] = { "rescan", "catchup", "gc" };

	return kind < 3 ? names[kind] : "?";
}

const char *
dp_job_state_name(uint8_t state)
{
	static const char *const names[] = { "idle", "running", "done", "failed" };

	return state < 4 ? names[state] : "?";
}

static int
collect_key(void *arg, const uint8_t *key, uint16_t len, const void *rec)
{
	struct keylist *kl = arg;
	size_t need = 4u + len;

	if (kl->gc_only && !pk_rec_gc_candidate(rec))
		return 0;
	if (kl->len + need > kl->cap) {
		size_t cap = kl->cap == 0 ? 1u << 16 : kl->cap * 2;
		uint8_t *nb = realloc(kl->buf, cap);

		if (nb == NULL) {
			kl->nomem = true;
			return 1;
		}
		kl->buf = nb;
		kl->cap = cap;
	}
	memcpy(kl->buf + kl->len, &kl->partition, 2);
	memcpy(kl->buf + kl->len + 2, &len, 2);
	memcpy(kl->buf + kl->len + 4, key, len);
	kl->len += need;
	kl->count++;
	return 0;
}

/* Every partition's keys, each walked under RCU while its worker runs. */
static int
collect(struct dp_replica *r, struct keylist *kl)
{
	for (uint16_t p = 0; p < r->opt->partitions && !kl->nomem; p++) {
		kl->partition = p;
		(void)dp_plane_walk(&r->plane, p, collect_key, kl);
	}
	return kl->nomem ? -1 : 0;
}

struct counts {
	uint64_t done, failed, retries;
};

/* Progress for the control thread, under the lock; <total> known once the
 * keys are collected.
 */
static void
publish(struct dp_jobs *j, uint64_t total, const struct counts *c)
{
	pthread_mutex_lock(&j->lock);
	j->p.total = total;
	j->p.done = c->done;
	j->p.failed = c->failed;
	j->p.retries = c->retries;
	pthread_mutex_unlock(&j->lock);
}

/* The end: DONE, or FAILED with <error>. */
static void
finish(struct dp_jobs *j, const char *error)
{
	struct dp_job_progress p;

	pthread_mutex_lock(&j->lock);
	j->p.end_us = dp_mono_us();
	j->p.state = error != NULL ? DP_JOB_FAILED : DP_JOB_DONE;
	if (error != NULL)
		snprintf(j->p.error, sizeof(j->p.error), "%s", error);
	p = j->p;
	pthread_mutex_unlock(&j->lock);
	/* GC sweeps run every --gc-interval: their lines are for debugging. */
	dp_log(p.kind == DP_JOB_GC ? DP_LOG_DEBUG : error != NULL ? DP_LOG_WARNING : DP_LOG_INFO,
	       "%s %s: %llu key(s), %llu done, %llu failed, %llu retries, %llu ms%s%s",
	       dp_job_kind_name(p.kind), error != NULL ? "failed" : "done",
	       (unsigned long long)p.total, (unsigned long long)p.done,
	       (unsigned long long)p.failed, (unsigned long long)p.retries,
	       (unsigned long long)(p.end_us - p.start_us) / 1000, error != NULL ? ": " : "",
	       error != NULL ? error : "");
}

/* A key is finished: rescan and catch-up reach or find nothing to do; a
 * GC round removed it, or found it written again, or left it to another
 * node.
 */
static bool
finished(uint8_t kind, uint8_t status)
{
	return status == PK_OK || status == PK_NOT_FOUND ||
	       (kind == DP_JOB_GC && status == PK_CAS_MISMATCH);
}

/* Identity reads worth another try: the key was busy, the round lost to
 * others or to the network. Anything else will not change by retrying.
 * A GC key that fails waits for the next sweep instead.
 */
static bool
retryable(uint8_t status)
{
	return status == PK_BUSY || status == PK_TIMEOUT || status == PK_UNKNOWN_OUTCOME ||
	       status == PK_CONFLICT || status == PK_UNAVAILABLE || status == PK_NO_MEMORY;
}

static bool
stopping(const struct dp_jobs *j)
{
	return __atomic_load_n(&j->cancel, __ATOMIC_ACQUIRE) ||
	       __atomic_load_n(&j->r->stop, __ATOMIC_RELAXED);
}

static void *
job_main(void *arg)
{
	struct dp_jobs *j = arg;
	struct dp_replica *r = j->r;
	struct keylist kl = { 0 };
	struct counts c = { 0 };
	struct slot *slots;
	uint32_t window = j->p.window;
	uint8_t kind = j->p.kind;
	uint32_t tries = kind == DP_JOB_GC ? 1 : DP_RESCAN_TRIES;
	size_t next = 0;
	uint64_t sent = 0, last_publish = 0;
	char error[160] = "";

	urcu_qsbr_register_thread();
	urcu_qsbr_thread_offline();
	slots = calloc(window, sizeof(*slots));
	j->slots = slots;	/* freed by the next job or dp_jobs_fini */
	kl.gc_only = kind == DP_JOB_GC;
	if (slots == NULL || collect(r, &kl) != 0) {
		finish(j, "out of memory collecting the keys");
		goto out;
	}
	publish(j, kl.count, &c);
	while (c.done + c.failed < kl.count && !stopping(j)) {
		bool moved = false;

		for (uint32_t s = 0; s < window; s++) {
			struct slot *sl = &slots[s];

			if (sl->busy && dp_ireq_done(&sl->q)) {
				sl->busy = false;
				moved = true;
				if (finished(kind, sl->q.status)) {
					c.done++;
				} else if (retryable(sl->q.status) && sl->tries < tries) {
					sl->queued = true;
					c.retries++;
				} else {
					c.failed++;
					if (error[0] == 0)
						snprintf(error, sizeof(error),
							 "a key of partition %u: %s after %u tries",
							 sl->q.partition, pk_status_name(sl->q.status),
							 sl->tries);
				}
			}
			if (!sl->busy && !sl->queued && sent < kl.count) {
				uint16_t len;

				memcpy(&sl->q.partition, kl.buf + next, 2);
				memcpy(&len, kl.buf + next + 2, 2);
				memcpy(sl->q.key, kl.buf + next + 4, len);
				sl->q.key_len = len;
				sl->q.op = PK_OP_GET;
				sl->q.kind = kind == DP_JOB_CATCHUP ? DP_IREQ_INSTALL
					   : kind == DP_JOB_GC	   ? DP_IREQ_GC
								   : DP_IREQ_CLIENT;
				sl->q.target = j->p.target;
				sl->tries = 0;
				sl->queued = true;
				next += 4u + len;
				sent++;
			}
			if (sl->queued && dp_inject_submit(r, &sl->q) == 0) {
				sl->queued = false;
				sl->busy = true;
				sl->tries++;
				moved = true;
			}
		}
		if (dp_mono_us() - last_publish > 10000) {
			publish(j, kl.count, &c);
			last_publish = dp_mono_us();
		}
		if (!moved)
			usleep(50);
	}
	publish(j, kl.count, &c);
	finish(j, stopping(j) ? "stopped (shutdown)" : c.failed > 0 ? error : NULL);
out:
	free(kl.buf);
	urcu_qsbr_unregister_thread();
	return NULL;
}

void
dp_jobs_init(struct dp_jobs *j, struct dp_replica *r)
{
	memset(j, 0, sizeof(*j));
	j->r = r;
	pthread_mutex_init(&j->lock, NULL);
}

static int
start(struct dp_jobs *j, uint8_t kind, uint16_t target, uint32_t window, char *err,
      size_t errlen)
{
	int rc = 0;

	if (window == 0 || window > DP_JOB_WINDOW_MAX) {
		snprintf(err, errlen, "window %u is not 1..%d", window, DP_JOB_WINDOW_MAX);
		return -1;
	}
	pthread_mutex_lock(&j->lock);
	if (j->p.state == DP_JOB_RUNNING) {
		rc = 1;
		goto out;
	}
	if (j->joinable) {
		pthread_join(j->thread, NULL);
		j->joinable = false;
	}
	/* The last job finished every request it sent: nothing refers to
	 * its slots any more.
	 */
	free(j->slots);
	j->slots = NULL;
	memset(&j->p, 0, sizeof(j->p));
	j->p.state = DP_JOB_RUNNING;
	j->p.kind = kind;
	j->p.target = target;
	j->p.window = window;
	{
		struct pk_config cfg;

		dp_plane_config(&j->r->plane, &cfg);
		j->p.epoch = cfg.epoch;
	}
	j->p.start_us = dp_mono_us();
	if (kind == DP_JOB_CATCHUP)
		dp_log(DP_LOG_INFO, "catchup into node %u started (epoch %u, %u in flight)", target,
		       j->p.epoch, window);
	else
		dp_log(kind == DP_JOB_GC ? DP_LOG_DEBUG : DP_LOG_INFO,
		       "%s started (epoch %u, %u in flight)", dp_job_kind_name(kind), j->p.epoch,
		       window);
	if (pthread_create(&j->thread, NULL, job_main, j) != 0) {
		j->p.state = DP_JOB_FAILED;
		snprintf(err, errlen, "cannot start the job thread");
		rc = -1;
		goto out;
	}
	j->joinable = true;
out:
	pthread_mutex_unlock(&j->lock);
	return rc;
}

int
dp_jobs_rescan(struct dp_jobs *j, uint32_t window, char *err, size_t errlen)
{
	return start(j, DP_JOB_RESCAN, 0, window, err, errlen);
}

int
dp_jobs_catchup(struct dp_jobs *j, uint16_t target, uint32_t window, char *err, size_t errlen)
{
	if (!dp_replica_is_member(j->r, target) || target == j->r->opt->node) {
		snprintf(err, errlen, "catch-up target %u: not another member", target);
		return -1;
	}
	return start(j, DP_JOB_CATCHUP, target, window, err, errlen);
}

int
dp_jobs_gc(struct dp_jobs *j, uint32_t window, char *err, size_t errlen)
{
	return start(j, DP_JOB_GC, 0, window, err, errlen);
}

void
dp_jobs_progress(struct dp_jobs *j, struct dp_job_progress *out)
{
	pthread_mutex_lock(&j->lock);
	*out = j->p;
	pthread_mutex_unlock(&j->lock);
}

void
dp_jobs_fini(struct dp_jobs *j)
{
	__atomic_store_n(&j->cancel, true, __ATOMIC_RELEASE);
	if (j->joinable)
		pthread_join(j->thread, NULL);
	j->joinable = false;
	/* The workers have stopped: no one completes a request any more. */
	free(j->slots);
	j->slots = NULL;
	pthread_mutex_destroy(&j->lock);
}
