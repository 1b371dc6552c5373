/* libparnik: request window, batching per destination, retries and reply
 * matching over a datagram transport, a kernel UDP socket by default (see
 * include/parnik/client.h and transport.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "clock.h"
#include "seal.h"
#include "servers.h"
#include "throttle.h"
#include "parnik/client.h"
#include "parnik/wire.h"

#define SLOT_BITS 16
#define RETRY_BUDGET_MAX 1000	/* tenths: 100 BUSY retries in reserve */
#define NO_SLOT UINT32_MAX

struct slot {
	bool used;
	bool queued;		/* waiting in its destination's datagram */
	bool backing_off;	/* refused BUSY: sent again at <deadline> */
	uint8_t busy;		/* BUSY answers so far: the backoff doubles */
	uint8_t op;
	uint16_t key_len;
	uint16_t len;
	uint16_t server;
	uint16_t partition;
	uint32_t attempts;	/* sends, all request ids together */
	uint32_t id_sends;	/* sends of the current request id */
	uint32_t next_free;
	uint32_t older, newer;	/* in flight, by request id */
	uint64_t request_id;
	/* A write's session at its replica, fixed at its first send: every
	 * copy of one request id goes in one session, so it runs at most
	 * once. 0: not sent yet (or a GET, which follows its target's).
	 */
	uint64_t session;
	uint64_t arg;
	uint64_t deadline;	/* us, monotonic */
	void *user;
	uint8_t key[PK_MAX_KEY];
	uint8_t value[PK_MAX_VALUE];
};

/* One partition of one replica, and the client's session with it. */
struct target {
	uint64_t session;	/* 0: none yet (OPEN it first) */
	uint64_t lease_us;	/* the replica's, from the OPEN reply */
	uint64_t last_used;	/* us: the session's last request */
	uint64_t open_deadline;	/* us: OPEN in flight until then */
	uint32_t open_sends;
	uint32_t oldest, newest;	/* its requests in flight, by request id */
	uint32_t sort_at;	/* flush's scratch: where its next request goes */
	bool opening;
	bool open_due;		/* an OPEN to send at the next flush */
	/* Refusing here what this target would refuse (throttle.c): one
	 * per target, so a hot partition or replica holds back only the
	 * requests that go to it.
	 */
	struct pk_throttle throttle;
};

/* OPEN's request ids: the top bit (never set by a request's counter) and
 * the target's index.
 */
#define OPEN_ID (1ull << 63)

/* Datagrams handed to the transport per send call. */
#define TX_BATCH 32

struct dgram_batch {
	unsigned int n;
	struct pk_dgram d[TX_BATCH];
	uint8_t buf[TX_BATCH][PK_MAX_DGRAM];
};

struct pk_client {
	struct pk_client_config cfg;
	struct pk_transport *net;
	struct sockaddr_in servers[PK_CLIENT_MAX_SERVERS];	/* base ports */
	unsigned int nservers;
	unsigned int home;	/* pinned replica (when not routing by key) */
	bool by_key;
	uint64_t silent_until[PK_CLIENT_MAX_SERVERS];	/* us: skip it for new requests */
	uint64_t id_counter;
	struct slot *slots;
	uint32_t free_head;
	uint32_t inflight;
	struct target *targets;	/* server * partitions + partition */
	uint32_t *send_queue;	/* slots to (re)send, in order */
	uint32_t *send_spare;	/* room to reorder it */
	uint32_t nqueue;
	struct pk_completion *ready;	/* completed, not yet handed out */
	uint32_t nready;
	struct dgram_batch *tx;
	struct pk_client_seal seal;
	uint64_t rng;		/* backoff jitter */
	/* BUSY retries allowed, in tenths: every new request adds one, every
	 * retry takes ten, so retries stay within 10% of requests (plus a
	 * starting reserve); past it, BUSY goes to the caller at once.
	 */
	uint32_t retry_budget;
	uint64_t throttled;	/* requests refused here (targets' throttles) */
	/* No deadline (a request's or an OPEN's) is earlier than this: set
	 * by expire()'s scan of every slot and lowered by each deadline set
	 * since, so a poll scans the window only when something may be due
	 * (the scan touches a cache line per slot: with thousands in flight,
	 * scanning at every poll was most of an open-loop client's time).
	 */
	uint64_t expire_at;
};

void
pk_client_config_default(struct pk_client_config *c)
{
	memset(c, 0, sizeof(*c));
	c->cluster_id = 1;
	c->partitions = 1;
	c->timeout_ms = 200;
	c->attempts = 5;
	c->window = 1024;
	c->home = -1;
}

