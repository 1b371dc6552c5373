/* The CASPaxos proposer (docs/CASPAXOS.md sections 2 and 3), per key:
 *
 *  - A round carries a batch of client ops combined in arrival order. Each
 *    attempt takes a fresh ballot (counter, incarnation, node, worker), or
 *    the ballot promised by the 1RTT cache.
 *  - Prepare: count one PROMISE per prepare-list member, matched by token
 *    and ballot; adopt the value of the highest accepted ballot; apply the
 *    batch. A batch that changed nothing, with every promise naming the
 *    same accepted ballot under majority quorums, completes without an
 *    accept phase (the value is already chosen).
 *  - Accept: send the new state with the next ballot piggybacked as the
 *    next promise (1RTT). A quorum of ACCEPTED caches (next, state); any
 *    other outcome drops the cache and leaves the counter past every ballot
 *    used or seen (docs/CASPAXOS.md, pitfall P5), and the writes of the batch are answered
 *    UNKNOWN_OUTCOME (pitfall P6) while its reads retry.
 *  - Conflicts fast-forward the counter; failed phases retry after a
 *    randomised, doubling backoff; ops past their deadline that were never
 *    sent in an accept are answered TIMEOUT (definitely not applied).
 *  - A GC round (gc.c) carries one internal op and no client op: a prepare,
 *    the identity write of the deleted state to every acceptor of both
 *    lists (no 1RTT promise), then a REMOVE phase that needs every one of
 *    them to answer.
 */
#include <assert.h>
#include <string.h>

#include "core.h"

/* ---- small helpers ---- */

static uint64_t
rng_next(struct pk_worker *w)
{
	/* xorshift64*: the seed comes from the host, so runs replay. */
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	return w->rng * 0x2545f4914f6cdd1dull;
}

/* The version of the state the prepare quorum answered so far (ABSENT
 * without one: 0).
 */
static uint64_t
best_version(const struct pk_round *rd)
{
	return rd->best != NULL ? rd->best->version : 0;
}

static struct pk_ballot
fresh_ballot(struct pk_worker *w)
{
	struct pk_ballot b = {
		.counter = ++w->counter,
		.incarnation = w->incarnation,
		.node = w->node,
		.worker = w->worker,
	};
	return b;
}

/* Sends a round's tick may need at most (a retry to its members, a REMOVE,
 * an INSTALL: each one message whatever the member count).
 */
#define TICK_SEND_ROOM 4
/* The longest a phase waits for its quorum, however slow the samples. */
#define PHASE_WAIT_MAX 100000u
#define PHASE_WINDOW 100000u	/* us: see slow_cur in core.h */

/* After a conflict with <seen>, the next fresh ballot must exceed it. */
static void
fast_forward(struct pk_worker *w, const struct pk_ballot *seen)
{
	if (seen->counter > w->counter)
		w->counter = seen->counter;
}

/* Makes <rd>'s timer fire no later than <when>. Early firing is harmless:
 * the round's tick recomputes and re-arms.
 */
static void
arm(struct pk_worker *w, struct pk_round *rd, uint64_t when)
{
	if (!rd->timer.armed || when < rd->timer.expires)
		pk_wheel_arm(&w->wheel, &rd->timer, when);
	if (when < w->next_deadline)
		w->next_deadline = when;
}

/* Sets <rd>'s timer to its new phase deadline. Op deadlines are only looked
 * at when it fires: a phase or backoff is short (milliseconds), so an op
 * times out at most that late.
 */
static void
rearm(struct pk_worker *w, struct pk_round *rd)
{
	pk_wheel_arm(&w->wheel, &rd->timer, rd->deadline);
	if (rd->deadline < w->next_deadline)
		w->next_deadline = rd->deadline;
}

static uint64_t
token_of(const struct pk_worker *w, const struct pk_round *rd)
{
	return ((uint64_t)(rd - w->rounds) << 32) | rd->gen;
}

static void
set_cache(struct pk_worker *w, struct pk_rec *rec, const struct pk_ballot *b, struct pk_blob *v)
{
	pk_rec_drop_cache(w, rec);
	rec->cached = true;
	rec->cache_gen = w->cache_gen;
	rec->cache_ballot = *b;
	rec->cache_value = pk_blob_ref(v);
}

/* ---- ops and replies ---- */

static void
op_release(struct pk_worker *w, struct pk_op *op)
{
	pk_blob_unref(&w->mem, op->input);
	pk_blob_unref(&w->mem, op->result);
	op->input = NULL;
	op->result = NULL;
	assert(w->ops_used > 0);
	op->next = w->op_free;
	w->op_free = op;
	w->ops_used--;
}

/* Clients never see tombstones: a deleted key reads as absent, version 0.
 * Values travel back only for the ops that read them (GET, ADD).
 */
static void
reply_state(uint8_t op, const struct pk_blob *r, struct pk_wstate *s)
{
	memset(s, 0, sizeof(*s));
	/* DEL answers its tombstone's version, so a client learns it (a
	 * GET of the deleted key answers ABSENT at version 0).
	 */
	if (r != NULL && r->kind == PK_KIND_TOMBSTONE && op == PK_OP_DEL)
		s->version = r->version;
	if (r == NULL || r->kind != PK_KIND_VALUE)
		return;
	s->kind = PK_KIND_VALUE;
	s->version = r->version;
	if (op == PK_OP_GET || op == PK_OP_ADD) {
		s->len = r->len;
		s->data = r->len > 0 ? r->data : NULL;
	}
}

/* Who asked: where the reply goes and the session it belongs to. */
struct asker {
	uint64_t cookie;
	uint64_t client_id;
	uint64_t session;
	uint64_t request_id;
	uint8_t op;
};

/* Returns the reply queued (NULL when the outbox is full). */
static struct pk_reply *
send_reply(struct pk_worker *w, struct pk_out *out, const struct asker *a, uint8_t status,
	   const struct pk_blob *result)
{
	struct pk_reply *r = pk_out_reply(w, out, a->cookie);

	if (r == NULL)
		return NULL;
	r->msg.client_id = a->client_id;
	r->msg.request_id = a->request_id;
	r->msg.session = a->session;
	r->msg.status = status;
	reply_state(a->op, result, &r->msg.state);
	return r;
}

