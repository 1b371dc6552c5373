/* A partition worker: creation, the three step entry points, and local
 * delivery. Messages a worker sends to its own node never leave it: the
 * local acceptor answers inline, so a replica's own vote costs no packet.
 */
#include <string.h>

#include "core.h"

void
pk_tuning_default(struct pk_tuning *t)
{
	memset(t, 0, sizeof(*t));
	t->phase_timeout = 2000;
	t->op_timeout = 1000000;
	t->backoff_base = 200;
	t->backoff_max = 20000;
	t->max_keys = 1u << 20;
	t->max_ops = 16384;
	t->max_rounds = 256;
	t->max_queue = 256;
	t->max_value = PK_MAX_VALUE;
	t->max_sessions = 1u << 14;
	t->max_session_records = 1u << 16;
	t->session_window = 1u << 16;
	t->session_lease = 60000000;
}

/* HELLO: this partition's census answer (wire.h), whether it votes or not:
 * a replica started with --bootstrap refuses to vote over a cluster that
 * already holds state.
 */
static void
answer_hello(struct pk_worker *w, const struct pk_msg *m, struct pk_out *out)
{
	struct pk_send *s = pk_out_send(w, out, pk_node_bit(m->peer.node), PK_MSG_HELLO_REP);

	if (s == NULL)
		return;
	s->msg.peer.token = m->peer.token;
	s->msg.arg = w->table.accepted;
	s->msg.state.version = w->floor.version;
	s->msg.reason = w->admitted ? 1 : 0;
}

void
pk_worker_hello(struct pk_worker *w, uint64_t token, uint16_t dest_mask, struct pk_out *out)
{
	struct pk_send *s;

	dest_mask &= (uint16_t)~pk_node_bit(w->node);	/* never to itself */
	if (dest_mask == 0 || (s = pk_out_send(w, out, dest_mask, PK_MSG_HELLO)) == NULL)
		return;
	s->msg.peer.token = token;
}

static void
dispatch(struct pk_worker *w, const struct pk_msg *m, uint64_t now, struct pk_out *out)
{
	switch (m->type) {
	case PK_MSG_HELLO:
		answer_hello(w, m, out);
		break;
	case PK_MSG_PREPARE:
		pk_acceptor_on_prepare(w, m, out);
		break;
	case PK_MSG_ACCEPT:
		pk_acceptor_on_accept(w, m, out);
		break;
	case PK_MSG_INSTALL:
		pk_acceptor_on_install(w, m, out);
		break;
	case PK_MSG_REMOVE:
		pk_acceptor_on_remove(w, m, out);
		break;
	case PK_MSG_PROMISE:
	case PK_MSG_ACCEPTED:
	case PK_MSG_CONFLICT:
	case PK_MSG_REMOVED:
		pk_proposer_on_reply(w, m, now, out);
		break;
	default:
		w->stats.peer_dropped++;
		break;
	}
}

/* Delivers, in order, every message from outbox entry <from> on that is
 * addressed to this node; handling one may append more.
 */
void
pk_worker_deliver_local(struct pk_worker *w, uint32_t from, uint64_t now, struct pk_out *out)
{
	uint16_t self = pk_node_bit(w->node);

	for (uint32_t i = from; i < out->nsend; i++) {
		struct pk_msg m;

		if ((out->sends[i].dest_mask & self) == 0)
			continue;
		out->sends[i].dest_mask &= (uint16_t)~self;
		m = out->sends[i].msg;	/* the array may grow under us */
		dispatch(w, &m, now, out);
	}
}

void
pk_worker_collect(struct pk_worker *w)
{
	pk_table_collect(&w->table);
	pk_mem_collect(&w->mem);
}

void
pk_worker_client(struct pk_worker *w, const struct pk_msg *req, uint64_t cookie, uint64_t now,
		 struct pk_out *out)
{
	uint32_t from = out->nsend;

	pk_worker_collect(w);
	pk_proposer_submit(w, req, cookie, now, out);
	pk_worker_deliver_local(w, from, now, out);
}