struct pk_client *
pk_client_open(const struct pk_client_config *cfg, char *err, size_t errlen)
{
	struct pk_client *c = calloc(1, sizeof(*c));
	uint64_t opened = dp_mono_us();
	pk_transport_open_fn open_net = cfg->transport != NULL ? cfg->transport
							       : pk_udp_transport_open;

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->cfg = *cfg;
	if (cfg->partitions == 0 || cfg->attempts == 0 || cfg->timeout_ms == 0 ||
	    cfg->window == 0 || cfg->window > (1u << SLOT_BITS)) {
		snprintf(err, errlen, "bad config: partitions, attempts, timeout and window must "
				      "be positive, window <= %u", 1u << SLOT_BITS);
		goto err;
	}
	if (pk_servers_parse(cfg->servers, cfg->partitions, c->servers, &c->nservers, err,
			     errlen) != 0)
		goto err;
	if (c->cfg.client_id == 0 &&
	    getrandom(&c->cfg.client_id, sizeof(c->cfg.client_id), 0) != sizeof(uint64_t))
		c->cfg.client_id = dp_mono_us() ^ ((uint64_t)getpid() << 32);
	if (c->cfg.client_id == 0)
		c->cfg.client_id = 1;	/* 0 would opt out of deduplication */
	pk_client_seal_init(&c->seal, cfg->client_secret, c->cfg.client_id);
	c->rng = c->cfg.client_id | 1;
	c->retry_budget = RETRY_BUDGET_MAX;
	c->cfg.client_secret = NULL;	/* the caller's buffer is not ours to keep */
	c->by_key = cfg->home < 0;
	c->home = c->by_key ? 0 : (unsigned int)cfg->home % c->nservers;
	c->targets = calloc((size_t)c->nservers * cfg->partitions, sizeof(*c->targets));
	c->slots = calloc(cfg->window, sizeof(*c->slots));
	c->send_queue = calloc(cfg->window, sizeof(*c->send_queue));
	c->send_spare = calloc(cfg->window, sizeof(*c->send_spare));
	c->ready = calloc(cfg->window, sizeof(*c->ready));
	c->tx = malloc(sizeof(*c->tx));
	if (c->slots == NULL || c->send_queue == NULL || c->send_spare == NULL ||
	    c->ready == NULL || c->tx == NULL || c->targets == NULL) {
		snprintf(err, errlen, "out of memory");
		goto err;
	}
	for (uint32_t i = 0; i < c->nservers * (uint32_t)cfg->partitions; i++) {
		c->targets[i].oldest = c->targets[i].newest = NO_SLOT;
		pk_throttle_init(&c->targets[i].throttle, opened);
	}
	for (uint32_t i = 0; i < cfg->window; i++)
		c->slots[i].next_free = i + 1 < cfg->window ? i + 1 : NO_SLOT;
	c->net = open_net(cfg->transport_arg, err, errlen);
	if (c->net == NULL)
		goto err;
	return c;
err:
	pk_client_close(c);
	return NULL;
}

void
pk_client_close(struct pk_client *c)
{
	if (c == NULL)
		return;
	if (c->net != NULL)
		c->net->close(c->net);
	free(c->slots);
	free(c->targets);
	free(c->send_queue);
	free(c->send_spare);
	free(c->ready);
	free(c->tx);
	free(c);
}

uint32_t
pk_client_inflight(const struct pk_client *c)
{
	/* Completed but not yet polled counts too: a caller that drains
	 * until this is 0 must also collect those (a throttled request is
	 * one at once).
	 */
	return c->inflight + c->nready;
}

uint64_t
pk_client_throttled(const struct pk_client *c)
{
	return c->throttled;
}

static struct target *
target_of(struct pk_client *c, const struct slot *s)
{
	return &c->targets[(size_t)s->server * c->cfg.partitions + s->partition];
}

/* ---- requests in flight per target, by request id: what each
 * request acknowledges to its session ---- */

static void
order_unlink(struct pk_client *c, uint32_t idx)
{
	struct slot *s = &c->slots[idx];
	struct target *t = target_of(c, s);

	if (s->older != NO_SLOT)
		c->slots[s->older].newer = s->newer;
	else
		t->oldest = s->newer;
	if (s->newer != NO_SLOT)
		c->slots[s->newer].older = s->older;
	else
		t->newest = s->older;
}

/* Into its target's list, in request id order (new ids go at the end; a
 * GET moved from another replica may sit further back).
 */
