/* The simulator engine: event heap, network, replicas and client plumbing.
 * Ties in the event heap break by insertion order, so a run is a pure
 * function of its seed.
 */
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "workload.h"

#define SIM_CLUSTER_ID 0x51u
/* Reply cookies: a client's id, or this bit for the GC sweep's answers. */
#define SIM_COOKIE_GC (1ull << 32)

enum sim_ev_type {
	EV_TO_NODE = 1,
	EV_TO_CLIENT,
	EV_TICK,
	EV_CLIENT_TIMEOUT,
	EV_CLIENT_WAKE,
	EV_SCRIPT,
};

struct sim_event {
	uint64_t time;
	uint64_t seq;
	uint8_t type;
	uint16_t node;
	uint16_t worker;
	uint32_t incarnation;	/* TICK: the node life it belongs to */
	uint32_t client;
	uint64_t arg;
	uint32_t len;
	uint8_t *data;
};

/* ---- randomness ---- */

uint64_t
sim_rand(struct sim *s)
{
	/* splitmix64: tiny, good enough, and the whole run's only source. */
	uint64_t z = (s->rng += 0x9e3779b97f4a7c15ull);

	if (s->p.entropy != NULL && s->entropy_pos + 8 <= s->p.entropy_len) {
		memcpy(&z, s->p.entropy + s->entropy_pos, 8);
		s->entropy_pos += 8;
		return z;
	}

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

bool
sim_chance(struct sim *s, double p)
{
	return p > 0 && (double)(sim_rand(s) >> 11) * 0x1.0p-53 < p;
}

static void
trace_mix(struct sim *s, const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		s->trace = (s->trace ^ b[i]) * 1099511628211ull;
}

/* ---- memory seen by the core ---- */

/* The env's context is the node's heap, its first member. */
_Static_assert(offsetof(struct sim_node, heap) == 0, "the heap opens struct sim_node");

static void
node_on_accepted(void *ctx, const uint8_t *key, uint16_t key_len, const struct pk_ballot *b,
		 const struct pk_wstate *st)
{
	struct sim_node *n = ctx;

	mon_accepted(&n->sim->mon, n->id, key, key_len, b, st);
}

/* ---- event heap ---- */

static bool
ev_before(const struct sim_event *a, const struct sim_event *b)
{
	return a->time != b->time ? a->time < b->time : a->seq < b->seq;
}

static struct sim_event *
ev_push(struct sim *s, uint64_t time, uint8_t type)
{
	uint32_t i;
	struct sim_event e = { .time = time, .seq = s->seq++, .type = type };

	if (s->heap_n == s->heap_cap) {
		s->heap_cap = s->heap_cap ? 2 * s->heap_cap : 1024;
		s->heap = realloc(s->heap, s->heap_cap * sizeof(*s->heap));
		if (s->heap == NULL)
			abort();
	}
	for (i = s->heap_n++; i > 0 && ev_before(&e, &s->heap[(i - 1) / 2]); i = (i - 1) / 2)
		s->heap[i] = s->heap[(i - 1) / 2];
	s->heap[i] = e;
	return &s->heap[i];
}

/* Pushes a fully built event (the pointer from ev_push may move). */
static void
ev_add(struct sim *s, const struct sim_event *proto)
{
	struct sim_event *e = ev_push(s, proto->time, proto->type);
	uint64_t seq = e->seq;

	*e = *proto;
	e->seq = seq;
}

static struct sim_event
ev_pop(struct sim *s)
{
	struct sim_event top = s->heap[0], last = s->heap[--s->heap_n];
	uint32_t i = 0;

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= s->heap_n)
			break;
		if (c + 1 < s->heap_n && ev_before(&s->heap[c + 1], &s->heap[c]))
			c++;
		if (!ev_before(&s->heap[c], &last))
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	if (s->heap_n > 0)
		s->heap[i] = last;
	return top;
}

/* ---- network ---- */