/* Answers a request: its session keeps the answer of a write (every
 * status: a copy must never run after its client was told the answer).
 */
static void
answer(struct pk_worker *w, struct pk_out *out, const struct asker *a, uint8_t status,
       struct pk_blob *result)
{
	if (a->session != 0 && pk_session_keeps(a->op))
		pk_session_answer(&w->sessions, a->client_id, a->session, a->request_id, status,
				  a->op, result);
	send_reply(w, out, a, status, result);
}

static void
complete(struct pk_worker *w, struct pk_out *out, struct pk_op *op, uint8_t status)
{
	struct pk_blob *result = status == op->status ? op->result : NULL;

	if (op->op == PK_OP_GC)
		;	/* counted by the GC's own counters */
	else if (status == PK_UNKNOWN_OUTCOME)
		w->stats.res_unknown++;
	else if (status == PK_TIMEOUT)
		w->stats.res_timeout++;
	else
		w->stats.res_ok++;
	{
		const struct asker a = { .cookie = op->cookie, .client_id = op->client_id,
					 .session = op->session, .request_id = op->request_id,
					 .op = op->op };

		answer(w, out, &a, status, result);
	}
	op_release(w, op);
}

/* ---- rounds ---- */

static void round_attempt(struct pk_worker *w, struct pk_round *rd, uint64_t now,
			  struct pk_out *out);

/* A client's round: 1RTT, combining, reads that skip their accept. */
static const struct pk_round_kind client_round = {
	.one_rtt = true,
	.takes_queue = true,
	.may_skip_read = true,
};

static struct pk_round *
round_alloc(struct pk_worker *w, struct pk_rec *rec)
{
	struct pk_round *rd = w->round_free;

	/* Never NULL: each active round holds at least one op and the pool
	 * has as many rounds as ops.
	 */
	assert(rd != NULL);
	assert(rec->round == NULL);
	w->round_free = rd->next;
	rd->rec = rec;
	rd->ops = NULL;
	rd->ops_tail = &rd->ops;
	rd->nops = 0;
	rd->attempts = 0;
	rd->in_doubt = false;
	rd->doubted = false;
	rd->kind = &client_round;
	rd->best = NULL;
	rd->newval = NULL;
	rd->prev = NULL;
	rd->next = w->active;
	if (w->active != NULL)
		w->active->prev = rd;
	w->active = rd;
	rec->round = rd;
	w->rounds_active++;
	w->stats.rounds++;
	return rd;
}

static void
round_release(struct pk_worker *w, struct pk_round *rd, uint64_t now, struct pk_out *out)
{
	struct pk_rec *rec = rd->rec;

	assert(rec != NULL && rec->round == rd);
	assert(w->rounds_active > 0);
	pk_blob_unref(&w->mem, rd->best);
	pk_blob_unref(&w->mem, rd->newval);
	rd->best = NULL;
	rd->newval = NULL;
	rd->phase = PK_PHASE_FREE;
	rd->gen++;
	pk_wheel_cancel(&w->wheel, &rd->timer);
	if (rd->prev != NULL)
		rd->prev->next = rd->next;
	else
		w->active = rd->next;
	if (rd->next != NULL)
		rd->next->prev = rd->prev;
	rd->next = w->round_free;
	w->round_free = rd;
	w->rounds_active--;
	rec->round = NULL;
	/* Ops that queued while this round ran form the next batch. */
	if (rec->q_head != NULL)
		round_attempt(w, round_alloc(w, rec), now, out);
	else
		pk_rec_reclaim(w, rec);	/* e.g. GC removed our acceptor's part */
}

/* Moves the key's queued ops behind the batch, keeping arrival order. */
static void
take_queue(struct pk_round *rd)
{
	struct pk_rec *rec = rd->rec;

	if (rec->q_head == NULL)
		return;
	*rd->ops_tail = rec->q_head;
	rd->ops_tail = &rec->q_tail->next;
	rd->nops += rec->q_len;
	rec->q_head = NULL;
	rec->q_tail = NULL;
	rec->q_len = 0;
}

/* Applies the batch to <base>; returns the resulting state (own reference)
 * and whether any op wrote. On NO_MEMORY an op reports that and is identity.
 */
static struct pk_blob *
apply_batch(struct pk_worker *w, struct pk_round *rd, struct pk_blob *base, bool *wrote)
{
	struct pk_blob *state = pk_blob_ref(base);
	static const struct pk_ballot none;

	*wrote = false;
	for (struct pk_op *op = rd->ops; op != NULL; op = op->next) {
		pk_blob_unref(&w->mem, op->result);
		pk_op_apply(&w->mem, op, &state);
		*wrote |= op->wrote;
	}
	/* A state this attempt created (a write makes a new blob, never
	 * shared yet) is stamped with the attempt's ballot: its origin.
	 */
	if (*wrote && state != NULL && state != base) {
		state->origin = rd->ballot;
		state->parent = base != NULL ? base->origin : none;
	}
	return state;
}

static void
complete_batch(struct pk_worker *w, struct pk_round *rd, struct pk_out *out)
{
	struct pk_op *op = rd->ops;

	while (op != NULL) {
		struct pk_op *next = op->next;

		complete(w, out, op, op->status);
		op = next;
	}
	rd->ops = NULL;
	rd->ops_tail = &rd->ops;
	rd->nops = 0;
}

/* The nodes a phase of <rd> asks, and how many must agree. A GC round
 * writes to and removes from every acceptor of both lists.
 */
static uint16_t
phase_mask(const struct pk_round *rd)
{
	if (rd->phase == PK_PHASE_PREPARE)
		return rd->cfg->prepare_mask;
	if (rd->kind->every_acceptor)
		return rd->cfg->prepare_mask | rd->cfg->accept_mask;
	return rd->cfg->accept_mask;
}

static unsigned int
phase_quorum(const struct pk_round *rd)
{
	if (rd->phase == PK_PHASE_PREPARE)
		return rd->cfg->prepare_quorum;
	if (rd->kind->every_acceptor)
		return pk_mask_count(phase_mask(rd));
	return rd->cfg->accept_quorum;
}