static void
order_link(struct pk_client *c, uint32_t idx)
{
	struct slot *s = &c->slots[idx];
	struct target *t = target_of(c, s);
	uint32_t after = t->newest;

	while (after != NO_SLOT && c->slots[after].request_id > s->request_id)
		after = c->slots[after].older;
	s->older = after;
	s->newer = after != NO_SLOT ? c->slots[after].newer : t->oldest;
	if (s->newer != NO_SLOT)
		c->slots[s->newer].older = idx;
	else
		t->newest = idx;
	if (after != NO_SLOT)
		c->slots[after].newer = idx;
	else
		t->oldest = idx;
}

/* Gives slot <idx> a new request id, the newest; the old one is never sent
 * again.
 */
static void
renumber(struct pk_client *c, uint32_t idx)
{
	struct slot *s = &c->slots[idx];

	if (s->request_id != 0)
		order_unlink(c, idx);
	/* Unique for the client's life: a counter above the slot index. */
	s->request_id = (++c->id_counter << SLOT_BITS) | idx;
	s->session = 0;
	s->id_sends = 0;
	order_link(c, idx);
}

/* Sends slot <idx> to <server> from now on. */
static void
move_to(struct pk_client *c, uint32_t idx, uint16_t server)
{
	order_unlink(c, idx);
	c->slots[idx].server = server;
	order_link(c, idx);
}

/* The lowest request id whose answer this client still waits for from
 * target <t>: its session may forget the answers below it. Per target, so
 * one request stuck at a silent replica holds back no other session.
 */
static uint64_t
acked(const struct pk_client *c, const struct target *t)
{
	return t->oldest != NO_SLOT ? c->slots[t->oldest].request_id
				    : (c->id_counter + 1) << SLOT_BITS;
}

/* Queues a completion for the next poll (the window keeps room for it). */
static void
push_ready(struct pk_client *c, void *user, int status, uint64_t version, const uint8_t *value,
	   uint16_t len)
{
	struct pk_completion *done = &c->ready[c->nready++];

	done->user = user;
	done->result.status = status;
	done->result.no_reply = false;
	done->result.version = version;
	done->result.len = len;
	if (len > 0)
		memcpy(done->result.value, value, len);
}

static void
finish(struct pk_client *c, struct slot *s, int status, uint64_t version, const uint8_t *value,
       uint16_t len)
{
	uint32_t idx = (uint32_t)(s - c->slots);

	push_ready(c, s->user, status, version, value, len);
	order_unlink(c, idx);
	s->used = false;
	s->next_free = c->free_head;
	c->free_head = idx;
	c->inflight--;
}

/* New requests avoid <server> until <until> (us); never shortens a
 * longer silence (a NOT_MEMBER's).
 */
static void
silence(struct pk_client *c, uint16_t server, uint64_t until)
{
	if (c->silent_until[server] < until)
		c->silent_until[server] = until;
}

/* The replica after <server> that is not silent, or simply the next. */
static uint16_t
next_server(const struct pk_client *c, uint16_t server)
{
	uint64_t now = dp_mono_us();

	for (unsigned int i = 1; i < c->nservers; i++) {
		unsigned int s = (server + i) % c->nservers;

		if (c->silent_until[s] <= now)
			return (uint16_t)s;
	}
	return (uint16_t)((server + 1) % c->nservers);
}

/* The key's replica: by hash (bits the partition does not use, so each
 * replica gets a share of every partition) or the pinned one; a replica
 * that went silent recently is skipped while another answers.
 */
static uint16_t
pick_server(const struct pk_client *c, uint32_t hash)
{
	unsigned int first = c->by_key ? (hash >> 16) % c->nservers : c->home;
	uint64_t now = dp_mono_us();

	for (unsigned int i = 0; i < c->nservers; i++) {
		unsigned int s = (first + i) % c->nservers;

		if (c->silent_until[s] <= now)
			return (uint16_t)s;
	}
	return (uint16_t)first;
}

/* xorshift64: backoff jitter and throttling draws. */
static uint64_t
next_random(struct pk_client *c)
{
	c->rng ^= c->rng << 13;
	c->rng ^= c->rng >> 7;
	c->rng ^= c->rng << 17;
	return c->rng;
}

static void
enqueue(struct pk_client *c, uint32_t idx)
{
	if (!c->slots[idx].queued) {
		c->slots[idx].queued = true;
		c->send_queue[c->nqueue++] = idx;
	}
}

