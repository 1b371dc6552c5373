/* The CASPaxos acceptor (caspaxos-notes a, rules 2 and 5), per key:
 *
 *   PREPARE(B):  conflict iff B < promise or B <= accepted;
 *                else promise := B and reply (accepted, value).
 *   ACCEPT(B, V, N): B == accepted with the same V is a duplicate and is
 *                acknowledged again (UDP retransmits); else conflict iff
 *                B < promise or B <= accepted; else accepted := B,
 *                value := V; promise := max(promise, N or B).
 *
 *   INSTALL(B, V) (catch-up, CASPaxos 2.3.3): another acceptor's accepted
 *                state, copied with its own ballot. Taken iff B > accepted;
 *                promise := max(promise, B), never lowered; INSTALLED(B)
 *                either way (the state held is at least as new). Not
 *                admitted or table full: no answer (the sender retries and
 *                reports the failure).
 *
 * Every conflict carries the ballot it conflicted with so the proposer can
 * fast-forward (pitfall h3). The promise never goes down. An acceptor that
 * lost its memory (restart) is not admitted and refuses every vote until the
 * membership procedure re-admits it (pitfall h12).
 */
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
	r = pk_table_get(&w->table, m->key, m->key_len, pk_hash(m->key, m->key_len));
	if (r == NULL) {
		w->stats.acc_refused++;
		reply_conflict(w, m, out, PK_TABLE_FULL, NULL);
	}
	return r;
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
	pk_blob_to_wire(r->value, &s->msg.state);
}

/* Makes (m->ballot, m->state) the record's accepted state. Returns false,
 * changing nothing, when out of memory.
 */
static bool
take_state(struct pk_worker *w, struct pk_rec *r, const struct pk_msg *m)
{
	bool oom;
	struct pk_blob *v = pk_blob_from_wire(&w->mem, &m->state, &oom);

	if (oom)
		return false;
	pk_blob_unref(&w->mem, r->value);
	r->value = v;
	if (pk_ballot_is_zero(&r->accepted))
		w->table.accepted++;
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

static void
reply_accepted(struct pk_worker *w, const struct pk_msg *m, struct pk_out *out)
{
	struct pk_send *s = pk_out_send(w, out, pk_node_bit(m->peer.node), PK_MSG_ACCEPTED);

	if (s == NULL)
		return;
	s->msg.peer.token = m->peer.token;
	s->msg.ballot = m->ballot;
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
		reply_accepted(w, m, out);
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
	reply_accepted(w, m, out);
}

void
pk_acceptor_on_install(struct pk_worker *w, const struct pk_msg *m, struct pk_out *out)
{
	struct pk_rec *r;
	struct pk_send *s;

	w->stats.acc_install++;
	if (!w->admitted || m->state.len > w->tuning.max_value ||
	    (r = pk_table_get(&w->table, m->key, m->key_len, pk_hash(m->key, m->key_len))) == NULL) {
		w->stats.acc_refused++;
		return;
	}
	if (pk_ballot_cmp(&m->ballot, &r->accepted) > 0) {
		if (!take_state(w, r, m)) {
			w->stats.acc_refused++;
			return;
		}
		w->stats.acc_installed++;
	}
	if (pk_ballot_cmp(&m->ballot, &r->promise) > 0)
		r->promise = m->ballot;
	s = pk_out_send(w, out, pk_node_bit(m->peer.node), PK_MSG_INSTALLED);
	if (s == NULL)
		return;
	s->msg.peer.token = m->peer.token;
	s->msg.ballot = m->ballot;
}
