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
	for (uint16_t w = 0; w < DP_MAX_WORKERS; w++) {
		pl->report[w].epoch_seen = pl->report[w].oldest_epoch = initial->epoch;
		pk_hist_reset(&pl->report[w].counters.latency);
	}
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
	/* The lock stays: DPDK's telemetry thread outlives the replica and
	 * may still ask for the config (a copy kept in <current>).
	 */
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

/* Publishes a copy of the current snapshot changed by <change> (unless it
 * says nothing changed), and wakes the lcores to follow it. Returns 0, or
 * -1 (no memory).
 */
static int
publish_changed(struct dp_plane *pl, bool (*change)(struct dp_plane *pl, struct dp_control *c,
						     const void *arg),
		const void *arg)
{
	struct dp_control *c;
	bool changed;

	pthread_mutex_lock(&pl->lock);
	c = edit(pl);
	if (c == NULL) {
		pthread_mutex_unlock(&pl->lock);
		return -1;
	}
	changed = change(pl, c, arg);
	if (changed)
		publish(pl, c);
	else
		free(c);
	pthread_mutex_unlock(&pl->lock);
	if (changed)
		pl->kick(pl->kick_ctx);
	return 0;
}

/* The new config's allocation is the caller's: it moves into the plane. */
static bool
set_config(struct dp_plane *pl, struct dp_control *c, const void *arg)
{
	struct dp_plane_cfg *pc = (struct dp_plane_cfg *)arg;

	c->cfg = &pc->cfg;
	pl->cfg->next_retired = pl->retired_cfgs;
	pl->retired_cfgs = pl->cfg;
	pl->cfg = pc;
	pl->current = pc->cfg;
	return true;
}

int
dp_plane_publish_config(struct dp_plane *pl, const struct pk_config *next)
{
	struct dp_plane_cfg *pc = cfg_copy(next);

	if (pc == NULL)
		return -1;
	if (publish_changed(pl, set_config, pc) != 0) {
		free(pc);
		return -1;
	}
	return 0;
}

static bool
set_admitted(struct dp_plane *pl, struct dp_control *c, const void *arg)
{
	(void)pl;
	(void)arg;
	if (c->admitted)
		return false;	/* admitted already (census and control both may) */
	c->admitted = true;
	return true;
}

int
dp_plane_admit(struct dp_plane *pl)
{
	return publish_changed(pl, set_admitted, NULL);
}

struct floor_ask {
	uint16_t p;
	const struct pk_floor *f;
};

static bool
raise_floor(struct dp_plane *pl, struct dp_control *c, const void *arg)
{
	const struct floor_ask *a = arg;

	(void)pl;
	pk_floor_raise(&c->floor_want[a->p], &a->f->ballot, a->f->version);
	c->floor_seq[a->p]++;
	return true;
}

int
dp_plane_request_floor(struct dp_plane *pl, uint16_t p, const struct pk_floor *f)
{
	struct floor_ask a = { .p = p, .f = f };

	return publish_changed(pl, raise_floor, &a);
}

static bool
set_fault(struct dp_plane *pl, struct dp_control *c, const void *arg)
{
	(void)pl;
	c->fault = *(const struct dp_fault_rule *)arg;
	c->fault_seq++;
	return true;
}

int
dp_plane_set_fault(struct dp_plane *pl, const struct dp_fault_rule *r)
{
	return publish_changed(pl, set_fault, r);
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
dp_plane_report_peers(struct dp_plane *pl, uint16_t w, const uint64_t heard[PK_MAX_NODES])
{
	for (unsigned int n = 0; n < PK_MAX_NODES; n++)
		__atomic_store_n(&pl->report[w].peer_heard_us[n], heard[n], __ATOMIC_RELAXED);
}

void
dp_plane_peers_heard(const struct dp_plane *pl, uint64_t out[PK_MAX_NODES])
{
	for (unsigned int n = 0; n < PK_MAX_NODES; n++)
		out[n] = 0;
	for (uint16_t w = 0; w < pl->nworkers; w++)
		for (unsigned int n = 0; n < PK_MAX_NODES; n++) {
			uint64_t t = __atomic_load_n(&pl->report[w].peer_heard_us[n],
						     __ATOMIC_RELAXED);

			if (t > out[n])
				out[n] = t;
		}
}

void
dp_plane_report_counters(struct dp_plane *pl, uint16_t w, const struct dp_counters *live,
			 uint64_t arena_bytes)
{
	dp_counters_publish(&pl->report[w].counters, live);
	__atomic_store_n(&pl->report[w].arena_bytes, arena_bytes, __ATOMIC_RELAXED);
}