static uint64_t
net_delay(struct sim *s)
{
	const struct sim_net *n = &s->p.net;

	return n->delay_min + sim_rand(s) % (n->delay_max - n->delay_min + 1);
}

/* Sends a datagram; <to_client> selects the client link; <extra> delays
 * it past the usual delay.
 */
static void
net_send(struct sim *s, uint16_t from, uint16_t to, bool to_client, double loss,
	 const uint8_t *buf, size_t len, uint64_t extra)
{
	unsigned int copies = 1;
	struct sim_event e = { .type = to_client ? EV_TO_CLIENT : EV_TO_NODE };

	s->stats.datagrams++;
	trace_mix(s, &s->now, sizeof(s->now));
	trace_mix(s, buf, len);
	if ((!to_client && from < PK_MAX_NODES && (s->cut[from] & (1u << to)) != 0) ||
	    sim_chance(s, loss)) {
		s->stats.dropped++;
		return;
	}
	if (sim_chance(s, s->p.net.dup)) {
		copies += 1 + (unsigned int)(sim_rand(s) % 2);
		s->stats.duplicated++;
	}
	for (unsigned int c = 0; c < copies; c++) {
		e.time = s->now + net_delay(s) + extra;
		if (extra > 0 && e.time > s->lag_last)
			s->lag_last = e.time;
		e.node = to;
		e.client = to;
		e.len = (uint32_t)len;
		e.data = malloc(len);
		if (e.data == NULL)
			abort();
		memcpy(e.data, buf, len);
		ev_add(s, &e);
	}
}

static bool
is_reply(uint8_t type)
{
	return type == PK_MSG_PROMISE || type == PK_MSG_ACCEPTED || type == PK_MSG_CONFLICT ||
	       type == PK_MSG_INSTALLED || type == PK_MSG_REMOVED;
}

/* Whether sim_lag holds back <type> from <from> to <to>. */
static bool
lagged(const struct sim *s, uint16_t from, uint16_t to, uint8_t type)
{
	const struct sim_lag *l = &s->lag;

	return l->extra > 0 && (l->from & (1u << from)) != 0 && (l->to & (1u << to)) != 0 &&
	       (l->type == 0 || l->type == type);
}

/* Sends one encoded batch of <n>'s outbox to <to>. */
static void
send_batch(struct sim *s, const struct sim_node *n, uint16_t to, int dir, bool lag,
	   const struct pk_wbuf *wb, const uint8_t *buf)
{
	if (lag)
		s->stats.lagged++;
	net_send(s, n->id, to, false, dir ? s->p.net.reply_drop : s->p.net.drop, buf, wb->len,
		 lag ? s->lag.extra : 0);
}

/* A GC sweep's answer: counted, not sent anywhere. */
static void
gc_answer(struct sim *s, const struct pk_reply *rep)
{
	if (rep->msg.status == PK_OK)
		s->stats.gc_removed++;
}

static const struct pk_config *
config_of(const struct sim *s, uint32_t epoch)
{
	for (unsigned int i = 0; i < s->nconfigs; i++)
		if (s->configs[i]->epoch == epoch)
			return s->configs[i];
	abort();	/* a round ran a config the simulator never installed */
}

/* An outbox on its way out: one open datagram per destination and
 * direction (requests and replies apart, so reply loss can hit only
 * replies).
 */
struct flush_batch {
	struct sim *s;
	struct sim_node *n;
	struct pk_dgram_hdr hdr;
	uint8_t bufs[PK_MAX_NODES][2][PK_MAX_DGRAM];
	struct pk_wbuf wb[PK_MAX_NODES][2];
	bool open[PK_MAX_NODES][2];
	bool lag[PK_MAX_NODES][2];
};