void
pk_worker_peer(struct pk_worker *w, const struct pk_msg *m, uint64_t now, struct pk_out *out)
{
	uint32_t from = out->nsend;

	pk_worker_collect(w);
	/* Partition i only ever talks to partition i of the other nodes. */
	if (m->peer.worker != w->worker || m->peer.node >= PK_MAX_NODES) {
		w->stats.peer_dropped++;
		return;
	}
	if (!pk_bounds_admit(w, m))
		return;
	dispatch(w, m, now, out);
	pk_worker_deliver_local(w, from, now, out);
}

void
pk_worker_tick(struct pk_worker *w, uint64_t now, struct pk_out *out)
{
	uint32_t from = out->nsend;

	pk_worker_collect(w);
	pk_sessions_advance(&w->sessions, now);
	pk_sessions_expire(&w->sessions);
	pk_proposer_tick(w, now, out);
	pk_worker_deliver_local(w, from, now, out);
}

uint64_t
pk_worker_next_deadline(const struct pk_worker *w)
{
	uint64_t d = w->next_deadline;

	/* While sessions live, a tick every PK_SESSION_TICK keeps their
	 * clock running on an idle partition (the clock counts no gap
	 * longer than a stall allowance), so their leases end.
	 */
	if (w->sessions.live > 0 && w->sessions.last_now + PK_SESSION_TICK < d)
		d = w->sessions.last_now + PK_SESSION_TICK;
	return d;
}

uint32_t
pk_worker_oldest_epoch(const struct pk_worker *w)
{
	uint32_t e = w->cfg->epoch;

	for (const struct pk_round *rd = w->active; rd != NULL; rd = rd->next)
		if ((rd->phase == PK_PHASE_PREPARE || rd->phase == PK_PHASE_ACCEPT ||
		     rd->phase == PK_PHASE_REMOVE) &&
		    rd->cfg->epoch < e)
			e = rd->cfg->epoch;
	return e;
}

void *
pk_worker_index(const struct pk_worker *w)
{
	return w->table.ops != NULL ? w->table.index : NULL;
}

uint32_t
pk_worker_keys(const struct pk_worker *w)
{
	return w->table.count;
}

uint32_t
pk_worker_accepted_keys(const struct pk_worker *w)
{
	return w->table.accepted;
}

uint32_t
pk_worker_deleted_keys(const struct pk_worker *w)
{
	return w->table.deleted;
}

void
pk_worker_set_config(struct pk_worker *w, const struct pk_config *cfg)
{
	w->cfg = cfg;
	pk_proposer_drop_caches(w);
}

void
pk_worker_admit(struct pk_worker *w, bool admitted)
{
	w->admitted = admitted;
}

const struct pk_stats *
pk_worker_stats(const struct pk_worker *w)
{
	return &w->stats;
}

enum pk_install_result
pk_worker_install(struct pk_worker *w, const uint8_t *key, uint16_t key_len, uint16_t dest,
		  uint64_t token, struct pk_out *out)
{
	const struct pk_rec *r = pk_table_find(&w->table, key, key_len, pk_hash(key, key_len));
	struct pk_send *s;

	if (r == NULL || pk_ballot_is_zero(&r->accepted) || dest >= PK_MAX_NODES)
		return PK_INSTALL_NOTHING;
	s = pk_out_send(w, out, pk_node_bit(dest), PK_MSG_INSTALL);
	if (s == NULL)
		return PK_INSTALL_NO_ROOM;
	w->stats.catchup_sent++;
	s->msg.peer.token = token;
	s->msg.ballot = r->accepted;
	s->msg.key = r->key;
	s->msg.key_len = r->key_len;
	pk_blob_to_wire(r->value, &s->msg.state);
	return PK_INSTALL_SENT;
}

bool
pk_worker_peek(const struct pk_worker *w, const uint8_t *key, uint16_t key_len,
	       struct pk_ballot *promise, struct pk_ballot *accepted, struct pk_wstate *state)
{
	const struct pk_rec *r = pk_table_find(&w->table, key, key_len, pk_hash(key, key_len));

	if (r == NULL)
		return false;
	*promise = r->promise;
	*accepted = r->accepted;
	pk_blob_to_wire(r->value, state);
	return true;
}

