/* The single-worker fixture of the core unit tests (see core_fx.h). */
#include <string.h>

#include "core_fx.h"



void
fx_out_reset(struct fx *f)
{
	f->out.sends = f->sends;
	f->out.send_cap = 64;
	f->out.nsend = 0;
	f->out.replies = f->replies;
	f->out.reply_cap = 64;
	f->out.nreply = 0;
}

bool
fx_init(struct fx *f, uint16_t node, bool admitted, uint32_t max_keys)
{
	return fx_init_sessions(f, node, admitted, max_keys, 0);
}

void
fx_params(struct pk_worker_params *p, struct pk_heap *heap, uint16_t node, bool admitted,
	  uint32_t max_keys, uint32_t max_records)
{
	memset(p, 0, sizeof(*p));
	pk_tuning_default(&p->tuning);
	p->tuning.max_keys = max_keys;
	p->tuning.max_ops = 64;
	p->tuning.max_queue = 4;
	if (max_records != 0) {
		p->tuning.max_session_records = max_records;
		p->tuning.session_window = max_records;
	}
	p->cluster_id = 1;
	p->node = node;
	p->worker = 0;
	p->partitions = 1;
	p->incarnation = 5;
	p->admitted = admitted;
	p->seed = 42;
	p->session_base = 1000;
	p->env = pk_heap_env(heap);
}

bool
fx_init_sessions(struct fx *f, uint16_t node, bool admitted, uint32_t max_keys,
		 uint32_t max_records)
{
	struct pk_worker_params p;

	memset(f, 0, sizeof(*f));
	fx_params(&p, &f->heap, node, admitted, max_keys, max_records);
	return fx_start(f, &p);
}

bool
fx_start(struct fx *f, const struct pk_worker_params *p)
{
	pk_config_majority(&f->cfg, 3, 1);
	f->w = pk_worker_new(p, &f->cfg);
	f->now = 1000;
	fx_out_reset(f);
	return f->w != NULL;
}

long
fx_fini(struct fx *f)
{
	pk_worker_free(f->w);
	return f->heap.live;
}

struct pk_ballot
bal(uint64_t counter, uint16_t node)
{
	return (struct pk_ballot){ .counter = counter, .incarnation = 1, .node = node };
}

struct pk_msg
peer_msg(uint8_t type, uint16_t from, struct pk_ballot b, const char *key)
{
	struct pk_msg m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.peer.node = from;
	m.peer.incarnation = 1;
	m.peer.token = 7;
	m.ballot = b;
	m.key = (const uint8_t *)key;
	m.key_len = (uint16_t)strlen(key);
	return m;
}

struct pk_msg
accept_msg(uint16_t from, struct pk_ballot b, struct pk_ballot next, const char *key,
	   const char *val, uint64_t version)
{
	struct pk_msg m = peer_msg(PK_MSG_ACCEPT, from, b, key);

	m.ballot2 = next;
	m.state.kind = PK_KIND_VALUE;
	m.state.version = version;
	m.state.len = (uint16_t)strlen(val);
	m.state.data = (const uint8_t *)val;
	return m;
}

void
fx_peer(struct fx *f, const struct pk_msg *m)
{
	fx_out_reset(f);
	pk_worker_peer(f->w, m, f->now, &f->out);
}

void
fx_client(struct fx *f, uint8_t op, const char *key, const char *val, uint64_t arg,
	  uint64_t cookie)
{
	fx_client_as(f, 0, cookie, op, key, val, arg, cookie);
}

void
fx_client_as(struct fx *f, uint64_t client_id, uint64_t request_id, uint8_t op, const char *key,
	     const char *val, uint64_t arg, uint64_t cookie)
{
	const struct fx_session none = { .client_id = client_id };

	fx_client_in(f, &none, request_id, op, key, val, arg, cookie);
}

uint64_t
fx_open(struct fx *f, struct fx_session *s, uint64_t client_id)
{
	struct pk_msg m;

	memset(&m, 0, sizeof(m));
	m.type = PK_MSG_CLIENT_REQ;
	m.op = PK_OP_OPEN;
	m.client_id = client_id;
	m.request_id = 1;
	fx_out_reset(f);
	pk_worker_client(f->w, &m, 0, f->now, &f->out);
	memset(s, 0, sizeof(*s));
	s->client_id = client_id;
	if (f->out.nreply == 1 && f->replies[0].msg.status == PK_OK)
		s->number = f->replies[0].msg.session;
	return s->number;
}

void
fx_client_in(struct fx *f, const struct fx_session *s, uint64_t request_id, uint8_t op,
	     const char *key, const char *val, uint64_t arg, uint64_t cookie)
{
	struct pk_msg m;

	memset(&m, 0, sizeof(m));
	m.type = PK_MSG_CLIENT_REQ;
	m.op = op;
	m.key = (const uint8_t *)key;
	m.key_len = (uint16_t)strlen(key);
	m.arg = arg;
	m.client_id = s->client_id;
	m.session = s->number;
	m.acked = s->acked;
	m.request_id = request_id;
	if (val != NULL) {
		m.state.len = (uint16_t)strlen(val);
		m.state.data = (const uint8_t *)val;
	}
	fx_out_reset(f);
	pk_worker_client(f->w, &m, cookie, f->now, &f->out);
}

void
fx_tick(struct fx *f, uint64_t advance)
{
	f->now += advance;
	fx_out_reset(f);
	pk_worker_tick(f->w, f->now, &f->out);
}

/* The single outgoing peer message of <type> still addressed to someone. */
const struct pk_send *
fx_sent(const struct fx *f, uint8_t type)
{
	const struct pk_send *found = NULL;

	for (uint32_t i = 0; i < f->out.nsend; i++) {
		if (f->sends[i].msg.type != type || f->sends[i].dest_mask == 0)
			continue;
		if (found != NULL)
			return NULL;
		found = &f->sends[i];
	}
	return found;
}

/* Ticks (up to 1000 x <step> us) until a message of <type> goes out;
 * returns it, or NULL.
 */
const struct pk_send *
fx_tick_until(struct fx *f, uint8_t type, uint64_t step)
{
	for (int i = 0; i < 1000 && fx_sent(f, type) == NULL; i++)
		fx_tick(f, step);
	return fx_sent(f, type);
}

/* A reply from <node> to the proposer's message <s>. */
struct pk_msg
reply_to(const struct pk_send *s, uint8_t type, uint16_t node)
{
	struct pk_msg m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.peer.node = node;
	m.peer.incarnation = 1;
	m.peer.token = s->msg.peer.token;
	m.ballot = s->msg.ballot;
	return m;
}