static void
flush_peer(void *ctx, uint16_t to, const struct pk_msg *m)
{
	struct flush_batch *b = ctx;
	int dir = is_reply(m->type);

	if (!b->open[to][dir]) {
		pk_wire_begin(&b->wb[to][dir], b->bufs[to][dir], PK_MAX_DGRAM, &b->hdr);
		b->open[to][dir] = true;
	}
	if (pk_wire_add(&b->wb[to][dir], m) == -PK_E_NOSPACE) {
		send_batch(b->s, b->n, to, dir, b->lag[to][dir], &b->wb[to][dir], b->bufs[to][dir]);
		b->lag[to][dir] = false;
		pk_wire_begin(&b->wb[to][dir], b->bufs[to][dir], PK_MAX_DGRAM, &b->hdr);
		pk_wire_add(&b->wb[to][dir], m);
	}
	b->lag[to][dir] |= lagged(b->s, b->n->id, to, m->type);
}

/* The peer batches still open go out before the client replies. */
static void
flush_sent(void *ctx)
{
	struct flush_batch *b = ctx;

	for (uint16_t to = 0; to < PK_MAX_NODES; to++)
		for (int dir = 0; dir < 2; dir++)
			if (b->open[to][dir] && b->wb[to][dir].count > 0)
				send_batch(b->s, b->n, to, dir, b->lag[to][dir], &b->wb[to][dir],
					   b->bufs[to][dir]);
}

static void
flush_reply(void *ctx, const struct pk_reply *r)
{
	struct flush_batch *b = ctx;
	uint8_t buf[PK_MAX_DGRAM];
	struct pk_wbuf w;

	if ((r->cookie & SIM_COOKIE_GC) != 0) {
		gc_answer(b->s, r);
		return;
	}
	pk_wire_begin(&w, buf, sizeof(buf), &b->hdr);
	if (pk_wire_add(&w, &r->msg) == 0)
		net_send(b->s, b->n->id, (uint16_t)r->cookie, true, b->s->p.net.client_drop, buf,
			 w.len, 0);
}

/* Encodes the outbox of <node>/<worker> into datagrams, observing every
 * PREPARE and ACCEPT for the monitors.
 */
static void
flush(struct sim *s, struct sim_node *n, uint16_t worker)
{
	static struct flush_batch b;
	const struct pk_out_sink sink = { .peer = flush_peer, .sent = flush_sent,
					  .reply = flush_reply, .ctx = &b };

	/* The monitors see every PREPARE and ACCEPT once, whoever it goes to. */
	for (uint32_t i = 0; i < s->out.nsend; i++) {
		const struct pk_send *snd = &s->out.sends[i];

		if (snd->msg.type == PK_MSG_PREPARE)
			mon_prepare(&s->mon, &snd->msg.ballot);
		if (snd->msg.type == PK_MSG_ACCEPT)
			mon_accept_sent(&s->mon, snd->msg.key, snd->msg.key_len, &snd->msg.ballot,
					&snd->msg.state, config_of(s, snd->msg.peer.epoch));
	}
	b.s = s;
	b.n = n;
	b.hdr = (struct pk_dgram_hdr){ .cluster_id = SIM_CLUSTER_ID,
				       .partitions = (uint16_t)s->p.workers, .partition = worker };
	memset(b.open, 0, sizeof(b.open));
	memset(b.lag, 0, sizeof(b.lag));
	pk_out_drain(&s->out, &sink);
}

/* Keeps one TICK event pending at the worker's next deadline. */
static void
arm_tick(struct sim *s, struct sim_node *n, uint16_t worker)
{
	uint64_t d = pk_worker_next_deadline(n->w[worker]);
	struct sim_event e = { .type = EV_TICK };

	if (d >= n->tick_at[worker])
		return;
	n->tick_at[worker] = d;
	e.time = d > s->now ? d : s->now;
	e.node = n->id;
	e.worker = worker;
	e.incarnation = n->incarnation;
	ev_add(s, &e);
}

static void
after_step(struct sim *s, struct sim_node *n, uint16_t worker)
{
	flush(s, n, worker);
	arm_tick(s, n, worker);
}