int
pk_client_submit(struct pk_client *c, const struct pk_request *req, void *user)
{
	bool wants_value = req->op == PK_OP_PUT || req->op == PK_OP_CAS;
	struct slot *s;
	uint32_t idx, hash;
	uint16_t partition, server;

	if (req->op < PK_OP_GET || req->op > PK_OP_MAX || req->key_len == 0 ||
	    (!wants_value && req->len != 0))
		return PK_BAD_REQUEST;
	if (req->key_len > PK_MAX_KEY || req->len > PK_MAX_VALUE)
		return PK_TOO_LARGE;
	/* Completions not yet polled hold their place in the window too: the
	 * ready queue has room for <window> of them, however the caller polls.
	 */
	if (c->inflight + c->nready >= c->cfg.window)
		return PK_BUSY;
	hash = pk_hash(req->key, req->key_len);
	partition = (uint16_t)(hash % c->cfg.partitions);
	server = pick_server(c, hash);
	/* Its target has been refusing a share of this client's requests:
	 * refuse that share here, answered BUSY at the next poll, and spare
	 * the replica the datagrams.
	 */
	if (pk_throttle_refuse(&c->targets[(size_t)server * c->cfg.partitions + partition].throttle,
			       (double)(next_random(c) >> 11) / (double)(1ull << 53), dp_mono_us())) {
		push_ready(c, user, PK_BUSY, 0, NULL, 0);
		c->throttled++;
		return 0;
	}
	/* Slots come from the free list, or the never-used tail of the array. */
	idx = c->free_head;
	if (idx == NO_SLOT)
		return PK_BUSY;
	s = &c->slots[idx];
	c->free_head = s->next_free;
	memset(s, 0, offsetof(struct slot, key));
	s->used = true;
	s->op = req->op;
	s->key_len = (uint16_t)req->key_len;
	s->len = (uint16_t)req->len;
	s->arg = req->arg;
	s->user = user;
	s->partition = partition;
	s->server = server;
	renumber(c, idx);
	memcpy(s->key, req->key, req->key_len);
	if (req->len > 0)
		memcpy(s->value, req->value, req->len);
	c->inflight++;
	if (c->retry_budget < RETRY_BUDGET_MAX)
		c->retry_budget++;
	enqueue(c, idx);
	return 0;
}

static int
send_batch(struct pk_client *c, struct dgram_batch *b)
{
	int rc = c->net->send(c->net, b->d, b->n);

	b->n = 0;
	return rc;
}

static struct pk_dgram *
next_dgram(struct pk_client *c, uint16_t server, uint16_t partition, struct pk_wbuf *w)
{
	struct dgram_batch *b = c->tx;
	const struct pk_dgram_hdr hdr = { .cluster_id = c->cfg.cluster_id,
					  .partitions = c->cfg.partitions,
					  .partition = partition };
	struct pk_dgram *d = &b->d[b->n];

	pk_wire_begin(w, b->buf[b->n], sizeof(b->buf[b->n]) - pk_client_seal_room(&c->seal), &hdr);
	d->ip = c->servers[server].sin_addr.s_addr;
	d->port = (uint16_t)(ntohs(c->servers[server].sin_port) + partition);
	d->data = b->buf[b->n];
	return d;
}

/* Seals datagram <d> of <w.len> bytes into the batch; sends a full batch. */
static int
close_dgram(struct pk_client *c, struct pk_dgram *d, const struct pk_wbuf *w)
{
	struct dgram_batch *b = c->tx;

	d->len = (uint16_t)pk_client_seal_out(&c->seal, w->buf, w->len, sizeof(b->buf[0]));
	if (++b->n == TX_BATCH)
		return send_batch(c, b);
	return 0;
}

static void
note_deadline(struct pk_client *c, uint64_t t)
{
	if (t < c->expire_at)
		c->expire_at = t;
}

/* OPENs the sessions that are due, one datagram each. */
static int
send_opens(struct pk_client *c, uint64_t now)
{
	uint32_t n = c->nservers * c->cfg.partitions;

	for (uint32_t i = 0; i < n; i++) {
		struct target *t = &c->targets[i];
		struct pk_wbuf w;
		struct pk_dgram *d;
		struct pk_msg m;

		if (!t->open_due)
			continue;
		memset(&m, 0, sizeof(m));
		m.type = PK_MSG_CLIENT_REQ;
		m.op = PK_OP_OPEN;
		m.client_id = c->cfg.client_id;
		m.request_id = OPEN_ID | i;
		m.acked = acked(c, &c->targets[i]);
		d = next_dgram(c, (uint16_t)(i / c->cfg.partitions),
			       (uint16_t)(i % c->cfg.partitions), &w);
		if (pk_wire_add(&w, &m) != 0)
			continue;
		t->open_due = false;
		t->open_sends++;
		t->open_deadline = now + (uint64_t)c->cfg.timeout_ms * 1000u;
		note_deadline(c, t->open_deadline);
		if (close_dgram(c, d, &w) != 0)
			return -1;
	}
	return 0;
}