/* How long a phase waits for its quorum before it retries: RFC 6298's
 * srtt + 4 rttvar, or twice the slowest phase of the last complete window
 * (PHASE_WINDOW us) if that is longer; at least the tuned floor, at most
 * PHASE_WAIT_MAX. Only a complete window counts: a sample hardly exceeds
 * the wait in force (a slower phase fails instead), so a heavier tail
 * raises the wait at most about twofold per window, where the window being
 * filled would let it double at every slow phase. A window ended a window
 * ago or more, phase or no phase since, no longer counts.
 */
static uint64_t
phase_wait(const struct pk_worker *w, uint64_t now)
{
	uint64_t t = w->srtt + 4 * w->rttvar;
	uint64_t age = now - w->slow_since;
	uint64_t slow = age < PHASE_WINDOW ? w->slow_prev : age < 2 * PHASE_WINDOW ? w->slow_cur : 0;

	if (t < 2 * slow)
		t = 2 * slow;
	if (t < w->tuning.phase_timeout)
		return w->tuning.phase_timeout;
	return t < PHASE_WAIT_MAX ? t : PHASE_WAIT_MAX;
}

/* A phase reached its quorum: one more latency sample. */
static void
phase_done(struct pk_worker *w, const struct pk_round *rd, uint64_t now)
{
	uint64_t r = now > rd->phase_start ? now - rd->phase_start : 0;

	if (now - w->slow_since >= PHASE_WINDOW) {
		/* A window with no phase at all leaves nothing to remember. */
		w->slow_prev = now - w->slow_since >= 2 * PHASE_WINDOW ? 0 : w->slow_cur;
		w->slow_cur = 0;
		w->slow_since = now;
	}
	if (r > w->slow_cur)
		w->slow_cur = r;
	if (w->srtt == 0) {
		w->srtt = r > 0 ? r : 1;
		w->rttvar = r / 2;
		return;
	}
	w->rttvar = (3 * w->rttvar + (w->srtt > r ? w->srtt - r : r - w->srtt)) / 4;
	w->srtt = (7 * w->srtt + r) / 8;
}

static void
begin_phase(struct pk_worker *w, struct pk_round *rd, uint8_t phase, uint64_t now)
{
	assert(phase != PK_PHASE_FREE && rd->cfg != NULL);
	rd->phase = phase;
	rd->voted = 0;
	rd->refused = 0;
	rd->saw_conflict = false;
	rd->phase_start = now;
	rd->deadline = now + phase_wait(w, now);
	rearm(w, rd);
}

static void
send_prepare(struct pk_worker *w, struct pk_round *rd, uint64_t now, struct pk_out *out)
{
	struct pk_send *s;

	rd->cfg = w->cfg;
	rd->ballot = fresh_ballot(w);
	pk_blob_unref(&w->mem, rd->best);
	rd->best = NULL;
	memset(&rd->best_ballot, 0, sizeof(rd->best_ballot));
	rd->agree = true;
	begin_phase(w, rd, PK_PHASE_PREPARE, now);
	s = pk_out_round(w, out, rd, rd->cfg->prepare_mask, PK_MSG_PREPARE);
	if (s == NULL)
		return;		/* counted; the phase times out and retries */
	w->stats.prepares_sent += pk_mask_count(rd->cfg->prepare_mask);
	s->msg.peer.token = token_of(w, rd);
	s->msg.ballot = rd->ballot;
	s->msg.key = rd->rec->key;
	s->msg.key_len = rd->rec->key_len;
}

/* Sends rd->newval under rd->ballot. Called once per ballot: one ballot
 * never carries two values.
 */
static void
send_accept(struct pk_worker *w, struct pk_round *rd, uint64_t now, struct pk_out *out)
{
	struct pk_send *s;

	memset(&rd->next_ballot, 0, sizeof(rd->next_ballot));
	if (rd->cfg->one_rtt && rd->kind->one_rtt) {
		rd->next_ballot = rd->ballot;
		rd->next_ballot.counter++;
		/* The reserved next ballot must never come back as a fresh one. */
		if (rd->next_ballot.counter > w->counter)
			w->counter = rd->next_ballot.counter;
	}
	begin_phase(w, rd, PK_PHASE_ACCEPT, now);
	s = pk_out_round(w, out, rd, phase_mask(rd), PK_MSG_ACCEPT);
	if (s == NULL)
		return;
	w->stats.accepts_sent += pk_mask_count(phase_mask(rd));
	s->msg.peer.token = token_of(w, rd);
	s->msg.ballot = rd->ballot;
	s->msg.ballot2 = rd->next_ballot;
	s->msg.key = rd->rec->key;
	s->msg.key_len = rd->rec->key_len;
	pk_blob_to_wire(rd->newval, &s->msg.state);
}

/* Starts the next attempt of <rd>: from the 1RTT cache when it holds a
 * promise, else with a prepare under a fresh ballot.
 */
static void
round_attempt(struct pk_worker *w, struct pk_round *rd, uint64_t now, struct pk_out *out)
{
	struct pk_rec *rec = rd->rec;
	bool wrote;

	/* A batch in doubt keeps its results: newcomers wait for the next.
	 * Client ops never join a GC round.
	 */
	if (!rd->in_doubt && rd->kind->takes_queue)
		take_queue(rd);
	if (rd->nops == 0) {
		round_release(w, rd, now, out);
		return;
	}
	rd->attempts++;
	if (rd->attempts > 1)
		w->stats.retries++;
	/* Our own acceptor shares the record: if it promised or accepted at
	 * or past the cached ballot, another proposer got there first and a
	 * 1RTT accept would only be refused. Go straight to a prepare. A
	 * cache from before the last config change is void too.
	 */
	if (rec->cached && rec->cache_gen != w->cache_gen)
		pk_rec_drop_cache(w, rec);
	if (rec->cached && !w->tuning.unsafe_keep_cache &&
	    (pk_ballot_cmp(&rec->promise, &rec->cache_ballot) > 0 ||
	     pk_ballot_cmp(&rec->accepted, &rec->cache_ballot) >= 0))
		pk_rec_drop_cache(w, rec);	/* (the P5 fault injection skips this defence) */
	if (rec->cached && w->cfg->one_rtt && rd->kind->one_rtt) {
		w->stats.rounds_1rtt++;
		rd->cfg = w->cfg;
		rd->ballot = rec->cache_ballot;
		pk_blob_unref(&w->mem, rd->best);
		rd->best = rec->cache_value;	/* the cache's reference moves */
		rec->cache_value = NULL;
		rec->cached = false;
		pk_blob_unref(&w->mem, rd->newval);
		rd->newval = apply_batch(w, rd, rd->best, &wrote);
		send_accept(w, rd, now, out);
		return;
	}
	send_prepare(w, rd, now, out);
}