static void
deliver_to_node(struct sim *s, const struct sim_event *e)
{
	struct sim_node *n = &s->nodes[e->node];
	struct pk_wire_expect exp = { .cluster_id = SIM_CLUSTER_ID,
				      .partitions = (uint16_t)s->p.workers };
	struct pk_msg msgs[PK_MAX_BATCH];
	struct pk_dgram_hdr hdr;
	int count;

	if (!n->up)
		return;
	count = pk_wire_decode(e->data, e->len, &exp, &hdr, msgs, PK_MAX_BATCH);
	if (count < 0) {
		fprintf(stderr, "sim: undecodable datagram (%s)\n", pk_strstatus(-count));
		abort();
	}
	for (int i = 0; i < count; i++) {
		struct pk_worker *w = n->w[hdr.partition];

		if (msgs[i].type == PK_MSG_CLIENT_REQ)
			pk_worker_client(w, &msgs[i], msgs[i].client_id - 1, s->now, &s->out);
		else
			pk_worker_peer(w, &msgs[i], s->now, &s->out);
		after_step(s, n, hdr.partition);
	}
}

/* ---- clients ---- */

void
sim_forge(struct sim *s, uint16_t to, const struct pk_msg *m)
{
	struct pk_dgram_hdr hdr = { .cluster_id = SIM_CLUSTER_ID,
				    .partitions = (uint16_t)s->p.workers,
				    .partition = m->peer.worker };
	uint8_t buf[PK_MAX_DGRAM];
	struct pk_wbuf w;

	pk_wire_begin(&w, buf, sizeof(buf), &hdr);
	if (pk_wire_add(&w, m) != 0)
		abort();	/* a scenario forged something the codec refuses */
	net_send(s, PK_MAX_NODES, to, false, 0.0, buf, w.len, 0);
}

/* Opens client <c>'s session with partition <part> of <node>, out of band
 * (no loss, no delay: the OPEN path has tests of its own); 0 when the node
 * is down or refuses.
 */
static uint64_t
open_session(struct sim *s, const struct sim_client *c, uint16_t node, uint16_t part)
{
	struct sim_node *n = &s->nodes[node];
	struct pk_msg m;
	uint64_t number = 0;

	if (!n->up)
		return 0;
	memset(&m, 0, sizeof(m));
	m.type = PK_MSG_CLIENT_REQ;
	m.op = PK_OP_OPEN;
	m.client_id = c->id + 1;
	m.request_id = c->req_id;
	pk_worker_client(n->w[part], &m, c->id, s->now, &s->out);
	for (uint32_t i = 0; i < s->out.nreply; i++) {
		if (s->out.replies[i].msg.request_id != m.request_id ||
		    s->out.replies[i].msg.client_id != m.client_id)
			continue;
		if (s->out.replies[i].msg.status == PK_OK)
			number = s->out.replies[i].msg.session;
		s->out.replies[i] = s->out.replies[--s->out.nreply];
		break;
	}
	after_step(s, n, part);
	return number;
}