/* The session slot <s> goes in, or 0 when its target has none yet (an
 * OPEN is then on its way). A session idle for half its lease is opened
 * again first (the replica would have it expire soon), except for a
 * write's copies, which stay in the session of their first send.
 */
static uint64_t
session_for(struct pk_client *c, struct slot *s, uint64_t now)
{
	struct target *t = target_of(c, s);

	if (s->session != 0)
		return s->session;
	if (t->session != 0 && t->lease_us > 0 && now - t->last_used > t->lease_us / 2)
		t->session = 0;
	if (t->session == 0 && !t->opening) {
		t->opening = true;
		t->open_due = true;
		t->open_sends = 0;
	}
	return t->session;
}

/* Sends the queued requests, packing those for one destination together;
 * those whose target has no session yet wait for its OPEN.
 */
static int
flush(struct pk_client *c)
{
	uint64_t now = dp_mono_us();
	uint32_t waiting = 0, ready = 0;

	c->tx->n = 0;

	/* Those waiting for a session first, then the rest grouped by target
	 * (a counting sort, in order within each): a datagram goes to one
	 * target, so each takes a run of the queue. Scanning the whole queue
	 * once per datagram instead cost most of an open-loop client's time
	 * when the queue grows under overload.
	 */
	for (uint32_t i = 0; i < c->nqueue; i++) {
		uint32_t idx = c->send_queue[i];

		if (session_for(c, &c->slots[idx], now) == 0)
			c->send_queue[waiting++] = idx;
		else
			c->send_spare[ready++] = idx;
	}
	if (ready > 0) {
		uint32_t ntargets = c->nservers * c->cfg.partitions, at = waiting;

		for (uint32_t t = 0; t < ntargets; t++)
			c->targets[t].sort_at = 0;
		for (uint32_t i = 0; i < ready; i++)
			target_of(c, &c->slots[c->send_spare[i]])->sort_at++;
		for (uint32_t t = 0; t < ntargets; t++) {
			uint32_t n = c->targets[t].sort_at;

			c->targets[t].sort_at = at;
			at += n;
		}
		for (uint32_t i = 0; i < ready; i++) {
			uint32_t idx = c->send_spare[i];

			c->send_queue[target_of(c, &c->slots[idx])->sort_at++] = idx;
		}
	}
	if (send_opens(c, now) != 0)
		return -1;
	for (uint32_t i = waiting; i < c->nqueue;) {
		struct slot *first = &c->slots[c->send_queue[i]];
		uint16_t server = first->server, partition = first->partition;
		struct pk_wbuf w;
		struct pk_dgram *d = next_dgram(c, server, partition, &w);
		uint32_t start = i;

		for (; i < c->nqueue; i++) {
			struct slot *s = &c->slots[c->send_queue[i]];
			struct pk_msg m;

			if (s->server != server || s->partition != partition)
				break;
			memset(&m, 0, sizeof(m));
			m.type = PK_MSG_CLIENT_REQ;
			m.client_id = c->cfg.client_id;
			m.request_id = s->request_id;
			m.session = session_for(c, s, now);	/* not 0: sorted out above */
			m.acked = acked(c, target_of(c, s));
			m.op = s->op;
			m.arg = s->arg;
			m.key = s->key;
			m.key_len = s->key_len;
			m.state.data = s->value;
			m.state.len = s->len;
			if (pk_wire_add(&w, &m) != 0)
				break;	/* full: the next datagram takes the rest */
			if (s->op != PK_OP_GET)
				s->session = m.session;
			target_of(c, s)->last_used = now;
			s->queued = false;
			s->attempts++;
			s->id_sends++;
			s->deadline = now + (uint64_t)c->cfg.timeout_ms * 1000u;
			note_deadline(c, s->deadline);
		}
		if (i == start) {
			/* Cannot happen (submit refuses what an empty datagram
			 * cannot hold), but must not loop forever if it did.
			 */
			first->queued = false;
			finish(c, first, PK_TOO_LARGE, 0, NULL, 0);
			i++;
			continue;
		}
		if (close_dgram(c, d, &w) != 0) {
			/* What went out leaves the queue; the rest stays. */
			memmove(c->send_queue + waiting, c->send_queue + i,
				(size_t)(c->nqueue - i) * sizeof(uint32_t));
			c->nqueue -= i - waiting;
			return -1;
		}
	}
	c->nqueue = waiting;
	return c->tx->n > 0 ? send_batch(c, c->tx) : 0;
}

/* True when queued slot <s> waits for target <ti>'s session (it was never
 * sent in one: a new request, a GET, or one sent again under a new id).
 */
