/* Membership steps on one replica (see membership.h). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "membership.h"

static bool
same_lists(const struct pk_config *a, const struct pk_config *b)
{
	return a->prepare_mask == b->prepare_mask && a->accept_mask == b->accept_mask &&
	       a->prepare_quorum == b->prepare_quorum && a->accept_quorum == b->accept_quorum;
}

static int
check_config(const struct dp_replica *r, const struct pk_config *c, char *err, size_t errlen)
{
	for (uint16_t id = 0; id < PK_MAX_NODES; id++)
		if (((c->prepare_mask | c->accept_mask) & (1u << id)) != 0 && !dp_replica_is_member(r, id)) {
			snprintf(err, errlen, "node %u is not a member (--member)", id);
			return -1;
		}
	if (c->prepare_quorum == 0 || c->prepare_quorum > pk_mask_count(c->prepare_mask) ||
	    c->accept_quorum == 0 || c->accept_quorum > pk_mask_count(c->accept_mask)) {
		snprintf(err, errlen, "quorums %u/%u for lists of %u/%u", c->prepare_quorum,
			 c->accept_quorum, pk_mask_count(c->prepare_mask),
			 pk_mask_count(c->accept_mask));
		return -1;
	}
	if (!pk_config_quorums_intersect(c)) {
		snprintf(err, errlen, "refused: prepare and accept quorums would not intersect");
		return -1;
	}
	return 0;
}

/* Publishes <next> (epoch included) when <changed>, then waits at the
 * barrier of the epoch running, also when nothing changed: a re-run after
 * a timed-out barrier waits here.
 */
static int
publish_and_wait(struct dp_replica *r, const struct pk_config *next, bool changed,
		 unsigned int timeout_ms, struct dp_step_result *out, char *err, size_t errlen)
{
	uint64_t start = dp_mono_us();
	struct pk_config now;

	out->changed = changed;
	if (changed && dp_plane_publish_config(&r->plane, next) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	dp_plane_config(&r->plane, &now);
	out->epoch = now.epoch;
	while (!dp_plane_barrier(&r->plane, out->epoch)) {
		if (dp_mono_us() - start > (uint64_t)timeout_ms * 1000u) {
			snprintf(err, errlen, "epoch %u published, barrier not reached in %u ms",
				 out->epoch, timeout_ms);
			return -1;
		}
		usleep(200);
	}
	out->barrier_us = dp_mono_us() - start;
	if (changed)
		dp_log(DP_LOG_NOTICE, "epoch %u: prepare list 0x%04x (quorum %u), accept list "
		       "0x%04x (quorum %u); every lcore runs it after %llu us", now.epoch,
		       now.prepare_mask, now.prepare_quorum, now.accept_mask, now.accept_quorum,
		       (unsigned long long)out->barrier_us);
	/* The configs before this epoch are nobody's any more. */
	dp_plane_reclaim(&r->plane, out->epoch);
	return 0;
}

int
dp_membership_edit(struct dp_replica *r, const struct dp_list_edit *e, unsigned int timeout_ms,
		   struct dp_step_result *out, char *err, size_t errlen)
{
	struct pk_config cur_copy, next;
	const struct pk_config *cur = &cur_copy;

	dp_plane_config(&r->plane, &cur_copy);
	next = cur_copy;
	uint16_t *mask = e->prepare ? &next.prepare_mask : &next.accept_mask;
	uint8_t *quorum = e->prepare ? &next.prepare_quorum : &next.accept_quorum;

	if (!dp_replica_is_member(r, e->id)) {
		snprintf(err, errlen, "node %u is not a member (--member)", e->id);
		return -1;
	}
	if (e->add)
		*mask |= (uint16_t)(1u << e->id);
	else
		*mask &= (uint16_t)~(1u << e->id);
	*quorum = e->quorum;
	if (check_config(r, &next, err, errlen) != 0)
		return -1;
	if (cur->epoch == UINT32_MAX) {
		snprintf(err, errlen, "refused: epoch %u is the last one", cur->epoch);
		return -1;
	}
	next.epoch = cur->epoch + 1;
	return publish_and_wait(r, &next, !same_lists(&next, cur), timeout_ms, out, err, errlen);
}

int
dp_membership_set(struct dp_replica *r, const struct pk_config *want, unsigned int timeout_ms,
		  struct dp_step_result *out, char *err, size_t errlen)
{
	struct pk_config cur_copy, next;
	const struct pk_config *cur = &cur_copy;

	dp_plane_config(&r->plane, &cur_copy);
	next = cur_copy;
	next.epoch = want->epoch;
	next.prepare_mask = want->prepare_mask;
	next.accept_mask = want->accept_mask;
	next.prepare_quorum = want->prepare_quorum;
	next.accept_quorum = want->accept_quorum;
	if (check_config(r, &next, err, errlen) != 0)
		return -1;
	if (same_lists(&next, cur)) {
		/* Idempotent; a higher epoch for the same lists is adopted. */
		return publish_and_wait(r, &next, want->epoch > cur->epoch, timeout_ms, out, err,
					errlen);
	}
	if (want->epoch <= cur->epoch) {
		snprintf(err, errlen, "refused: epoch %u is not above the running epoch %u "
			 "(other lists)", want->epoch, cur->epoch);
		return -1;
	}
	return publish_and_wait(r, &next, true, timeout_ms, out, err, errlen);
}

int
dp_membership_admit(struct dp_replica *r, char *err, size_t errlen)
{
	struct pk_config cur_copy;
	const struct pk_config *cur = &cur_copy;
	uint16_t self = (uint16_t)(1u << r->opt->node);

	dp_plane_config(&r->plane, &cur_copy);
	if (dp_plane_admitted(&r->plane))
		return 0;
	if (cur->epoch == 0) {
		snprintf(err, errlen, "refused: no config yet (set-config first)");
		return -1;
	}
	if (((cur->prepare_mask | cur->accept_mask) & self) != 0) {
		snprintf(err, errlen, "refused: node %u is still in a list of epoch %u; an amnesiac "
			 "acceptor may only vote once removed, then grown in again",
			 r->opt->node, cur->epoch);
		return -1;
	}
	if (dp_plane_admit(&r->plane) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	dp_plane_reclaim(&r->plane, 0);
	dp_log(DP_LOG_NOTICE, "admitted: this replica's acceptors vote from epoch %u on",
	       cur->epoch);
	return 0;
}
