/* The CASPaxos acceptor (docs/CASPAXOS.md section 1), per key:
 *
 *   PREPARE(B):  conflict iff B < promise or B <= accepted;
 *                else promise := B and reply (accepted, value).
 *   ACCEPT(B, V, N): B == accepted with the same V is a duplicate and is
 *                acknowledged again (UDP retransmits); else conflict iff
 *                B < promise or B <= accepted; else accepted := B,
 *                value := V; promise := max(promise, N or B).
 *
 *   REMOVE(T)    (deletion GC, gc.c): under the acceptor's own epoch
 *                only, removes the record iff it still holds a deleted
 *                state accepted exactly under T, first raising the floor
 *                to the record's promise, ballot and version; REMOVED
 *                with the outcome either way (a resent REMOVE finds
 *                nothing and is OK).
 *
 *   INSTALL(B, V) (catch-up, CASPaxos 2.3.3): another acceptor's accepted
 *                state, copied with its own ballot. Taken iff B > accepted;
 *                promise := max(promise, B), never lowered; INSTALLED(B)
 *                either way (the state held is at least as new). Not
 *                admitted or table full: no answer (the sender retries and
 *                reports the failure).
 *
 * A key without a record (never written, or removed by the GC, gc.c) acts
 * as promised up to the worker's floor, holding ABSENT at its floor
 * version: PREPARE and ACCEPT below the floor conflict. INSTALL ignores the
 * floor (catch-up copies old ballots into a new acceptor whose floor was
 * raised to the cluster's; catch-up and GC never run at once) but leaves
 * the promise at least at the floor.
 *
 * Every conflict carries the ballot it conflicted with so the proposer can
 * fast-forward (docs/CASPAXOS.md, pitfall P3). The promise never goes down. An acceptor that
 * lost its memory (restart) is not admitted and refuses every vote until the
 * membership procedure re-admits it (pitfall P8).
 */
#include <assert.h>
#include <string.h>

#include "core.h"

static void
reply_conflict(struct pk_worker *w, const struct pk_msg *m, struct pk_out *out, uint8_t reason,
	       const struct pk_ballot *seen)
{
	struct pk_send *s = pk_out_send(w, out, pk_node_bit(m->peer.node), PK_MSG_CONFLICT);

	w->stats.acc_conflict++;
	if (s == NULL)
		return;
	s->msg.peer.token = m->peer.token;
	s->msg.ballot = m->ballot;
	s->msg.phase = m->type;
	s->msg.reason = reason;
	if (seen != NULL)
		s->msg.ballot2 = *seen;
}

/* Returns the record for the message's key, or NULL after replying with the
 * refusal (not admitted, table full).
 */
static struct pk_rec *
voting_record(struct pk_worker *w, const struct pk_msg *m, struct pk_out *out)
{
	struct pk_rec *r;

	if (!w->admitted) {
		w->stats.acc_refused++;
		reply_conflict(w, m, out, PK_NOT_ADMITTED, NULL);
		return NULL;
	}
	if (!pk_bounds_epoch(w, m))
		return NULL;	/* no answer: like a lost message, the round retries */
	r = pk_table_get(&w->table, m->key, m->key_len, pk_hash(m->key, m->key_len));
	if (r == NULL) {
		w->stats.acc_refused++;
		reply_conflict(w, m, out, PK_TABLE_FULL, NULL);
		return NULL;
	}
	/* No record before: promised up to the floor (what GC removed). */
	if (pk_rec_is_fresh(r) && pk_ballot_cmp(&m->ballot, &w->floor.ballot) < 0) {
		w->stats.acc_floor_refused++;
		reply_conflict(w, m, out, PK_CONFLICT, &w->floor.ballot);
		pk_rec_reclaim(w, r);
		return NULL;
	}
	return r;
}

/* The accepted state as sent in a PROMISE: nothing accepted reads as
 * ABSENT at the floor version, so versions never go back over a removal.
 */
static void
state_to_wire(const struct pk_worker *w, const struct pk_rec *r, struct pk_wstate *s)
{
	pk_blob_to_wire(r->value, s);
	if (r->value == NULL)
		s->version = w->floor.version;
}