static bool
waits_for(const struct pk_client *c, const struct slot *s, uint32_t ti)
{
	return s->session == 0 && (size_t)s->server * c->cfg.partitions + s->partition == ti;
}

/* Finishes the requests waiting for target <ti>'s session with <status>. */
static void
fail_waiting(struct pk_client *c, uint32_t ti, int status)
{
	uint32_t kept = 0;

	for (uint32_t i = 0; i < c->nqueue; i++) {
		uint32_t idx = c->send_queue[i];
		struct slot *s = &c->slots[idx];

		if (!waits_for(c, s, ti)) {
			c->send_queue[kept++] = idx;
			continue;
		}
		s->queued = false;
		finish(c, s, status, 0, NULL, 0);
	}
	c->nqueue = kept;
}

/* An OPEN without an answer after every attempt (its replica is silent),
 * or answered NOT_MEMBER or UNAVAILABLE (it serves nobody now).
 * The requests waiting for it were never sent there, so they move to the
 * next replica (writes too), or give up, not applied, with <status> after
 * their attempts (at once for a refusal when there is no other replica).
 */
static void
open_failed(struct pk_client *c, uint32_t ti, uint64_t silent_until, int status)
{
	uint16_t server = (uint16_t)(ti / c->cfg.partitions);
	uint32_t kept = 0;

	c->targets[ti].opening = false;
	silence(c, server, silent_until);
	for (uint32_t i = 0; i < c->nqueue; i++) {
		uint32_t idx = c->send_queue[i];
		struct slot *s = &c->slots[idx];

		c->send_queue[kept++] = idx;
		if (!waits_for(c, s, ti))
			continue;
		s->attempts++;	/* one replica tried */
		if (s->attempts >= c->cfg.attempts ||
		    (status != PK_TIMEOUT && c->nservers == 1)) {
			s->queued = false;
			finish(c, s, status, 0, NULL, 0);
			c->ready[c->nready - 1].result.no_reply = status == PK_TIMEOUT;
			kept--;
			continue;
		}
		move_to(c, idx, next_server(c, server));
	}
	c->nqueue = kept;
}

static void
open_answered(struct pk_client *c, const struct pk_msg *m)
{
	uint64_t i = m->request_id & ~OPEN_ID;
	struct target *t;

	if (i >= (uint64_t)c->nservers * c->cfg.partitions)
		return;
	t = &c->targets[i];
	if (!t->opening && m->status == PK_OK && t->session != 0 && m->session > t->session) {
		/* Two OPENs crossed: the later (higher) number replaced the
		 * other at the replica. New requests go in it.
		 */
		t->session = m->session;
		return;
	}
	if (!t->opening || m->status == PK_BUSY)
		return;	/* late, or no room now: sent again on its deadline */
	if (m->status == PK_NOT_MEMBER || m->status == PK_UNAVAILABLE) {
		/* That replica serves nobody now: what waits for it goes
		 * elsewhere (never sent, so writes too).
		 */
		open_failed(c, (uint32_t)i, dp_mono_us() +
			    (m->status == PK_NOT_MEMBER ? 10000000u : 1000000u), m->status);
		return;
	}
	t->opening = false;
	if (m->status != PK_OK || m->session == 0) {
		/* Refused for good (UNAUTHENTICATED: this client lacks the
		 * key): the requests waiting for it were never sent and
		 * get the same answer.
		 */
		fail_waiting(c, (uint32_t)i, m->status == PK_OK ? PK_BAD_REQUEST : m->status);
		return;
	}
	t->session = m->session;
	t->lease_us = m->state.version * 1000u;
	t->last_used = dp_mono_us();
}

/* Sends <s> again under a new request id: its replica answered the old one
 * with a refusal it keeps (BUSY), or does not know the session it was sent
 * in, while nothing of it can have run (one copy, answered so).
 */
static void
send_anew(struct pk_client *c, struct slot *s)
{
	uint32_t idx = (uint32_t)(s - c->slots);

	renumber(c, idx);
	enqueue(c, idx);
}

/* BUSY: the replica sheds load. Send again under a new id after a
 * jittered, doubling wait (1 ms, 2 ms, ... at most 64 ms, each between
 * half and one and a half of it), so that refused clients do not come
 * back all at once. Retries share a budget (retry_budget): under lasting
 * overload most BUSY answers go to the caller, which is what shedding
 * needs (the way gRPC and Finagle bound retries).
 */