static void
enter_backoff(struct pk_worker *w, struct pk_round *rd, uint64_t now)
{
	unsigned int shift = rd->attempts < 8 ? rd->attempts : 8;
	uint64_t span = w->tuning.backoff_base << shift;

	if (span > w->tuning.backoff_max)
		span = w->tuning.backoff_max;
	rd->phase = PK_PHASE_BACKOFF;
	rd->deadline = now + 1 + rng_next(w) % (span + 1);
	rearm(w, rd);
}

static void
prepare_failed(struct pk_worker *w, struct pk_round *rd, uint64_t now)
{
	w->stats.prepare_fail++;
	enter_backoff(w, rd, now);
}

/* Answers UNKNOWN_OUTCOME to the batch's writes, now or in any failed
 * accept before, and sends its reads back to be run again: a value that
 * carried them may or may not be chosen.
 */
static void
give_up_writes(struct pk_worker *w, struct pk_round *rd, struct pk_out *out)
{
	struct pk_op **link = &rd->ops;

	while (*link != NULL) {
		struct pk_op *op = *link;

		if (op->wrote || op->maybe_applied) {
			*link = op->next;
			rd->nops--;
			complete(w, out, op, PK_UNKNOWN_OUTCOME);
			continue;
		}
		pk_blob_unref(&w->mem, op->result);
		op->result = NULL;
		link = &op->next;
	}
	rd->ops_tail = link;
	pk_blob_unref(&w->mem, rd->newval);
	rd->newval = NULL;
	rd->doubted = false;
}

/* Forgets the batch's results before it is applied again. */
static void
reset_results(struct pk_worker *w, struct pk_round *rd)
{
	for (struct pk_op *op = rd->ops; op != NULL; op = op->next) {
		pk_blob_unref(&w->mem, op->result);
		op->result = NULL;
		op->wrote = false;
	}
	pk_blob_unref(&w->mem, rd->newval);
	rd->newval = NULL;
}

/* An accept without a quorum. Its value may still be chosen later (pitfall
 * P6, docs/CASPAXOS.md): every op whose write it carried may have been applied, and stays so
 * marked until a later accept of the batch succeeds. The batch is held "in
 * doubt" and retried with a prepare under a higher ballot, which settles it
 * (settle_doubt()). Batches that never carried a write simply run again.
 */
static void
accept_failed(struct pk_worker *w, struct pk_round *rd, uint64_t now, struct pk_out *out)
{
	bool doubt = rd->doubted;

	w->stats.accept_fail++;
	for (struct pk_op *op = rd->ops; op != NULL; op = op->next) {
		op->maybe_applied |= op->wrote;
		doubt |= op->maybe_applied;
	}
	if (doubt && !w->tuning.unsafe_keep_cache) {
		uint64_t v = rd->newval != NULL ? rd->newval->version : 0;

		if (!rd->doubted) {
			rd->doubt_first = rd->ballot;
			rd->doubt_min_version = v;
		}
		if (v < rd->doubt_min_version)
			rd->doubt_min_version = v;
		rd->doubted = true;
		rd->in_doubt = true;
		rd->doubt_last = rd->ballot;
		enter_backoff(w, rd, now);
		return;
	}
	give_up_writes(w, rd, out);
	if (w->tuning.unsafe_keep_cache)
		set_cache(w, rd->rec, &rd->ballot, rd->best);	/* pitfall P5, on purpose */
	if (rd->nops == 0 && rd->rec->q_head == NULL) {
		round_release(w, rd, now, out);
		return;
	}
	enter_backoff(w, rd, now);
}

/* True when <origin> may name a value of the batch in doubt: one of this
 * proposer's ballots from the first failed accept to the last.
 */
static bool
origin_in_doubt(const struct pk_worker *w, const struct pk_round *rd,
		const struct pk_ballot *origin)
{
	return origin->incarnation == w->incarnation && origin->node == w->node &&
	       origin->worker == w->worker && pk_ballot_cmp(origin, &rd->doubt_first) >= 0 &&
	       pk_ballot_cmp(origin, &rd->doubt_last) <= 0;
}

/* A prepare quorum answered a batch in doubt. The batch's writes went out
 * under ballots from doubt_first to doubt_last (each failed accept re-ran
 * it); B*, the highest accepted ballot among the promises, decides:
 *  - B*'s state is our latest value itself (B* == doubt_last, or another
 *    proposer adopted it with an identity change: its origin is ours, and
 *    not zero: every ABSENT state has a zero origin, so an ABSENT we
 *    re-proposed would "match" an ABSENT floor raised since, by the GC of
 *    a value built on an earlier attempt of ours, and take versions back):
 *    propose it again under the new ballot and the batch's results stand.
 *  - B* > doubt_last and B*'s state was written over our latest value (its
 *    parent is our origin): another proposer adopted ours and wrote on
 *    it. Propose B*'s state unchanged under the new ballot: once that is
 *    chosen, so is ours, its ancestor, and the batch's results stand.
 *  - B* < doubt_first: no member of this prepare quorum holds any of the
 *    batch's values, and all of them now promised a higher ballot: none of
 *    those values can reach an accept quorum at its own ballot. The
 *    deletion GC adds one way not to hold a chosen value: the key removed
 *    after a tombstone built on it. Removal needs the tombstone accepted
 *    by every acceptor first, so then no member reports an accepted
 *    ballot below it: with B* not zero, nothing was removed. With B* zero
 *    (every member without a record) a member that removed a descendant
 *    of ours reports ABSENT at a floor version at least its version, so
 *    the quorum's highest floor version must be below the batch's.
 *  - B* not zero and B*'s version below every version the batch proposed:
 *    a value of ours chosen at b <= B* (one chosen above B* would sit on
 *    a member of this quorum, above B*) makes every value accepted
 *    above b derive from it (Paxos), and versions only grow along
 *    derivations, the GC's floor included; at b == B* it is B*'s own
 *    value. So none was chosen so far. The same holds when B*'s state is
 *    a value or tombstone at exactly the lowest version we proposed but
 *    not of our origin: only identity changes keep a version, and they
 *    keep the origin too (a rival proposer built its own write on the
 *    state before ours: the usual duel of proposers on one key). An
 *    ABSENT state is excluded: a read writing back the floor left by the
 *    GC of our own tombstone carries our version with no origin.
 *    In both cases run the batch again from B*'s value. Only a successful
 *    accept of that run, chosen above them all, stops a later prepare from
 *    adopting ours, so a doubted batch never skips its accept, and its ops
 *    stay maybe_applied until then.
 *  - otherwise an earlier value of the batch, or someone else's value
 *    built maybe on one of ours, won: the writes are UNKNOWN_OUTCOME.
 * Returns true when it sent the accept itself.
 */
