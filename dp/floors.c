/* Acceptor floors across threads (see floors.h). */
#include <time.h>

#include "floors.h"
#include "replica.h"

static bool
floor_equal(const struct pk_floor *a, const struct pk_floor *b)
{
	return pk_ballot_cmp(&a->ballot, &b->ballot) == 0 && a->version == b->version;
}

void
dp_floors_follow(struct dp_lcore *l)
{
	const struct dp_control *ctl = dp_plane_follow(&l->r->plane);

	for (uint16_t i = 0; i < l->nparts; i++) {
		uint16_t pi = l->parts[i];
		struct dp_partition *p = &l->r->part[pi];
		struct pk_floor f;

		if (ctl->floor_seq[pi] != p->floor_seq_seen) {
			p->floor_seq_seen = ctl->floor_seq[pi];
			pk_worker_raise_floor(p->w, &ctl->floor_want[pi]);
		}
		f = pk_worker_floor(p->w);
		if (!floor_equal(&f, &p->floor_last)) {
			p->floor_last = f;
			dp_plane_report_floor(&l->r->plane, pi, &f);
		}
	}
}

void
dp_floors_get(struct dp_replica *r, uint16_t p, struct pk_floor *f)
{
	dp_plane_floor(&r->plane, p, f);
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
	struct pk_floor have;
	const struct timespec tick = { .tv_nsec = 1000 * 1000 };
	int rc = -1;

	/* Floors only rise: a smaller request than an earlier one keeps it. */
	if (dp_plane_request_floor(&r->plane, p, f) != 0)
		return -2;
	for (unsigned int waited = 0;; waited++) {
		dp_floors_get(r, p, &have);
		if (covers(&have, f)) {
			rc = 0;
			break;
		}
		if (waited >= timeout_ms)
			break;
		nanosleep(&tick, NULL);
	}
	dp_plane_reclaim(&r->plane, 0);
	return rc;
}