static void
back_off(struct pk_client *c, struct slot *s)
{
	unsigned int shift = s->busy < 6 ? s->busy : 6;
	uint64_t base = 1000u << shift;

	next_random(c);
	if (s->busy < UINT8_MAX)
		s->busy++;
	renumber(c, (uint32_t)(s - c->slots));
	s->backing_off = true;
	s->deadline = dp_mono_us() + base / 2 + c->rng % (base + 1);
	note_deadline(c, s->deadline);
}

static void
match_replies(void *arg, const uint8_t *buf, size_t len)
{
	struct pk_client *c = arg;
	const struct pk_wire_expect exp = { .cluster_id = c->cfg.cluster_id,
					    .partitions = c->cfg.partitions };
	struct pk_msg msgs[PK_MAX_BATCH];
	struct pk_dgram_hdr hdr;
	size_t open_len = pk_client_seal_in(&c->seal, buf, len);
	int n = open_len == 0 ? 0 : pk_wire_decode(buf, open_len, &exp, &hdr, msgs, PK_MAX_BATCH);
	uint64_t now = n > 0 ? dp_mono_us() : 0;	/* one clock read per datagram */

	for (int i = 0; i < n; i++) {
		const struct pk_msg *m = &msgs[i];
		uint32_t idx = (uint32_t)(m->request_id & ((1u << SLOT_BITS) - 1));
		struct slot *s;

		if (m->type != PK_MSG_CLIENT_REP || m->client_id != c->cfg.client_id)
			continue;
		if (m->request_id & OPEN_ID) {
			open_answered(c, m);
			continue;
		}
		if (idx >= c->cfg.window)
			continue;
		s = &c->slots[idx];
		if (!s->used || s->request_id != m->request_id || s->queued)
			continue;	/* late or duplicate reply */
		if (m->status != PK_NOT_MEMBER)
			c->silent_until[s->server] = 0;	/* it answers */
		pk_throttle_answered(&target_of(c, s)->throttle, m->status != PK_BUSY, now);
		if (m->status == PK_SESSION_EXPIRED) {
			struct target *t = target_of(c, s);

			if (t->session == m->session)
				t->session = 0;	/* open a new one */
			/* A write sent more than once may have run in the
			 * session the replica lost: its outcome is unknown.
			 */
			if ((s->op == PK_OP_GET || s->id_sends == 1) &&
			    s->attempts < c->cfg.attempts) {
				send_anew(c, s);
				continue;
			}
			if (s->op == PK_OP_GET || s->id_sends == 1) {
				/* Sessions keep going: not applied, no service. */
				finish(c, s, PK_UNAVAILABLE, 0, NULL, 0);
				continue;
			}
		}
		/* Refused, kept refused: a new id, later; unless retries are
		 * past their budget, when the cluster sheds load that retries
		 * would only multiply.
		 */
		if (m->status == PK_BUSY && s->attempts < c->cfg.attempts &&
		    c->retry_budget >= 10) {
			c->retry_budget -= 10;
			back_off(c, s);
			continue;
		}
		if (m->status == PK_NOT_MEMBER && s->attempts < c->cfg.attempts) {
			/* Not applied; that replica left the cluster (or is a
			 * spare): this and new requests go elsewhere.
			 */
			silence(c, s->server, now + 10000000u);
			move_to(c, idx, next_server(c, s->server));
			send_anew(c, s);
			continue;
		}
		finish(c, s, m->status, m->state.version, m->state.data, m->state.len);
	}
}

/* Retries or gives up on requests past their deadline, and OPENs. */
static uint64_t
expire(struct pk_client *c)
{
	uint64_t now = dp_mono_us(), next = UINT64_MAX;
	uint32_t ntargets = c->nservers * c->cfg.partitions;

	if (now < c->expire_at)
		return c->expire_at;
	c->expire_at = UINT64_MAX;	/* lowered by deadlines set during the scan */
	for (uint32_t i = 0; i < ntargets; i++) {
		struct target *t = &c->targets[i];

		if (!t->opening || t->open_due)
			continue;
		if (t->open_deadline > now) {
			if (t->open_deadline < next)
				next = t->open_deadline;
			continue;
		}
		if (t->open_sends >= c->cfg.attempts)
			open_failed(c, i, now + 1000000u, PK_TIMEOUT);
		else
			t->open_due = true;
	}
	for (uint32_t i = 0; i < c->cfg.window; i++) {
		struct slot *s = &c->slots[i];

		if (!s->used || s->queued)
			continue;
		if (s->deadline > now) {
			if (s->deadline < next)
				next = s->deadline;
			continue;
		}
		if (s->backing_off) {
			s->backing_off = false;
			enqueue(c, i);
			continue;
		}
		/* New requests avoid the silent replica for a while. */
		silence(c, s->server, now + 1000000u);
		if (s->attempts >= c->cfg.attempts) {
			/* No reply at all: a read did nothing; a write may
			 * or may not have happened.
			 */
			finish(c, s, s->op == PK_OP_GET ? PK_TIMEOUT : PK_UNKNOWN_OUTCOME, 0, NULL,
			       0);
			c->ready[c->nready - 1].result.no_reply = true;
			continue;
		}
		if (s->op == PK_OP_GET)
			move_to(c, i, next_server(c, s->server));
		enqueue(c, i);
	}
	note_deadline(c, next);
	return c->expire_at;
}