void
pk_acceptor_on_prepare(struct pk_worker *w, const struct pk_msg *m, struct pk_out *out)
{
	struct pk_rec *r = voting_record(w, m, out);
	struct pk_send *s;

	w->stats.acc_prepare++;
	if (r == NULL)
		return;
	if (pk_ballot_cmp(&m->ballot, &r->promise) < 0) {
		reply_conflict(w, m, out, PK_CONFLICT, &r->promise);
		return;
	}
	if (pk_ballot_cmp(&m->ballot, &r->accepted) <= 0) {
		reply_conflict(w, m, out, PK_CONFLICT, &r->accepted);
		return;
	}
	r->promise = m->ballot;
	s = pk_out_send(w, out, pk_node_bit(m->peer.node), PK_MSG_PROMISE);
	if (s == NULL)
		return;
	s->msg.peer.token = m->peer.token;
	s->msg.ballot = m->ballot;
	s->msg.ballot2 = r->accepted;
	state_to_wire(w, r, &s->msg.state);
}

static bool
is_deleted(const struct pk_blob *v)
{
	return v != NULL && v->kind != PK_KIND_VALUE;
}

/* Makes (m->ballot, m->state) the record's accepted state. Returns false,
 * changing nothing, when out of memory.
 */
static bool
take_state(struct pk_worker *w, struct pk_rec *r, const struct pk_msg *m)
{
	bool oom;
	struct pk_blob *v = pk_blob_from_wire(&w->mem, &m->state, &oom);

	/* An accepted ABSENT is a blob too: value is NULL iff nothing was
	 * accepted, which other threads' GC hints rely on.
	 */
	if (v == NULL && !oom)
		v = pk_blob_new(&w->mem, PK_KIND_ABSENT, 0, NULL, 0);
	if (v == NULL)
		return false;
	if (r->value == NULL)
		w->table.accepted++;
	w->table.deleted += (uint32_t)is_deleted(v) - (uint32_t)is_deleted(r->value);
	pk_blob_unref(&w->mem, r->value);
	__atomic_store_n(&r->value, v, __ATOMIC_RELEASE);
	r->accepted = m->ballot;
	if (w->mem.env.on_accepted != NULL)
		w->mem.env.on_accepted(w->mem.env.ctx, r->key, r->key_len, &r->accepted, &m->state);
	return true;
}

static void
raise_promise(struct pk_rec *r, const struct pk_msg *m)
{
	const struct pk_ballot *p = pk_ballot_is_zero(&m->ballot2) ? &m->ballot : &m->ballot2;

	if (pk_ballot_cmp(p, &r->promise) > 0)
		r->promise = *p;
}

/* Queues the answer of <type> to <m>'s sender, token and ballot echoed
 * (ACCEPTED, INSTALLED, REMOVED); NULL when the outbox is full.
 */
static struct pk_send *
answer(struct pk_worker *w, const struct pk_msg *m, struct pk_out *out, uint8_t type)
{
	struct pk_send *s = pk_out_send(w, out, pk_node_bit(m->peer.node), type);

	if (s != NULL) {
		s->msg.peer.token = m->peer.token;
		s->msg.ballot = m->ballot;
	}
	return s;
}

void
pk_acceptor_on_accept(struct pk_worker *w, const struct pk_msg *m, struct pk_out *out)
{
	struct pk_rec *r;
	int vs_accepted;

	w->stats.acc_accept++;
	if (m->state.len > w->tuning.max_value) {
		w->stats.acc_refused++;
		reply_conflict(w, m, out, PK_TOO_LARGE, NULL);
		return;
	}
	r = voting_record(w, m, out);
	if (r == NULL)
		return;
	vs_accepted = pk_ballot_cmp(&m->ballot, &r->accepted);
	if (vs_accepted == 0 && pk_blob_equal_wire(r->value, &m->state)) {
		/* A retransmission of what this acceptor already accepted:
		 * acknowledge it again, even if the promise has moved on
		 * since (the piggybacked next promise moves it at once). The
		 * vote is true: (B, V) is still what it holds.
		 */
		w->stats.acc_dup_accept++;
		raise_promise(r, m);
		(void)answer(w, m, out, PK_MSG_ACCEPTED);
		return;
	}
	if (pk_ballot_cmp(&m->ballot, &r->promise) < 0) {
		reply_conflict(w, m, out, PK_CONFLICT, &r->promise);
		return;
	}
	/* Below the accepted ballot, or the same ballot with another value:
	 * one ballot never carries two values.
	 */
	if (vs_accepted <= 0) {
		reply_conflict(w, m, out, PK_CONFLICT, &r->accepted);
		return;
	}
	if (!take_state(w, r, m)) {
		w->stats.acc_refused++;
		reply_conflict(w, m, out, PK_NO_MEMORY, NULL);
		return;
	}
	raise_promise(r, m);
	(void)answer(w, m, out, PK_MSG_ACCEPTED);
}

