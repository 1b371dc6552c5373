/* The boundary between the control plane and the lcores (see plane.h). */
#include <stdlib.h>
#include <string.h>

#include <urcu/pointer.h>
#include <urcu/urcu-qsbr.h>

#include "index_lfht.h"
#include "plane.h"

static struct dp_plane_cfg *
cfg_copy(const struct pk_config *c)
{
	struct dp_plane_cfg *pc = calloc(1, sizeof(*pc));

	if (pc != NULL)
		pc->cfg = *c;
	return pc;
}

/* Publishes <next> (built by the caller from the current snapshot) in its
 * place; the old one waits for dp_plane_reclaim. Under the lock.
 */
static void
publish(struct dp_plane *pl, struct dp_control *next)
{
	struct dp_control *old = pl->control;

	rcu_assign_pointer(pl->control, next);
	if (old != NULL) {
		old->next_retired = pl->retired;
		pl->retired = old;
	}
}

/* A copy of the current snapshot to edit, or NULL (no memory). */
static struct dp_control *
edit(const struct dp_plane *pl)
{
	struct dp_control *c = malloc(sizeof(*c));

	if (c != NULL) {
		*c = *pl->control;
		c->next_retired = NULL;
	}
	return c;
}

int
dp_plane_init(struct dp_plane *pl, const struct pk_config *initial, bool admitted,
	      uint16_t nworkers, uint16_t partitions, void (*kick)(void *ctx), void *kick_ctx)
{
	struct dp_control *c = calloc(1, sizeof(*c));

	memset(pl, 0, sizeof(*pl));
	pthread_mutex_init(&pl->lock, NULL);
	pl->nworkers = nworkers;
	pl->partitions = partitions;
	pl->kick = kick;
	pl->kick_ctx = kick_ctx;
	pl->cfg = cfg_copy(initial);
	if (c == NULL || pl->cfg == NULL) {
		free(c);
		free(pl->cfg);
		pl->cfg = NULL;
		return -1;
	}
	pl->current = *initial;
	c->cfg = &pl->cfg->cfg;
	c->admitted = admitted;
	for (uint16_t w = 0; w < DP_MAX_WORKERS; w++)
		pl->report[w].epoch_seen = pl->report[w].oldest_epoch = initial->epoch;
	publish(pl, c);
	return 0;
}

static void
free_retired(struct dp_control *c, struct dp_plane_cfg *pc)
{
	while (c != NULL) {
		struct dp_control *next = c->next_retired;

		free(c);
		c = next;
	}
	while (pc != NULL) {
		struct dp_plane_cfg *next = pc->next_retired;

		free(pc);
		pc = next;
	}
}

void
dp_plane_fini(struct dp_plane *pl)
{
	free_retired(pl->retired, pl->retired_cfgs);
	free(pl->control);
	free(pl->cfg);
	pl->retired = NULL;
	pl->retired_cfgs = NULL;
	pl->control = NULL;
	pl->cfg = NULL;
	pthread_mutex_destroy(&pl->lock);
}

/* ---- the floor cells ---- */

/* One writer per cell. */
static void
floor_store(struct dp_floor_cell *c, const struct pk_floor *f)
{
	uint32_t s = __atomic_load_n(&c->seq, __ATOMIC_RELAXED);

	__atomic_store_n(&c->seq, s + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&c->counter, f->ballot.counter, __ATOMIC_RELAXED);
	__atomic_store_n(&c->incarnation, f->ballot.incarnation, __ATOMIC_RELAXED);
	__atomic_store_n(&c->node, f->ballot.node, __ATOMIC_RELAXED);
	__atomic_store_n(&c->worker, f->ballot.worker, __ATOMIC_RELAXED);
	__atomic_store_n(&c->version, f->version, __ATOMIC_RELAXED);
	__atomic_store_n(&c->seq, s + 2, __ATOMIC_RELEASE);
}