int
pk_client_poll_us(struct pk_client *c, struct pk_completion *done, int max, int64_t wait_us)
{
	uint64_t start = dp_mono_us();
	int n;

	for (;;) {
		uint64_t next, now, timeout;

		if (flush(c) != 0 || c->net->receive(c->net, match_replies, c) != 0)
			return -1;
		next = expire(c);
		if (c->nqueue > 0) {
			/* Retries expire() queued go out now: wait for their
			 * deadlines too (flush lowered expire_at to them).
			 */
			if (flush(c) != 0)
				return -1;
			next = c->expire_at;
		}
		if (c->nready > 0 || wait_us == 0 || c->inflight == 0)
			break;
		now = dp_mono_us();
		if (wait_us > 0 && now - start >= (uint64_t)wait_us)
			break;
		timeout = next == UINT64_MAX ? 1000000u : (next > now ? next - now : 0) + 1;
		if (wait_us > 0 && timeout > (uint64_t)wait_us - (now - start))
			timeout = (uint64_t)wait_us - (now - start);
		if (c->net->wait(c->net, timeout) != 0)
			return -1;
	}
	n = (int)c->nready < max ? (int)c->nready : max;
	memcpy(done, c->ready, (size_t)n * sizeof(*done));
	memmove(c->ready, c->ready + n, (size_t)(c->nready - (uint32_t)n) * sizeof(*done));
	c->nready -= (uint32_t)n;
	return n;
}

int
pk_client_poll(struct pk_client *c, struct pk_completion *done, int max, int wait_ms)
{
	return pk_client_poll_us(c, done, max, wait_ms < 0 ? -1 : (int64_t)wait_ms * 1000);
}

/* ---- synchronous calls ---- */

static int
call(struct pk_client *c, const struct pk_request *req, struct pk_result *r)
{
	static const int marker;
	struct pk_completion done;
	int rc = pk_client_submit(c, req, (void *)&marker);

	if (rc != 0) {
		memset(r, 0, sizeof(*r));
		r->status = rc;
		return rc;
	}
	/* Other requests of a pipelined user may complete first: keep them
	 * queued for its next poll (they are few: sync users have none).
	 */
	for (;;) {
		int n = pk_client_poll(c, &done, 1, -1);

		if (n < 0) {
			memset(r, 0, sizeof(*r));
			r->status = PK_UNAVAILABLE;
			return r->status;
		}
		if (n == 1 && done.user == &marker) {
			*r = done.result;
			return r->status;
		}
		if (n == 1 && c->nready < c->cfg.window)
			c->ready[c->nready++] = done;
	}
}

int
pk_get(struct pk_client *c, const void *key, size_t key_len, struct pk_result *r)
{
	struct pk_request req = { .op = PK_OP_GET, .key = key, .key_len = key_len };

	return call(c, &req, r);
}

int
pk_put(struct pk_client *c, const void *key, size_t key_len, const void *value, size_t len,
       struct pk_result *r)
{
	struct pk_request req = { .op = PK_OP_PUT, .key = key, .key_len = key_len,
				  .value = value, .len = len };

	return call(c, &req, r);
}

int
pk_cas(struct pk_client *c, const void *key, size_t key_len, uint64_t expected_version,
       const void *value, size_t len, struct pk_result *r)
{
	struct pk_request req = { .op = PK_OP_CAS, .key = key, .key_len = key_len,
				  .value = value, .len = len, .arg = expected_version };

	return call(c, &req, r);
}

int
pk_add(struct pk_client *c, const void *key, size_t key_len, int64_t delta, struct pk_result *r)
{
	struct pk_request req = { .op = PK_OP_ADD, .key = key, .key_len = key_len,
				  .arg = (uint64_t)delta };

	return call(c, &req, r);
}

int
pk_del(struct pk_client *c, const void *key, size_t key_len, struct pk_result *r)
{
	struct pk_request req = { .op = PK_OP_DEL, .key = key, .key_len = key_len };

	return call(c, &req, r);
}