static bool
settle_doubt(struct pk_worker *w, struct pk_round *rd, uint64_t now, struct pk_out *out)
{
	bool zero = pk_ballot_is_zero(&rd->best_ballot);
	/* Our latest value, when it has an origin to recognise it by. */
	bool ours = rd->best != NULL && rd->newval != NULL &&
		    !pk_ballot_is_zero(&rd->newval->origin);
	bool below = best_version(rd) < rd->doubt_min_version;
	bool rival_at_ours = rd->best != NULL && rd->best->kind != PK_KIND_ABSENT &&
			     rd->best->version == rd->doubt_min_version &&
			     !origin_in_doubt(w, rd, &rd->best->origin);

	rd->in_doubt = false;
	if (pk_ballot_cmp(&rd->best_ballot, &rd->doubt_last) == 0 ||
	    (ours && pk_ballot_cmp(&rd->best->origin, &rd->newval->origin) == 0)) {
		w->stats.doubt_adopted++;
		send_accept(w, rd, now, out);
		return true;
	}
	if (ours && !zero && pk_ballot_cmp(&rd->best_ballot, &rd->doubt_last) > 0 &&
	    pk_ballot_cmp(&rd->best->parent, &rd->newval->origin) == 0) {
		/* A rival wrote over our latest value: ours is in B*'s
		 * ancestry, with the results we computed. Making B*'s state
		 * chosen (an identity accept under our ballot) makes ours
		 * chosen before it.
		 */
		w->stats.doubt_built_on++;
		pk_blob_unref(&w->mem, rd->newval);
		rd->newval = pk_blob_ref(rd->best);
		send_accept(w, rd, now, out);
		return true;
	}
	if ((pk_ballot_cmp(&rd->best_ballot, &rd->doubt_first) < 0 && (below || !zero)) ||
	    (!zero && (below || rival_at_ours))) {
		w->stats.doubt_cleared++;
		reset_results(w, rd);
	} else {
		give_up_writes(w, rd, out);
	}
	return false;
}

static void
prepared(struct pk_worker *w, struct pk_round *rd, uint64_t now, struct pk_out *out)
{
	bool wrote;
	struct pk_blob *state;

	if (rd->in_doubt && settle_doubt(w, rd, now, out))
		return;
	if (rd->nops == 0) {
		round_release(w, rd, now, out);
		return;
	}
	state = apply_batch(w, rd, rd->best, &wrote);
	if (rd->kind->quiet_if_refused && rd->ops->status != PK_OK) {
		/* Written again since the sweep saw it deleted: nothing to do. */
		w->stats.gc_rewritten++;
		pk_blob_unref(&w->mem, state);
		complete_batch(w, rd, out);
		round_release(w, rd, now, out);
		return;
	}
	if (!wrote && !rd->doubted && rd->kind->may_skip_read && rd->agree &&
	    pk_config_read_skip_ok(rd->cfg)) {
		/* Every promise of a full quorum names the same accepted
		 * ballot: that value sits on an accept quorum, so it is
		 * chosen and nothing needs writing. The promises we hold for
		 * rd->ballot were never used by an accept: cache them.
		 */
		w->stats.read_skips++;
		pk_blob_unref(&w->mem, state);
		if (rd->cfg->one_rtt)
			set_cache(w, rd->rec, &rd->ballot, rd->best);
		complete_batch(w, rd, out);
		round_release(w, rd, now, out);
		return;
	}
	pk_blob_unref(&w->mem, rd->newval);
	rd->newval = state;
	send_accept(w, rd, now, out);
}

/* GC, last step: every acceptor of both lists holds the deleted state under
 * rd->ballot; ask each to remove its record if it still does (sent again
 * to the silent ones on each phase timeout).
 */
static void
send_remove(struct pk_worker *w, struct pk_round *rd, uint64_t now, struct pk_out *out)
{
	uint16_t voted = rd->phase == PK_PHASE_REMOVE ? rd->voted : 0;
	uint16_t dest;
	struct pk_send *s;

	begin_phase(w, rd, PK_PHASE_REMOVE, now);
	rd->voted = voted;
	dest = (uint16_t)(phase_mask(rd) & ~voted);
	s = pk_out_round(w, out, rd, dest, PK_MSG_REMOVE);
	if (s == NULL)
		return;
	s->msg.peer.token = token_of(w, rd);
	s->msg.ballot = rd->ballot;
	s->msg.key = rd->rec->key;
	s->msg.key_len = rd->rec->key_len;
}

/* A GC round ends: <status> to its op (OK: removed everywhere). */
static void
gc_finish(struct pk_worker *w, struct pk_round *rd, uint8_t status, uint64_t now,
	  struct pk_out *out)
{
	if (status == PK_OK)
		w->stats.gc_removed++;
	else if (status == PK_CAS_MISMATCH)
		w->stats.gc_rewritten++;
	else
		w->stats.gc_failed++;
	for (struct pk_op *op = rd->ops; op != NULL; op = op->next)
		op->status = status;
	complete_batch(w, rd, out);
	round_release(w, rd, now, out);
}

#define GC_REMOVE_TRIES 5

static void
on_removed(struct pk_worker *w, struct pk_round *rd, const struct pk_msg *m, uint64_t now,
	   struct pk_out *out)
{
	if (m->reason != PK_OK) {
		/* Rewritten there since (CAS_MISMATCH), or another epoch or an
		 * acceptor not admitted: the next sweep will look again.
		 */
		gc_finish(w, rd, m->reason == PK_CAS_MISMATCH ? PK_CAS_MISMATCH : PK_UNAVAILABLE,
			  now, out);
		return;
	}
	rd->voted |= pk_node_bit(m->peer.node);
	if (pk_mask_count(rd->voted) >= phase_quorum(rd))
		gc_finish(w, rd, PK_OK, now, out);
}

