/* Membership steps on one replica (see membership.h). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <urcu/pointer.h>

#include "membership.h"

static uint64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static bool
is_member(const struct dp_replica *r, uint16_t id)
{
	for (unsigned int i = 0; i < r->opt->nmembers; i++)
		if (r->opt->members[i].id == id)
			return true;
	return false;
}

static bool
barrier_reached(const struct dp_replica *r, uint32_t epoch)
{
	for (uint16_t w = 0; w < r->nworkers; w++) {
		const struct dp_lcore *l = r->lcores[w];

		if (__atomic_load_n(&l->epoch_seen, __ATOMIC_ACQUIRE) != epoch ||
		    __atomic_load_n(&l->oldest_epoch, __ATOMIC_ACQUIRE) != epoch)
			return false;
	}
	return true;
}

int
dp_membership_edit(struct dp_replica *r, const struct dp_list_edit *e, unsigned int timeout_ms,
		   struct dp_step_result *out, char *err, size_t errlen)
{
	const struct pk_config *cur = r->cfg;	/* we are its only writer */
	struct pk_config next = *cur, *pub;
	uint16_t *mask = e->prepare ? &next.prepare_mask : &next.accept_mask;
	uint8_t *quorum = e->prepare ? &next.prepare_quorum : &next.accept_quorum;
	uint64_t start = mono_us();

	if (!is_member(r, e->id)) {
		snprintf(err, errlen, "node %u is not a member (--member)", e->id);
		return -1;
	}
	if (e->add)
		*mask |= (uint16_t)(1u << e->id);
	else
		*mask &= (uint16_t)~(1u << e->id);
	*quorum = e->quorum;
	if (e->quorum == 0 || e->quorum > pk_mask_count(*mask)) {
		snprintf(err, errlen, "quorum %u for a list of %u", e->quorum, pk_mask_count(*mask));
		return -1;
	}
	if (!pk_config_quorums_intersect(&next)) {
		snprintf(err, errlen, "refused: prepare and accept quorums would not intersect");
		return -1;
	}
	out->changed = next.prepare_mask != cur->prepare_mask ||
		       next.accept_mask != cur->accept_mask ||
		       next.prepare_quorum != cur->prepare_quorum ||
		       next.accept_quorum != cur->accept_quorum;
	if (out->changed) {
		if (r->nretired == DP_MAX_CONFIGS) {
			snprintf(err, errlen, "too many membership steps in this process's life");
			return -1;
		}
		pub = malloc(sizeof(*pub));
		if (pub == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		next.epoch = cur->epoch + 1;
		*pub = next;
		r->retired[r->nretired++] = (struct pk_config *)cur;
		rcu_assign_pointer(r->cfg, pub);
	}
	out->epoch = r->cfg->epoch;
	/* Also when unchanged: a re-run after a timed-out barrier waits here. */
	while (!barrier_reached(r, out->epoch)) {
		if (mono_us() - start > (uint64_t)timeout_ms * 1000u) {
			snprintf(err, errlen, "epoch %u published, barrier not reached in %u ms",
				 out->epoch, timeout_ms);
			return -1;
		}
		usleep(200);
	}
	out->barrier_us = mono_us() - start;
	return 0;
}