void
pk_acceptor_on_install(struct pk_worker *w, const struct pk_msg *m, struct pk_out *out)
{
	struct pk_rec *r;

	w->stats.acc_install++;
	if (!w->admitted || m->state.len > w->tuning.max_value || !pk_bounds_epoch(w, m) ||
	    (r = pk_table_get(&w->table, m->key, m->key_len, pk_hash(m->key, m->key_len))) == NULL) {
		w->stats.acc_refused++;
		return;
	}
	if (pk_rec_is_fresh(r))
		r->promise = w->floor.ballot;	/* the promise a missing record stood for */
	if (pk_ballot_cmp(&m->ballot, &r->accepted) > 0) {
		if (!take_state(w, r, m)) {
			w->stats.acc_refused++;
			return;
		}
		w->stats.acc_installed++;
	}
	if (pk_ballot_cmp(&m->ballot, &r->promise) > 0)
		r->promise = m->ballot;
	(void)answer(w, m, out, PK_MSG_INSTALLED);
}

/* ---- REMOVE: the acceptor side of deletion GC (gc.c) ---- */

/* Forgets the acceptor's part of <r>, keeping what the floor must. */
static void
forget(struct pk_worker *w, struct pk_rec *r)
{
	bool fence = !w->tuning.unsafe_gc_no_floor;

	if (fence) {
		pk_floor_raise(&w->floor, &r->promise, 0);
		pk_floor_raise(&w->floor, &r->accepted, r->value != NULL ? r->value->version : 0);
	}
	if (r->value != NULL) {
		assert(w->table.accepted > 0 &&
		       (r->value->kind == PK_KIND_VALUE || w->table.deleted > 0));
		w->table.accepted--;
		if (r->value->kind != PK_KIND_VALUE)
			w->table.deleted--;
		pk_blob_unref(&w->mem, r->value);
		__atomic_store_n(&r->value, NULL, __ATOMIC_RELEASE);
	}
	memset(&r->promise, 0, sizeof(r->promise));
	memset(&r->accepted, 0, sizeof(r->accepted));
}

static uint8_t
remove_status(struct pk_worker *w, const struct pk_msg *m)
{
	struct pk_rec *r = pk_table_find(&w->table, m->key, m->key_len,
					 pk_hash(m->key, m->key_len));

	if (!w->admitted)
		return PK_NOT_ADMITTED;
	/* Removal is safe only among the acceptors the round wrote to. */
	if (m->peer.epoch != w->cfg->epoch)
		return PK_CONFLICT;
	if (r == NULL || r->value == NULL)
		return PK_OK;	/* removed before (a resent REMOVE) */
	if (pk_ballot_cmp(&r->accepted, &m->ballot) != 0 || !pk_rec_holds_deleted(r))
		return PK_CAS_MISMATCH;
	forget(w, r);
	pk_rec_drop_cache(w, r);	/* its promise was on the removed record */
	w->stats.acc_removed++;
	pk_rec_reclaim(w, r);
	return PK_OK;
}

void
pk_acceptor_on_remove(struct pk_worker *w, const struct pk_msg *m, struct pk_out *out)
{
	uint8_t status = remove_status(w, m);
	struct pk_send *s = answer(w, m, out, PK_MSG_REMOVED);

	if (s != NULL)
		s->msg.reason = status;
}