void
sim_client_send(struct sim *s, struct sim_client *c, uint8_t op, uint8_t key, uint64_t arg,
		const char *val)
{
	const char *k = s->keys[key];
	uint16_t klen = (uint16_t)strlen(k);
	uint16_t vlen = val != NULL ? (uint16_t)strlen(val) : 0;
	unsigned int live = (unsigned int)__builtin_popcount(c->node_mask);
	uint16_t node = 0;
	struct pk_dgram_hdr hdr = { .cluster_id = SIM_CLUSTER_ID,
				    .partitions = (uint16_t)s->p.workers,
				    .partition = pk_partition_of(k, klen, (uint16_t)s->p.workers) };
	struct pk_msg m;
	uint8_t buf[PK_MAX_DGRAM];
	struct pk_wbuf w;
	struct sim_event t = { .type = EV_CLIENT_TIMEOUT };

	/* A random replica among the client's. */
	for (unsigned int pick = (unsigned int)(sim_rand(s) % live);; node++)
		if ((c->node_mask & (1u << node)) != 0 && pick-- == 0)
			break;
	c->busy = true;
	c->req_id++;
	c->op = op;
	c->key = key;
	c->attempts++;
	c->hist_id = lin_invoke(s->hist, c->id, k, klen, op, arg, val, vlen, ++s->lin_clock);
	memset(&m, 0, sizeof(m));
	m.type = PK_MSG_CLIENT_REQ;
	m.client_id = c->id + 1;
	m.request_id = c->req_id;
	if (c->session[node][hdr.partition] == 0)
		c->session[node][hdr.partition] = open_session(s, c, node, hdr.partition);
	m.session = c->session[node][hdr.partition];
	m.acked = c->req_id;	/* one request at a time */
	m.op = op;
	m.arg = arg;
	m.key = (const uint8_t *)k;
	m.key_len = klen;
	m.state.len = vlen;
	m.state.data = (const uint8_t *)val;
	pk_wire_begin(&w, buf, sizeof(buf), &hdr);
	pk_wire_add(&w, &m);
	net_send(s, PK_MAX_NODES, node, false, s->p.net.client_drop, buf, w.len, 0);
	t.time = s->now + s->p.client_timeout;
	t.client = c->id;
	t.arg = c->req_id;
	ev_add(s, &t);
}

static void
deliver_to_client(struct sim *s, const struct sim_event *e)
{
	struct sim_client *c = &s->clients[e->client];
	struct pk_wire_expect exp = { .cluster_id = SIM_CLUSTER_ID,
				      .partitions = (uint16_t)s->p.workers };
	struct pk_msg m;
	struct pk_dgram_hdr hdr;

	if (pk_wire_decode(e->data, e->len, &exp, &hdr, &m, 1) != 1)
		abort();
	/* Late replies (after the client gave up) and duplicates are dropped. */
	if (!c->busy || m.request_id != c->req_id)
		return;
	c->busy = false;
	if (m.status == PK_SESSION_EXPIRED)	/* its replica restarted: open anew */
		for (unsigned int n = 0; n < PK_MAX_NODES; n++)
			for (unsigned int p = 0; p < SIM_MAX_WORKERS; p++)
				if (c->session[n][p] == m.session)
					c->session[n][p] = 0;
	lin_complete(s->hist, c->hist_id, ++s->lin_clock, m.status, m.state.version, m.state.data,
		     m.state.len);
	if (m.status == PK_UNKNOWN_OUTCOME || m.status == PK_SESSION_EXPIRED)
		s->stats.ops_unknown++;
	else if (m.status <= PK_OVERFLOW)
		s->stats.ops_ok++;
	else
		s->stats.ops_refused++;
	workload_on_result(s, c, m.status, m.state.version, m.state.data, m.state.len);
}

static void
client_timeout(struct sim *s, const struct sim_event *e)
{
	struct sim_client *c = &s->clients[e->client];

	if (!c->busy || e->arg != c->req_id)
		return;
	c->busy = false;
	lin_give_up(s->hist, c->hist_id);
	s->stats.ops_unknown++;
	workload_on_result(s, c, PK_UNKNOWN_OUTCOME, 0, NULL, 0);
}

void
sim_client_wake_later(struct sim *s, struct sim_client *c, uint64_t delay)
{
	struct sim_event e = { .type = EV_CLIENT_WAKE, .client = c->id };

	e.time = s->now + delay;
	ev_add(s, &e);
}

struct sim_client *
sim_add_client(struct sim *s, uint8_t workload, uint16_t node_mask, uint32_t target)
{
	struct sim_client *c;

	if (s->nclients == SIM_MAX_CLIENTS)
		abort();	/* a scenario with more clients than the simulator holds */
	c = &s->clients[s->nclients];

	memset(c, 0, sizeof(*c));
	c->id = s->nclients++;
	c->workload = workload;
	c->node_mask = node_mask;
	c->target = target;
	c->active = true;
	c->rng = sim_rand(s);
	sim_client_wake_later(s, c, 1 + sim_rand(s) % 50);
	return c;
}