static void
accepted(struct pk_worker *w, struct pk_round *rd, uint64_t now, struct pk_out *out)
{
	if (rd->kind->remove_after) {
		rd->attempts = 1;	/* now counts REMOVE sends */
		send_remove(w, rd, now, out);
		return;
	}
	if (rd->cfg->one_rtt && !rd->saw_conflict)
		set_cache(w, rd->rec, &rd->next_ballot, rd->newval);
	complete_batch(w, rd, out);
	round_release(w, rd, now, out);
}

/* ---- entry points ---- */

/* Whether this replica serves clients at all (OPEN and every request). */
static uint8_t
serving(const struct pk_worker *w)
{
	/* No lists: a restarted replica waiting for the control plane to
	 * give it the cluster's config; proposing under a stale one could
	 * miss the current quorums.
	 */
	if (w->cfg->prepare_mask == 0 || w->cfg->accept_mask == 0)
		return PK_UNAVAILABLE;
	/* A spare, or a replica shrunk out of the cluster: it may not even
	 * hear of the next config change, so it proposes nothing.
	 */
	if (((w->cfg->prepare_mask | w->cfg->accept_mask) & (1u << w->node)) == 0 &&
	    !w->cfg->outsiders_propose)
		return PK_NOT_MEMBER;
	return PK_OK;
}

/* The checks in the order docs/PROTOCOL.md section 8 gives: the first
 * that fails answers.
 */
static uint8_t
validate(const struct pk_worker *w, const struct pk_msg *req, uint32_t hash)
{
	bool wants_value = req->op == PK_OP_PUT || req->op == PK_OP_CAS;
	uint8_t status;

	if (req->op < PK_OP_GET || req->op > PK_OP_MAX || req->key_len == 0)
		return PK_BAD_REQUEST;
	if (req->too_large || req->key_len > PK_MAX_KEY || req->state.len > w->tuning.max_value)
		return PK_TOO_LARGE;
	if (!wants_value && req->state.len != 0)
		return PK_BAD_REQUEST;
	if (hash % w->partitions != w->worker)
		return PK_WRONG_PARTITION;
	status = serving(w);
	if (status != PK_OK)
		return status;
	if (w->ops_used >= w->tuning.max_ops)
		return PK_BUSY;
	return PK_OK;
}

static void
count_request(struct pk_worker *w, uint8_t op)
{
	switch (op) {
	case PK_OP_GET:
		w->stats.req_get++;
		break;
	case PK_OP_PUT:
		w->stats.req_put++;
		break;
	case PK_OP_CAS:
		w->stats.req_cas++;
		break;
	case PK_OP_ADD:
		w->stats.req_add++;
		break;
	default:
		w->stats.req_del++;
		break;
	}
}

/* Load shedding: a request that would start a round is refused BUSY at
 * once (nothing started, nothing half-done) while max_rounds rounds run or
 * the caller's outbox has no room for the round's first message, so that
 * the work already accepted completes instead of every round timing out
 * together. Requests joining a key's running round cost no round.
 */
static bool
admit_round(struct pk_worker *w, const struct pk_out *out)
{
	if (w->rounds_active < w->tuning.max_rounds && out->nsend < out->send_cap &&
	    out->nreply < out->reply_cap)
		return true;
	w->stats.req_shed++;
	return false;
}

/* OPEN: a new session of the client with this partition (replacing its
 * old one). The reply carries its number and, as the state's version, the
 * lease in ms.
 */
static void
open_session(struct pk_worker *w, const struct pk_msg *req, uint64_t cookie, struct pk_out *out)
{
	struct asker a = { .cookie = cookie, .client_id = req->client_id,
			   .request_id = req->request_id, .op = PK_OP_OPEN };
	uint8_t status = serving(w);
	struct pk_reply *r;

	if (status == PK_OK && req->client_id == 0)
		status = PK_BAD_REQUEST;
	if (status == PK_OK) {
		a.session = pk_session_open(&w->sessions, req->client_id);
		if (a.session == 0)
			status = PK_BUSY;
	}
	if (status != PK_OK)
		w->stats.req_rejected++;
	r = send_reply(w, out, &a, status, NULL);
	if (r != NULL && status == PK_OK)
		r->msg.state.version = w->tuning.session_lease / 1000;
}

/* A request naming a session: false when it is answered (or dropped)
 * without running.
 */
static bool
admit(struct pk_worker *w, const struct pk_msg *req, const struct asker *a, struct pk_out *out)
{
	const struct pk_sess_entry *e = NULL;

	switch (pk_session_admit(&w->sessions, req, &e)) {
	case PK_ADMIT_RUN:
		return true;
	case PK_ADMIT_ANSWERED: {
		struct asker again = *a;

		again.op = e->op;
		send_reply(w, out, &again, e->status, e->result);
		return false;
	}
	case PK_ADMIT_EXPIRED:
		send_reply(w, out, a, PK_SESSION_EXPIRED, NULL);
		return false;
	case PK_ADMIT_BUSY:
		w->stats.req_rejected++;
		send_reply(w, out, a, PK_BUSY, NULL);
		return false;
	default:	/* a copy still running, or one the client is done with */
		return false;
	}
}