static bool
params_ok(const struct pk_worker_params *p)
{
	const struct pk_tuning *t = &p->tuning;

	return p->node < PK_MAX_NODES && p->partitions > 0 && p->worker < p->partitions &&
	       p->incarnation > 0 && t->max_keys > 0 && t->max_ops > 0 &&
	       t->max_ops < (1u << 31) && t->max_queue > 0 && t->max_value <= PK_MAX_VALUE &&
	       t->phase_timeout > 0 && t->backoff_base > 0 && t->max_sessions > 0 &&
	       t->max_rounds > 0 &&
	       t->max_session_records > 0 && t->session_window > 0 &&
	       p->env.alloc != NULL && p->env.free != NULL &&
	       (p->env.index == NULL ||
		(p->env.index->create != NULL && p->env.index->find != NULL &&
		 p->env.index->insert != NULL && p->env.index->remove != NULL &&
		 p->env.index->destroy != NULL));
}

struct pk_worker *
pk_worker_new(const struct pk_worker_params *p, const struct pk_config *cfg)
{
	struct pk_mem mem = { .env = p->env, .garbage = NULL };
	struct pk_worker *w;

	if (!params_ok(p) || cfg == NULL)
		return NULL;
	w = pk_mem_zalloc(&mem, sizeof(*w));
	if (w == NULL)
		goto err;
	w->mem = mem;
	w->cluster_id = p->cluster_id;
	w->node = p->node;
	w->worker = p->worker;
	w->partitions = p->partitions;
	w->incarnation = p->incarnation;
	w->admitted = p->admitted;
	w->tuning = p->tuning;
	w->cfg = cfg;
	w->rng = p->seed != 0 ? p->seed : 0x9e3779b97f4a7c15ull;
	w->next_deadline = UINT64_MAX;
	pk_wheel_init(&w->wheel, 0);
	if (pk_table_init(&w->table, &w->mem, p->tuning.max_keys) != 0)
		goto err_after_worker;
	w->rounds = pk_mem_zalloc(&w->mem, (size_t)p->tuning.max_ops * sizeof(*w->rounds));
	if (w->rounds == NULL)
		goto err_after_table;
	w->ops = pk_mem_zalloc(&w->mem, (size_t)p->tuning.max_ops * sizeof(*w->ops));
	if (w->ops == NULL)
		goto err_after_rounds;
	{
		const struct pk_session_limits lim = {
			.max_sessions = p->tuning.max_sessions,
			.max_records = p->tuning.max_session_records,
			.per_session = p->tuning.session_window,
			.lease = p->tuning.session_lease,
		};

		if (pk_sessions_init(&w->sessions, &w->mem, &w->stats, &lim,
				     p->session_base) != 0)
			goto err_after_ops;
	}
	for (uint32_t i = p->tuning.max_ops; i-- > 0;) {
		w->rounds[i].next = w->round_free;
		w->round_free = &w->rounds[i];
		w->ops[i].next = w->op_free;
		w->op_free = &w->ops[i];
	}
	return w;

err_after_ops:
	pk_mem_free(&w->mem, w->ops);
err_after_rounds:
	pk_mem_free(&w->mem, w->rounds);
err_after_table:
	pk_table_fini(&w->table);
err_after_worker:
	pk_mem_free(&mem, w);
err:
	return NULL;
}

void
pk_worker_free(struct pk_worker *w)
{
	struct pk_mem mem;

	if (w == NULL)
		return;
	pk_proposer_fini(w);
	pk_sessions_fini(&w->sessions);
	pk_table_fini(&w->table);
	pk_mem_free(&w->mem, w->rounds);
	pk_mem_free(&w->mem, w->ops);
	mem = w->mem;
	pk_mem_free(&mem, w);
}

void
pk_worker_gc(struct pk_worker *w, const uint8_t *key, uint16_t key_len, uint64_t cookie,
	     uint64_t now, struct pk_out *out)
{
	uint32_t from = out->nsend;
	bool started = false;
	uint8_t status;
	struct pk_reply *rep;

	pk_worker_collect(w);
	status = pk_gc_start(w, key, key_len, cookie, now, out, &started);
	if (started) {
		pk_worker_deliver_local(w, from, now, out);
		return;
	}
	rep = pk_out_reply(w, out, cookie);
	if (rep != NULL)
		rep->msg.status = status;
}

struct pk_floor
pk_worker_floor(const struct pk_worker *w)
{
	return w->floor;
}

void
pk_worker_raise_floor(struct pk_worker *w, const struct pk_floor *f)
{
	pk_floor_raise(&w->floor, &f->ballot, f->version);
}