/* ---- replicas ---- */

static void
node_start(struct sim *s, struct sim_node *n, bool admitted)
{
	struct pk_worker_params p;

	memset(&p, 0, sizeof(p));
	p.cluster_id = SIM_CLUSTER_ID;
	p.node = n->id;
	p.partitions = (uint16_t)s->p.workers;
	p.incarnation = n->incarnation;
	p.admitted = admitted;
	p.tuning = s->p.tuning;
	/* Above every number an earlier start of this node gave out, even
	 * one that kept its incarnation.
	 */
	p.session_base = (uint64_t)++n->starts << 32;
	p.env = n->env;
	p.env.on_accepted = node_on_accepted;
	for (uint16_t w = 0; w < s->p.workers; w++) {
		p.worker = w;
		p.seed = sim_rand(s);
		n->w[w] = pk_worker_new(&p, n->cfg);
		if (n->w[w] == NULL)
			abort();
		n->tick_at[w] = UINT64_MAX;
	}
	n->up = true;
	n->admitted = admitted;
}

void
sim_crash(struct sim *s, uint16_t node)
{
	struct sim_node *n = &s->nodes[node];

	if (!n->up)
		return;
	for (uint16_t w = 0; w < s->p.workers; w++) {
		pk_worker_free(n->w[w]);
		n->w[w] = NULL;
	}
	n->up = false;
	trace_mix(s, "crash", 5);
}

void
sim_restart(struct sim *s, uint16_t node, bool admitted, bool same_incarnation)
{
	struct sim_node *n = &s->nodes[node];

	sim_crash(s, node);
	if (!same_incarnation)
		n->incarnation++;
	node_start(s, n, admitted);
}

void
sim_admit(struct sim *s, uint16_t node)
{
	struct sim_node *n = &s->nodes[node];

	if (!n->up)
		return;
	for (uint16_t w = 0; w < s->p.workers; w++)
		pk_worker_admit(n->w[w], true);
	n->admitted = true;
	trace_mix(s, "admit", 5);
}

void
sim_copy_floors(struct sim *s, uint16_t node)
{
	struct sim_node *n = &s->nodes[node];

	if (!n->up)
		return;
	for (uint16_t w = 0; w < s->p.workers; w++) {
		struct pk_floor max = pk_worker_floor(n->w[w]);

		for (uint16_t id = 0; id < s->p.nodes; id++) {
			struct pk_floor f;

			if (id == node || !s->nodes[id].up)
				continue;
			f = pk_worker_floor(s->nodes[id].w[w]);
			pk_floor_raise(&max, &f.ballot, f.version);
		}
		pk_worker_raise_floor(n->w[w], &max);
	}
}

void
sim_install(struct sim *s, uint16_t from, uint16_t to)
{
	struct sim_node *n = &s->nodes[from];

	if (!n->up)
		return;
	for (unsigned int k = 0; k < s->p.keys; k++) {
		const char *key = s->keys[k];
		uint16_t w = pk_partition_of(key, strlen(key), (uint16_t)s->p.workers);

		(void)pk_worker_install(n->w[w], (const uint8_t *)key, (uint16_t)strlen(key), to,
					k + 1, &s->out);
		after_step(s, n, w);
	}
}

void
sim_gc_sweep(struct sim *s, uint16_t node)
{
	struct sim_node *n = &s->nodes[node];

	if (!n->up)
		return;
	for (unsigned int k = 0; k < s->p.keys; k++) {
		const char *key = s->keys[k];
		uint16_t w = pk_partition_of(key, strlen(key), (uint16_t)s->p.workers);

		s->stats.gc_calls++;
		pk_worker_gc(n->w[w], (const uint8_t *)key, (uint16_t)strlen(key),
			     SIM_COOKIE_GC | k, s->now, &s->out);
		after_step(s, n, w);
	}
}