void
pk_proposer_submit(struct pk_worker *w, const struct pk_msg *req, uint64_t cookie,
		   uint64_t now, struct pk_out *out)
{
	const struct asker a = { .cookie = cookie, .client_id = req->client_id,
				 .session = req->session, .request_id = req->request_id,
				 .op = req->op };
	uint32_t hash;
	uint8_t status;
	struct pk_rec *rec = NULL;
	struct pk_op *op;

	pk_sessions_advance(&w->sessions, now);
	if (req->op == PK_OP_OPEN) {
		open_session(w, req, cookie, out);
		return;
	}
	if (req->session != 0 && !admit(w, req, &a, out))
		return;
	if (req->shed) {
		w->stats.req_shed++;
		answer(w, out, &a, PK_BUSY, NULL);
		return;
	}
	hash = pk_hash(req->key, req->key_len);
	status = validate(w, req, hash);
	if (status == PK_OK) {
		rec = pk_table_get(&w->table, req->key, req->key_len, hash);
		if (rec == NULL)
			status = PK_TABLE_FULL;
		else if (rec->q_len >= w->tuning.max_queue)
			status = PK_BUSY;
		else if (rec->round == NULL && !admit_round(w, out))
			status = PK_BUSY;	/* shed: counted in admit_round */
	}
	if (status != PK_OK) {
		w->stats.req_rejected++;
		answer(w, out, &a, status, NULL);
		return;
	}
	count_request(w, req->op);
	op = w->op_free;
	w->op_free = op->next;
	w->ops_used++;
	memset(op, 0, sizeof(*op));
	op->cookie = cookie;
	op->client_id = req->client_id;
	op->session = req->session;
	op->request_id = req->request_id;
	op->arg = req->arg;
	op->op = req->op;
	op->deadline = now + w->tuning.op_timeout;
	if (req->op == PK_OP_PUT || req->op == PK_OP_CAS) {
		op->input = pk_blob_new(&w->mem, PK_KIND_VALUE, 0, req->state.data, req->state.len);
		if (op->input == NULL) {
			w->stats.req_rejected++;
			answer(w, out, &a, PK_NO_MEMORY, NULL);
			op_release(w, op);
			return;
		}
	}
	if (rec->q_tail != NULL)
		rec->q_tail->next = op;
	else
		rec->q_head = op;
	rec->q_tail = op;
	rec->q_len++;
	if (rec->round != NULL) {
		w->stats.queued_ops++;	/* combined into the key's next round */
		arm(w, rec->round, op->deadline);
	} else {
		struct pk_round *rd = round_alloc(w, rec);

		arm(w, rd, op->deadline);
		round_attempt(w, rd, now, out);
	}
}

static void
on_promise(struct pk_worker *w, struct pk_round *rd, const struct pk_msg *m, uint64_t now,
	   struct pk_out *out)
{
	int cmp = pk_ballot_cmp(&m->ballot2, &rd->best_ballot);
	uint16_t bit = pk_node_bit(m->peer.node);

	if (rd->voted != 0 && cmp != 0)
		rd->agree = false;
	/* Among members without an accepted state, the highest floor version
	 * (gc.c): a key's versions never go back.
	 */
	if (rd->voted == 0 || cmp > 0 ||
	    (cmp == 0 && pk_ballot_is_zero(&m->ballot2) &&
	     m->state.version > best_version(rd))) {
		bool oom;
		struct pk_blob *v = pk_blob_from_wire(&w->mem, &m->state, &oom);

		if (oom) {
			rd->refused |= bit;	/* cannot hold the value: no vote */
			return;
		}
		pk_blob_unref(&w->mem, rd->best);
		rd->best = v;
		rd->best_ballot = m->ballot2;
	}
	rd->voted |= bit;
	if (pk_mask_count(rd->voted) >= rd->cfg->prepare_quorum) {
		phase_done(w, rd, now);
		prepared(w, rd, now, out);
	}
}

static void
on_conflict(struct pk_worker *w, struct pk_round *rd, const struct pk_msg *m, uint64_t now,
	    struct pk_out *out)
{
	uint16_t mask = phase_mask(rd);
	unsigned int quorum = phase_quorum(rd);

	w->stats.conflicts_rcvd++;
	rd->refused |= pk_node_bit(m->peer.node);
	rd->saw_conflict = true;
	fast_forward(w, &m->ballot2);
	/* Fail as soon as a quorum is out of reach, not at the timeout. */
	if (pk_mask_count(mask) - pk_mask_count(rd->refused) >= quorum)
		return;
	if (rd->phase == PK_PHASE_PREPARE)
		prepare_failed(w, rd, now);
	else
		accept_failed(w, rd, now, out);
}

void
pk_proposer_on_reply(struct pk_worker *w, const struct pk_msg *m, uint64_t now,
		     struct pk_out *out)
{
	uint64_t idx = m->peer.token >> 32;
	struct pk_round *rd;
	uint8_t phase;
	uint16_t bit, mask;

	if (m->type == PK_MSG_PROMISE || (m->type == PK_MSG_CONFLICT && m->phase == PK_MSG_PREPARE))
		phase = PK_PHASE_PREPARE;
	else if (m->type == PK_MSG_REMOVED)
		phase = PK_PHASE_REMOVE;
	else
		phase = PK_PHASE_ACCEPT;
	if (idx >= w->tuning.max_ops)
		goto stale;
	rd = &w->rounds[idx];
	if (rd->gen != (uint32_t)m->peer.token || rd->phase != phase ||
	    pk_ballot_cmp(&rd->ballot, &m->ballot) != 0)
		goto stale;
	bit = pk_node_bit(m->peer.node);
	mask = phase_mask(rd);
	/* Count each list member once per phase; anyone else is ignored. */
	if ((mask & bit) == 0 || ((rd->voted | rd->refused) & bit) != 0)
		goto stale;
	switch (m->type) {
	case PK_MSG_PROMISE:
		on_promise(w, rd, m, now, out);
		return;
	case PK_MSG_ACCEPTED:
		rd->voted |= bit;
		if (pk_mask_count(rd->voted) >= phase_quorum(rd)) {
			phase_done(w, rd, now);
			accepted(w, rd, now, out);
		}
		return;
	case PK_MSG_REMOVED:
		on_removed(w, rd, m, now, out);
		return;
	default:
		on_conflict(w, rd, m, now, out);
		return;
	}
stale:
	w->stats.replies_stale++;
	/* Even a late conflict tells us about a higher ballot. */
	if (m->type == PK_MSG_CONFLICT)
		fast_forward(w, &m->ballot2);
}

/* Answers ops past their deadline outside an accept phase: TIMEOUT when
 * no accept ever carried their write, UNKNOWN_OUTCOME when a failed one
 * did. Returns the earliest deadline left.
 */
