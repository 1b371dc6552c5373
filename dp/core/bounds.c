/* Sane bounds on what a peer message claims (parnik/types.h): every ballot
 * in it (the round's, the promise or accepted ballot it carries, the
 * origin of its state) has a counter below PK_BALLOT_COUNTER_MAX and at
 * most PK_BALLOT_COUNTER_JUMP above the highest this worker has seen, and
 * its state's version is below PK_VERSION_MAX (the proposer never writes
 * one there: ops.c answers OVERFLOW). Without these, one
 * PREPARE at counter 2^64-1 made every proposer's ++counter wrap to 0 and
 * locked its key for ever; a REMOVE under such a ballot raised the floor of
 * the whole partition past any ballot.
 *
 * And the epoch: an acceptor votes only for rounds run under its own config
 * epoch or an adjacent one. A membership step publishes the next config to
 * every replica and waits until every worker runs it and no round of the
 * previous one is still counting (the barrier) before the next step, so an
 * honest round is never more than one epoch away from an acceptor.
 */
#include "core.h"

static uint64_t
counter_high(const struct pk_worker *w)
{
	uint64_t h = w->counter > w->counter_seen ? w->counter : w->counter_seen;

	return h > w->floor.ballot.counter ? h : w->floor.ballot.counter;
}

static bool
counter_sane(uint64_t counter, uint64_t high)
{
	return counter < PK_BALLOT_COUNTER_MAX && counter - high <= PK_BALLOT_COUNTER_JUMP;
}

static bool
has_state(uint8_t type)
{
	return type == PK_MSG_PROMISE || type == PK_MSG_ACCEPT || type == PK_MSG_INSTALL;
}

bool
pk_bounds_admit(struct pk_worker *w, const struct pk_msg *m)
{
	uint64_t high = counter_high(w), top = m->ballot.counter;
	bool state = has_state(m->type);

	if (w->tuning.unsafe_no_bounds)
		return true;
	if (m->ballot2.counter > top)
		top = m->ballot2.counter;
	if (state && m->state.origin.counter > top)
		top = m->state.origin.counter;
	if (state && m->state.parent.counter > top)
		top = m->state.parent.counter;
	/* Below the highest known is always fine; above it, within reach. */
	if (top > high && !counter_sane(top, high)) {
		w->stats.peer_bounds_refused++;
		return false;
	}
	if (state && m->state.version >= PK_VERSION_MAX) {
		w->stats.peer_bounds_refused++;
		return false;
	}
	if (top > w->counter_seen)
		w->counter_seen = top;
	return true;
}

bool
pk_bounds_epoch(struct pk_worker *w, const struct pk_msg *m)
{
	int64_t gap = (int64_t)m->peer.epoch - (int64_t)w->cfg->epoch;

	if (gap >= -1 && gap <= 1)
		return true;
	w->stats.acc_epoch_refused++;
	return false;
}