static bool
peek(const struct sim *s, uint16_t node, unsigned int k, struct pk_ballot *accepted)
{
	const char *key = s->keys[k];
	uint16_t w = pk_partition_of(key, strlen(key), (uint16_t)s->p.workers);
	struct pk_ballot promise;
	struct pk_wstate state;

	memset(accepted, 0, sizeof(*accepted));
	return pk_worker_peek(s->nodes[node].w[w], (const uint8_t *)key, (uint16_t)strlen(key),
			      &promise, accepted, &state);
}

uint16_t
sim_known_keys(const struct sim *s, uint16_t node)
{
	struct pk_ballot b;
	uint16_t set = 0;

	if (!s->nodes[node].up)
		return 0;
	for (unsigned int k = 0; k < s->p.keys; k++)
		if (peek(s, node, k, &b))
			set |= (uint16_t)(1u << k);
	return set;
}

bool
sim_caught_up(const struct sim *s, uint16_t from, uint16_t to)
{
	if (!s->nodes[from].up || !s->nodes[to].up)
		return true;	/* nothing more to copy, or nowhere to */
	for (unsigned int k = 0; k < s->p.keys; k++) {
		struct pk_ballot have, want;

		if (peek(s, from, k, &want) && !pk_ballot_is_zero(&want) &&
		    (!peek(s, to, k, &have) || pk_ballot_cmp(&have, &want) < 0))
			return false;
	}
	return true;
}

uint32_t
sim_deleted_keys(const struct sim *s, uint16_t mask)
{
	uint32_t sum = 0;

	for (uint16_t id = 0; id < s->p.nodes; id++)
		if ((mask & (1u << id)) != 0 && s->nodes[id].up)
			for (uint16_t w = 0; w < s->p.workers; w++)
				sum += pk_worker_deleted_keys(s->nodes[id].w[w]);
	return sum;
}

void
sim_set_config(struct sim *s, uint16_t node, const struct pk_config *cfg)
{
	struct sim_node *n = &s->nodes[node];
	unsigned int i;

	for (i = 0; i < s->nconfigs && s->configs[i] != cfg; i++)
		;
	if (i == s->nconfigs) {
		if (s->nconfigs == SIM_MAX_CONFIGS)
			abort();
		s->configs[s->nconfigs++] = cfg;
	}
	n->cfg = cfg;
	if (!n->up)
		return;
	for (uint16_t w = 0; w < s->p.workers; w++)
		pk_worker_set_config(n->w[w], cfg);
}

uint64_t
sim_node_stat(const struct sim *s, uint16_t node, size_t offset)
{
	const struct sim_node *n = &s->nodes[node];
	uint64_t sum = 0;

	if (!n->up)
		return 0;
	for (uint16_t w = 0; w < s->p.workers; w++)
		sum += *(const uint64_t *)((const uint8_t *)pk_worker_stats(n->w[w]) + offset);
	return sum;
}

uint64_t
sim_stat_sum(const struct sim *s, size_t offset)
{
	uint64_t sum = 0;

	for (uint16_t id = 0; id < s->p.nodes; id++)
		sum += sim_node_stat(s, id, offset);
	return sum;
}

void
sim_init(struct sim *s, const struct sim_params *p)
{
	memset(s, 0, sizeof(*s));
	s->p = *p;
	s->rng = p->seed;
	s->trace = 1469598103934665603ull;
	s->out = (struct pk_out){ .sends = s->sends, .send_cap = SIM_OUT_CAP,
				  .replies = s->replies, .reply_cap = SIM_OUT_CAP };
	s->hist = lin_new();
	mon_init(&s->mon);
	pk_config_majority(&s->cfg, p->nodes, 1);
	s->configs[s->nconfigs++] = &s->cfg;
	for (unsigned int k = 0; k < p->keys; k++)
		snprintf(s->keys[k], sizeof(s->keys[k]), "key%u", k);
	for (uint16_t id = 0; id < p->nodes; id++) {
		struct sim_node *n = &s->nodes[id];

		n->env = pk_heap_env(&n->heap);	/* counts the node's allocations */
		n->sim = s;
		n->id = id;
		n->incarnation = 1;
		n->cfg = &s->cfg;
		node_start(s, n, true);
	}
}

