/* Acceptor floors across threads (see floors.h). */
#include <time.h>

#include "floors.h"
#include "replica.h"

void
dp_floor_store(struct dp_floor_cell *c, const struct pk_floor *f)
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

uint32_t
dp_floor_load(const struct dp_floor_cell *c, struct pk_floor *f)
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
			return s;
	}
}

static bool
floor_equal(const struct pk_floor *a, const struct pk_floor *b)
{
	return pk_ballot_cmp(&a->ballot, &b->ballot) == 0 && a->version == b->version;
}

void
dp_floors_follow(struct dp_lcore *l)
{
	for (uint16_t i = 0; i < l->nparts; i++) {
		struct dp_partition *p = &l->r->part[l->parts[i]];
		struct pk_floor f;

		if (__atomic_load_n(&p->floor_want.seq, __ATOMIC_ACQUIRE) != p->floor_want_seen) {
			p->floor_want_seen = dp_floor_load(&p->floor_want, &f);
			pk_worker_raise_floor(p->w, &f);
		}
		f = pk_worker_floor(p->w);
		if (!floor_equal(&f, &p->floor_last)) {
			p->floor_last = f;
			dp_floor_store(&p->floor_pub, &f);
		}
	}
}

void
dp_floors_get(const struct dp_replica *r, uint16_t p, struct pk_floor *f)
{
	(void)dp_floor_load(&r->part[p].floor_pub, f);
}

static bool
covers(const struct pk_floor *have, const struct pk_floor *want)
{
	return pk_ballot_cmp(&have->ballot, &want->ballot) >= 0 && have->version >= want->version;
}

int
dp_floors_raise(struct dp_replica *r, uint16_t p, const struct pk_floor *f,
		unsigned int timeout_ms)
{
	struct pk_floor want, have;
	const struct timespec tick = { .tv_nsec = 1000 * 1000 };

	/* Floors only rise: a smaller request than an earlier one keeps it. */
	(void)dp_floor_load(&r->part[p].floor_want, &want);
	pk_floor_raise(&want, &f->ballot, f->version);
	dp_floor_store(&r->part[p].floor_want, &want);
	dp_replica_kick_all(r);
	for (unsigned int waited = 0;; waited++) {
		dp_floors_get(r, p, &have);
		if (covers(&have, f))
			return 0;
		if (waited >= timeout_ms)
			return -1;
		nanosleep(&tick, NULL);
	}
}