/* A consistent copy of the cell. */
static void
floor_load(const struct dp_floor_cell *c, struct pk_floor *f)
{
	for (;;) {
		uint32_t s = __atomic_load_n(&c->seq, __ATOMIC_ACQUIRE);

		if ((s & 1) != 0)
			continue;	/* the writer is a few stores from done */
		f->ballot.counter = __atomic_load_n(&c->counter, __ATOMIC_RELAXED);
		f->ballot.incarnation = __atomic_load_n(&c->incarnation, __ATOMIC_RELAXED);
		f->ballot.node = __atomic_load_n(&c->node, __ATOMIC_RELAXED);
		f->ballot.worker = __atomic_load_n(&c->worker, __ATOMIC_RELAXED);
		f->version = __atomic_load_n(&c->version, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&c->seq, __ATOMIC_RELAXED) == s)
			return;
	}
}

/* ---- control side ---- */

void
dp_plane_config(struct dp_plane *pl, struct pk_config *out)
{
	pthread_mutex_lock(&pl->lock);
	*out = pl->current;
	pthread_mutex_unlock(&pl->lock);
}

bool
dp_plane_admitted(struct dp_plane *pl)
{
	bool a;

	pthread_mutex_lock(&pl->lock);
	a = pl->control->admitted;
	pthread_mutex_unlock(&pl->lock);
	return a;
}

int
dp_plane_publish_config(struct dp_plane *pl, const struct pk_config *next)
{
	struct dp_plane_cfg *pc = cfg_copy(next);
	struct dp_control *c;

	pthread_mutex_lock(&pl->lock);
	c = edit(pl);
	if (pc == NULL || c == NULL) {
		pthread_mutex_unlock(&pl->lock);
		free(pc);
		free(c);
		return -1;
	}
	c->cfg = &pc->cfg;
	pl->cfg->next_retired = pl->retired_cfgs;
	pl->retired_cfgs = pl->cfg;
	pl->cfg = pc;
	pl->current = *next;
	publish(pl, c);
	pthread_mutex_unlock(&pl->lock);
	pl->kick(pl->kick_ctx);
	return 0;
}

int
dp_plane_admit(struct dp_plane *pl)
{
	struct dp_control *c;

	pthread_mutex_lock(&pl->lock);
	if (pl->control->admitted) {
		pthread_mutex_unlock(&pl->lock);
		return 0;
	}
	c = edit(pl);
	if (c == NULL) {
		pthread_mutex_unlock(&pl->lock);
		return -1;
	}
	c->admitted = true;
	publish(pl, c);
	pthread_mutex_unlock(&pl->lock);
	pl->kick(pl->kick_ctx);
	return 0;
}

int
dp_plane_request_floor(struct dp_plane *pl, uint16_t p, const struct pk_floor *f)
{
	struct dp_control *c;

	pthread_mutex_lock(&pl->lock);
	c = edit(pl);
	if (c == NULL) {
		pthread_mutex_unlock(&pl->lock);
		return -1;
	}
	pk_floor_raise(&c->floor_want[p], &f->ballot, f->version);
	c->floor_seq[p]++;
	publish(pl, c);
	pthread_mutex_unlock(&pl->lock);
	pl->kick(pl->kick_ctx);
	return 0;
}

int
dp_plane_set_fault(struct dp_plane *pl, const struct dp_fault_rule *r)
{
	struct dp_control *c;

	pthread_mutex_lock(&pl->lock);
	c = edit(pl);
	if (c == NULL) {
		pthread_mutex_unlock(&pl->lock);
		return -1;
	}
	c->fault = *r;
	c->fault_seq++;
	publish(pl, c);
	pthread_mutex_unlock(&pl->lock);
	pl->kick(pl->kick_ctx);
	return 0;
}

void
dp_plane_fault(struct dp_plane *pl, struct dp_fault_rule *out)
{
	pthread_mutex_lock(&pl->lock);
	*out = pl->control->fault;
	pthread_mutex_unlock(&pl->lock);
}

bool
dp_plane_barrier(const struct dp_plane *pl, uint32_t epoch)
{
	for (uint16_t w = 0; w < pl->nworkers; w++) {
		const struct dp_report *r = &pl->report[w];

		if (__atomic_load_n(&r->epoch_seen, __ATOMIC_ACQUIRE) != epoch ||
		    __atomic_load_n(&r->oldest_epoch, __ATOMIC_ACQUIRE) != epoch)
			return false;
	}
	return true;
}