void
sim_fini(struct sim *s)
{
	for (uint16_t id = 0; id < s->p.nodes; id++)
		sim_crash(s, id);
	while (s->heap_n > 0) {
		struct sim_event e = ev_pop(s);

		free(e.data);
	}
	free(s->heap);
	lin_free(s->hist);
	mon_fini(&s->mon);
	for (uint16_t id = 0; id < s->p.nodes; id++)
		if (s->nodes[id].heap.live != 0) {
			fprintf(stderr, "sim: the core of node %u leaked %ld allocations\n", id,
				s->nodes[id].heap.live);
			abort();
		}
}

void
sim_schedule_script(struct sim *s, uint64_t delay, uint64_t arg)
{
	struct sim_event e = { .type = EV_SCRIPT, .arg = arg };

	e.time = s->now + delay;
	ev_add(s, &e);
}

static bool
clients_done(const struct sim *s)
{
	for (unsigned int i = 0; i < s->nclients; i++)
		if (s->clients[i].active)
			return false;
	return true;
}

/* Runs event <e>, now due. */
static void
run_event(struct sim *s, struct sim_event *e)
{
	struct sim_node *n = &s->nodes[e->node];

	s->now = e->time;
	s->stats.events++;
	trace_mix(s, &e->type, 1);
	switch (e->type) {
	case EV_TO_NODE:
		deliver_to_node(s, e);
		break;
	case EV_TO_CLIENT:
		deliver_to_client(s, e);
		break;
	case EV_TICK:
		if (!n->up || n->incarnation != e->incarnation)
			break;
		if (n->tick_at[e->worker] == e->time)
			n->tick_at[e->worker] = UINT64_MAX;
		pk_worker_tick(n->w[e->worker], s->now, &s->out);
		after_step(s, n, e->worker);
		break;
	case EV_CLIENT_TIMEOUT:
		client_timeout(s, e);
		break;
	case EV_CLIENT_WAKE:
		workload_next(s, &s->clients[e->client]);
		break;
	case EV_SCRIPT:
		if (s->script != NULL)
			s->script(s, e->arg);
		break;
	}
	free(e->data);
}

/* Runs the next event if it is due by <until>. */
static bool
step_by(struct sim *s, uint64_t until)
{
	struct sim_event e;

	/* The earliest event sits at the heap's root: look before taking it,
	 * so one not due keeps its place among those of its time.
	 */
	if (s->heap_n == 0 || s->heap[0].time > until)
		return false;
	e = ev_pop(s);
	run_event(s, &e);
	return true;
}

bool
sim_step(struct sim *s)
{
	return step_by(s, s->p.time_limit);
}

bool
sim_step_until(struct sim *s, bool (*done)(struct sim *s, void *arg), void *arg)
{
	while (!done(s, arg))
		if (!sim_step(s))
			return done(s, arg);
	return true;
}

bool
sim_wait(struct sim *s, uint64_t us)
{
	uint64_t until = s->now + us;

	if (until > s->p.time_limit)
		return false;
	while (step_by(s, until))
		;
	s->now = until;
	return true;
}

bool
sim_poll_until(struct sim *s, uint64_t every_us, bool (*done)(struct sim *s, void *arg),
	       void *arg)
{
	while (!done(s, arg))
		if (!sim_wait(s, every_us))
			return false;
	return true;
}

static bool
client_finished(struct sim *s, void *arg)
{
	const struct sim_client *c = arg;

	(void)s;
	return c->done >= c->target;
}

bool
sim_until_done(struct sim *s, struct sim_client *c)
{
	return sim_step_until(s, client_finished, c);
}

bool
sim_run(struct sim *s, uint64_t until)
{
	while (!clients_done(s) && step_by(s, until))
		;
	return clients_done(s);
}