static uint64_t
expire_ops(struct pk_worker *w, struct pk_op **link, struct pk_op **tail_out, uint32_t *count,
	   uint64_t now, struct pk_out *out)
{
	uint64_t next = UINT64_MAX;
	struct pk_op *last = NULL;

	while (*link != NULL) {
		struct pk_op *op = *link;

		if (op->deadline <= now) {
			*link = op->next;
			(*count)--;
			complete(w, out, op, op->maybe_applied ? PK_UNKNOWN_OUTCOME : PK_TIMEOUT);
			continue;
		}
		if (op->deadline < next)
			next = op->deadline;
		last = op;
		link = &op->next;
	}
	if (tail_out != NULL)
		*tail_out = last;
	return next;
}

/* One due round: answers its ops past their deadline, then ends its phase
 * (timeout) or backoff when due, and re-arms its timer.
 */
static void
round_tick(struct pk_worker *w, struct pk_round *rd, uint64_t now, struct pk_out *out)
{
	struct pk_rec *rec = rd->rec;
	uint32_t q_len = rec->q_len;
	uint64_t t, next;

	next = expire_ops(w, &rec->q_head, &rec->q_tail, &q_len, now, out);
	rec->q_len = (uint16_t)q_len;
	/* Ops of an accept (or a GC's remove) under way wait for its end. */
	if (rd->phase != PK_PHASE_ACCEPT && rd->phase != PK_PHASE_REMOVE) {
		struct pk_op *last;

		t = expire_ops(w, &rd->ops, &last, &rd->nops, now, out);
		rd->ops_tail = last != NULL ? &last->next : &rd->ops;
		if (t < next)
			next = t;
	}
	if (rd->deadline > now) {
		arm(w, rd, rd->deadline < next ? rd->deadline : next);
		return;
	}
	switch (rd->phase) {
	case PK_PHASE_PREPARE:
		prepare_failed(w, rd, now);
		break;
	case PK_PHASE_ACCEPT:
		accept_failed(w, rd, now, out);
		break;
	case PK_PHASE_REMOVE:
		if (rd->attempts++ < GC_REMOVE_TRIES)
			send_remove(w, rd, now, out);
		else
			gc_finish(w, rd, PK_UNAVAILABLE, now, out);
		break;
	default:
		round_attempt(w, rd, now, out);
		break;
	}
	/* The new phase armed its deadline; ops may be due sooner. */
	if (rd->phase != PK_PHASE_FREE && next != UINT64_MAX)
		arm(w, rd, next);
}

/* What the rounds ticked so far may still add to the outbox once the
 * tick's messages to this replica itself are delivered (its acceptor's
 * answer to each; with a quorum of one, the answers to their ops).
 */
struct tick_reserve {
	uint32_t sends;
	uint32_t replies;
};

/* Whether the outbox has room for whatever <rd>'s tick may emit, beyond
 * <rs>: a message to the members and the local answer to it, and an
 * answer to each of its ops and of those queued behind its key (their
 * deadlines may have come). Reserves that room when it does.
 */
static bool
tick_fits(const struct pk_round *rd, const struct pk_out *out, struct tick_reserve *rs)
{
	uint32_t ops = rd->nops + rd->rec->q_len;

	if (out->send_cap - out->nsend < rs->sends + TICK_SEND_ROOM ||
	    out->reply_cap - out->nreply <= rs->replies + ops)
		return false;
	rs->sends += 1;
	rs->replies += ops;
	return true;
}

void
pk_proposer_tick(struct pk_worker *w, uint64_t now, struct pk_out *out)
{
	struct pk_timer *due;
	struct tick_reserve rs = { 0, 0 };
	uint32_t handled = 0;

	if (now < w->next_deadline)
		return;
	/* Only the rounds whose timers are due; a round handled here never
	 * re-arms another round's timer, so the chain stays intact.
	 */
	due = pk_wheel_expire(&w->wheel, now);
	while (due != NULL) {
		struct pk_round *rd = (struct pk_round *)((char *)due - offsetof(struct pk_round, timer));

		due = due->next;
		if (rd->phase == PK_PHASE_FREE)
			continue;
		/* Bounded work: when many rounds time out together (overload),
		 * those whose answers would not fit wait for the next tick,
		 * after the caller drained the outbox, instead of having their
		 * messages dropped. The first always runs: progress.
		 */
		if (!tick_fits(rd, out, &rs) && handled > 0) {
			w->stats.tick_deferred++;
			arm(w, rd, now);
			continue;
		}
		handled++;
		round_tick(w, rd, now, out);
	}
	w->next_deadline = pk_wheel_next(&w->wheel);
}

/* O(1) whatever the key count: every cache of an older generation is void
 * and is dropped when its key is next used (or at teardown).
 */
void
pk_proposer_drop_caches(struct pk_worker *w)
{
	w->cache_gen++;
}

void
pk_proposer_fini(struct pk_worker *w)
{
	while (w->active != NULL) {
		struct pk_round *rd = w->active;

		while (rd->ops != NULL) {
			struct pk_op *op = rd->ops;

			rd->ops = op->next;
			op_release(w, op);
		}
		while (rd->rec->q_head != NULL) {
			struct pk_op *op = rd->rec->q_head;

			rd->rec->q_head = op->next;
			op_release(w, op);
		}
		rd->rec->q_tail = NULL;
		rd->rec->q_len = 0;
		pk_blob_unref(&w->mem, rd->best);
		pk_blob_unref(&w->mem, rd->newval);
		rd->best = NULL;
		rd->newval = NULL;
		w->active = rd->next;
		rd->rec->round = NULL;
	}
}

struct pk_op *
pk_proposer_op_alloc(struct pk_worker *w)
{
	struct pk_op *op = w->op_free;

	if (op == NULL || w->ops_used >= w->tuning.max_ops)
		return NULL;
	w->op_free = op->next;
	w->ops_used++;
	memset(op, 0, sizeof(*op));
	return op;
}

void
pk_proposer_start(struct pk_worker *w, struct pk_rec *rec, struct pk_op *op,
		  const struct pk_round_kind *kind, uint64_t now, struct pk_out *out)
{
	struct pk_round *rd;

	assert(rec->q_head == NULL && op != NULL && kind != NULL);
	pk_rec_drop_cache(w, rec);	/* such a round always prepares afresh */
	rd = round_alloc(w, rec);
	rd->kind = kind;
	rd->ops = op;
	rd->ops_tail = &op->next;
	rd->nops = 1;
	arm(w, rd, op->deadline);
	round_attempt(w, rd, now, out);
}