void
dp_plane_reclaim(struct dp_plane *pl, uint32_t epoch)
{
	struct dp_control *snaps;
	struct dp_plane_cfg *cfgs = NULL, **link;

	pthread_mutex_lock(&pl->lock);
	snaps = pl->retired;
	pl->retired = NULL;
	/* A config older than a passed barrier: no lcore runs it and no
	 * round counts in it any more.
	 */
	link = &pl->retired_cfgs;
	while (epoch != 0 && *link != NULL) {
		struct dp_plane_cfg *pc = *link;

		if (pc->cfg.epoch < epoch) {
			*link = pc->next_retired;
			pc->next_retired = cfgs;
			cfgs = pc;
		} else {
			link = &pc->next_retired;
		}
	}
	pthread_mutex_unlock(&pl->lock);
	if (snaps == NULL && cfgs == NULL)
		return;
	/* Every lcore has passed a quiescent state since they were
	 * replaced: none still holds a snapshot it read before.
	 */
	urcu_qsbr_synchronize_rcu();
	free_retired(snaps, cfgs);
}

void
dp_plane_floor(const struct dp_plane *pl, uint16_t p, struct pk_floor *f)
{
	floor_load(&pl->floor[p], f);
}

void
dp_plane_report(const struct dp_plane *pl, uint16_t w, struct dp_report *out)
{
	const struct dp_report *r = &pl->report[w];

	out->lcore_id = __atomic_load_n(&r->lcore_id, __ATOMIC_RELAXED);
	out->epoch_seen = __atomic_load_n(&r->epoch_seen, __ATOMIC_ACQUIRE);
	out->oldest_epoch = __atomic_load_n(&r->oldest_epoch, __ATOMIC_ACQUIRE);
	out->arena_bytes = __atomic_load_n(&r->arena_bytes, __ATOMIC_RELAXED);
	dp_counters_read(&out->counters, &r->counters);
}

void
dp_plane_counters(const struct dp_plane *pl, struct dp_counters *sum)
{
	struct dp_counters one;	/* on the stack: any thread may call this */

	memset(sum, 0, sizeof(*sum));
	pk_hist_reset(&sum->latency);
	for (uint16_t w = 0; w < pl->nworkers; w++) {
		dp_counters_read(&one, &pl->report[w].counters);
		dp_counters_add(sum, &one);
	}
}

uint64_t
dp_plane_walk(const struct dp_plane *pl, uint16_t p,
	      int (*fn)(void *arg, const uint8_t *key, uint16_t len, const void *rec), void *arg)
{
	uint64_t n;

	urcu_qsbr_thread_online();
	n = dp_index_lfht_walk(pl->index[p], fn, arg);
	urcu_qsbr_thread_offline();
	return n;
}

/* ---- lcore side ---- */

const struct dp_control *
dp_plane_follow(const struct dp_plane *pl)
{
	return rcu_dereference(pl->control);
}

void
dp_plane_report_lcore(struct dp_plane *pl, uint16_t w, unsigned int lcore_id)
{
	__atomic_store_n(&pl->report[w].lcore_id, (uint32_t)lcore_id, __ATOMIC_RELAXED);
}

void
dp_plane_report_epochs(struct dp_plane *pl, uint16_t w, uint32_t seen, uint32_t oldest)
{
	__atomic_store_n(&pl->report[w].epoch_seen, seen, __ATOMIC_RELEASE);
	__atomic_store_n(&pl->report[w].oldest_epoch, oldest, __ATOMIC_RELEASE);
}

void
dp_plane_report_floor(struct dp_plane *pl, uint16_t p, const struct pk_floor *f)
{
	floor_store(&pl->floor[p], f);
}

void
dp_plane_report_counters(struct dp_plane *pl, uint16_t w, const struct dp_counters *live,
			 uint64_t arena_bytes)
{
	dp_counters_publish(&pl->report[w].counters, live);
	__atomic_store_n(&pl->report[w].arena_bytes, arena_bytes, __ATOMIC_RELAXED);
}
